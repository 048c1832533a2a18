"""The case timeline as a vector picture: one swimlane per agency, silent agencies shown empty.

Drawn straight onto the canvas by a small Flowable: the picture has one shape per entry, and
building and rendering a reportlab.graphics Drawing of them (every attribute validated, the
graphics state tracked node by node) cost more than drawing them. Each shape is still drawn
in its own saved graphics state with the same colours, widths and geometry as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from marac_prep.analysis.timeline import Lane, Mark, Timeline
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.markup import clean
from marac_prep.pack.styles import DECLINED_FILL, GAP_FILL, HIGH, INFO, INK, MEDIUM, MUTED, RULE

LANE_HEIGHT = 16.0
LABEL_WIDTH = 128.0
AXIS_HEIGHT = 17.0
LEGEND_HEIGHT = 50.0
LABEL_SIZE = 8.0  # lane names, dates, legend: details, never under 8 pt
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
    """Month ticks for spans up to two years, else year ticks; at most about a dozen labels.

    A month label carries the year on the first tick and wherever the year changes ("Nov 2025",
    "Jan 2026", "Mar"), so no label leaves the reader guessing which year it is.
    """
    span_days = (end - start).days
    if span_days <= 750:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        step = max(1, -(-months // 10))
        out: list[tuple[date, str]] = []
        year, month = start.year, start.month
        last_year = None
        for i in range(months + 1):
            day = date(year, month, 1)
            if start <= day <= end and i % step == 0:
                label = _MONTHS[month - 1] if year == last_year else f"{_MONTHS[month - 1]} {year}"
                out.append((day, label))
                last_year = year
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    years = end.year - start.year + 1
    step = max(1, -(-years // 12))
    return [(date(y, 1, 1), str(y)) for y in range(start.year, end.year + 1, step) if start <= date(y, 1, 1) <= end]


# A lane whose marks would sit closer than this (points, on average over the busiest month) is
# drawn as counts per month instead of one mark per entry (a 300-entry case stays legible).
DENSE_SPACING = 7.0
DENSE_MIN_MARKS = 20  # fewer marks than this are always drawn one by one


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def is_dense(lane: Lane, plot_width: float, span_days: int) -> bool:
    """Whether the lane's busiest month holds more marks than fit side by side."""
    if len(lane.marks) < DENSE_MIN_MARKS:
        return False
    per_month = Counter(_month_start(m.day) for m in lane.marks)
    month_width = plot_width * 30.4 / max(span_days, 1)
    return max(per_month.values()) * DENSE_SPACING > month_width


