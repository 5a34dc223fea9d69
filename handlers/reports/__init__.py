"""Reports: the monthly community report for the moderators (on the 1st, on demand, and as files)."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.reports import monthly
from handlers.reports.config import ReportsSection

registry = HandlerRegistry("reports", config_section=ReportsSection, topic=("reports", "报告", "月报"))

# The monthly community report. Still useful days late: up to a week late it goes out, later the
# moderators are told (the scheduler's note) and /report monthly shows it any time.
# Its figures and charts are computed first, away from the chat (`prepare`); the run then only sends.
registry.scheduled_job(
    "monthly_report", cron="0 9 1 * *", grace_minutes=7 * 24 * 60, prepare=monthly.prepare_monthly_report
)(monthly.monthly_report)
registry.command("report monthly", aliases=("报告 月度", "月报"), role=Role.MODERATOR)(monthly.report_monthly)
registry.heavy("monthly report", compute=monthly.make_monthly_report, deliver=monthly.send_monthly_report)
registry.report("monthly")(monthly.report_files)
