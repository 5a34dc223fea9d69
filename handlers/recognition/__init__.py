"""Recognition: thank-yous between members, points and titles, leaderboards and the monthly honour roll."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry, Where
from handlers.recognition import honour, moderation, private, tables, thanks, undo, views  # noqa: F401 - tables: the models join Base.metadata
from handlers.recognition.config import RecognitionSection

registry = HandlerRegistry(
    "recognition", config_section=RecognitionSection, topic=("thanks", "感谢", "recognition", "表彰", "积分", "称号")
)
MODERATOR = Role.MODERATOR

registry.matcher("thanks", thanks.match_thanks)(thanks.on_thanks)
registry.matcher("private_thanks", private.match_private_thanks, where=Where.DM)(private.on_private_thanks)
registry.command("thanks", aliases=("感谢",), where=Where.ROOM)(thanks.give_thanks)
registry.command("me", aliases=("我的",))(views.show_me)
registry.command("top", aliases=("排行", "排行榜"))(views.show_top)
registry.command("thanks list", aliases=("感谢 列表",), role=MODERATOR)(views.list_thanks)
registry.command("thanks revoke", aliases=("感谢 撤回",), role=MODERATOR)(moderation.revoke_thanks)
registry.command("points grant", aliases=("积分 发放",), role=MODERATOR)(moderation.grant_points)
registry.command("points deduct", aliases=("积分 扣除",), role=MODERATOR)(moderation.deduct_points)
registry.command("title grant", aliases=("称号 授予",), role=MODERATOR)(moderation.grant_title_command)
registry.command("title revoke", aliases=("称号 收回",), role=MODERATOR)(moderation.revoke_title_command)
registry.command("event credit", aliases=("活动 奖励",), role=MODERATOR)(moderation.credit_event)
registry.command("undo", aliases=("撤销",), role=MODERATOR)(undo.undo)
registry.command("honour-roll", aliases=("光荣榜", "honor-roll"), role=MODERATOR)(honour.honour_roll)
# A late honour roll is still welcome: up to three days late it is posted, later a moderator is told.
registry.scheduled_job("honour_roll", cron="0 10 1 * *", grace_minutes=3 * 24 * 60)(honour.monthly_honour_roll)
