"""Bar charts as SVG, drawn on the server: no script, no library, nothing a strict Content-Security-Policy refuses
(presentation attributes and CSS classes only, no `style` attributes). The values drawn are counts and dates, never
names; each chart carries a <title> and <desc> for screen readers, and the page shows the same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class Series:
    """One bar per day; `part` (optional) is drawn over the bottom of each bar (e.g. refused accesses)."""

    key: str
    label: str
    part_key: str | None = None
    part_label: str | None = None


def nice_ceiling(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def bar_chart(days: list[dict[str, int | str]], series: Series, chart_id: str) -> Markup:
    """An SVG bar chart of `series.key` per day (and `series.part_key` inside each bar)."""
    values = [int(d[series.key]) for d in days]
    parts = [int(d[series.part_key]) for d in days] if series.part_key else [0] * len(days)
    top = nice_ceiling(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    total = sum(values)
    peak_at = values.index(max(values)) if values else 0
    desc = (
        f"{series.label} per day from {days[0]['day']} to {days[-1]['day']}: {total} in all, "
        f"most on {days[peak_at]['day']} ({values[peak_at]})."
        if days
        else "No data."
    )
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(series.label)} per day</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]
    for fraction in (0, 0.5, 1) if top % 2 == 0 else (0, 1):
        y = TOP + plot_h * (1 - fraction)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = f"{top * fraction:g}"
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    label_every = max(1, len(days) // 8)
    for i, (day, value, part) in enumerate(zip(days, values, parts, strict=True)):
        x = LEFT + i * slot + (slot - bar_w) / 2
        h = plot_h * value / top
        tip = f"{day['day']}: {value} {series.label.lower()}"
        if series.part_key:
            tip += f", {part} {str(series.part_label).lower()}"
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if part:
            ph = plot_h * part / top
            y = TOP + plot_h - ph
            out.append(f'<rect class="bar-part" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{ph:.1f}"/>')
        if i % label_every == 0:
            out.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{escape(str(day['day'])[5:])}</text>"
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every value above is escaped or a number we computed
