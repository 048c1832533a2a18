"""The case timeline as a vector picture: one swimlane per agency, silent agencies shown empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from marac_prep.analysis.timeline import Lane, Mark, Timeline
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.markup import clean
from marac_prep.pack.styles import GAP_FILL, HIGH, INFO, INK, MUTED, RULE

LANE_HEIGHT = 15.0
LABEL_WIDTH = 120.0
AXIS_HEIGHT = 16.0
LEGEND_HEIGHT = 34.0
KIND_COLOURS = {"incident": INK, "high_risk": HIGH, "referral": INFO, "other": MUTED}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text shortened with an ellipsis so it fits `width` points."""
    text = " ".join(clean(text).split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _ticks(start: date, end: date) -> list[tuple[date, str]]:
    """Month ticks for spans up to two years, else year ticks; at most about a dozen labels."""
    span_days = (end - start).days
    if span_days <= 750:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        step = max(1, -(-months // 12))
        out: list[tuple[date, str]] = []
        year, month = start.year, start.month
        for i in range(months + 1):
            day = date(year, month, 1)
            if start <= day <= end and i % step == 0:
                label = f"{_MONTHS[month - 1]} {year % 100:02d}" if month == 1 or not out else _MONTHS[month - 1]
                out.append((day, label))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    years = end.year - start.year + 1
    step = max(1, -(-years // 12))
    return [(date(y, 1, 1), str(y)) for y in range(start.year, end.year + 1, step) if start <= date(y, 1, 1) <= end]


def timeline_picture(timeline: Timeline, width: float) -> Drawing:
    """A Drawing `width` points wide; lane labels left, dates along the bottom, legend beneath."""
    regular, bold = register_fonts()
    lanes = timeline.lanes
    height = AXIS_HEIGHT + LEGEND_HEIGHT + LANE_HEIGHT * max(1, len(lanes))
    drawing = Drawing(width, height)
    # The renderer's starting font; left at Helvetica it would add a font that is not embedded.
    drawing.initialFontName = regular
    plot_left, plot_right = LABEL_WIDTH + 6, width - 6
    span = max(1, (timeline.end - timeline.start).days)

    def x_of(day: date) -> float:
        offset = min(max((day - timeline.start).days, 0), span)
        return plot_left + (plot_right - plot_left) * offset / span

    lanes_bottom = AXIS_HEIGHT + LEGEND_HEIGHT
    for index, lane in enumerate(lanes):
        y = lanes_bottom + LANE_HEIGHT * (len(lanes) - 1 - index)
        _draw_lane(drawing, lane, y, width, x_of, regular, bold)
    top = lanes_bottom + LANE_HEIGHT * max(1, len(lanes))
    for day, label in _ticks(timeline.start, timeline.end):
        x = x_of(day)
        drawing.add(Line(x, lanes_bottom, x, top, strokeColor=RULE, strokeWidth=0.3, strokeDashArray=[1, 2]))
        drawing.add(String(x, lanes_bottom - 9, label, fontName=regular, fontSize=6.5, fillColor=MUTED,
                           textAnchor="middle"))
    drawing.add(Line(plot_left, lanes_bottom, plot_right, lanes_bottom, strokeColor=MUTED, strokeWidth=0.6))
    _draw_legend(drawing, regular)
    return drawing


def _draw_lane(drawing: Drawing, lane: Lane, y: float, width: float, x_of: Callable[[date], float],
               regular: str, bold: str) -> None:
    if lane.silent:
        drawing.add(Rect(LABEL_WIDTH + 6, y + 1, width - LABEL_WIDTH - 12, LANE_HEIGHT - 2,
                         fillColor=GAP_FILL, strokeColor=None))
        drawing.add(String(width - 8, y + 4.5, "no return", fontName=regular, fontSize=6.5,
                           fillColor=HIGH, textAnchor="end"))
    elif lane.status == "nothing_known" and not lane.marks:
        drawing.add(String(width - 8, y + 4.5, "nothing known", fontName=regular, fontSize=6.5,
                           fillColor=MUTED, textAnchor="end"))
    drawing.add(Line(LABEL_WIDTH + 6, y, width - 6, y, strokeColor=RULE, strokeWidth=0.3))
    label = _fit(lane.agency, bold if lane.expected else regular, 7, LABEL_WIDTH - 4)
    drawing.add(String(0, y + 4.5, label, fontName=bold if lane.expected else regular, fontSize=7,
                       fillColor=HIGH if lane.silent else INK))
    centre = y + LANE_HEIGHT / 2
    for mark in lane.marks:
        _draw_mark(drawing, mark, centre, x_of)


def _draw_mark(drawing: Drawing, mark: Mark, centre: float, x_of: Callable[[date], float]) -> None:
    colour = KIND_COLOURS.get(mark.kind, MUTED)
    x = x_of(mark.day)
    if mark.precision != "day" and mark.last_day is not None:
        # A month- or year-only date is a span, not a point: draw the whole period faintly.
        x_end = x_of(mark.last_day)
        drawing.add(Rect(x, centre - 1.5, max(1.0, x_end - x), 3, fillColor=colour, strokeColor=None,
                         fillOpacity=0.35))
        x = (x + x_end) / 2
    fill = colors.white if mark.approximate else colour
    if mark.kind == "high_risk":
        r = 4.2
        drawing.add(Polygon([x, centre + r, x + r, centre, x, centre - r, x - r, centre],
                            fillColor=fill, strokeColor=colour, strokeWidth=0.8))
    elif mark.kind == "referral":
        drawing.add(Rect(x - 2.6, centre - 2.6, 5.2, 5.2, fillColor=fill, strokeColor=colour, strokeWidth=0.8))
    else:
        r = 3.0 if mark.kind == "incident" else 2.0
        drawing.add(Circle(x, centre, r, fillColor=fill, strokeColor=colour, strokeWidth=0.8))


def _fixed(x: float) -> Callable[[date], float]:
    """A date-to-x function that puts every date at `x` (for legend samples)."""
    return lambda _day: x


def _draw_legend(drawing: Drawing, regular: str) -> None:
    """Two rows under the axis: the mark shapes, then how dates and silences are drawn."""
    rows = [
        [("high_risk", "high-risk indicator"), ("incident", "incident"), ("referral", "referral"),
         ("other", "other entry")],
        [("approximate", "hollow: approximate date"), ("span", "bar: month or year only"),
         ("silent", "shaded: expected agency, no return")],
    ]
    for row_index, row in enumerate(rows):
        y = LEGEND_HEIGHT - 11 - row_index * 10
        x = 0.0
        for kind, text in row:
            if kind == "approximate":
                drawing.add(Circle(x + 5, y + 3, 2.6, fillColor=colors.white, strokeColor=MUTED, strokeWidth=0.8))
            elif kind == "span":
                drawing.add(Rect(x, y + 1.5, 10, 3, fillColor=MUTED, strokeColor=None, fillOpacity=0.35))
            elif kind == "silent":
                drawing.add(Rect(x, y, 10, 6, fillColor=GAP_FILL, strokeColor=None))
            else:
                _draw_mark(drawing, Mark(0, date.min, "day", False, kind, ""), y + 3, _fixed(x + 5))
            drawing.add(String(x + 13, y + 0.8, text, fontName=regular, fontSize=6.5, fillColor=MUTED))
            x += 24 + stringWidth(text, regular, 6.5)
