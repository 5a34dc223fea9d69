"""Outreach: scheduled announcements, moderator-authored templates, welcomes, monthly briefs, digests."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.outreach import announce, brief, digest, tables  # noqa: F401 - tables: the models join Base.metadata
from handlers.outreach.config import OutreachSection

registry = HandlerRegistry(
    "outreach",
    config_section=OutreachSection,
    topic=(
        "outreach",
        "公告",
        "announcements",
        "推送",
        "模板",
        "templates",
        "简报",
        "brief",
        "周报",
        "分群",
        "segments",
        "触达",
    ),
)

# Registrations, one block per module (announcements, templates, welcome, briefs, digest):

# The moderators' weekly digest (each capability adds its section with `registry.digest_section`).
registry.scheduled_job("moderators_digest", cron="0 9 * * 1", report_missed=False)(digest.weekly_digest)
registry.command("digest", aliases=("周报",), role=Role.MODERATOR)(digest.show_digest)

# Scheduled announcements.
MODERATOR = Role.MODERATOR
registry.command("announce at", aliases=("公告 定时",), role=MODERATOR)(announce.announce_at)
registry.command("announce every", aliases=("公告 每", "公告 循环"), role=MODERATOR)(announce.announce_every)
registry.command("announce list", aliases=("公告 列表",), role=MODERATOR)(announce.announce_list)
registry.command("announce show", aliases=("公告 查看",), role=MODERATOR)(announce.announce_show)
registry.command("announce cancel", aliases=("公告 取消",), role=MODERATOR)(announce.announce_cancel)
registry.command("announce preview", aliases=("公告 预览",), role=MODERATOR)(announce.announce_preview)

# The monthly communication brief for active KOCs.
# Still useful days late: up to a week late it goes out, later the moderators are told (/brief send).
registry.scheduled_job("monthly_brief", cron="0 10 1 * *", grace_minutes=7 * 24 * 60)(brief.monthly_brief)
registry.command("brief set", aliases=("简报 设置", "koc brief set", "koc 简报 设置"), role=MODERATOR)(brief.set_brief)
registry.command("brief show", aliases=("简报 查看",), role=MODERATOR)(brief.show_brief)
registry.command("brief send", aliases=("简报 发送",), role=MODERATOR)(brief.send_now)

# Moderator-authored templates (rendered in the sandbox) and welcomes.
from bot.events import MemberJoined, MemberLeft  # noqa: E402
from handlers.outreach import template_commands, welcome  # noqa: E402 - one import per block, next to its registrations

registry.command("template set", aliases=("模板 设置",), role=Role.MODERATOR)(template_commands.set_template)
registry.command("template show", aliases=("模板 查看",), role=Role.MODERATOR)(template_commands.show_template)
registry.command("template list", aliases=("模板 列表",), role=Role.MODERATOR)(template_commands.list_templates)
registry.command("template delete", aliases=("模板 删除",), role=Role.MODERATOR)(template_commands.delete_template)
registry.command("template help", aliases=("模板 帮助",), role=Role.MODERATOR)(template_commands.template_help)
registry.on(MemberJoined)(welcome.on_member_joined)
registry.on(MemberLeft)(welcome.on_member_left)

# Opt-out in the member's own words, and back in (members' commands; the words alone, in private).
from bot.registry import Where  # noqa: E402
from handlers.outreach import consent  # noqa: E402

registry.command("unsubscribe", aliases=("退订",))(consent.unsubscribe)
registry.command("subscribe", aliases=("订阅",))(consent.subscribe)
registry.matcher("opt_out_words", consent.match_opt_out, where=Where.DM)(consent.on_opt_out_words)
registry.private_note(consent.withhold_from_opted_out)  # every capability's unsolicited private messages

# Segments: saved, named filters over members (handlers/outreach/segment_parse: the expression language).
from handlers.outreach import segments  # noqa: E402

registry.command("segment set", aliases=("分群 设置",), role=MODERATOR)(segments.set_segment)
registry.command("segment show", aliases=("分群 查看",), role=MODERATOR)(segments.show_segment)
registry.command("segment list", aliases=("分群 列表",), role=MODERATOR)(segments.list_segments)
registry.command("segment delete", aliases=("分群 删除",), role=MODERATOR)(segments.delete_segment)

# Outreach to a segment: each member's own rendering of a saved template, privately.
from handlers.outreach import send_report, sends  # noqa: E402

registry.command("outreach send", aliases=("触达 发送",), role=MODERATOR)(sends.send)
registry.command("outreach confirm", aliases=("触达 确认",), role=MODERATOR)(sends.confirm)
registry.command("outreach cancel", aliases=("触达 取消",), role=MODERATOR)(sends.cancel)
registry.command("outreach show", aliases=("触达 查看",), role=MODERATOR)(send_report.show)
registry.heavy("outreach dry run", compute=sends.compute_dry_run, deliver=sends.deliver_dry_run)
registry.heavy("outreach send", compute=sends.compute_send, deliver=sends.deliver_send)
registry.export("outreach")(send_report.export_outreach)
