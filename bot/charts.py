"""Charts for reports: PNG bytes drawn off-screen with matplotlib's Agg backend, Chinese labels included.

Every chart is WIDTH x HEIGHT pixels. Drawing takes a tenth of a second or so: `render` runs it in
a worker thread, one chart at a time (matplotlib's font settings are process-wide), so the event
loop keeps serving the chat meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from importlib.util import find_spec
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)
WIDTH, HEIGHT, DPI = 1200, 675, 100
# Fonts that draw Simplified Chinese, best first: a system one where installed, else the one that
# ships with kocbot (bot/fonts: Noto Sans CJK SC cut to GB2312, 3 MB; see the README's "Charts").
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "Noto Sans SC",
)
_LOCK = threading.Lock()
_configured = False


@dataclass(frozen=True, slots=True)
class Line:
    """One series over time, e.g. a community's messages per hour."""

    label: str
    points: Sequence[tuple[datetime, float]]
    baseline: float | None = None  # drawn as a dashed line of the same colour: the usual level


@dataclass(frozen=True, slots=True)
class Mark:
    """A moment marked across the chart, e.g. a clue drop."""

    at: datetime
    label: str


BUNDLED_FONT = Path(__file__).resolve().parent / "fonts" / "kocbot-sans-sc.otf"


def _bundled_font() -> Path | None:
    return BUNDLED_FONT if BUNDLED_FONT.exists() else None


