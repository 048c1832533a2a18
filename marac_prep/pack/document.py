"""The pack's page layout: marking, meeting date and "Page n of N" on every page, outline, cancel.

The page furniture is drawn during the (single) layout pass, except the page numbers: the
total is only known once the layout has finished, so "Page n of N" is drawn afterwards on a
separate PDF of the same page size (`page_numbers_pdf`) and stamped onto each page.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
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
FOOTER_BASELINE = MARGIN + 1 * mm  # the footer's line of text: marking, meeting, page number


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

    The footer's right-hand end is left free for "Page n of N", stamped on after the layout
    (see `page_numbers_pdf`), so the pack is laid out once.
    """

    def __init__(
        self,
        target: Any,
        *,
        marking: str,
        meeting_line: str,
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
        self.cancelled = cancelled
        self.on_case = on_case
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        # Everything but the page number, which is stamped on afterwards (`page_numbers_pdf`).
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
        canv.drawCentredString(width / 2, FOOTER_BASELINE, self.marking)
        canv.setFillColor(MUTED)
        canv.setFont(regular, 8)
        canv.drawString(MARGIN, top - 3 * mm, self.meeting_line)
        canv.drawRightString(width - MARGIN, top - 3 * mm, "Pre-Marac pack")
        canv.drawString(MARGIN, FOOTER_BASELINE, self.meeting_line)
        canv.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # Override BaseDocTemplate.afterFlowable.
        if self.cancelled():
            raise PackCancelled()
        if isinstance(flowable, OutlineAnchor) and flowable.case_index:
            self.on_case(flowable.case_index)


def page_numbers_pdf(total: int) -> bytes:
    """A PDF of `total` A4 pages, page n holding only "Page n of {total}".

    Drawn where the pack's footer has room for it (right-aligned at the right margin, on the
    footer's baseline) in the footer's font, size and colour, as one string per page so text
    extraction reads it on one line. Each page is stamped over the matching pack page.
    """
    regular, _ = register_fonts()
    width, _ = A4
    buffer = BytesIO()
    # The initial font is ours; left at Helvetica every page would reference an unembedded font.
    canv = Canvas(buffer, pagesize=A4, initialFontName=regular, initialFontSize=8)
    for number in range(1, total + 1):
        canv.setFillColor(MUTED)
        canv.setFont(regular, 8)
        canv.drawRightString(width - MARGIN, FOOTER_BASELINE, f"Page {number} of {total}")
        canv.showPage()
    canv.save()
    return buffer.getvalue()
