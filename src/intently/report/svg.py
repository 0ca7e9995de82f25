"""The few inline SVG charts the HTML report needs, drawn in Python.

Each function returns :class:`markupsafe.Markup`: every piece of text in it (labels, tooltips, the
``aria-label``) is escaped here, so a chart can go into the autoescaped template as is. Every bar carries a
``<title>`` with its exact number (the browser shows it as a tooltip), and every chart has ``role="img"``
and an ``aria-label`` that says what it shows. No external references: the SVG works in an offline file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "font-family:inherit"
TEXT = "#3e4c59"
AXIS = "#9aa5b1"
GRID = "#e4e7eb"
EMPTY = "#eef1f4"


@dataclass(frozen=True, slots=True)
class Series:
    """One coloured layer of a stacked column chart."""

    label: str
    colour: str
    values: Sequence[int]
    hrefs: Sequence[str | None] | None = None
    """Optional links, one per category: each non-empty segment becomes an ``<a href>`` (a deep link)."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a horizontal bar chart (or one part of a share bar)."""

    label: str
    value: float
    colour: str
    tooltip: str
    value_text: str | None = None
    """What to print at the end of the bar; the value itself when ``None``."""
    href: str | None = None
    """Optional link: the bar becomes an ``<a href>`` (a deep link to what it counts)."""


def _e(text: object) -> str:
    return str(escape(str(text)))


def _n(value: float) -> str:
    """A coordinate: short, no needless decimals."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_e(label)}" style="{FONT}">'
    )
    return Markup(head + f"<title>{_e(label)}</title>" + "".join(body) + "</svg>")


def _title(text: str) -> str:
    return f"<title>{_e(text)}</title>"


def _linked(href: str | None, element: str) -> str:
    """``element`` inside an SVG ``<a href>`` when there is a link, else as is."""
    return element if not href else f'<a href="{_e(href)}">{element}</a>'


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power  # pragma: no cover


def nice_share_ceiling(value: float) -> float:
    """A round top for a share axis: 5%, 10%, 20%, 25%, 40%, 50%, 60%, 80% or 100% (at most 100%)."""
    for top in (0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.8):
        if top >= value - 1e-9:
            return top
    return 1.0


def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - nice) < 1e-6 for nice in (1, 2, 2.5, 5, 10))


def _ticks(top: float, *, whole: bool = False) -> list[float]:
    """Gridline values from 0 to ``top`` in round steps (3 to 6 of them); whole numbers only if ``whole``."""
    if whole and top <= 6:
        return [float(i) for i in range(int(top) + 1)]
    count = next((n for n in (5, 4, 6, 3) if _is_nice(top / n)), 4)
    return [top * i / count for i in range(count + 1)]


def _fmt_tick(value: float, percent: bool) -> str:
    if percent:
        pct = value * 100
        return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatches with labels, wrapping to new lines; returns the elements and the height used."""
    parts: list[str] = []
    cx, cy = x, y
    for label, colour in items:
        item_width = 22 + 7.2 * len(label) + 18
        if cx > x and cx + item_width > x + width:
            cx, cy = x, cy + 20
        parts.append(f'<rect x="{_n(cx)}" y="{_n(cy)}" width="12" height="12" rx="2" fill="{_e(colour)}"/>')
        parts.append(f'<text x="{_n(cx + 18)}" y="{_n(cy + 10.5)}" font-size="12.5" fill="{TEXT}">{_e(label)}</text>')
        cx += item_width
    return parts, cy - y + 20


def _x_labels(labels: Sequence[str], years: Sequence[str] | None, centres: Sequence[float], y: float) -> list[str]:
    """Category labels under the columns, thinned to at most about 13 so they never overlap."""
    step = max(1, math.ceil(len(labels) / 13))
    parts = []
    shown_year = None
    for index in range(0, len(labels), step):
        x = centres[index]
        parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="11.5" fill="{TEXT}" text-anchor="middle">')
        parts.append(_e(labels[index]))
        if years is not None and years[index] != shown_year:
            parts.append(f'<tspan x="{_n(x)}" dy="14" fill="{AXIS}">{_e(years[index])}</tspan>')
            shown_year = years[index]
        parts.append("</text>")
    return parts


