"""Statistics operations: open the Statistics window, and export a quarter's return to XLSX or PDF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from marac_prep.ui.operations.windows import separate_window

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
        from marac_prep.ui.forms import ask_save_path  # here: the main window loads without the data stack

        return ask_save_path(parent, "Export statistics", suggested,
                             {".xlsx": "Excel workbook", ".pdf": "PDF document"})


def show_statistics(window: MainWindow) -> StatisticsView:
    """Opens (or raises) the Statistics window on the current quarter."""
    from marac_prep.ui.statistics_view import StatisticsView

    view, new = separate_window(window, "_statistics_window", lambda: StatisticsView(window.database, window.actor),
                                width=1200, height=760)
    if new:
        view.load()
    return view


def export_statistics(
    parent: QWidget, database: Database, actor: User, quarter: Quarter, *, keep: Callable[[BackgroundOp], None]
) -> BackgroundOp | None:
    """Asks for an .xlsx or .pdf name and writes the quarter's return there (audited)."""
    from marac_prep.ui.background import export_op

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

    return export_op(parent, database, work, label="Writing the statistics…", title="Statistics exported",
                     said=lambda written: f"{quarter.label} written to {written}.", doing="export the statistics",
                     keep=keep)
