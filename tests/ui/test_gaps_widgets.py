"""The gap analysis widgets: matrix model (qtmodeltester), findings panel, timeline, language highlighter."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPlainTextEdit

from marac_prep.analysis.gaps import analyse_case
from marac_prep.analysis.timeline import build_timeline
from marac_prep.ui.findings_panel import ENTRY_ID_ROLE, FindingsPanel, entry_labels
from marac_prep.ui.gap_matrix import (
    AGENCY_ID_ROLE,
    CASE_ID_ROLE,
    SILENT_ROLE,
    STATUS_ROLE,
    GapMatrixModel,
    GapMatrixRow,
    GapMatrixView,
)
from marac_prep.ui.language_highlighter import LanguageHighlighter
from marac_prep.ui.timeline_view import TimelineView
from tests.analysis.builders import AGENCIES, CaseBuilder, well_served_case


def _silent_case():
    b = CaseBuilder(case_id=2, reference="MAR-T-0002", children=1)
    b.ret("MH", "chased", requested=date(2026, 2, 1), chased=date(2026, 2, 8), chase_count=2)
    b.ret("EDU", None)
    b.ret("PROB", "nothing_known")
    b.entry("HSG", date(2025, 9, 1), "contact", summary="<b>Tenancy</b> visit.")
    b.ret("HSG", "requested", requested=date(2026, 2, 1))
    return b.build()


def _cell(model, reference, code):
    row = next(r for r in range(model.rowCount()) if model.headerData(r, Qt.Orientation.Vertical) == reference)
    col = next(c for c in range(model.columnCount()) if model.agency(c).short_code == code)
    return model.index(row, col)


def test_gap_matrix_model_passes_qtmodeltester(qtmodeltester):
    model = GapMatrixModel(
        [GapMatrixRow.from_case_file(well_served_case().build()), GapMatrixRow.from_case_file(_silent_case())]
    )
    qtmodeltester.check(model)
    model.set_rows([GapMatrixRow.from_case_file(_silent_case())])
    qtmodeltester.check(model)


def test_gap_matrix_cells_show_status_and_silence(qtbot):
    view = GapMatrixView.from_case_files([well_served_case().build(), _silent_case()])
    qtbot.addWidget(view)
    model = view.model
    mh = _cell(model, "MAR-T-0002", "MH")
    assert mh.data() == "Chased ×2" and mh.data(SILENT_ROLE) is True and mh.data(STATUS_ROLE) == "chased"
    assert "silent" in mh.data(Qt.ItemDataRole.ToolTipRole) and "Chased 2 times" in mh.data(Qt.ItemDataRole.ToolTipRole)
    edu = _cell(model, "MAR-T-0002", "EDU")
    assert edu.data() == "Not requested" and edu.data(SILENT_ROLE) is True
    prob = _cell(model, "MAR-T-0002", "PROB")
    assert prob.data() == "Nothing known" and prob.data(SILENT_ROLE) is False
    # Housing holds an entry, so it is not silent even though its return is only "requested".
    assert _cell(model, "MAR-T-0002", "HSG").data(SILENT_ROLE) is False
    # The control case has no children: Education is not expected there.
    assert _cell(model, "MAR-T-0001", "EDU").data() in ("–", "Returned")
    silent_cells = {
        (r, c)
        for r in range(model.rowCount())
        for c in range(model.columnCount())
        if model.index(r, c).data(SILENT_ROLE)
    }
    assert len(silent_cells) == view.silent_count() == 2
    assert "2 expected returns still silent" in view.summary.text()
    assert mh.data(Qt.ItemDataRole.BackgroundRole).color() != prob.data(Qt.ItemDataRole.BackgroundRole).color()


def test_activating_a_cell_opens_that_case_and_return(qtbot):
    view = GapMatrixView.from_case_files([well_served_case().build(), _silent_case()])
    qtbot.addWidget(view)
    view.show()
    index = _cell(view.model, "MAR-T-0002", "MH")
    cases, returns = [], []
    view.case_activated.connect(cases.append)
    view.return_activated.connect(lambda case_id, agency_id: returns.append((case_id, agency_id)))
    centre = view.table.visualRect(index).center()
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: returns != [])
    assert cases == [2] and returns == [(2, AGENCIES["MH"].id)]
    assert index.data(CASE_ID_ROLE) == 2 and index.data(AGENCY_ID_ROLE) == AGENCIES["MH"].id
    with qtbot.waitSignal(view.case_activated) as header:
        view.table.verticalHeader().sectionDoubleClicked.emit(0)
    assert header.args == [1]


def test_findings_panel_lists_most_severe_first_and_links_entries(qtbot):
    b = CaseBuilder()
    b.ret("MH", None)
    ref = b.entry("POL", date(2025, 6, 1), "referral_considered_not_made", summary="<i>considered</i>")
    b.ret("PROB", "nothing_known")
    cf = b.build()
    findings = analyse_case(cf)
    panel = FindingsPanel.for_case(cf, findings)
    qtbot.addWidget(panel)
    tree = panel.tree
    assert tree.topLevelItemCount() == len(findings)
    assert [tree.topLevelItem(i).text(0) for i in range(3)] == ["High", "Medium", "Note"]
    first = tree.topLevelItem(0)
    assert first.text(1) == "Referral considered, not made" and first.childCount() == 1
    assert "Referral considered, not made" in first.child(0).text(2) and "<i>" not in first.child(0).text(2)
    assert first.child(0).data(0, ENTRY_ID_ROLE) == ref
    with qtbot.waitSignal(panel.entry_activated) as blocker:
        tree.itemActivated.emit(first.child(0), 0)
    assert blocker.args == [ref]
    tree.setCurrentItem(first)
    assert "Why this matters" in panel.detail.text()
    assert panel.detail.textFormat() == Qt.TextFormat.PlainText
    assert panel.summary.text() == "1 high: referral not made; 1 medium: agency silent. 1 note."
    panel.show_notes.setChecked(False)
    assert tree.topLevelItem(2).isHidden() and not tree.topLevelItem(0).isHidden()


def test_findings_panel_for_a_well_served_case_says_no_gaps(qtbot):
    cf = well_served_case().build()
    panel = FindingsPanel(analyse_case(cf), entry_labels(cf))
    qtbot.addWidget(panel)
    assert panel.summary.text() == "No gaps found. 5 notes."


def test_timeline_view_paints_lanes_and_opens_clicked_entries(qtbot, tmp_path):
    b = CaseBuilder()
    b.ret("MH", "requested", requested=date(2026, 2, 1))
    entry = b.entry("POL", date(2025, 6, 1), "incident", indicators=("strangulation",))
    timeline = build_timeline(b.build())
    view = TimelineView(timeline)
    qtbot.addWidget(view)
    view.resize(900, view.sizeHint().height())
    view.show()
    qtbot.waitExposed(view)
    image = view.grab().toImage()
    assert image.save(str(tmp_path / "timeline.png"))
    lanes = [lane.agency for lane in timeline.lanes]
    police = lanes.index("Police")
    rect = view.mark_rect(police, timeline.lanes[police].marks[0])
    centre = rect.center().toPoint()
    # The high-risk mark is drawn in its red, and the silent Mental Health lane is tinted.
    assert image.pixelColor(centre).red() > 150 and image.pixelColor(centre).blue() < 100
    mh_y = int(view.mark_rect(lanes.index("Mental Health"), timeline.lanes[police].marks[0]).center().y())
    assert image.pixelColor(QPoint(view.width() - 20, mh_y)).name() == "#fbe3e1"
    with qtbot.waitSignal(view.entry_activated) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == [entry]


def test_language_highlighter_underlines_phrases_without_changing_text(qtbot):
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    highlighter = LanguageHighlighter(editor)
    text = "Alys declined to engage.\nPolice called to a domestic abuse incident."
    editor.setPlainText(text)
    assert editor.toPlainText() == text
    [(position, match)] = highlighter.matches()
    assert text[position : position + len(match.phrase)] == "declined to engage"
    assert highlighter.match_at(position + 3) == match and highlighter.match_at(0) is None
    block = editor.document().firstBlock()
    formats = block.layout().formats()
    assert any(
        f.start == match.start
        and f.length == len(match.phrase)
        and f.format.underlineStyle() != f.format.UnderlineStyle.NoUnderline
        for f in formats
    )
    assert "offered" in formats[0].format.toolTip()
    editor.setPlainText("Offered refuge; not accepted then.")
    assert highlighter.matches() == []


def test_a_finding_with_hundreds_of_entries_lists_a_few_and_counts_the_rest(qtbot):
    from marac_prep.analysis.gaps import GapFinding
    from marac_prep.ui.findings_panel import LINKED_ENTRIES_SHOWN, FindingsPanel

    finding = GapFinding(
        kind="counter_allegation", case_id=1, case_reference="MAR-X", agency="Police",
        entry_ids=tuple(range(1, 501)), severity="high", message="Counter-allegation with 499 earlier incidents.",
        why="Counter-allegations can be abuse of process.",
    )
    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.set_findings([finding])
    item = panel.tree.topLevelItem(0)
    assert item.childCount() == LINKED_ENTRIES_SHOWN + 1
    assert item.child(LINKED_ENTRIES_SHOWN).text(2) == f"… and {500 - LINKED_ENTRIES_SHOWN} more entries (see the chronology)"