def _grid(top: float, percent: bool, left: float, right: float, top_pad: float, plot_h: float) -> list[str]:
    """Horizontal grid lines with their labels on the left, from 0 to ``top`` (whole numbers, or shares)."""
    lines: list[str] = []
    for tick in _ticks(top, whole=not percent):
        y = top_pad + plot_h - tick / top * plot_h
        lines.append(f'<line x1="{left}" x2="{_n(right)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}"/>')
        lines.append(
            f'<text x="{left - 6}" y="{_n(y + 4)}" font-size="11" fill="{AXIS}" text-anchor="end">'
            f"{_fmt_tick(tick, percent)}</text>"
        )
    return lines


def _columns(categories: int, left: float, plot_w: float) -> tuple[float, list[float]]:
    """(bar width, each column's centre) for ``categories`` columns across the plot."""
    band = plot_w / max(1, categories)
    return min(48.0, band * 0.72), [left + band * (i + 0.5) for i in range(categories)]


def stacked_columns(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    tooltips: Sequence[str],
    years: Sequence[str] | None = None,
    width: float = 880,
    height: float = 280,
) -> Markup:
    """One column per category (a week), stacked by series, with a legend on top.

    ``tooltips`` are the categories' full names for the tooltips (``Week of 2026-03-02``); ``years`` optionally
    adds the year under the first label of each year.
    """
    legend, legend_height = _legend([(s.label, s.colour) for s in series], 48, 4, width - 56)
    top_pad = legend_height + 14
    left, right, bottom = 48, 8, 40 if years is None else 54
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    highest = max(totals, default=0)
    top = float(max(1, highest)) if highest <= 6 else nice_ceiling(highest)
    body: list[str] = [*legend, *_grid(top, False, left, width - right, top_pad, plot_h)]
    bar, centres = _columns(len(categories), left, plot_w)
    for index, centre in enumerate(centres):
        x = centre - bar / 2
        y = top_pad + plot_h
        body.append(f"<g>{_title(f'{tooltips[index]}: {totals[index]:,} in total')}")
        if totals[index] == 0:
            body.append(f'<rect x="{_n(x)}" y="{_n(y - 1)}" width="{_n(bar)}" height="1" fill="{AXIS}"/>')
        for s in series:
            value = s.values[index]
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            body.append(
                _linked(
                    s.hrefs[index] if s.hrefs is not None else None,
                    f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(h)}" fill="{_e(s.colour)}">'
                    f"{_title(f'{tooltips[index]} · {s.label}: {value:,} of {totals[index]:,}')}</rect>",
                )
            )
        body.append("</g>")
    base = top_pad + plot_h
    body.append(f'<line x1="{left}" x2="{_n(width - right)}" y1="{_n(base)}" y2="{_n(base)}" stroke="{AXIS}"/>')
    body.extend(_x_labels(categories, years, centres, base + 16))
    return _svg(width, height, label, body)


def _share_frame(
    values: Sequence[float | None], across: float | None, years: Sequence[str] | None, width: float, height: float
) -> tuple[float, float, float, float, float, list[str]]:
    """The plot of a chart of shares (0 to 1): its left and right margins, the share at its top, its height, the
    baseline's y and the grid; room above for the legend of a dashed line across (``across``)."""
    left, right, bottom = 48, 8, 40 if years is None else 54
    top_pad = 34 if across is not None else 14
    plot_h = height - top_pad - bottom
    highest = max([v for v in values if v is not None] + [across or 0.0], default=0.0)
    top = nice_share_ceiling(highest) if highest > 0 else 0.1
    return left, right, top, plot_h, top_pad + plot_h, _grid(top, True, left, width - right, top_pad, plot_h)