class TimelinePicture(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """The timeline `width` points wide; lane labels left, dates along the bottom, legend beneath.

    Attributes:
        timeline: what is drawn.
    """

    def __init__(self, timeline: Timeline, width: float) -> None:
        super().__init__()
        self.timeline = timeline
        self.width = width
        self.height = AXIS_HEIGHT + LEGEND_HEIGHT + LANE_HEIGHT * max(1, len(timeline.lanes))

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # Override Flowable.wrap.
        return self.width, self.height

    def draw(self) -> None:  # Override Flowable.draw.
        canv: Canvas = self.canv
        regular, bold = register_fonts()
        timeline, width = self.timeline, self.width
        lanes = timeline.lanes
        plot_left, plot_right = LABEL_WIDTH + 6, width - 6
        span = max(1, (timeline.end - timeline.start).days)

        def x_of(day: date) -> float:
            offset = min(max((day - timeline.start).days, 0), span)
            return plot_left + (plot_right - plot_left) * offset / span

        lanes_bottom = AXIS_HEIGHT + LEGEND_HEIGHT
        for index, lane in enumerate(lanes):
            y = lanes_bottom + LANE_HEIGHT * (len(lanes) - 1 - index)
            _draw_lane(canv, lane, y, width, x_of, regular, bold, dense=is_dense(lane, plot_right - plot_left, span))
        top = lanes_bottom + LANE_HEIGHT * max(1, len(lanes))
        for day, label in _ticks(timeline.start, timeline.end):
            x = x_of(day)
            _line(canv, x, lanes_bottom, x, top, RULE, 0.3, dash=(1, 2))
            _text(canv, x, lanes_bottom - 10, label, regular, LABEL_SIZE, MUTED, anchor="middle")
        _line(canv, plot_left, lanes_bottom, plot_right, lanes_bottom, MUTED, 0.6)
        _draw_legend(canv, regular)


def timeline_picture(timeline: Timeline, width: float) -> TimelinePicture:
    """The timeline as a flowable `width` points wide."""
    return TimelinePicture(timeline, width)


def _line(canv: Canvas, x1: float, y1: float, x2: float, y2: float, colour: colors.Color, width: float,
          *, dash: tuple[float, float] | None = None) -> None:
    canv.saveState()
    canv.setStrokeColor(colour)
    canv.setLineWidth(width)
    canv.setLineCap(0)
    canv.setLineJoin(0)
    if dash:
        canv.setDash(list(dash), 0)
    else:
        canv.setDash()
    canv.line(x1, y1, x2, y2)
    canv.restoreState()


def _text(canv: Canvas, x: float, y: float, text: str, font: str, size: float, colour: colors.Color,
          *, anchor: str = "start") -> None:
    canv.saveState()
    canv.setFillColor(colour)
    canv.setFont(font, size)
    if anchor == "end":
        canv.drawRightString(x, y, text)
    elif anchor == "middle":
        canv.drawCentredString(x, y, text)
    else:
        canv.drawString(x, y, text)
    canv.restoreState()


def _shape(canv: Canvas, fill: colors.Color, stroke: colors.Color | None = None, *, opacity: float | None = None,
           ) -> None:
    """Sets up a filled (and, given a stroke colour, outlined 0.8 points wide) shape's state; saved first."""
    canv.saveState()
    canv.setFillColor(fill)
    if opacity is not None:
        canv.setFillAlpha(opacity)
    if stroke is not None:
        canv.setStrokeColor(stroke)
        canv.setLineWidth(0.8)
        canv.setLineCap(0)
        canv.setLineJoin(0)
        canv.setDash()


def _rect(canv: Canvas, x: float, y: float, w: float, h: float, fill: colors.Color,
          stroke: colors.Color | None = None, *, opacity: float | None = None) -> None:
    _shape(canv, fill, stroke, opacity=opacity)
    canv.rect(x, y, w, h, stroke=1 if stroke is not None else 0, fill=1)
    canv.restoreState()


def _circle(canv: Canvas, x: float, y: float, r: float, fill: colors.Color, stroke: colors.Color) -> None:
    _shape(canv, fill, stroke)
    canv.circle(x, y, r, stroke=1, fill=1)
    canv.restoreState()


def _diamond(canv: Canvas, x: float, y: float, r: float, fill: colors.Color, stroke: colors.Color) -> None:
    _shape(canv, fill, stroke)
    path = canv.beginPath()
    path.moveTo(x, y + r)
    path.lineTo(x + r, y)
    path.lineTo(x, y - r)
    path.lineTo(x - r, y)
    path.close()
    canv.drawPath(path, stroke=1, fill=1)
    canv.restoreState()


def _draw_lane(canv: Canvas, lane: Lane, y: float, width: float, x_of: Callable[[date], float],
               regular: str, bold: str, *, dense: bool = False) -> None:
    declined = lane.status == "declined"
    if declined:
        _rect(canv, LABEL_WIDTH + 6, y + 1, width - LABEL_WIDTH - 12, LANE_HEIGHT - 2, DECLINED_FILL)
        _text(canv, width - 8, y + 4.5, "declined to share", regular, LABEL_SIZE, MEDIUM, anchor="end")
    elif lane.silent:
        _rect(canv, LABEL_WIDTH + 6, y + 1, width - LABEL_WIDTH - 12, LANE_HEIGHT - 2, GAP_FILL)
        _text(canv, width - 8, y + 4.5, "no return", regular, LABEL_SIZE, HIGH, anchor="end")
    elif lane.status == "nothing_known" and not lane.marks:
        _text(canv, width - 8, y + 4.5, "nothing known", regular, LABEL_SIZE, MUTED, anchor="end")
    _line(canv, LABEL_WIDTH + 6, y, width - 6, y, RULE, 0.3)
    font = bold if lane.expected else regular
    name = lane.agency + (" (declined)" if declined else "")
    colour = HIGH if lane.silent and not declined else MEDIUM if declined else INK
    _text(canv, 0, y + 4.5, _fit(name, font, LABEL_SIZE, LABEL_WIDTH - 4), font, LABEL_SIZE, colour)
    centre = y + LANE_HEIGHT / 2
    if dense:
        _draw_counts(canv, lane, y, x_of, regular)
        return
    for mark in lane.marks:
        _draw_mark(canv, mark, centre, x_of)


def _draw_counts(canv: Canvas, lane: Lane, y: float, x_of: Callable[[date], float], regular: str) -> None:
    """A busy lane as one bar per month, its count inside; red where the month holds a high-risk mark."""
    months: dict[date, list[Mark]] = {}
    for mark in lane.marks:
        months.setdefault(_month_start(mark.day), []).append(mark)
    for month, marks in sorted(months.items()):
        left, right = x_of(month), x_of(_next_month(month))
        high = any(m.kind == "high_risk" for m in marks)
        colour = HIGH if high else INFO
        _rect(canv, left + 0.4, y + 2, max(1.0, right - left - 0.8), LANE_HEIGHT - 4, colour,
              opacity=min(0.85, 0.25 + 0.06 * len(marks)))
        label = str(len(marks))
        if stringWidth(label, regular, 7) + 1 <= right - left:
            _text(canv, (left + right) / 2, y + 5, label, regular, 7 if len(label) > 1 else LABEL_SIZE,
                  colors.white if len(marks) > 6 else INK, anchor="middle")


def _draw_mark(canv: Canvas, mark: Mark, centre: float, x_of: Callable[[date], float]) -> None:
    colour = KIND_COLOURS.get(mark.kind, MUTED)
    x = x_of(mark.day)
    if mark.precision != "day" and mark.last_day is not None:
        # A month- or year-only date is a span, not a point: draw the whole period faintly.
        x_end = x_of(mark.last_day)
        _rect(canv, x, centre - 1.5, max(1.0, x_end - x), 3, colour, opacity=0.35)
        x = (x + x_end) / 2
    fill = colors.white if mark.approximate else colour
    if mark.kind == "high_risk":
        _diamond(canv, x, centre, 4.2, fill, colour)
    elif mark.kind == "referral":
        _rect(canv, x - 2.6, centre - 2.6, 5.2, 5.2, fill, colour)
    else:
        _circle(canv, x, centre, 3.0 if mark.kind == "incident" else 2.0, fill, colour)


def _fixed(x: float) -> Callable[[date], float]:
    """A date-to-x function that puts every date at `x` (for legend samples)."""
    return lambda _day: x


def _draw_legend(canv: Canvas, regular: str) -> None:
    """Three rows under the axis: the mark shapes, then how dates and silences are drawn."""
    rows = [
        [("high_risk", "high-risk indicator"), ("incident", "incident"), ("referral", "referral"),
         ("other", "other entry")],
        [("approximate", "hollow: approximate date"), ("span", "bar: month or year only"),
         ("count", "busy row: entries per month")],
        [("silent", "shaded red: expected agency, no return"), ("declined", "shaded amber: agency declined")],
    ]
    for row_index, row in enumerate(rows):
        y = LEGEND_HEIGHT - 12 - row_index * 12
        x = 0.0
        for kind, text in row:
            if kind == "approximate":
                _circle(canv, x + 5, y + 3, 2.6, colors.white, MUTED)
            elif kind == "span":
                _rect(canv, x, y + 1.5, 10, 3, MUTED, opacity=0.35)
            elif kind == "silent":
                _rect(canv, x, y, 10, 6, GAP_FILL)
            elif kind == "declined":
                _rect(canv, x, y, 10, 6, DECLINED_FILL)
            elif kind == "count":
                _rect(canv, x, y - 1, 10, 8, INFO, opacity=0.5)
            else:
                _draw_mark(canv, Mark(0, date.min, "day", False, kind, ""), y + 3, _fixed(x + 5))
            _text(canv, x + 13, y + 0.8, text, regular, LABEL_SIZE, MUTED)
            x += 22 + stringWidth(text, regular, LABEL_SIZE)
