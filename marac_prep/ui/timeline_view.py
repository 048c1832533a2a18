"""A case's timeline: agencies as swimlanes over time, entries as marks, silent agencies as empty lanes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from marac_prep.core.dates import PartialDate
from marac_prep.core.vocabulary import RETURN_STATUS_LABELS
from marac_prep.ui.text import tooltip

if TYPE_CHECKING:  # the timeline is built with the first case's analysis (decision 0100)
    from marac_prep.analysis.timeline import Lane, Mark, Timeline

LANE_HEIGHT = 30
AXIS_HEIGHT = 34
LEGEND_HEIGHT = 24
LABEL_WIDTH = 190
MARGIN = 12
MARK_SIZE = 11
_KIND_COLOUR = {
    "high_risk": QColor("#b3261e"),
    "incident": QColor("#1f5fa8"),
    "referral": QColor("#2e7d32"),
    "other": QColor("#7a7a7a"),
}
_KIND_NAME = {"high_risk": "High-risk indicator", "incident": "Incident", "referral": "Referral", "other": "Other"}
_SILENT_FILL = QColor("#fbe3e1")
_LANE_FILL = (QColor("#ffffff"), QColor("#f6f7f9"))


class TimelineView(QWidget):
    """Paints a `Timeline`; hovering a mark shows its label, clicking it opens its entry.

    Signals:
        entry_activated(int): the entry id of a clicked mark.
    """

    entry_activated = Signal(int)

    def __init__(self, timeline: Timeline | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timeline: Timeline | None = None
        self._placeholder = "No case selected."
        self._hits: list[tuple[QRectF, Mark]] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(LABEL_WIDTH + 200)
        self.set_timeline(timeline)

    def set_timeline(self, timeline: Timeline | None, *, placeholder: str = "No case selected.") -> None:
        """Shows `timeline`, or `placeholder` in its place when there is none (yet)."""
        self._timeline = timeline
        self._placeholder = placeholder
        self._hits = []
        self.updateGeometry()
        self.update()

    def timeline(self) -> Timeline | None:
        return self._timeline

    def sizeHint(self) -> QSize:  # Override QWidget.sizeHint.
        lanes = len(self._timeline.lanes) if self._timeline else 0
        return QSize(900, LEGEND_HEIGHT + AXIS_HEIGHT + lanes * LANE_HEIGHT + 2 * MARGIN)

    def minimumSizeHint(self) -> QSize:  # Override QWidget.minimumSizeHint.
        return QSize(LABEL_WIDTH + 200, self.sizeHint().height())

    # --- geometry -------------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        return QRectF(
            LABEL_WIDTH,
            MARGIN + LEGEND_HEIGHT + AXIS_HEIGHT,
            max(50.0, self.width() - LABEL_WIDTH - MARGIN),
            LANE_HEIGHT * len(self._lanes()),
        )

    def _lanes(self) -> tuple[Lane, ...]:
        return self._timeline.lanes if self._timeline else ()

    def x_for(self, day: date) -> float:
        """The x coordinate of a day (the left edge of the plot is the timeline's start)."""
        assert self._timeline is not None
        plot = self._plot()
        span = max(1, (self._timeline.end - self._timeline.start).days)
        return plot.left() + plot.width() * (day - self._timeline.start).days / span

    def mark_rect(self, lane_index: int, mark: Mark) -> QRectF:
        plot = self._plot()
        y = plot.top() + lane_index * LANE_HEIGHT + LANE_HEIGHT / 2
        x0 = self.x_for(mark.day)
        if mark.precision != "day" and mark.last_day is not None:
            x1 = max(x0 + MARK_SIZE, self.x_for(mark.last_day))
            return QRectF(x0, y - MARK_SIZE / 2, x1 - x0, MARK_SIZE)
        return QRectF(x0 - MARK_SIZE / 2, y - MARK_SIZE / 2, MARK_SIZE, MARK_SIZE)

    def mark_at(self, point: QPointF) -> Mark | None:
        for rect, mark in reversed(self._hits):
            if rect.adjusted(-3, -3, 3, 3).contains(point):
                return mark
        return None

    # --- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Override QWidget.paintEvent.
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        self._hits = []
        if self._timeline is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            painter.end()
            return
        self._paint_legend(painter)
        self._paint_axis(painter)
        for i, lane in enumerate(self._lanes()):
            self._paint_lane(painter, i, lane)
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        x = float(MARGIN)
        y = MARGIN + LEGEND_HEIGHT / 2
        metrics = QFontMetrics(painter.font())
        for kind in ("high_risk", "incident", "referral", "other"):
            _draw_mark(painter, kind, QRectF(x, y - MARK_SIZE / 2, MARK_SIZE, MARK_SIZE), approximate=False)
            x += MARK_SIZE + 4
            painter.setPen(QColor("#333333"))
            painter.drawText(QPointF(x, y + metrics.ascent() / 2 - 1), _KIND_NAME[kind])
            x += metrics.horizontalAdvance(_KIND_NAME[kind]) + 16
        painter.fillRect(QRectF(x, y - 6, 22, 12), _SILENT_FILL)
        x += 26
        painter.drawText(QPointF(x, y + metrics.ascent() / 2 - 1), "Silent agency (no return)")
        x += metrics.horizontalAdvance("Silent agency (no return)") + 16
        painter.drawText(QPointF(x, y + metrics.ascent() / 2 - 1), "Bar: month or year only · hollow: approximate")

    def _paint_axis(self, painter: QPainter) -> None:
        assert self._timeline is not None
        plot = self._plot()
        top = plot.top() - AXIS_HEIGHT
        painter.setPen(QPen(QColor("#999999")))
        painter.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.right(), plot.top()))
        metrics = QFontMetrics(painter.font())
        months = _month_starts(self._timeline.start, self._timeline.end)
        step = max(1, int(len(months) * 60 / max(1.0, plot.width())) + 1)
        for n, month in enumerate(months):
            x = self.x_for(month)
            painter.setPen(QPen(QColor("#e2e4e8")))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            text = PartialDate(month, "month").display()
            if n % step == 0 and x + metrics.horizontalAdvance(text) + 2 <= self.width():
                painter.setPen(QColor("#555555"))
                painter.drawText(QPointF(x + 2, top + AXIS_HEIGHT - 8), text)
        painter.setPen(QColor("#555555"))
        span = f"{PartialDate(self._timeline.start).display()} – {PartialDate(self._timeline.end).display()}"
        painter.drawText(QPointF(MARGIN, top + metrics.ascent() + 2), span)

    def _paint_lane(self, painter: QPainter, index: int, lane: Lane) -> None:
        plot = self._plot()
        band = QRectF(0, plot.top() + index * LANE_HEIGHT, self.width(), LANE_HEIGHT)
        painter.fillRect(band, _SILENT_FILL if lane.silent else _LANE_FILL[index % 2])
        painter.setPen(QColor("#7a1010") if lane.silent else QColor("#222222"))
        font = painter.font()
        font.setBold(lane.silent)
        painter.setFont(font)
        label = QFontMetrics(font).elidedText(lane.agency, Qt.TextElideMode.ElideRight, LABEL_WIDTH - MARGIN - 6)
        painter.drawText(
            QRectF(MARGIN, band.top(), LABEL_WIDTH - MARGIN, LANE_HEIGHT),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            label,
        )
        font.setBold(False)
        painter.setFont(font)
        if lane.silent:
            status = RETURN_STATUS_LABELS.get(lane.status, lane.status).lower()
            painter.drawText(
                QRectF(plot.left() + 8, band.top(), plot.width(), LANE_HEIGHT),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                f"Silent – no entries and no 'nothing known' ({status})",
            )
        elif not lane.marks and lane.status == "nothing_known":
            painter.setPen(QColor("#4a5a6a"))
            painter.drawText(
                QRectF(plot.left() + 8, band.top(), plot.width(), LANE_HEIGHT),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                "Checked: nothing known",
            )
        for mark in lane.marks:
            rect = self.mark_rect(index, mark)
            _draw_mark(painter, mark.kind, rect, approximate=mark.approximate)
            self._hits.append((rect, mark))

    # --- interaction ----------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:  # Override QWidget.event for mark tooltips.
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            mark = self.mark_at(QPointF(event.pos()))
            if mark is not None:
                when = PartialDate(mark.day, mark.precision, mark.approximate).display()
                QToolTip.showText(event.globalPos(), tooltip(f"{when}: {mark.label}\nClick to open the entry."), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Override QWidget.mousePressEvent.
        mark = self.mark_at(event.position())
        if mark is not None and event.button() == Qt.MouseButton.LeftButton:
            self.entry_activated.emit(mark.entry_id)
            return
        super().mousePressEvent(event)


def _month_starts(start: date, end: date) -> list[date]:
    months = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        if date(year, month, 1) >= start:
            months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _draw_mark(painter: QPainter, kind: str, rect: QRectF, *, approximate: bool) -> None:
    """Each kind has its own shape as well as colour, so the marks read without colour vision."""
    colour = _KIND_COLOUR.get(kind, _KIND_COLOUR["other"])
    painter.setPen(QPen(colour, 1.6))
    painter.setBrush(QBrush(QColor("white")) if approximate else QBrush(colour))
    if rect.width() > rect.height() + 1:
        bar = QColor(colour)
        bar.setAlpha(60 if approximate else 110)
        painter.setBrush(QBrush(bar))
        painter.drawRoundedRect(rect, 3, 3)
        return
    c = rect.center()
    r = rect.height() / 2
    if kind == "high_risk":
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), c.y() - r - 1),
                    QPointF(c.x() + r + 1, c.y()),
                    QPointF(c.x(), c.y() + r + 1),
                    QPointF(c.x() - r - 1, c.y()),
                ]
            )
        )
    elif kind == "incident":
        painter.drawEllipse(c, r, r)
    elif kind == "referral":
        painter.drawPolygon(
            QPolygonF([QPointF(c.x() - r, c.y() - r), QPointF(c.x() + r, c.y()), QPointF(c.x() - r, c.y() + r)])
        )
    else:
        painter.drawRect(rect.adjusted(2, 2, -2, -2))
