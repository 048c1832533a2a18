"""The pack's page layout: marking, meeting date and "Page n of N" on every page, outline, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from marac_prep.core.errors import MaracError
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.styles import INK, MUTED, RULE

MARGIN = 15 * mm
HEADER_GAP = 9 * mm


class PackCancelled(MaracError):
    """The user cancelled the export; no file was written."""

    def __init__(self) -> None:
        super().__init__("The pack export was cancelled; no file was written.")


class OutlineAnchor(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """An invisible mark that starts an outline (bookmark) entry where it is drawn.

    Attributes:
        title: the bookmark text (never personal data: a case reference, "Agenda").
        key: the unique destination name.
        case_index: the case's position (from 1) for progress reports, or 0.
    """

    def __init__(self, title: str, key: str, *, case_index: int = 0) -> None:
        super().__init__()
        self.title, self.key, self.case_index = title, key, case_index
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # Override Flowable.wrap.
        return 0, 0

    def draw(self) -> None:  # Override Flowable.draw.
        self.canv.bookmarkHorizontal(self.key, 0, 0)
        self.canv.addOutlineEntry(self.title, self.key, level=0, closed=True)


class PackDocTemplate(BaseDocTemplate):  # type: ignore[misc]  # ReportLab ships no type hints
    """A4 pages with the marking in header and footer.

    `total_pages` is None on the first (counting) pass and the real count on the second, so
    "Page n of N" is exact without reaching into ReportLab's private canvas state.
    """

    def __init__(
        self,
        target: Any,
        *,
        marking: str,
        meeting_line: str,
        total_pages: int | None,
        cancelled: Callable[[], bool],
        on_case: Callable[[int], None],
        **metadata: Any,
    ) -> None:
        super().__init__(
            target, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_GAP, bottomMargin=MARGIN + HEADER_GAP,
            # Otherwise every page also references Helvetica, a font that is not embedded.
            initialFontName=register_fonts()[0], **metadata,
        )
        self.marking = marking
        self.meeting_line = meeting_line
        self.total_pages = total_pages
        self.cancelled = cancelled
        self.on_case = on_case
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        regular, bold = register_fonts()
        width, height = self.pagesize
        top = height - MARGIN
        bottom = MARGIN
        canv.saveState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(MARGIN, top - 5 * mm, width - MARGIN, top - 5 * mm)
        canv.line(MARGIN, bottom + 5 * mm, width - MARGIN, bottom + 5 * mm)
        canv.setFillColor(INK)
        canv.setFont(bold, 10)
        canv.drawCentredString(width / 2, top - 3 * mm, self.marking)
        canv.drawCentredString(width / 2, bottom + 1 * mm, self.marking)
        canv.setFillColor(MUTED)
        canv.setFont(regular, 8)
        canv.drawString(MARGIN, top - 3 * mm, self.meeting_line)
        canv.drawRightString(width - MARGIN, top - 3 * mm, "Pre-Marac pack")
        canv.drawString(MARGIN, bottom + 1 * mm, self.meeting_line)
        total = self.total_pages if self.total_pages is not None else "?"
        canv.drawRightString(width - MARGIN, bottom + 1 * mm, f"Page {doc.page} of {total}")
        canv.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # Override BaseDocTemplate.afterFlowable.
        if self.cancelled():
            raise PackCancelled()
        if isinstance(flowable, OutlineAnchor) and flowable.case_index:
            self.on_case(flowable.case_index)
