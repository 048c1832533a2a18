"""Printing a case's chronology (as filtered and sorted on screen) with Qt Print Support."""

from __future__ import annotations

import html

from PySide6.QtGui import QPageLayout, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QWidget

from marac_prep.ui.chronology_model import COLUMNS, SUMMARY, ChronologyRow, ChronologyTableModel


def chronology_html(title: str, subtitle: str, rows: list[ChronologyRow], columns: list[int]) -> str:
    """The rows as an HTML table; every piece of user text is escaped."""
    # The summary carries the story: it gets the room.
    head = "".join(
        f"<th align='left'{' width=45%' if c == SUMMARY else ''}>{html.escape(COLUMNS[c])}</th>" for c in columns
    )
    body = []
    for row in rows:
        cells = []
        for column in columns:
            if column == SUMMARY:
                text = html.escape(row.summary) + (f"<br/><i>{html.escape(row.detail)}</i>" if row.detail else "")
                if row.withheld:
                    text = f"<b>[Withheld]</b> {text}"
                if row.withdrawn:
                    text = f"<s>{text}</s> <b>[Withdrawn: {html.escape(row.withdrawn_reason)}]</b>"
            else:
                text = html.escape(ChronologyTableModel._display(row, column))
            cells.append(f"<td valign='top'>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<h2>{html.escape(title)}</h2><p>{html.escape(subtitle)}</p>"
        "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def chronology_document(title: str, subtitle: str, rows: list[ChronologyRow], columns: list[int]) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(chronology_html(title, subtitle, rows, columns))
    return document


class ChronologyPrinting:
    """Print and print preview; classmethods so tests can stand in for the printer dialogs.

    Both say whether the user printed: the caller audits a printout, not a preview looked at.
    """

    @classmethod
    def printer(cls) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        return printer

    @classmethod
    def preview(cls, parent: QWidget | None, document: QTextDocument) -> bool:
        """True when the user printed from the preview (Qt accepts the dialog only then)."""
        printer = cls.printer()  # the dialog does not own its printer: keep it alive as long as the dialog
        dialog = QPrintPreviewDialog(printer, parent)
        dialog.setWindowTitle("Print preview – chronology")
        document.setParent(dialog)
        dialog.paintRequested.connect(document.print_)
        printed = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.paintRequested.disconnect(document.print_)
        del printer
        return printed

    @classmethod
    def print(cls, parent: QWidget | None, document: QTextDocument) -> bool:
        printer = cls.printer()
        dialog = QPrintDialog(printer, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        document.print_(printer)
        return True
