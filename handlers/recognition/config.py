"""The recognition capability's configuration section, `[recognition]`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.config import Section

Answer = Literal["reply", "silent"]
DEFAULT_PHRASES = [
    *("谢谢", "感谢", "多谢", "谢啦", "谢了", "鸣谢", "感恩", "感激", "蟹蟹", "3q", "xiexie"),
    *("辛苦了", "辛苦啦", "辛苦你", "辛苦您", "辛苦两位", "辛苦辛苦", "比心", "比个心"),
    *("🙏", "🙇", "[抱拳]", "[合十]"),
    *("thanks", "thank you", "thank u", "thx", "thanx", "tks", "ty", "tysm", "tyvm"),
    *("much appreciated", "appreciate it"),
]
# Thanks to these is not a member's: the brand, its service, its staff as a body, its product, the bot.
DEFAULT_BRAND_WORDS = [
    *("客服", "官方", "品牌方", "品牌", "售后", "小助手", "机器人", "工作人员", "小编", "团队", "厂家", "商家"),
    *("产品", "更新", "系统", "版本", "固件"),
    *("kocbot", "customer service", "support team", "the brand", "the team", "the update", "the app"),
]
DEFAULT_TITLES = ["热心答主", "活动组织者", "荣誉产品顾问", "品牌名人堂"]


class RefusalAnswers(Section):
    """How natural thanks that do not count are answered, rule by rule (explicit /thanks always answers)."""

    self: Answer = Field("reply", description="Thanking yourself.")
    bot: Answer = Field("reply", description="Thanking the bot.")
    cooldown: Answer = Field(
        "silent", description="Thanking the same member again within the cooldown (people often thank twice)."
    )
    daily_cap: Answer = Field("reply", description="Thanking beyond the daily cap.")
    newcomer: Answer = Field("reply", description="Thanks from a member who joined less than newcomer_days ago.")


class RecognitionSection(Section):
    thanks_phrases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PHRASES),
        min_length=1,
        description="Words that make a group message a thank-you when it @mentions or quotes a member "
        "(Latin words match whole words, case-insensitively; full-width letters count as ASCII). Refusals, "
        "questions, talk about thanks and thanks in advance do not count whatever the phrase.",
    )
    brand_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BRAND_WORDS),
        description="Words naming the brand, its service or the bot: thanks to them (谢谢客服, 官方感谢) "
        "is no member's thank-you. Add your brand's and the bot's names.",
    )
    acknowledge: Answer = Field(
        "reply",
        description="A natural thank-you that counts: reply briefly, or stay silent and only record it.",
    )
    refusals: RefusalAnswers = Field(
        default_factory=RefusalAnswers,
        description="Per anti-gaming rule: reply, or ignore silently.",
    )
    cooldown_hours: float = Field(
        24.0,
        ge=0,
        description="The same giver to the same receiver counts once per this many hours (0: always).",
    )
    daily_cap: int = Field(10, ge=0, description="Counted thanks a member may give per day (0: no cap).")
    newcomer_days: int = Field(
        0,
        ge=0,
        description="Thanks from newcomers do not count until this many days after the first join of theirs the "
        "platform reported; members already in a group when the bot arrived are no newcomers (0: off).",
    )
    monthly_thanks_threshold: int = Field(
        10,
        ge=1,
        description="Counted thanks received in a month that earn the monthly reward.",
    )
    threshold_points: int = Field(50, ge=0, description="Points for reaching the monthly threshold (once a month).")
    threshold_title: str = Field("热心答主", description="Title for reaching the monthly threshold (empty: none).")
    event_points: int = Field(30, ge=0, description="Points for organising a community event (/event credit).")
    event_title: str = Field("活动组织者", description="Title for organising an event (empty: none).")
    titles: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TITLES),
        description="The titles moderators may grant; the rules' titles must be among them.",
    )
    top_size: int = Field(10, ge=1, le=50, description="Places shown by /top.")
    honour_roll_quotes: int = Field(
        2,
        ge=0,
        le=5,
        description="Thank-you quotes shown per member on the monthly honour roll.",
    )

    @model_validator(mode="after")
    def _rule_titles_are_known(self) -> RecognitionSection:
        for key in ("threshold_title", "event_title"):
            title = getattr(self, key)
            if title and title not in self.titles:
                raise ValueError(f"{key} {title!r} must be one of titles {self.titles}")
        return self
