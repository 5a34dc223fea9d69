"""Ignition, measured: the discussion each message in a campaign room starts, from the message log.

For a message posted at t in a campaign room, its window is (t, t + window]. Its figures:
- replies: messages quoting it (any time up to now), by others;
- mentions: messages in the window, by others, that @mention its author (logged after it: the same
  instant too);
- volume: messages in the room in the window; `expected` is the room's usual number for a
  window at that hour of the day (the baseline: the `baseline_days` before the campaign, per
  local hour, divided by the days the room was observed); lift = volume - expected;
- participants: distinct other members posting in the window;
- keywords: messages in the window, by others, using a campaign keyword;
- joins: members who joined the room in the window (or at the instant of the message).
score = w_replies*replies + w_mentions*mentions + w_participants*participants + w_keywords*keywords
        + w_joins*joins + w_lift*max(0, lift)

A member's figures add up their messages' figures, but count each message of the room once when
their windows overlap (ten messages in a row are not ten times the discussion): volume, keywords,
mentions and joins over the union of their windows, participants as distinct people, expected over
the time the union covers. Commands to the bot and the bot's own messages are not discussion and
count nowhere (bot/talk.py). A message counts as a KOC's when its author was an active KOC when posting it.
"""

from handlers.campaigns.ignition.figures import Aftermath, Igniter, Measured, Spark, Sparks, Weights
from handlers.campaigns.ignition.log import Log, aftermath
from handlers.campaigns.ignition.measuring import measure, measure_campaign
from handlers.campaigns.ignition.reading import read_log

__all__ = [
    "Aftermath",
    "Igniter",
    "Log",
    "Measured",
    "Spark",
    "Sparks",
    "Weights",
    "aftermath",
    "measure",
    "measure_campaign",
    "read_log",
]
