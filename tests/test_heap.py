"""bot.heap.settle: what exists at start is kept out of the cyclic collector's later walks."""

from __future__ import annotations

import gc

from bot.heap import settle


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector could ever free it


def test_what_exists_when_settled_is_out_of_the_collectors_walks_and_what_comes_later_is_not() -> None:
    before = _Node()
    try:
        kept = settle()
        after = _Node()
        walked = gc.get_objects()
        assert kept == gc.get_freeze_count() > 0
        assert not any(found is before for found in walked)
        assert any(found is after for found in walked)
    finally:
        gc.unfreeze()  # this test process goes on building and dropping apps
    assert any(found is before for found in gc.get_objects())
