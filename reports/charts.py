"""Small SVG charts shared by the HTML dashboard and the WeasyPrint PDF.

Why our own module and not matplotlib: a matplotlib SVG costs WeasyPrint about 0.3 s to lay out
(see ARCHITECTURE.md, "PDF reports"); these charts are a few dozen elements each.

Rules every chart follows, so that a report printed in black and white still reads:
- only black, greys and white (``#000 #444 #777 #bbb #ddd #fff``); meaning is carried by
  markers, dashes and text labels, never by colour alone;
- every piece of text goes through ``html.escape``; the functions return markup that is safe
  to drop into a Jinja template with ``|safe``;
- explicit ``width``/``height`` and a ``viewBox``, so the chart scales in CSS and prints at a
  known size; coordinates are rounded to one decimal to keep the markup small.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reports.language import _
from reports.language import score as score_words

FONT = "DejaVu Sans, sans-serif"
BLACK, DARK, MID, LIGHT, WHITE = "#000", "#444", "#777", "#bbb", "#fff"
# The 95 % interval band: pale enough that the line, markers and labels stay on top of it.
BAND = "#ddd"
# A period resting on fewer shops than this is flagged (hollow marker, listed in <desc>).
FEW_SHOPS = 3
# Rough advance width of a DejaVu Sans character per pixel of font size; only used to decide
# when labels would collide, so it errs on the wide side.
CHAR_WIDTH = 0.62


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: its label ("Oct 2026"), mean score (None: no shops), shops,
    and the ends of the mean's 95 % interval (None: fewer than 2 shops, no interval)."""

    label: str
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros, never "-0"."""
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _point_words(p: TrendPoint) -> str:
    """One point of a trend in words, for the chart's description."""
    if p.value is None:
        return _("no data in %(period)s", period=p.label)
    if p.low is not None and p.high is not None:
        return _(
            "%(score)s (95 %% interval %(low)s to %(high)s) in %(period)s",
            score=fmt_value(p.value),
            low=fmt_value(p.low),
            high=fmt_value(p.high),
            period=p.label,
        )
    return _("%(score)s in %(period)s", score=fmt_value(p.value), period=p.label)


def fmt_value(value: float) -> str:
    """A score as printed next to a point: whole numbers bare, otherwise one decimal, by the
    one display rule (`app.figures.score_text`: half away from zero), with the decimal mark
    of the report's language."""
    return score_words(value)


def _chart_id(kind: str, *parts: object) -> str:
    # Deterministic (pure function, cacheable PDFs) yet distinct for different charts on one
    # page, so aria-labelledby points at the right <title>.
    digest = hashlib.blake2s(repr(parts).encode(), digest_size=4).hexdigest()
    return f"{kind}-{digest}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 10,
    anchor: str = "start",
    fill: str = BLACK,
    extra: str = "",
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{_esc(text)}</text>'
    )


