"""Charts: PNGs that open, at the documented size, with Chinese labels drawn in a CJK font."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from bot import charts

START = datetime(2026, 12, 1, tzinfo=UTC)


def _opened(png: bytes | None) -> Image.Image:
    assert png is not None  # matplotlib is installed for the tests
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated file fails here
    return image


async def test_a_timeline_with_marks_is_a_png_of_the_documented_size() -> None:
    lines = [
        charts.Line("新品体验1群", [(START + timedelta(hours=h), h % 5) for h in range(48)], baseline=2.0),
        charts.Line("Room two", [(START + timedelta(hours=h), h % 3) for h in range(48)]),
    ]
    png = await charts.render(
        charts.timeline,
        "活动讨论量",
        lines,
        zone=ZoneInfo("Asia/Shanghai"),
        marks=[charts.Mark(START + timedelta(hours=20), "线索 #1")],
        y_label="消息/小时",
    )
    image = _opened(png)
    assert (image.format, image.size) == ("PNG", (charts.WIDTH, charts.HEIGHT))
    assert len(image.getcolors(maxcolors=1 << 16) or ()) > 10  # something was drawn, not a blank canvas


def test_bars_and_an_empty_chart_are_pngs_too() -> None:
    png = charts.draw(charts.bars, "本月", ["一群", "二群"], {"消息": [120, 80], "感谢": [9, 4]})
    assert _opened(png).size == (charts.WIDTH, charts.HEIGHT)
    empty = charts.draw(charts.timeline, "无数据", [], zone=ZoneInfo("UTC"), empty_label="本期没有消息")
    assert _opened(empty).size == (charts.WIDTH, charts.HEIGHT)


def test_chinese_is_drawn_in_a_font_that_has_it(recwarn) -> None:
    charts.draw(charts.bars, "新品讨论量", ["体验群"], {"消息": [3]})
    import matplotlib

    assert matplotlib.rcParams["font.sans-serif"][0] != "DejaVu Sans"
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_the_bundled_font_draws_every_gb2312_character_and_every_template_character() -> None:
    from fontTools.ttLib import TTFont

    from tests.support import PROJECT

    covered = set(TTFont(charts.BUNDLED_FONT).getBestCmap())
    gb2312 = set()
    for high in range(0xB0, 0xF8):  # the hanzi rows
        for low in range(0xA1, 0xFF):
            try:
                gb2312.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    assert len(gb2312) == 6763 and gb2312 <= covered
    words = "".join(path.read_text(encoding="utf-8") for path in (PROJECT / "templates" / "zh_CN").rglob("*.j2"))
    hanzi = {
        ord(c) for c in words if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    }
    assert sorted(chr(c) for c in hanzi - covered) == []
