"""Ignition's column arithmetic against the plain definitions, on random rooms (no database)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from handlers.campaigns.ignition import columns


def _room(seed: int, size: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rnd = random.Random(seed)
    times = np.cumsum([rnd.choice((0, 0, 5, 30, 60, 600, 2400)) for _ in range(size)]).astype(np.float64)
    members = np.asarray([int(12 * rnd.random() ** 2) for _ in range(size)], dtype=np.int64)
    return times, members


@pytest.mark.parametrize("seed", range(6))
def test_participants_per_window_are_the_distinct_others_in_it(seed: int) -> None:
    times, members = _room(seed)
    ends = np.searchsorted(times, times + 1800, side="right")
    expected = [len(set(members[i + 1 : ends[i]].tolist()) - {int(members[i])}) for i in range(len(members))]
    assert columns.participants(members, ends).tolist() == expected


@pytest.mark.parametrize("seed", range(4))
def test_distinct_participants_per_igniter_by_bitmap_and_by_sort_agree(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(seed)
    members = 30
    igniters = np.asarray(sorted(rnd.sample(range(2 * members), 12)), dtype=np.int64)
    chosen = [(int(rnd.choice(igniters)), rnd.randrange(members)) for _ in range(500)]
    pairs = np.asarray([g * members + member for g, member in chosen], dtype=np.int64)
    expected = [len({member for g, member in chosen if g == igniter} - {igniter // 2}) for igniter in igniters]
    assert columns.distinct_per_igniter(pairs, igniters, members).tolist() == expected
    monkeypatch.setattr(columns, "BITMAP_CELLS", 0)  # the path for very many members
    assert columns.distinct_per_igniter(pairs, igniters, members).tolist() == expected


def test_ranges_and_previous_by_same() -> None:
    assert columns.ranges(np.asarray([2, 7, 5]), np.asarray([4, 7, 8])).tolist() == [2, 3, 5, 6, 7]
    assert columns.previous_by_same(np.asarray([3, 1, 3, 3, 1])).tolist() == [-1, -1, 0, 2, 1]
