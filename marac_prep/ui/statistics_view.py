"""The Statistics window: the quarterly return's figures beside the national ones, with charts (pyqtgraph)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.analysis.stats import Quarter, QuarterlyReturn, SummaryRow, quarterly_return, summary_rows
from marac_prep.ui.background import BackgroundOp, RunningOps
from marac_prep.ui.messages import report_error

if TYPE_CHECKING:
    from marac_prep.core.db import Database
    from marac_prep.core.models import User

OURS = "#2f5f8a"  # this Marac (as in the PDF)
NATIONAL = "#9aa3ad"  # SafeLives' national figure
SECOND = "#b36b00"
INK = "#1d232b"
COLUMNS = ("Figure", "Count", "% of cases", "National %", "Not recorded or not counted")
COMPARED = (
    ("repeat", "Repeats"), ("partner_agency_referral", "Not police"), ("black_asian_minoritised", "Racially min."),
    ("lgbt", "LGBT+"), ("disabled", "Disabled"), ("male", "Male"),
)
QUARTERS_BACK = 11


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class StatisticsTableModel(QAbstractTableModel):
    """The return's lines (`analysis.stats.summary_rows`), one per row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SummaryRow] = []

    def set_rows(self, rows: list[SummaryRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008  # Override.
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008  # Override.
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.label, str(row.count), _share(row.percent), _share(row.national), row.note)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (0, 4) and row.note:
            return row.note
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.headerData."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(
                COLUMNS):
            return COLUMNS[section]
        return None


def _plot(title: str, name: str) -> pg.PlotWidget:
    """A still chart (no mouse panning or zooming: these are figures to read, not data to explore)."""
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color=INK, size="10pt")
    plot.setAccessibleName(name)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.showGrid(y=True, alpha=0.15)
    plot.setFixedHeight(260)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(INK)
        axis.setTextPen(INK)
    return plot


def _label(plot: pg.PlotWidget, x: float, y: float, text: str, *, anchor: tuple[float, float] = (0.5, 1.0)) -> None:
    """The value written on its bar, so no figure rests on colour alone."""
    item = pg.TextItem(text, color=INK, anchor=anchor)
    item.setPos(x, y)
    plot.addItem(item)


def _grouped(plot: pg.PlotWidget, names: list[str], series: list[tuple[str, str, list[float | None]]],
             fmt: str) -> None:
    """Bars side by side per category; a None value leaves its bar out (no national figure there)."""
    plot.clear()
    legend = plot.plotItem.legend or plot.addLegend(offset=(8, 2), labelTextColor=INK, colCount=len(series))
    legend.clear()
    width = 0.8 / len(series)
    top = 1.0
    for number, (label, colour, values) in enumerate(series):
        shown = [(i, v) for i, v in enumerate(values) if v is not None]
        xs = [i - 0.4 + width * (number + 0.5) for i, _ in shown]
        heights = [v for _, v in shown]
        bars = pg.BarGraphItem(x=xs, height=heights, width=width * 0.92, brush=colour, pen=pg.mkPen(INK, width=0.5),
                               name=label)
        plot.addItem(bars)
        if not shown:
            legend.addItem(bars, label)
        for x, h in zip(xs, heights, strict=True):
            _label(plot, x, h, fmt.format(h))
            top = max(top, h)
    plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
    plot.setXRange(-0.6, max(len(names) - 0.4, 0.6), padding=0)
    plot.setYRange(0, top * 1.45, padding=0)  # headroom: the legend sits above the tallest bar