def _polyline(
    coords: Sequence[tuple[float, float]], *, stroke: str, width: float, extra: str = ""
) -> str:
    pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
    return (
        f'<polyline points="{pts}" fill="none" stroke="{stroke}" stroke-width="{_num(width)}" '
        f'stroke-linejoin="round"{extra}/>'
    )


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of consecutive non-None values: each run is drawn as its own line (gaps)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def _svg(
    width: float,
    height: float,
    chart_id: str,
    title: str,
    desc: str | None,
    body: Iterable[str],
    *,
    css_class: str,
) -> str:
    labelled = f"{chart_id}-title" + (f" {chart_id}-desc" if desc is not None else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" role="img" aria-labelledby="{labelled}" '
        f'font-family="{FONT}">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
    ]
    if desc is not None:
        parts.append(f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>')
    parts.extend(body)
    parts.append("</svg>")
    return "".join(parts)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def line_chart(
    points: Sequence[TrendPoint],
    *,
    target: float | None,
    width: int = 560,
    height: int = 220,
    y_min: float = 0,
    y_max: float = 100,
    title: str,
) -> str:
    """A score trend: one marker per period, gaps where a period has no shops, the shops
    behind each point ("n=4") under its period label, and a dashed target line."""
    left, right, top, bottom = 34.0, 62.0, 16.0, 34.0  # right margin holds "target 80"
    plot_w, plot_h = width - left - right, height - top - bottom
    x_axis_y = top + plot_h
    span = (y_max - y_min) or 1.0

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (_clamp(value, y_min, y_max) - y_min) / span)

    count = len(points)
    step = plot_w / max(count, 1)

    def x_of(i: int) -> float:
        return left + step * (i + 0.5)  # half a step of padding keeps end labels inside

    body: list[str] = []
    # Gridlines and y labels at quarters of the range (0, 25, 50, 75, 100 by default).
    for k in range(5):
        tick = y_min + span * k / 4
        y = y_of(tick)
        body.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(left + plot_w)}" y2="{_num(y)}" '
            f'stroke="{LIGHT}" stroke-width="0.5"/>'
        )
        body.append(_text(left - 5, y + 3.5, fmt_value(tick), size=9, anchor="end", fill=DARK))
    body.append(
        f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(x_axis_y)}" '
        f'stroke="{BLACK}" stroke-width="1"/>'
        f'<line x1="{_num(left)}" y1="{_num(x_axis_y)}" x2="{_num(left + plot_w)}" '
        f'y2="{_num(x_axis_y)}" stroke="{BLACK}" stroke-width="1"/>'
    )

    if target is not None:
        ty = y_of(target)
        body.append(
            f'<line class="target" x1="{_num(left)}" y1="{_num(ty)}" x2="{_num(left + plot_w)}" '
            f'y2="{_num(ty)}" stroke="{DARK}" stroke-width="1.2" stroke-dasharray="6 4"/>'
        )
        body.append(
            _text(
                left + plot_w + 4,
                ty + 3.5,
                _("target %(target)s", target=fmt_value(target)),
                size=9,
            )
        )

    if count == 0:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, _("no data"), anchor="middle"))

    # Thin the labels when crowded: keep every k-th, counted back from the latest period, which
    # is the one the meeting talks about. Every point still gets its marker.
    widest = max((len(p.label) for p in points), default=1)
    needed = max(widest * 9 * CHAR_WIDTH, 4 * 10 * CHAR_WIDTH) + 6
    every = max(1, math.ceil(needed / step))

    # The 95 % intervals under everything else: a band over consecutive periods that have
    # one, a whisker with caps where a period's neighbours have none.
    lows = [p.low if p.value is not None and p.high is not None else None for p in points]
    for run in _runs(lows):
        highs = [(x_of(i), y_of(points[i].high or 0.0)) for i in run]
        bottoms = [(x_of(i), y_of(lows[i] or 0.0)) for i in reversed(run)]
        if len(run) > 1:
            pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in highs + bottoms)
            body.append(f'<polygon class="band" points="{pts}" fill="{BAND}" stroke="none"/>')
        else:
            (x, top_y), (_x, low_y) = highs[0], bottoms[0]
            body.append(
                f'<path class="band" d="M{_num(x - 4)} {_num(top_y)}H{_num(x + 4)}'
                f"M{_num(x)} {_num(top_y)}V{_num(low_y)}M{_num(x - 4)} {_num(low_y)}"
                f'H{_num(x + 4)}" stroke="{MID}" stroke-width="1" fill="none"/>'
            )

    values = [p.value for p in points]
    for run in _runs(values):
        if len(run) > 1:
            coords = [(x_of(i), y_of(values[i] or 0.0)) for i in run]
            body.append(_polyline(coords, stroke=BLACK, width=1.6, extra=' class="series"'))

    for i, point in enumerate(points):
        x = x_of(i)
        labelled = (count - 1 - i) % every == 0
        if labelled:
            body.append(_text(x, x_axis_y + 13, point.label, size=9, anchor="middle"))
            body.append(_text(x, x_axis_y + 25, f"n={point.n}", size=8, anchor="middle", fill=DARK))
        if point.value is None:
            continue
        y = y_of(point.value)
        few = point.n < FEW_SHOPS
        # Hollow marker for thin evidence: readable without colour, and explained in <desc>.
        body.append(
            f'<circle class="point{" few" if few else ""}" cx="{_num(x)}" cy="{_num(y)}" r="3.5" '
            f'fill="{WHITE if few else BLACK}" stroke="{BLACK}" stroke-width="1.2"/>'
        )
        if labelled:
            # Above the point, unless the dashed target line would strike through the label.
            label_y = y - 7
            if target is not None and label_y - 9 <= y_of(target) <= label_y + 2:
                label_y = y + 14
            body.append(
                _text(
                    x,
                    label_y,
                    fmt_value(point.value),
                    size=9,
                    anchor="middle",
                    extra=' class="value"',
                )
            )

    desc = [_point_words(p) for p in points]
    sentences = [
        _("Score by period: %(points)s.", points=", ".join(desc)) if desc else _("No data.")
    ]
    if target is not None:
        sentences.append(_("Target %(target)s.", target=fmt_value(target)))
    few_points = [p for p in points if p.value is not None and p.n < FEW_SHOPS]
    if few_points:
        listed = ", ".join(f"{p.label} (n={p.n})" for p in few_points)
        sentences.append(
            _("Fewer than %(few)s shops, drawn hollow: %(listed)s.", few=FEW_SHOPS, listed=listed)
        )
    if any(p.value is not None and p.low is not None for p in points):
        sentences.append(_("The grey band is each period's 95 % interval."))
    chart_id = _chart_id("line", title, tuple(points), target, width, height, y_min, y_max)
    return _svg(width, height, chart_id, title, " ".join(sentences), body, css_class="line-chart")