def _configure() -> None:
    """Once per process: Agg, and a CJK font first in line (Latin falls back to DejaVu Sans)."""
    global _configured
    if _configured:
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    chosen = next((name for name in CJK_FONTS if name in installed), None)
    if chosen is None:
        bundled = _bundled_font()
        if bundled is not None:
            font_manager.fontManager.addfont(str(bundled))
            chosen = font_manager.FontProperties(fname=str(bundled)).get_name()
    if chosen is None:
        _LOGGER.warning(
            "no font for Chinese was found: chart labels in Chinese will show as boxes "
            "(install fonts-noto-cjk, or reinstall kocbot: its font is missing)"
        )
    matplotlib.rcParams["font.sans-serif"] = [*([chosen] if chosen else []), "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212
    _configured = True


def _figure() -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    return figure, figure.subplots()


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def timeline(
    title: str,
    lines: Sequence[Line],
    *,
    zone: tzinfo,
    marks: Sequence[Mark] = (),
    y_label: str = "",
    empty_label: str = "",
    bucket: timedelta | None = None,
    locale: str = "zh_CN",
) -> bytes:
    """Series over time (in `zone`), each with its dashed baseline, and vertical marks labelled at the top.
    With `bucket` (a day, an hour), each point is a count over [t, t + bucket), drawn as a bar covering
    that span, so a mark at its exact time falls inside the bar of its day or hour; else lines. Dates on the
    axis are written in `locale` (Babel's CLDR patterns: "12月1日", not "Dec-01")."""
    return _png(
        timeline_figure(
            title,
            lines,
            zone=zone,
            marks=marks,
            y_label=y_label,
            empty_label=empty_label,
            bucket=bucket,
            locale=locale,
        )
    )


def timeline_figure(
    title: str,
    lines: Sequence[Line],
    *,
    zone: tzinfo,
    marks: Sequence[Mark] = (),
    y_label: str = "",
    empty_label: str = "",
    bucket: timedelta | None = None,
    locale: str = "zh_CN",
) -> Any:
    """The figure `timeline` draws (a matplotlib Figure), to look at before it is a picture."""
    from matplotlib import dates

    figure, axes = _figure()
    for index, line in enumerate(lines):
        if bucket is None:
            _plot_line(axes, line, zone)
        else:
            _plot_bars(axes, line, zone, bucket, index, len(lines))
    for mark in marks:
        _plot_mark(axes, mark, zone)
    if not any(line.points for line in lines):
        axes.text(0.5, 0.5, empty_label, transform=axes.transAxes, ha="center", va="center", fontsize=14)
    _counts_axis(axes, title, y_label)
    locator = dates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(date_labels(axes, locale))
    if lines:
        axes.legend(loc="best", fontsize=9)
    return figure


def _local(at: datetime, zone: tzinfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _plot_line(axes: Any, line: Line, zone: tzinfo) -> None:
    times = [_local(t, zone) for t, _ in line.points]
    drawn = axes.plot(times, [value for _, value in line.points], label=line.label, linewidth=1.6)
    if line.baseline is not None and times:
        _baseline(axes, line.baseline, times[0], times[-1], drawn[0].get_color())


def _plot_bars(axes: Any, line: Line, zone: tzinfo, bucket: timedelta, index: int, count: int) -> None:
    """One series' bars, side by side with the others' within each bucket (x in days, matplotlib's date unit)."""
    span = bucket / timedelta(days=1)
    width = span * 0.8 / count
    starts = [_local(t, zone) for t, _ in line.points]
    shifted = [t + timedelta(days=span * 0.1 + index * width) for t in starts]
    drawn = axes.bar(shifted, [v for _, v in line.points], width=width, align="edge", label=line.label, alpha=0.85)
    if line.baseline is not None and starts:
        _baseline(axes, line.baseline, starts[0], starts[-1] + bucket, drawn.patches[0].get_facecolor())


def _baseline(axes: Any, level: float, start: datetime, end: datetime, color: Any) -> None:
    axes.hlines(level, start, end, colors=[color], linestyles="dashed", linewidth=1, alpha=0.7)


def _plot_mark(axes: Any, mark: Mark, zone: tzinfo) -> None:
    at = _local(mark.at, zone)
    axes.axvline(at, color="#c0392b", linestyle=":", linewidth=1.4)
    axes.annotate(
        mark.label,
        xy=(at, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        va="top",
        fontsize=9,
        color="#c0392b",
        rotation=90,
    )


def _counts_axis(axes: Any, title: str, y_label: str) -> None:
    """Counts: whole numbers on the axis (no 0.5 message), from 0."""
    from matplotlib.ticker import MaxNLocator

    axes.set_title(title)
    axes.set_ylabel(y_label)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)


def date_labels(axes: Any, locale: str) -> Any:
    """A tick formatter writing dates in `locale`: months over a long span, days over a few weeks,
    hours (with the day at midnight) over a day or two. matplotlib's own labels are English ("2027-Jan")."""
    from babel.dates import format_skeleton
    from matplotlib import dates, ticker

    def label(value: float, _position: int | None) -> str:
        low, high = axes.get_xlim()
        moment = dates.num2date(value).replace(tzinfo=None)
        if high - low > 60 and (moment.day, moment.hour, moment.minute) == (1, 0, 0):
            skeleton = "yMMM"
        elif high - low > 3 or (moment.hour, moment.minute) == (0, 0):
            skeleton = "MMMd"
        else:
            skeleton = "Hm"
        return format_skeleton(skeleton, moment, locale=locale)

    return ticker.FuncFormatter(label)


def bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    y_label: str = "",
    empty_label: str = "",
) -> bytes:
    """Grouped bars: one group per category, one bar per series."""
    figure, axes = _figure()
    count = max(len(series), 1)
    width = 0.8 / count
    for index, (label, values) in enumerate(series.items()):
        positions = [c + (index - (count - 1) / 2) * width for c in range(len(categories))]
        drawn = axes.bar(positions, values, width=width, label=label)
        axes.bar_label(drawn, fontsize=8, fmt="%g")
    axes.set_xticks(range(len(categories)), list(categories), fontsize=9)
    if not categories:
        axes.text(0.5, 0.5, empty_label, transform=axes.transAxes, ha="center", va="center", fontsize=14)
    _counts_axis(axes, title, y_label)
    if len(series) > 1:
        axes.legend(fontsize=9)
    return _png(figure)


def available() -> bool:
    """Whether charts can be drawn: matplotlib comes with the `charts` extra; without it reports are text."""
    return find_spec("matplotlib") is not None


def draw(chart: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes | None:
    """Draw one chart now (a command-line report); `render` in the bot. None without matplotlib."""
    if not available():
        _LOGGER.info("a chart was left out: matplotlib is not installed (pip install 'kocbot[charts]')")
        return None
    with _LOCK:
        _configure()
        return chart(*args, **kwargs)


async def render(chart: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes | None:
    """Draw one chart in a worker thread, so the chat is not held up while it draws."""
    return await asyncio.to_thread(draw, chart, *args, **kwargs)
