"""Accessible bar charts as server-rendered inline SVG (no JavaScript, no CDN).

Each series has a fill pattern as well as a colour (solid, stripes, dots, cross-hatch...), the
legend shows the same swatches, and every bar carries its number as text: nothing is told by
colour alone. Colours are dark enough for 4.5:1 contrast on white. The template gives the SVG
role="img" with <title> and <desc>; the same numbers follow as an HTML table."""

from dataclasses import dataclass, field

# (id suffix, colour) per series; the template draws the pattern for each suffix.
PATTERNS = (
    ("solid", "#1f4e79"),
    ("stripes", "#8a3b00"),
    ("dots", "#2f6b2f"),
    ("cross", "#5b2c83"),
    ("hlines", "#7a1f3d"),
    ("checks", "#333333"),
)
LABEL_WIDTH = 170
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 12
PLOT_WIDTH = 380
VALUE_WIDTH = 60
LEGEND_ROW = 20
TOP = 8


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    pattern: str
    colour: str
    value_x: float
    value_y: float
    value: str


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, text
    legend: list[tuple[float, float, str, str, str]] = field(default_factory=list)  # x, y, pattern, colour, text
    patterns: list[tuple[str, str, str]] = field(default_factory=list)  # pattern id, kind, colour
    axis_x: float = LABEL_WIDTH
    axis_y1: float = TOP
    axis_y2: float = TOP


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    chart_id: str, title: str, description: str, categories: list[str], series: list[str], values: list[list[float]]
) -> Chart:
    """A horizontal grouped bar chart: one group per category, one bar per series."""
    largest = max((v for row in values for v in row), default=0) or 1
    legend_height = LEGEND_ROW * len(series) if len(series) > 1 else 0
    group_height = len(series) * (BAR_HEIGHT + BAR_GAP)
    height = TOP + len(categories) * (group_height + GROUP_GAP) + legend_height + TOP
    chart = Chart(
        id=chart_id,
        title=title,
        description=description,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=max(height, 40),
    )
    chart.patterns = [(f"{chart_id}-{name}", name, colour) for name, colour in PATTERNS]
    y = TOP
    for category, row in zip(categories, values, strict=True):
        chart.labels.append((LABEL_WIDTH - 6, y + group_height / 2 + 4, category[:28]))
        for index, value in enumerate(row):
            name, colour = PATTERNS[index % len(PATTERNS)]
            width = PLOT_WIDTH * value / largest
            chart.bars.append(
                Bar(
                    x=LABEL_WIDTH,
                    y=y,
                    width=round(width, 1),
                    height=BAR_HEIGHT,
                    pattern=f"{chart_id}-{name}",
                    colour=colour,
                    value_x=LABEL_WIDTH + width + 4,
                    value_y=y + BAR_HEIGHT - 3,
                    value=_number(value),
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    chart.axis_y2 = y - GROUP_GAP
    if len(series) > 1:
        for index, name_text in enumerate(series):
            name, colour = PATTERNS[index % len(PATTERNS)]
            chart.legend.append((LABEL_WIDTH, y + index * LEGEND_ROW, f"{chart_id}-{name}", colour, name_text))
    return chart
