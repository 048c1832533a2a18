"""The layout shortcuts (lines kept between wraps, shared cell Paragraphs, the timeline drawn directly)."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pikepdf
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, TableStyle

from marac_prep.analysis.timeline import Lane, Mark, Timeline
from marac_prep.pack.document import page_numbers_pdf
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.markup import para
from marac_prep.pack.sections import PackParagraph, _grid
from marac_prep.pack.styles import pack_styles
from marac_prep.pack.timeline_picture import AXIS_HEIGHT, LANE_HEIGHT, LEGEND_HEIGHT, timeline_picture

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


def test_timeline_picture_draws_every_kind_of_lane_and_mark_in_our_fonts() -> None:
    marks = (
        Mark(1, date(2025, 2, 3), "day", False, "incident", "Incident"),
        Mark(2, date(2025, 2, 20), "day", True, "high_risk", "Threats to kill"),
        Mark(3, date(2025, 3, 1), "month", True, "referral", "Referral", last_day=date(2025, 3, 31)),
        Mark(4, date(2025, 1, 1), "year", False, "other", "Other", last_day=date(2025, 12, 31)),
    )
    timeline = Timeline(start=date(2025, 1, 1), end=date(2025, 6, 1), lanes=(
        Lane(agency="Police", expected=True, silent=False, status="returned", marks=marks),
        Lane(agency="Housing", expected=True, silent=True, status="", marks=()),
        Lane(agency="Probation service with a very long name indeed, cut short", expected=False, silent=False,
             status="nothing_known", marks=()),
    ))
    picture = timeline_picture(timeline, 500)
    assert picture.wrap(500, 800) == (500, AXIS_HEIGHT + LEGEND_HEIGHT + 3 * LANE_HEIGHT)
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=register_fonts()[0])
    picture.drawOn(canvas, 40, 400)
    canvas.save()
    text = PdfReader(BytesIO(buffer.getvalue())).pages[0].extract_text()
    for expected in ("Police", "Housing", "no return", "nothing known", "Probation service", "…", "Feb", "Jun",
                     "high-risk indicator", "shaded red: expected agency, no return"):
        assert expected in text, expected
    with pikepdf.open(BytesIO(buffer.getvalue())) as pdf:
        fonts = [str(font.BaseFont) for font in pdf.pages[0].Resources.Font.values()]
        assert fonts and all("Helvetica" not in name for name in fonts)
        assert "/ExtGState" in pdf.pages[0].Resources  # the faint bars of month- and year-only dates


def test_a_busy_lane_is_drawn_as_counts_and_a_sparse_one_as_marks() -> None:
    from marac_prep.pack.timeline_picture import is_dense

    busy = Lane(agency="Police", expected=True, silent=False, status="returned", marks=tuple(
        Mark(i, date(2025, 1 + i % 12, 1 + i % 28), "day", False, "incident", "") for i in range(300)))
    sparse = Lane(agency="Housing", expected=True, silent=False, status="returned", marks=busy.marks[:12])
    assert is_dense(busy, 380, 365) and not is_dense(sparse, 380, 365)
    timeline = Timeline(start=date(2025, 1, 1), end=date(2025, 12, 31), lanes=(busy, sparse))
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=register_fonts()[0])
    timeline_picture(timeline, 500).drawOn(canvas, 40, 400)
    canvas.save()
    text = PdfReader(BytesIO(buffer.getvalue())).pages[0].extract_text()
    assert "25" in text.split()  # 300 entries over 12 months: 25 a month, written in each bar
    assert "Jan 2025" in text and "Jan 2026" not in text


def test_type_sizes_and_a_long_marking_fits_its_own_header_line() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from marac_prep.pack.document import MARGIN, fitted_size
    from marac_prep.pack.export import MARKING_MAX

    s = pack_styles()
    assert min(s.body.fontSize, s.cell.fontSize, s.cell_bold.fontSize, s.cell_name.fontSize) >= 9
    assert min(s.small.fontSize, s.cell_small.fontSize) >= 8
    width = A4[0] - 2 * MARGIN
    bold = register_fonts()[1]
    marking = "W" * MARKING_MAX  # the widest marking the check allows
    size = fitted_size(marking, bold, 10, width, 7)
    assert stringWidth(marking, bold, size) <= width + 0.01