def sparkline(
    values: Sequence[float | None],
    *,
    target: float | None,
    width: int = 120,
    height: int = 28,
) -> str:
    """A word-sized trend on a fixed 0-100 scale (so cards compare), the latest point marked
    and the target dotted. No text but the <title>, which spells the values out."""
    pad = 3.0
    plot_w, plot_h = width - 2 * pad, height - 2 * pad
    count = len(values)

    def x_of(i: int) -> float:
        return pad + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return pad + plot_h * (1 - _clamp(value, 0, 100) / 100)

    body: list[str] = []
    if target is not None:
        ty = y_of(target)
        body.append(
            f'<line class="target" x1="{_num(pad)}" y1="{_num(ty)}" x2="{_num(pad + plot_w)}" '
            f'y2="{_num(ty)}" stroke="{MID}" stroke-width="1" stroke-dasharray="1 2"/>'
        )
    for run in _runs(values):
        if len(run) > 1:
            coords = [(x_of(i), y_of(values[i] or 0.0)) for i in run]
            body.append(_polyline(coords, stroke=BLACK, width=1.2, extra=' class="series"'))
    last = next((i for i in range(count - 1, -1, -1) if values[i] is not None), None)
    if last is not None:
        body.append(
            f'<circle class="last" cx="{_num(x_of(last))}" cy="{_num(y_of(values[last] or 0.0))}" '
            f'r="2.5" fill="{BLACK}"/>'
        )

    shown = ", ".join(fmt_value(v) if v is not None else _("no data") for v in values)
    title = _("Trend: %(values)s", values=shown if values else _("no data"))
    if target is not None:
        title += " (" + _("target %(target)s", target=fmt_value(target)) + ")"
    chart_id = _chart_id("spark", tuple(values), target, width, height)
    return _svg(width, height, chart_id, title, None, body, css_class="sparkline")


