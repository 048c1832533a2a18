"""The quarterly return as a PDF: the figures beside SafeLives' national ones, with charts.

Marked, numbered and encrypted exactly as the pack and the minutes (`pack.writer`: their document template,
styles, escaping, page numbering and AES-256); charts drawn with ReportLab's own graphics
(`reportlab.graphics`), every bar labelled with its value so nothing rests on colour alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlmodel import Session

from marac_prep.analysis.stats import Quarter, QuarterlyReturn, quarterly_return, summary_rows
from marac_prep.core.models import User
from marac_prep.core.settings import current
from marac_prep.pack.document import OutlineAnchor
from marac_prep.pack.export import check_destination, check_marking, check_password
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.markup import para
from marac_prep.pack.styles import INK, MUTED, RULE, pack_styles
from marac_prep.pack.writer import MarkedPdf

OURS = colors.HexColor("#2f5f8a")  # this Marac
NATIONAL = colors.HexColor("#b9c0c8")  # SafeLives' national figure
SECOND = colors.HexColor("#b36b00")
CHART_HEIGHT = 190
_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, "#9aa0a6"),
    ("BACKGROUND", (0, 0), (-1, 0), "#e8eaed"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])
DIVERSITY = (
    ("repeat", "Repeats"), ("partner_agency_referral", "Not police"), ("black_asian_minoritised", "Racially min."),
    ("lgbt", "LGBT+"), ("disabled", "Disabled"), ("male", "Male"),
)


@dataclass(frozen=True)
class StatisticsResult:
    path: Path
    pages: int
    statistics: QuarterlyReturn
    encrypted: bool


def _title(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 12, text, fontName=register_fonts()[1], fontSize=10, fillColor=INK))


def _style_axes(chart: VerticalBarChart | HorizontalBarChart, regular: str) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = regular
        axis.labels.fontSize = 7.5
        axis.labels.fillColor = INK
        axis.strokeColor = RULE
    chart.barLabels.fontName = regular
    chart.barLabels.fontSize = 7
    chart.barLabels.fillColor = INK
    chart.valueAxis.valueMin = 0
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e4e8ee")


def _legend(drawing: Drawing, x: float, y: float, items: list[tuple[colors.Color, str]]) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 120
    legend.fontName = register_fonts()[0]
    legend.fontSize = 8
    legend.boxAnchor = "nw"
    legend.colorNamePairs = items
    drawing.add(legend)


def cases_chart(ret: QuarterlyReturn, width: float) -> Drawing:
    """Cases and repeat cases at each meeting of the quarter."""
    regular = register_fonts()[0]
    drawing = Drawing(width, CHART_HEIGHT)
    _title(drawing, "Cases per meeting")
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, width - 40, CHART_HEIGHT - 75
    chart.data = [[m.figures.cases for m in ret.meetings], [m.figures.repeat_cases for m in ret.meetings]]
    chart.categoryAxis.categoryNames = [f"{m.meeting_date.day} {m.meeting_date:%b}" for m in ret.meetings]
    chart.bars[0].fillColor, chart.bars[1].fillColor = OURS, SECOND
    chart.barLabelFormat = "%d"
    chart.barLabels.nudge = 6
    chart.valueAxis.valueStep = max(1, -(-max([1, *chart.data[0]]) // 5))
    _style_axes(chart, regular)
    drawing.add(chart)
    _legend(drawing, 30, CHART_HEIGHT - 22, [(OURS, "Cases"), (SECOND, "Repeat cases")])
    return drawing


def _percent_bars(title: str, rows: list[tuple[str, float | None, float | None]], width: float,
                  ours: str) -> Drawing:
    """Grouped bars: this Marac's percentage beside the national one, each labelled."""
    regular = register_fonts()[0]
    drawing = Drawing(width, CHART_HEIGHT)
    _title(drawing, title)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, width - 40, CHART_HEIGHT - 75
    # None leaves a bar out (no national figure per meeting): a bar of 0 would claim one.
    chart.data = [[r[1] for r in rows], [r[2] for r in rows]]
    chart.categoryAxis.categoryNames = [r[0] for r in rows]
    chart.bars[0].fillColor, chart.bars[1].fillColor = OURS, NATIONAL
    chart.barLabelFormat = "%.1f"
    chart.barLabels.nudge = 6
    chart.valueAxis.valueMax = max(10, *(v for r in rows for v in (r[1] or 0, r[2] or 0))) * 1.15
    chart.valueAxis.labelTextFormat = "%d %%"
    _style_axes(chart, regular)
    drawing.add(chart)
    _legend(drawing, 30, CHART_HEIGHT - 22, [(OURS, ours), (NATIONAL, "National (SafeLives)")])
    return drawing


def repeat_chart(ret: QuarterlyReturn, width: float) -> Drawing:
    """The repeat rate at each meeting and over the quarter, beside the national rate."""
    national = ret.national.percentages.get("repeat")
    rows: list[tuple[str, float | None, float | None]] = [
        (f"{m.meeting_date.day} {m.meeting_date:%b}", m.figures.repeat_percent, None) for m in ret.meetings]
    rows.append(("Quarter", ret.total.repeat_percent, national))  # the national rate is for a year
    return _percent_bars("Repeat rate (% of cases)", rows, width, "This Marac")