class StatisticsView(QWidget):
    """A quarter's return: chooser, figures table and four charts; export to XLSX or PDF.

    Attributes:
        result: the return shown, once loaded.

    Signals:
        loaded: the figures of the chosen quarter are on screen.
    """

    loaded = Signal()

    def __init__(self, database: Database, actor: User, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor
        self.result: QuarterlyReturn | None = None
        self._ops = RunningOps()
        self.setWindowTitle("Statistics – Marac Prep")
        now = Quarter.of(today or date.today())
        self.quarter = QComboBox(self)
        self.quarter.setAccessibleName("Quarter")
        quarter = now.next()
        for _ in range(QUARTERS_BACK + 2):
            self.quarter.addItem(quarter.label, str(quarter))
            quarter = quarter.previous()
        self.quarter.setCurrentIndex(self.quarter.findData(str(now)))
        quarter_label = QLabel("&Quarter", self)
        quarter_label.setBuddy(self.quarter)
        self.export_button = QPushButton("E&xport…", self)
        self.export_button.setToolTip("Write this quarter's return as a spreadsheet (XLSX) or a marked PDF")
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.model = StatisticsTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Quarterly return figures")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.source = QLabel(self)
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        self.source.setWordWrap(True)
        self.source.setStyleSheet("color: #5a6470")
        self.cases_chart = _plot("Cases per meeting", "Chart: cases and repeat cases per meeting")
        self.repeat_chart = _plot("Repeat rate (% of cases)", "Chart: repeat rate per meeting and the quarter")
        self.comparison_chart = _plot("Beside the national figures (% of cases)",
                                      "Chart: this quarter's shares beside SafeLives' national figures")
        self.referrals_chart = _plot("Referrals by referring agency", "Chart: referrals by referring agency")

        top = QHBoxLayout()
        top.addWidget(quarter_label)
        top.addWidget(self.quarter)
        top.addStretch(1)
        top.addWidget(self.export_button)
        charts = QGridLayout()
        charts.addWidget(self.cases_chart, 0, 0)
        charts.addWidget(self.repeat_chart, 0, 1)
        charts.addWidget(self.comparison_chart, 1, 0)
        charts.addWidget(self.referrals_chart, 1, 1)
        body = QWidget(self)
        inner = QVBoxLayout(body)
        inner.addWidget(self.heading)
        inner.addWidget(self.table)
        inner.addWidget(self.source)
        inner.addLayout(charts)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.quarter.currentIndexChanged.connect(lambda _i: self.load())
        self.export_button.clicked.connect(self.export)

    def chosen_quarter(self) -> Quarter:
        return Quarter.parse(str(self.quarter.currentData()))

    def load(self) -> BackgroundOp:
        """Reads the chosen quarter's return off the GUI thread."""
        quarter = self.chosen_quarter()
        actor = self.actor
        self.heading.setText(f"Counting {quarter.label}…")
        op = BackgroundOp.read_op(self, self.database,
                                  lambda session, _progress: quarterly_return(session, actor=actor, quarter=quarter),
                                  label="Counting the quarter's cases…")
        op.finished.connect(self.show_return)
        op.failed.connect(lambda exc: self._failed(exc, "count the quarter's statistics"))
        return self._ops.keep(op).start()

    def _failed(self, exc: object, doing: str) -> None:
        self.heading.setText("The statistics could not be counted.")
        report_error(self, exc if isinstance(exc, Exception) else RuntimeError(str(exc)), doing=doing)

    def wait(self) -> None:
        self._ops.wait()

    def closeEvent(self, event: Any) -> None:  # Override QWidget.closeEvent.
        self.wait()
        super().closeEvent(event)

    def show_return(self, result: QuarterlyReturn) -> None:
        """Shows `result`: the heading, the table and the charts."""
        self.result = result
        q, t = result.quarter, result.total
        if t.meetings:
            self.heading.setText(
                f"{q.label}: {t.cases} case{'s' if t.cases != 1 else ''} heard at {t.meetings} meeting"
                f"{'s' if t.meetings != 1 else ''} dated {q.start:%d/%m/%Y} to {q.end:%d/%m/%Y}. Counted from what "
                "is recorded: a field not recorded is counted as not recorded, never guessed; ages are on the "
                "referral date.")
        else:
            self.heading.setText(f"{q.label}: no meeting is dated in this quarter – choose another quarter.")
        self.model.set_rows(summary_rows(result))
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(
            self.table.rowHeight(r) for r in range(self.model.rowCount())) + 4
        self.table.setFixedHeight(height)
        self.source.setText(f"National figures: {result.national.source}.")
        for chart in (self.cases_chart, self.repeat_chart, self.comparison_chart, self.referrals_chart):
            chart.setVisible(t.cases > 0)  # empty axes would only suggest a quarter of zeros
        self._draw(result)
        self.loaded.emit()

    def _draw(self, result: QuarterlyReturn) -> None:
        days = [f"{m.meeting_date.day} {m.meeting_date:%b}" for m in result.meetings]
        _grouped(self.cases_chart, days, [
            ("Cases", OURS, [float(m.figures.cases) for m in result.meetings]),
            ("Repeat cases", SECOND, [float(m.figures.repeat_cases) for m in result.meetings]),
        ], "{:.0f}")
        _grouped(self.repeat_chart, [*days, "Quarter"], [
            ("This Marac", OURS, [*(m.figures.repeat_percent for m in result.meetings), result.total.repeat_percent]),
            ("National (SafeLives)", NATIONAL, [*(None for _ in days), result.national.percentages.get("repeat")]),
        ], "{:.1f}")
        shares = {r.key: r.percent for r in summary_rows(result)}
        _grouped(self.comparison_chart, [label for _, label in COMPARED], [
            (str(result.quarter), OURS, [shares.get(key) for key, _ in COMPARED]),
            ("National (SafeLives)", NATIONAL, [result.national.percentages.get(key) for key, _ in COMPARED]),
        ], "{:.1f}")
        self._draw_referrals(result)

    def _draw_referrals(self, result: QuarterlyReturn) -> None:
        plot = self.referrals_chart
        plot.clear()
        agencies = list(reversed(list(result.total.referrals_by_agency.items())[:10]))
        if agencies:
            ys = list(range(len(agencies)))
            widths = [float(n) for _, n in agencies]
            plot.addItem(pg.BarGraphItem(x0=0, y=ys, height=0.6, width=widths, brush=OURS,
                                         pen=pg.mkPen(INK, width=0.5)))
            for y, w in zip(ys, widths, strict=True):
                _label(plot, w, y, f" {w:.0f}", anchor=(0.0, 0.5))
            plot.setXRange(0, max(widths) * 1.2, padding=0)
            step = max(1, round(max(widths) / 5))
            plot.getAxis("bottom").setTickSpacing(step, step)  # whole referrals, never 0.5 of one
        plot.getAxis("left").setTicks([[(i, name[:24]) for i, (name, _) in enumerate(agencies)]])
        plot.setYRange(-0.6, max(len(agencies) - 0.4, 0.6), padding=0)

    def export(self) -> BackgroundOp | None:
        from marac_prep.ui.operations.statistics import export_statistics

        return export_statistics(self, self.database, self.actor, self.chosen_quarter(), keep=self._ops.keep)