def hbar_chart(
    rows: Sequence[tuple[str, float | None, int]],
    *,
    target: float | None,
    width: int = 560,
    title: str,
) -> str:
    """Horizontal bars on a 0-100 scale, in the order given: label, bar, value and n at the bar
    end, "no data" where a row has no value, and a dashed target tick across all rows."""
    row_h, bar_h, top, bottom = 22.0, 14.0, 18.0, 20.0
    label_w = round(width * 0.3)
    right = 70.0  # room for "100 · n=12" past a full bar
    bar_x, bar_w = label_w + 6.0, width - label_w - 6.0 - right
    height = round(top + row_h * max(len(rows), 1) + bottom)
    base_y = top + row_h * max(len(rows), 1)
    max_chars = max(4, int((label_w - 4) / (10 * CHAR_WIDTH)))

    def x_of(value: float) -> float:
        return bar_x + bar_w * _clamp(value, 0, 100) / 100

    body: list[str] = []
    # Scale: gridlines and labels at quarters, so bar lengths can be read without the labels.
    for tick in (0, 25, 50, 75, 100):
        x = x_of(tick)
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(top)}" x2="{_num(x)}" y2="{_num(base_y)}" '
            f'stroke="{LIGHT}" stroke-width="0.5"/>'
        )
        body.append(_text(x, base_y + 12, str(tick), size=8, anchor="middle", fill=DARK))

    for r, (label, value, n) in enumerate(rows):
        y = top + row_h * r + (row_h - bar_h) / 2
        mid = y + bar_h / 2 + 3.5
        shown = label if len(label) <= max_chars else label[: max_chars - 1] + "…"
        body.append(_text(label_w, mid, shown, anchor="end", extra=' class="label"'))
        if value is None:
            body.append(
                _text(
                    bar_x + 2,
                    mid,
                    _("no data"),
                    size=9,
                    fill=DARK,
                    extra=' class="no-data" font-style="italic"',
                )
            )
            continue
        few = n < FEW_SHOPS
        # Light grey fill with a black outline prints in black and white; a dashed outline
        # marks a bar resting on too few shops.
        dash = ' stroke-dasharray="3 2"' if few else ""
        end = x_of(value)
        body.append(
            f'<rect class="bar{" few" if few else ""}" x="{_num(bar_x)}" y="{_num(y)}" '
            f'width="{_num(end - bar_x)}" height="{_num(bar_h)}" fill="{LIGHT}" '
            f'stroke="{BLACK}" stroke-width="0.8"{dash}/>'
        )
        body.append(
            f'<text class="value" x="{_num(end + 4)}" y="{_num(mid)}" font-size="9" '
            f'text-anchor="start" fill="{BLACK}">{_esc(fmt_value(value))}'
            f'<tspan fill="{DARK}" font-size="8"> n={n}</tspan></text>'
        )

    if target is not None:
        tx = x_of(target)
        body.append(
            f'<line class="target" x1="{_num(tx)}" y1="{_num(top - 4)}" x2="{_num(tx)}" '
            f'y2="{_num(base_y)}" stroke="{DARK}" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
        body.append(
            _text(
                tx,
                top - 7,
                _("target %(target)s", target=fmt_value(target)),
                size=9,
                anchor="middle",
            )
        )

    desc = [
        f"{label}: {fmt_value(value) if value is not None else _('no data')} (n={n})"
        for label, value, n in rows
    ]
    sentences = ["; ".join(desc) + "." if desc else _("No data.")]
    if target is not None:
        sentences.append(_("Target %(target)s.", target=fmt_value(target)))
    few_rows = [label for label, value, n in rows if value is not None and n < FEW_SHOPS]
    if few_rows:
        sentences.append(
            _(
                "Fewer than %(few)s shops, dashed outline: %(listed)s.",
                few=FEW_SHOPS,
                listed=", ".join(few_rows),
            )
        )
    chart_id = _chart_id("hbar", title, tuple(rows), target, width)
    return _svg(width, height, chart_id, title, " ".join(sentences), body, css_class="hbar-chart")
