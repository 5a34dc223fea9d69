"""Open feedback like a given report, with the score moderators see: scored off the event loop.

Each report is analysed once per process (segmented, synonyms read) and kept by its text, which
never changes once submitted; a lookup then reads the open items' texts, and weighs and scores them
in a worker thread. `warm_up` reads the dictionary and analyses the open items when the bot starts,
so the first submission does not wait for either (bench/duplicates.py measures a lookup).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handlers.feedback.items import Item, items_where
from handlers.feedback.rules import OPEN
from handlers.feedback.segmenter import segmenter
from handlers.feedback.tables import items
from handlers.feedback.wording import Doc, Scorer, Segment, analyse, default_wording

if TYPE_CHECKING:
    from bot.context import Services

_LOGGER = logging.getLogger(__name__)
MAX_KEPT = 50_000  # analysed reports kept per process (a few hundred bytes each)
_kept: dict[str, Doc] = {}


@dataclass(frozen=True, slots=True)
class Similar:
    """An open item like the report, and how alike they are (0-100, shown to moderators only)."""

    item: Item
    score: int


def report_text(scenario: str, expected: str) -> str:
    """What is compared: where it happened and what the member wants, not the steps (every report
    has "打开 App，点击…")."""
    return f"{scenario}\n{expected}"


def _analysed(text: str, segment: Segment) -> Doc:
    doc = _kept.get(text)
    if doc is None:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()  # rare; the next lookups analyse again
        doc = _kept[text] = analyse(text, segment, default_wording())
    return doc


def rank(segment: Segment, text: str, candidates: Sequence[tuple[int, str]]) -> list[tuple[int, int]]:
    """(id, score) of the candidates sharing a word or two characters with `text`, best first (the
    others score 0); CPU work for a worker thread."""
    mine, docs = _analysed(text, segment), [_analysed(other, segment) for _, other in candidates]
    scorer = Scorer([mine, *docs])
    mine_vector, mine_terms = scorer.vector(mine), mine.terms.keys()
    scored = [
        (item_id, Scorer.score_vectors(mine, mine_vector, doc, scorer.vector(doc)))
        for (item_id, _), doc in zip(candidates, docs, strict=True)
        if not (mine_terms.isdisjoint(doc.terms) and mine.grams.isdisjoint(doc.grams))
    ]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


async def _open_texts(conn: AsyncConnection, exclude: Iterable[int] = ()) -> list[tuple[int, str]]:
    skip = set(exclude)
    stmt = select(items.c.id, items.c.scenario, items.c.expected).where(items.c.status.in_([s.value for s in OPEN]))
    rows = (await conn.execute(stmt.order_by(items.c.id))).all()
    return [(row.id, report_text(row.scenario, row.expected)) for row in rows if row.id not in skip]


async def similar_open(
    conn: AsyncConnection, text: str, threshold: int, limit: int, exclude: Iterable[int] = ()
) -> list[Similar]:
    """Open items scoring at least `threshold` against `text`, most alike first, at most `limit`."""
    candidates = await _open_texts(conn, exclude)
    if not candidates or limit <= 0:
        return []
    ranked = await asyncio.to_thread(rank, await segmenter(), text, candidates)
    chosen = [(item_id, score) for item_id, score in ranked if score >= threshold][:limit]
    found = {item.id: item for item in await items_where(conn, items.c.id.in_([i for i, _ in chosen]))}
    return [Similar(found[item_id], score) for item_id, score in chosen]


async def pair_score(conn: AsyncConnection, first: Item, second: Item) -> int:
    """How alike two items are, weighed against the open items as at submission."""
    candidates = [
        *await _open_texts(conn, (first.id, second.id)),
        (second.id, report_text(second.scenario, second.expected)),
    ]
    ranked = await asyncio.to_thread(rank, await segmenter(), report_text(first.scenario, first.expected), candidates)
    return dict(ranked).get(second.id, 0)


async def warm_up(engine: AsyncEngine, services: Services) -> None:
    """At start-up, in the background: the dictionary, then every open item analysed."""
    await analyse_open_items(engine)


async def analyse_open_items(engine: AsyncEngine) -> None:
    segment = await segmenter()
    async with engine.connect() as conn:
        texts = [text for _, text in await _open_texts(conn)]
    await asyncio.to_thread(lambda: [_analysed(text, segment) for text in texts])
    _LOGGER.info("duplicate search ready: %d open feedback items analysed", len(texts))
