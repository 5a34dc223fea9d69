"""Arithmetic over a room's columns (numpy), shared by the measuring: no per-message Python where it can be helped."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import numpy as np

from handlers.campaigns.ignition.log import Room


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Hundreds of thousands of rows, tuples and lists, none in a reference cycle: the cycle
    collector would only scan them over and over (a third of the time, measured). Switched off for
    the while, and back on after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def local_hours(room: Room, times: np.ndarray) -> np.ndarray:
    """The local hour of day of each time (seconds since 1970, UTC), through the room's cache."""
    unique, positions = np.unique((times // 3600).astype(np.int64), return_inverse=True)
    return np.asarray([room.local_hour(int(hour)) for hour in unique], dtype=np.int64)[positions]


def usual(room: Room, starts: np.ndarray, seconds: np.ndarray | float) -> np.ndarray:
    """The room's usual number of messages from each start for `seconds` (NaN: no baseline)."""
    if room.hourly is None or not len(starts):
        return np.full(len(starts), np.nan)
    usual: np.ndarray = np.asarray(room.hourly)[local_hours(room, starts)] * (np.asarray(seconds) / 3600)
    return usual


def participants(members: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For every message i of a room: the distinct members other than its author among positions
    [i+1, ends[i]). No set per message: a position k whose member spoke before, at p >= i+1, is a
    repeat in i's window exactly when i <= p - 1 and ends[i] > k; ends only grow, so that is a range
    of i, added with a difference array."""
    n = len(members)
    order = np.argsort(members, kind="stable")
    same = members[order][1:] == members[order][:-1]  # order[j + 1] repeats order[j]'s member
    previous = np.full(n, -1, dtype=np.int64)
    previous[order[1:][same]] = order[:-1][same]
    following = np.full(n, n, dtype=np.int64)
    following[order[:-1][same]] = order[1:][same]
    repeats_at = np.flatnonzero(previous >= 0)
    spoke_before = previous[repeats_at]
    first_window = np.searchsorted(ends, repeats_at, side="right")  # the first i whose window reaches k
    counted = first_window <= spoke_before - 1
    ranges = np.bincount(first_window[counted], minlength=n + 1) - np.bincount(spoke_before[counted], minlength=n + 1)
    repeats = np.cumsum(ranges)[:n]
    distinct = ends - np.arange(n) - 1 - repeats
    return distinct - (following < ends)  # the author's own later messages


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (np.unique hashes, which is far slower on millions of integers here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


BITMAP_CELLS = 64_000_000  # up to this many (igniter, member) cells, a bitmap; beyond, a sort


def distinct_per_igniter(pairs: np.ndarray, igniters: np.ndarray, members: int) -> np.ndarray:
    """How many distinct members other than themselves each igniter (numbered 2 * member + KOC, in
    the order given) has among `pairs` (igniter * members + member)."""
    if (2 * members) * members <= BITMAP_CELLS:  # a bit per cell: one pass, no sort
        seen = np.zeros(2 * members * members, dtype=bool)
        seen[pairs] = True
        seen[igniters * members + igniters // 2] = False  # the igniter is no participant of their own
        counts: np.ndarray = seen.reshape(2 * members, members).sum(axis=1)[igniters]
        return counts
    found = distinct(pairs)
    people = np.bincount(np.searchsorted(igniters, found // members), minlength=len(igniters))
    return people - np.isin(igniters * members + igniters // 2, found.astype(np.int64))


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions [starts[j], ends[j]) of every j, one after the other."""
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions: np.ndarray = np.arange(total) - offsets + np.repeat(starts, lengths)
    return positions


def previous_by_same(values: np.ndarray) -> np.ndarray:
    """For each position, the previous position holding the same value (-1: none)."""
    order = np.argsort(values, kind="stable")
    same = values[order][1:] == values[order][:-1]
    previous = np.full(len(values), -1, dtype=np.int64)
    previous[order[1:][same]] = order[:-1][same]
    return previous


def where(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()
