"""Chart data for ECharts in the page: a campaign's volume per room with its usual level and clue drops;
a month's activity. The same figures the bot's PNG charts are drawn from."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from handlers.campaigns.report import CampaignReport
from handlers.reports.figures import MonthFigures, MonthSummary

HOURLY_UP_TO = timedelta(days=3)


def safe_json(data: Any) -> str:
    """JSON to put inside a page's <script type="application/json">: nothing in it can close the element."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _bucket(at: datetime, hourly: bool) -> datetime:
    return (
        at.replace(minute=0, second=0, microsecond=0)
        if hourly
        else at.replace(hour=0, minute=0, second=0, microsecond=0)
    )


def campaign_chart(report: CampaignReport) -> dict[str, Any]:
    campaign, zone = report.campaign, report.campaign.zone
    start, until = campaign.starts_at.astimezone(zone), report.until
    hourly = until - start <= HOURLY_UP_TO
    step, buckets, current = (timedelta(hours=1) if hourly else timedelta(days=1)), [], _bucket(start, hourly)
    while current <= until:
        buckets.append(current)
        current += step
    fmt = "%m-%d %H:00" if hourly else "%m-%d"
    series = []
    for room in campaign.rooms:
        counts: Counter[datetime] = Counter()
        for hour, n in report.hours.get(room.community_id, Counter()).items():
            counts[_bucket(hour, hourly)] += n
        logged = report.measured.log.rooms[room.community_id]
        usual = None if logged.hourly is None else round(sum(logged.hourly) / (24 if hourly else 1), 2)
        series.append({"name": room.label, "data": [counts[b] for b in buckets], "usual": usual})
    clues = [
        {"at": _bucket(c.at, hourly).strftime(fmt), "label": f"#{c.id}"} for c in report.clues if c.after is not None
    ]
    return {"kind": "campaign", "x": [b.strftime(fmt) for b in buckets], "series": series, "clues": clues}


def month_chart(figures: MonthFigures | MonthSummary) -> dict[str, Any]:
    rooms = [
        {"name": c.name, "messages": c.messages, "active": c.active, "thanks": c.thanks, "feedback": c.feedback}
        for c in figures.communities
    ]
    days = {
        "x": [d.day.strftime("%m-%d") for d in figures.days],
        "messages": [d.messages for d in figures.days],
        "active": [d.active for d in figures.days],
    }
    return {"kind": "month", "days": days, "rooms": rooms}
