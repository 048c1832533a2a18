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
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from marac_prep.core.errors import MaracError
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.styles import INK, MUTED, RULE

MARGIN = 15 * mm
HEADER_GAP = 13 * mm  # the header's two lines (marking; meeting and case) and its rule
FOOTER_BASELINE = MARGIN + 5 * mm  # the footer's first line: case and meeting, page number
MARKING_SIZE = 10.0
MARKING_MIN_SIZE = 7.0
WATERMARK_GREY = 0.86


class PackCancelled(MaracError):
    """The user cancelled the export; no file was written."""

    def __init__(self) -> None:
        super().__init__("The pack export was cancelled; no file was written.")


class OutlineAnchor(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """An invisible mark that starts an outline (bookmark) entry where it is drawn.

    It also starts a part of the pack for the running header: a case (`case_label` set) or a
    section that belongs to no case (cover, agenda, appendix).

    Attributes:
        title: the bookmark text (never personal data: a case reference, "Agenda").
        key: the unique destination name.
        case_index: the case's position (from 1) for progress reports, or 0.
        case_label: what the running header says on this case's pages, e.g.
            "MAR-2026-0042 · case 3 of 25"; "" outside a case.
    """

    def __init__(self, title: str, key: str, *, case_index: int = 0, case_label: str = "") -> None:
        super().__init__()
        self.title, self.key, self.case_index, self.case_label = title, key, case_index, case_label
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # Override Flowable.wrap.
        return 0, 0

    def draw(self) -> None:  # Override Flowable.draw.
        self.canv.bookmarkHorizontal(self.key, 0, 0)
        self.canv.addOutlineEntry(self.title, self.key, level=0, closed=True)


def fitted_size(text: str, font: str, size: float, width: float, minimum: float) -> float:
    """The largest font size up to `size` at which `text` fits `width` points (at least `minimum`)."""
    needed = stringWidth(text, font, size)
    return size if needed <= width else max(minimum, size * width / needed)


class PackDocTemplate(BaseDocTemplate):  # type: ignore[misc]  # ReportLab ships no type hints
    """A4 pages with the marking in header and footer, and the case reference on every case page.

    The header is drawn when a page is finished, so it knows which case the page holds and
    whether the case started on it or is "continued". The footer's right-hand end is left
    free for "Page n of N", stamped on after the layout (see `page_numbers_pdf`).

    Attributes:
        case_pages: by case position (from 1), the first and last page of each case.
        part_pages: by outline key, the page each part (cover, agenda, case, appendix) starts on.
    """

    def __init__(
        self,
        target: Any,
        *,
        marking: str,
        meeting_line: str,
        cancelled: Callable[[], bool],
        on_case: Callable[[int], None],
        prepared_for: str = "",
        document_name: str = "Pre-Marac pack",
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
        self.prepared_for = prepared_for
        self.document_name = document_name
        self.cancelled = cancelled
        self.on_case = on_case
        self.case_pages: dict[int, tuple[int, int]] = {}
        self.part_pages: dict[str, int] = {}
        self._case_label = ""
        self._case_index = 0
        self._case_started_on = 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._underlay,
                                            onPageEnd=self._decorate)])

    def _underlay(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        """Drawn first on every page, under the text: the recipient's watermark, if any."""
        if not self.prepared_for:
            return
        bold = register_fonts()[1]
        width, height = self.pagesize
        canv.saveState()
        canv.setFillGray(WATERMARK_GREY)
        canv.translate(width / 2, height / 2)
        canv.rotate(90)  # upright text (0 or 90 degrees) is read apart from the page text by extractors
        size = fitted_size(self.prepared_for, bold, 34, height * 0.8, 12)
        canv.setFont(bold, size)
        canv.drawCentredString(0, 0, self.prepared_for)
        canv.restoreState()

    def _decorate(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        # Everything but the page number, which is stamped on afterwards (`page_numbers_pdf`).
        regular, bold = register_fonts()
        width, height = self.pagesize
        top = height - MARGIN
        usable = width - 2 * MARGIN
        if self._case_label:
            continued = self._case_started_on != self.page
            case_text = self._case_label + (" (continued)" if continued else "")
        else:
            case_text = self.document_name
        canv.saveState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(MARGIN, top - 11 * mm, width - MARGIN, top - 11 * mm)
        canv.line(MARGIN, MARGIN + 9 * mm, width - MARGIN, MARGIN + 9 * mm)
        # The marking has a line of its own, shrunk to the page width if it must be: it can
        # never run into the meeting, the case reference or the page number.
        canv.setFillColor(INK)
        size = fitted_size(self.marking, bold, MARKING_SIZE, usable, MARKING_MIN_SIZE)
        canv.setFont(bold, size)
        canv.drawCentredString(width / 2, top - 3 * mm, self.marking)
        canv.drawCentredString(width / 2, MARGIN, self.marking)
        # Second header line: meeting on the left, case reference on the right, each given
        # its own half of the line.
        canv.setFillColor(MUTED)
        meeting_size = fitted_size(self.meeting_line, regular, 8.5, usable * 0.48, 6.5)
        canv.setFont(regular, meeting_size)
        canv.drawString(MARGIN, top - 8.5 * mm, self.meeting_line)
        canv.setFillColor(INK)
        case_size = fitted_size(case_text, bold, 9.5, usable * 0.5, 6.5)
        canv.setFont(bold, case_size)
        canv.drawRightString(width - MARGIN, top - 8.5 * mm, case_text)
        # Footer: whose copy (when built for one agency) or the meeting, left of the page number.
        footer = self.prepared_for or self.meeting_line
        if self._case_label:
            footer = f"{self._case_label.split(' · ')[0]} · {footer}"
        canv.setFillColor(MUTED)
        canv.setFont(regular, fitted_size(footer, regular, 8, usable - 70, 6))
        canv.drawString(MARGIN, FOOTER_BASELINE, footer)
        canv.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # Override BaseDocTemplate.afterFlowable.
        if self.cancelled():
            raise PackCancelled()
        if isinstance(flowable, OutlineAnchor):
            self.part_pages[flowable.key] = self.page
            if self._case_index:
                first, _ = self.case_pages[self._case_index]
                self.case_pages[self._case_index] = (first, max(first, self.page - 1))
            self._case_label = flowable.case_label
            self._case_index = flowable.case_index
            self._case_started_on = self.page
            if flowable.case_index:
                self.case_pages[flowable.case_index] = (self.page, self.page)
                self.on_case(flowable.case_index)
        elif self._case_index:
            first, _ = self.case_pages[self._case_index]
            self.case_pages[self._case_index] = (first, self.page)


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
