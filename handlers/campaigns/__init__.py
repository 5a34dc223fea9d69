"""Launch campaigns: clue drops with a KOC heads-up, ignition measured from the message log, rewards, reports."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.campaigns import tables  # noqa: F401 - the models join Base.metadata
from handlers.campaigns.config import CampaignsSection

registry = HandlerRegistry("campaigns", config_section=CampaignsSection, topic=("campaigns", "活动", "campaign"))

# Campaigns, keywords, talking points and clue drops (each clue: a heads-up job and a drop job of its own).
from bot.db.schema import Role  # noqa: E402 - one import per block, next to its registrations
from handlers.campaigns import clues, manage  # noqa: E402

MODERATOR = Role.MODERATOR
registry.command("campaign create", aliases=("活动 创建",), role=MODERATOR)(manage.create_campaign)
registry.command("campaign list", aliases=("活动 列表",), role=MODERATOR)(manage.list_campaigns)
registry.command("campaign show", aliases=("活动 查看",), role=MODERATOR)(manage.show_campaign)
registry.command("campaign close", aliases=("活动 结束",), role=MODERATOR)(manage.close_campaign)
registry.command("campaign keywords", aliases=("活动 关键词",), role=MODERATOR)(manage.set_keywords)
registry.command("campaign points", aliases=("活动 要点",), role=MODERATOR)(manage.set_points)
registry.command("campaign clue", aliases=("活动 线索",), role=MODERATOR)(clues.schedule_clue)
registry.command("campaign clue cancel", aliases=("活动 线索 取消",), role=MODERATOR)(clues.cancel_clue_command)

# Ignition (measured from the message log), its weekly rewards, and reports with a chart.
from handlers.campaigns import report, rewards  # noqa: E402

registry.command("campaign ignition", aliases=("活动 引爆",), role=MODERATOR)(report.show_ignition)
registry.command("campaign report", aliases=("活动 报告",), role=MODERATOR)(report.send_report)
# Measuring is pure-Python CPU work over the whole log: in a worker process, not beside the chat.
registry.heavy("campaign ignition", compute=report.measure_ignition, deliver=report.tell_ignition)
registry.heavy("campaign report", compute=report.make_report, deliver=report.send_made_report)
registry.report("campaign")(report.write_report)
# Monday morning, for the week that ended; every run also makes up periods a missed one left.
registry.scheduled_job("campaign_rewards", cron="0 10 * * 1", report_missed=False, prepare=rewards.winners_due)(
    rewards.campaign_rewards
)