def _dashed_across(note: str, y: float, left: float, right: float, css_class: str = "") -> list[str]:
    """A dashed line across the plot at ``y`` (a reference share) and its legend above the plot."""
    attribute = f'class="{css_class}" ' if css_class else ""
    return [
        f'<line {attribute}x1="{left}" x2="{_n(right)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{TEXT}" '
        f'stroke-width="1.2" stroke-dasharray="5 4">{_title(note)}</line>',
        f'<line x1="{left}" x2="{left + 24}" y1="10" y2="10" stroke="{TEXT}" stroke-width="1.2" '
        f'stroke-dasharray="5 4"/>',
        f'<text x="{left + 30}" y="14" font-size="12.5" fill="{TEXT}">{_e(note)}</text>',
    ]


def share_columns(
    categories: Sequence[str],
    values: Sequence[float | None],
    *,
    label: str,
    tooltips: Sequence[str],
    colour: str,
    reference: float | None = None,
    reference_label: str = "overall",
    years: Sequence[str] | None = None,
    width: float = 880,
    height: float = 230,
) -> Markup:
    """Columns of shares (0 to 1) per category; ``None`` (nothing to divide) is drawn as a dashed stub.

    ``reference`` draws a dashed line across the chart (e.g. the share over the whole period).
    """
    left, right, top, plot_h, base, body = _share_frame(values, reference, years, width, height)
    bar, centres = _columns(len(categories), left, width - left - right)
    for index, centre in enumerate(centres):
        x = centre - bar / 2
        value = values[index]
        if value is None:
            body.append(
                f'<rect x="{_n(x)}" y="{_n(base - 3)}" width="{_n(bar)}" height="3" fill="{EMPTY}" '
                f'stroke="{AXIS}" stroke-dasharray="2 2" stroke-width="0.6">{_title(tooltips[index])}</rect>'
            )
            continue
        h = max(value / top * plot_h, 1.0)
        body.append(
            f'<rect x="{_n(x)}" y="{_n(base - h)}" width="{_n(bar)}" height="{_n(h)}" fill="{_e(colour)}">'
            f"{_title(tooltips[index])}</rect>"
        )
    if reference is not None:
        body.extend(
            _dashed_across(
                f"{reference_label}: {reference * 100:.1f}%", base - reference / top * plot_h, left, width - right
            )
        )
    body.append(f'<line x1="{left}" x2="{_n(width - right)}" y1="{_n(base)}" y2="{_n(base)}" stroke="{AXIS}"/>')
    body.extend(_x_labels(categories, years, centres, base + 16))
    return _svg(width, height, label, body)


def share_line(
    categories: Sequence[str],
    values: Sequence[float | None],
    *,
    label: str,
    tooltips: Sequence[str],
    colour: str,
    average: float | None = None,
    average_label: str = "period average",
    hrefs: Sequence[str | None] | None = None,
    years: Sequence[str] | None = None,
    bases: Sequence[int] | None = None,
    width: float = 880,
    height: float = 240,
) -> Markup:
    """A line of shares (0 to 1) per category (a week), a dot on each with its tooltip (a link with ``hrefs``);
    ``None`` (nothing to divide) breaks the line. ``average`` draws a dashed line across (the period's own share).
    With ``bases`` (what each share is of), a share of fewer than :data:`FEW` is a hollow dot the line does not
    pass through, its tooltip saying so: 2 of 2 (or a week the period only touches) would otherwise read as a spike
    or a collapse."""
    left, right, top, plot_h, base, body = _share_frame(values, average, years, width, height)
    _, centres = _columns(len(categories), left, width - left - right)
    few = [bases is not None and value is not None and bases[index] < FEW for index, value in enumerate(values)]
    runs: list[list[tuple[float, float]]] = [[]]
    for index, (centre, value) in enumerate(zip(centres, values, strict=True)):
        if value is None or few[index]:
            runs.append([])
        else:
            runs[-1].append((centre, base - value / top * plot_h))
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
            body.append(f'<polyline points="{points}" fill="none" stroke="{_e(colour)}" stroke-width="2"/>')
    for index, (centre, value) in enumerate(zip(centres, values, strict=True)):
        if value is None:
            body.append(
                f'<circle cx="{_n(centre)}" cy="{_n(base)}" r="3" fill="{EMPTY}" stroke="{AXIS}">'
                f"{_title(tooltips[index])}</circle>"
            )
            continue
        fill, stroke = ("#fff", _e(colour)) if few[index] else (_e(colour), "#fff")
        tooltip = f"{tooltips[index]}; {FEW_NOTE}" if few[index] else tooltips[index]
        dot = (
            f'<circle cx="{_n(centre)}" cy="{_n(base - value / top * plot_h)}" r="4" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5">{_title(tooltip)}</circle>'
        )
        body.append(_linked(hrefs[index] if hrefs is not None else None, dot))
    if average is not None:
        y = base - average / top * plot_h
        body.extend(_dashed_across(f"{average_label}: {average * 100:.1f}%", y, left, width - right, "average"))
    body.append(f'<line x1="{left}" x2="{_n(width - right)}" y1="{_n(base)}" y2="{_n(base)}" stroke="{AXIS}"/>')
    body.extend(_x_labels(categories, years, centres, base + 16))
    return _svg(width, height, label, body)