def comparison_chart(ret: QuarterlyReturn, width: float) -> Drawing:
    """The quarter's shares beside SafeLives' national figures."""
    shares = {r.key: r.percent for r in summary_rows(ret)}
    rows = [(label, shares.get(key), ret.national.percentages.get(key)) for key, label in DIVERSITY]
    return _percent_bars("Beside the national figures (% of cases)", rows, width, str(ret.quarter))


def referrals_chart(ret: QuarterlyReturn, width: float) -> Drawing:
    """Referrals by referring agency, most first."""
    regular = register_fonts()[0]
    agencies = list(ret.total.referrals_by_agency.items())[:12]
    height = max(100, 54 + 16 * len(agencies))
    drawing = Drawing(width, height)
    _title(drawing, "Referrals by referring agency")
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 24, width - 180, height - 44
    chart.data = [[n for _, n in reversed(agencies)] or [0]]
    chart.categoryAxis.categoryNames = [name[:28] for name, _ in reversed(agencies)] or ["None"]
    chart.bars[0].fillColor = OURS
    chart.barLabelFormat = "%d"
    chart.barLabels.nudge = 7
    chart.valueAxis.valueStep = max(1, -(-max([1, *chart.data[0]]) // 5))
    _style_axes(chart, regular)
    drawing.add(chart)
    return drawing


def _figures_table(ret: QuarterlyReturn, width: float) -> Table:
    st = pack_styles()
    rows: list[list[object]] = [[Paragraph(h, st.head_cell) for h in
                                 ("Figure", "Count", "% of cases", "National %", "Not recorded or not counted")]]
    for r in summary_rows(ret):
        rows.append([
            Paragraph(para(r.label), st.cell), Paragraph(str(r.count), st.cell),
            Paragraph("—" if r.percent is None else f"{r.percent:.1f}", st.cell),
            Paragraph("—" if r.national is None else f"{r.national:.1f}", st.cell),
            Paragraph(para(r.note), st.cell_small),
        ])
    table = Table(rows, colWidths=[width * 0.36, width * 0.09, width * 0.11, width * 0.11, width * 0.33],
                  repeatRows=1)
    table.setStyle(_GRID)
    return table


def statistics_story(ret: QuarterlyReturn, width: float) -> list[Flowable]:
    st = pack_styles()
    q = ret.quarter
    story: list[Flowable] = [
        OutlineAnchor("Quarterly return", "statistics"),
        Paragraph(para(f"Marac statistics: {q.label}"), st.title),
        Paragraph(para(
            f"Cases heard at meetings dated {q.start:%d/%m/%Y} to {q.end:%d/%m/%Y} "
            f"({ret.total.meetings} meeting{'s' if ret.total.meetings != 1 else ''}), counted from what is "
            "recorded: a field not recorded is counted as not recorded, never guessed. Ages are on the referral "
            "date."), st.body),
        Spacer(1, 6),
        _figures_table(ret, width),
        Spacer(1, 4),
        Paragraph(para(f"National figures: {ret.national.source}."), st.small),
    ]
    if ret.total.cases:
        story += [Spacer(1, 10), KeepTogether([cases_chart(ret, width)]), Spacer(1, 8),
                  KeepTogether([repeat_chart(ret, width)]), Spacer(1, 8),
                  KeepTogether([comparison_chart(ret, width)]), Spacer(1, 8),
                  KeepTogether([referrals_chart(ret, width)])]
    else:
        story.append(Paragraph("No case was heard at a meeting dated in this quarter, so there is nothing to chart.",
                               st.body))
    if ret.recommended_cases is not None:
        story.append(Paragraph(para(
            f"Volume: {ret.total.cases} cases this quarter; SafeLives recommends about "
            f"{ret.recommended_cases:.0f} a quarter for an area with {ret.adult_female_population:,} adult women "
            f"({ret.national.recommended_per_10000_adult_women:.0f} a year per 10,000)."), st.body))
    story.append(Paragraph(
        "Repeat: a case whose victim and perpetrator were at a Marac within the repeat window (confirmed), or "
        "whose referral marks it a repeat. Partner agencies: every referring agency but the police.", st.small))
    for paragraph in story:
        if isinstance(paragraph, Paragraph) and paragraph.style is st.small:
            paragraph.style = st.small.clone("note", textColor=MUTED)
    return story


def export_statistics_pdf(
    session: Session,
    *,
    actor: User,
    quarter: Quarter,
    destination: str | os.PathLike[str],
    marking: str | None = None,
    password: str | None = None,
) -> StatisticsResult:
    """Writes the quarter's return to `destination` (a .pdf), marked, numbered and, with a password,
    encrypted (AES-256); the export is audited in the same step as the file appears."""
    path = check_destination(destination)
    if password is not None:
        check_password(password)
    ret = quarterly_return(session, actor=actor, quarter=quarter)
    marking = check_marking(marking if marking is not None else current(session).default_marking)
    pdf = MarkedPdf(marking=marking, heading=f"Marac statistics · {quarter.label}",
                    document_name="Quarterly return", title=f"Marac statistics, {quarter.label}")
    pages = pdf.publish(session, statistics_story(ret, pdf.width), path=path, password=password, actor=actor,
                        action="statistics.export", object_type="statistics",
                        details={"quarter": str(quarter), "format": "pdf"})
    return StatisticsResult(path=path, pages=pages, statistics=ret, encrypted=bool(password))
