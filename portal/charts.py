"""Charts as inline SVG, drawn on the server: the same markup serves the pages (no script, so the
strict CSP holds) and the PDF builds. Colours are presentation attributes, not inline styles.

Small by design: grouped bars and lines over a few periods or units, with a legend and a table
fallback left to the caller (screen readers get the `<title>` and the figures on the page).
"""

from markupsafe import Markup, escape

PALETTE = ("#1f5f8b", "#d9822b", "#3a8f5c", "#b23b3b", "#7a5195", "#6b6b6b")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 56


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step




def _frame(title: str, labels: list[str], top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<text x="{LEFT}" y="16" class="chart-title" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#555555">'
            f"{escape(_tick(value))}{escape(unit)}</text>"
        )
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i, label in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" font-size="10" fill="#333333">'
            f"{escape(label)}</text>"
        )
    return parts


def _tick(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value:.1f}".replace(".", ",")


def _legend(names: list[str]) -> list[str]:
    parts, x = [], LEFT
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 22}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 13}" font-size="10" fill="#333333">{escape(name)}</text>'
        )
        x += 24 + 6 * len(name)
    return parts


def _svg(title: str, parts: list[str]) -> Markup:
    # Every text that goes into `parts` was escaped where it was formatted; numbers are ours.
    return Markup(  # noqa: S704  # nosec B704
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[float | None]]], unit: str = "") -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    values = [v or 0 for _, data in series for v in data]
    top = _nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, top, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar = slot * 0.8 / max(1, len(series))
    for s, (name, data) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(data):
            height = plot_h * (value or 0) / top
            x = LEFT + slot * i + slot * 0.1 + bar * s
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(name)} · {escape(labels[i])}: {escape(_tick(value or 0))}'
                f"{escape(unit)}</title></rect>"
            )
    return _svg(title, parts + _legend([name for name, _ in series]))


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[float | None]]], unit: str = "",
               top: float | None = None) -> Markup:
    """Lines over periods; a missing value breaks the line."""
    values = [v for _, data in series for v in data if v is not None]
    top = top or _nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, top, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for s, (name, data) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = []
        for i, value in enumerate(data):
            if value is None:
                if len(points) > 1:
                    parts.append(_polyline(points, colour))
                points = []
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * value / top
            points.append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(name)} · '
                f"{escape(labels[i])}: {escape(_tick(value))}{escape(unit)}</title></circle>"
            )
        if len(points) > 1:
            parts.append(_polyline(points, colour))
    return _svg(title, parts + _legend([name for name, _ in series]))


def _polyline(points: list[tuple[float, float]], colour: str) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
