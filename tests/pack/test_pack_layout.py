"""The layout shortcuts (lines kept between wraps, Paragraphs shared by cells) draw exactly what plain ReportLab does."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pikepdf
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, TableStyle

from marac_prep.pack.document import page_numbers_pdf
from marac_prep.pack.markup import para
from marac_prep.pack.sections import PackParagraph, _grid
from marac_prep.pack.styles import pack_styles

LONG = "Officer attended after a neighbour heard shouting and a door being broken; " * 3


def test_a_second_wrap_at_the_same_width_reuses_the_lines() -> None:
    s = pack_styles()
    paragraph = PackParagraph(para(LONG), s.cell)
    first = paragraph.wrap(120, 1000)
    lines = paragraph.blPara
    assert paragraph.wrap(120, 500) == first and paragraph.blPara is lines
    wider = paragraph.wrap(300, 1000)
    assert wider[1] < first[1] and paragraph.blPara is not lines
    assert paragraph.wrap(120, 1000) == first
    # A split that finds no room discards the lines; the next wrap makes them again.
    assert paragraph.split(120, 5) == []
    assert not hasattr(paragraph, "blPara")
    assert paragraph.wrap(120, 1000) == first and hasattr(paragraph, "blPara")


def _table_pdf(make: Any) -> list[bytes]:
    """A table of repeated texts over several pages; each page's content stream."""
    s = pack_styles()
    texts = ["Police", "Idva service", LONG, "• Threats to kill\n• Strangulation", ""]
    rows = [[make(texts[(row + col) % len(texts)], s.cell_small if col == 2 else s.cell) for col in range(4)]
            for row in range(160)]
    table = LongTable(rows, colWidths=[60, 110, 170, 90], repeatRows=1)
    table.setStyle(TableStyle(_grid()))
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build([table])
    with pikepdf.open(BytesIO(buffer.getvalue())) as pdf:
        assert len(pdf.pages) > 2
        return [page.Contents.read_bytes() for page in pdf.pages]


def test_one_paragraph_shared_by_many_cells_draws_like_one_each() -> None:
    shared: dict[tuple[str, object], PackParagraph] = {}

    def one_for_each_text(text: str, style: Any) -> PackParagraph:
        return shared.setdefault((text, style), PackParagraph(para(text), style))

    # The same texts sit in columns of different widths, so a shared Paragraph is wrapped at one
    # width, then another, before each time it is drawn.
    assert _table_pdf(one_for_each_text) == _table_pdf(lambda text, style: Paragraph(para(text), style))
    assert len(shared) == 10  # five texts, each in two styles, for 640 cells


def test_page_numbers_pdf_has_one_line_per_page() -> None:
    with pikepdf.open(BytesIO(page_numbers_pdf(12))) as pdf:
        assert len(pdf.pages) == 12
        assert all(page.mediabox == pdf.pages[0].mediabox for page in pdf.pages)
    reader = PdfReader(BytesIO(page_numbers_pdf(12)))
    assert [page.extract_text().strip() for page in reader.pages][6:8] == ["Page 7 of 12", "Page 8 of 12"]