FEW = 5
"""A share of fewer than this many is shown apart (a hollow dot, off the line): too few to read a trend from."""
FEW_NOTE = "too few to read a trend from: a hollow dot, off the line"
"""What the tooltip of such a share adds."""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def horizontal_bars(
    bars: Sequence[Bar], *, label: str, width: float = 880, label_width: float = 230, row: float = 26
) -> Markup:
    """One labelled bar per row, scaled to the largest value, with the value printed after the bar."""
    value_room = 110
    plot_w = width - label_width - value_room
    top = max((b.value for b in bars), default=0) or 1
    height = max(row, row * len(bars)) + 8
    limit = max(8, int(label_width / 7.2))
    body: list[str] = []
    for index, b in enumerate(bars):
        y = 4 + index * row
        w = b.value / top * plot_w
        text = _clip(b.label, limit)
        if b.href:
            body.append(f'<a href="{_e(b.href)}">')
        body.append(f"<g>{_title(b.tooltip)}")
        body.append(
            f'<text x="{_n(label_width - 10)}" y="{_n(y + row / 2 + 4)}" font-size="12.5" fill="{TEXT}" '
            f'text-anchor="end">{_e(text)}</text>'
        )
        body.append(
            f'<rect x="{_n(label_width)}" y="{_n(y + 4)}" width="{_n(plot_w)}" height="{_n(row - 8)}" '
            f'fill="{EMPTY}" rx="2"/>'
        )
        if w > 0:
            body.append(
                f'<rect x="{_n(label_width)}" y="{_n(y + 4)}" width="{_n(max(w, 1.5))}" height="{_n(row - 8)}" '
                f'fill="{_e(b.colour)}" rx="2">{_title(b.tooltip)}</rect>'
            )
        value_text = b.value_text if b.value_text is not None else f"{b.value:,.0f}"
        body.append(
            f'<text x="{_n(label_width + plot_w + 8)}" y="{_n(y + row / 2 + 4)}" font-size="12.5" '
            f'fill="{TEXT}">{_e(value_text)}</text>'
        )
        body.append("</g>")
        if b.href:
            body.append("</a>")
    return _svg(width, height, label, body)


