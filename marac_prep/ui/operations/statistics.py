"""Statistics operations: open the Statistics window, and export a quarter's return to XLSX or PDF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget
from shiboken6 import isValid

from marac_prep.ui.messages import Messages, report_error

if TYPE_CHECKING:
    from marac_prep.analysis.stats import Quarter
    from marac_prep.core.db import Database
    from marac_prep.core.models import User
    from marac_prep.ui.background import BackgroundOp
    from marac_prep.ui.main_window import MainWindow
    from marac_prep.ui.statistics_view import StatisticsView


class StatisticsFiles:
    """Where to write, asked of the user; a classmethod so tests can answer without a file dialog."""

    @classmethod
    def export_path(cls, parent: QWidget | None, suggested: str) -> Path | None:
        name, chosen = QFileDialog.getSaveFileName(
            parent, "Export statistics", suggested, "Excel workbook (*.xlsx);;PDF document (*.pdf)"
        )
        if not name:
            return None
        path = Path(name)
        if path.suffix.casefold() not in (".xlsx", ".pdf"):
            path = path.with_name(path.name + (".pdf" if "pdf" in chosen.casefold() else ".xlsx"))
        return path


def show_statistics(window: MainWindow) -> StatisticsView:
    """Opens (or raises) the Statistics window on the current quarter."""
    from marac_prep.ui.forms import fit_window
    from marac_prep.ui.statistics_view import StatisticsView

    view: StatisticsView | None = getattr(window, "_statistics_window", None)
    # Closing deletes the window (WA_DeleteOnClose): a closed one is opened afresh, not touched.
    if view is not None and isValid(view) and view.isVisible() and view.actor is window.actor:
        view.raise_()
        view.activateWindow()
        return view
    view = StatisticsView(window.database, window.actor)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    fit_window(view, 1200, 760)
    view.show()
    view.load()
    window._statistics_window = view  # type: ignore[attr-defined]  # kept alive while it is open
    return view


def export_statistics(
    parent: QWidget, database: Database, actor: User, quarter: Quarter, *, keep: Callable[[BackgroundOp], None]
) -> BackgroundOp | None:
    """Asks for an .xlsx or .pdf name and writes the quarter's return there (audited)."""
    from marac_prep.ui.background import BackgroundOp

    path = StatisticsFiles.export_path(parent, f"marac-statistics-{quarter}.xlsx")
    if path is None:
        return None

    def work(session: Any, _progress: Any) -> Path:
        if path.suffix.casefold() == ".pdf":
            from marac_prep.pack.statistics import export_statistics_pdf

            return export_statistics_pdf(session, actor=actor, quarter=quarter, destination=path).path
        from marac_prep.interchange.statistics import export_statistics_xlsx

        export_statistics_xlsx(session, actor=actor, quarter=quarter, path=path)
        return path

    op = BackgroundOp.write_op(parent, database, work, label="Writing the statistics…")
    op.finished.connect(lambda written: Messages.info(parent, "Statistics exported",
                                                      f"{quarter.label} written to {written}."))
    op.failed.connect(lambda exc: report_error(parent, exc, doing="export the statistics"))
    keep(op)
    return op.start()