def share_bar(parts: Sequence[Bar], *, label: str, width: float = 880, bar_height: float = 26) -> Markup:
    """A 100% bar split into parts, with a legend giving each part's number and share."""
    total = sum(p.value for p in parts)
    body: list[str] = []
    x = 0.0
    if total <= 0:
        body.append(
            f'<rect x="0" y="0" width="{_n(width)}" height="{_n(bar_height)}" fill="{EMPTY}" rx="3">'
            f"{_title('nothing to show')}</rect>"
        )
    for p in parts:
        if total <= 0 or p.value <= 0:
            continue
        w = p.value / total * width
        body.append(
            _linked(
                p.href,
                f'<rect x="{_n(x)}" y="0" width="{_n(w)}" height="{_n(bar_height)}" fill="{_e(p.colour)}">'
                f"{_title(p.tooltip)}</rect>",
            )
        )
        x += w
    items = [
        (f"{p.label}: {p.value:,.0f}" + (f" ({p.value / total * 100:.1f}%)" if total > 0 else ""), p.colour)
        for p in parts
    ]
    legend, legend_height = _legend(items, 0, bar_height + 10, width)
    body.extend(legend)
    return _svg(width, bar_height + 10 + legend_height, label, body)


@dataclass(frozen=True, slots=True)
class Estimate:
    """One row of an interval chart: a figure and its 95% interval (``low``/``high`` None: no interval)."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    colour: str
    tooltip: str
    value_text: str
    href: str | None = None


def intervals(
    rows: Sequence[Estimate],
    *,
    label: str,
    percent: bool = False,
    width: float = 880,
    label_width: float = 170,
    row: float = 30,
) -> Markup:
    """A dot for each figure with a line across its 95% interval, on a common axis from 0; a row without a
    figure says "not enough data" instead of a dot."""
    value_room = 150
    axis_h = 18
    plot_w = width - label_width - value_room
    highest = max((v for r in rows for v in (r.value, r.high) if v is not None), default=0.0)
    top = nice_share_ceiling(highest) if percent else nice_ceiling(highest)
    height = axis_h + max(row, row * len(rows)) + 6
    body: list[str] = []
    for tick in _ticks(top):
        x = label_width + tick / top * plot_w
        body.append(f'<line x1="{_n(x)}" y1="{_n(axis_h)}" x2="{_n(x)}" y2="{_n(height - 4)}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{_n(x)}" y="12" font-size="11" fill="{AXIS}" text-anchor="middle">'
            f"{_e(_fmt_tick(tick, percent))}</text>"
        )

    def at(value: float) -> float:
        return label_width + max(0.0, min(value, top)) / top * plot_w

    limit = max(8, int(label_width / 7.2))
    for index, r in enumerate(rows):
        y = axis_h + index * row + row / 2
        parts = [
            _title(r.tooltip),
            f'<text x="{_n(label_width - 10)}" y="{_n(y + 4)}" font-size="12.5" fill="{TEXT}" '
            f'text-anchor="end">{_e(_clip(r.label, limit))}</text>',
        ]
        if r.value is None:
            parts.append(
                f'<text x="{_n(label_width + 6)}" y="{_n(y + 4)}" font-size="12" fill="{AXIS}">not enough data</text>'
            )
        else:
            if r.low is not None and r.high is not None:
                x1, x2 = at(r.low), at(r.high)
                parts.append(
                    f'<line x1="{_n(x1)}" y1="{_n(y)}" x2="{_n(x2)}" y2="{_n(y)}" stroke="{_e(r.colour)}" '
                    f'stroke-width="3" stroke-linecap="round" opacity="0.45"/>'
                )
                for x in (x1, x2):
                    parts.append(
                        f'<line x1="{_n(x)}" y1="{_n(y - 6)}" x2="{_n(x)}" y2="{_n(y + 6)}" '
                        f'stroke="{_e(r.colour)}" stroke-width="2"/>'
                    )
            parts.append(f'<circle cx="{_n(at(r.value))}" cy="{_n(y)}" r="6" fill="{_e(r.colour)}"/>')
        parts.append(
            f'<text x="{_n(label_width + plot_w + 10)}" y="{_n(y + 4)}" font-size="12.5" fill="{TEXT}">'
            f"{_e(r.value_text)}</text>"
        )
        body.append(_linked(r.href, "<g>" + "".join(parts) + "</g>"))
    return _svg(width, height, label, body)
