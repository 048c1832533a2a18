"""One case: its heading and tabs (chronology, returns, people and referral, and analysis tabs)."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.changes import Change
from marac_prep.core.dates import display_day
from marac_prep.core.errors import MaracError
from marac_prep.ui.background import BackgroundOp, Progress, RunningOps
from marac_prep.ui.chronology_model import (
    ENTRY_ID_ROLE,
    ChronologyRow,
    chronology_rows,
    entry_row,
    fold_search_texts,
    position_of_entry,
    withdrawn_rows,
)
from marac_prep.ui.chronology_view import ChronologyPanel
from marac_prep.ui.findings_panel import FindingsPanel, entry_labels
from marac_prep.ui.other_cases import OtherCasesPanel
from marac_prep.ui.people_model import PeopleTableModel, PersonLine, people_lines
from marac_prep.ui.returns_panel import ReturnLine, ReturnsPanel
from marac_prep.ui.text import plain_label
from marac_prep.ui.timeline_view import TimelineView

if TYPE_CHECKING:  # the analysis stack loads with the first case, not with the window (decision 0100)
    from sqlmodel import Session

    from marac_prep.analysis.gaps import GapFinding
    from marac_prep.analysis.repeats import RepeatStatus
    from marac_prep.analysis.timeline import Timeline
    from marac_prep.core.casefile import CaseFile
    from marac_prep.core.db import Database
    from marac_prep.core.people import HistoryItem, PersonMatch

log = logging.getLogger("marac_prep.ui")


@dataclass(frozen=True)
class CaseSnapshot:
    """What the case view shows first, read in one session off the GUI thread.

    `case_file` is read without earlier cases (the repeat check's history): the analysis reads
    those after the rows are on screen, and works out the findings and timeline in a `CaseAnalysis`.
    """

    case_file: CaseFile
    rows: tuple[ChronologyRow, ...]
    returns: tuple[ReturnLine, ...]
    people: tuple[PersonLine, ...]
    withdrawn: tuple[ChronologyRow, ...] = ()

    @property
    def case_id(self) -> int:
        return self.case_file.case.id or 0


@dataclass(frozen=True)
class CaseAnalysis:
    """The gap findings and timeline of a case, worked out after its chronology is shown."""

    findings: tuple[GapFinding, ...]
    timeline: Timeline
    entry_labels: dict[int, str]
    repeat: RepeatStatus | None = None
    history: tuple[HistoryItem, ...] = ()
    matches: tuple[PersonMatch, ...] = ()


def load_snapshot(session: Session, case_id: int, progress: Progress) -> CaseSnapshot:
    from marac_prep.core.casefile import load_case_file

    progress(0, 0, "Reading the case…")
    case_file = load_case_file(session, case_id, with_history=False)
    rows = chronology_rows(
        case_file, lambda done, total: progress(done, total, f"Preparing {total:,} chronology entries…")
    )
    return CaseSnapshot(
        case_file=case_file,
        rows=tuple(rows),
        returns=tuple(ReturnLine.from_row(r) for r in case_file.returns),
        people=tuple(people_lines(case_file)),
        withdrawn=tuple(withdrawn_rows(session, case_file)),
    )


def load_analysis(session: Session, snapshot: CaseSnapshot) -> CaseAnalysis:
    """Findings and timeline of the case file shown, with its earlier cases for the repeat check
    (read here, after the first paint); the find box's texts are worked out here too."""
    from marac_prep.analysis.findings import with_reviews
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.analysis.reading import attach_signals
    from marac_prep.analysis.repeats import repeat_status
    from marac_prep.analysis.timeline import build_timeline
    from marac_prep.core.casefile import with_history
    from marac_prep.core.people import history_from_matches
    from marac_prep.core.reviews import reviews_by_key

    fold_search_texts(snapshot.rows)
    case_file = with_history(session, snapshot.case_file)
    attach_signals(session, [case_file])  # what the entries' words say: stored, or read now and stored
    case_id = case_file.case.id or 0
    reviews = reviews_by_key(session, [case_id]).get(case_id, {})
    return CaseAnalysis(
        findings=tuple(with_reviews(analyse_case(case_file), reviews)),
        timeline=build_timeline(case_file),
        entry_labels=entry_labels(case_file),
        repeat=repeat_status(case_file),
        history=tuple(history_from_matches(case_file.case, case_file.person_matches)),
        matches=tuple(case_file.person_matches),
    )


def _yes_no(value: bool | None) -> str:
    return "not recorded" if value is None else ("yes" if value else "no")


def referral_text(case_file: CaseFile) -> str:
    """The referral's details in plain words (shown as plain text)."""
    case = case_file.case
    labels = dict(case_file.settings.criteria)
    lines = [
        f"Referred by {case_file.agency_name(case.referring_agency_id)} on {display_day(case.referral_date)}.",
        "Criteria met: " + (", ".join(labels.get(c, c) for c in case.criteria) or "none recorded") + ".",
    ]
    if case.criteria_notes:
        lines.append(f"Concerns: {case.criteria_notes}")
    level = case_file.settings.risk_level(case.dash_score)
    score = "not recorded" if case.dash_score is None else f"{case.dash_score} of 24 ({level} risk)"
    lines.append(f"Dash score: {score}.")
    lines.append(
        f"Victim aware of the referral: {_yes_no(case.victim_aware)}. Consented: {_yes_no(case.victim_consent)}."
    )
    if case.consent_reason:
        lines.append(f"Why information is shared without consent: {case.consent_reason}")
    never = [p.name for p in case_file.people if p.must_not_receive_information]
    if never:
        lines.append("Must never receive information about this case: " + ", ".join(never) + ".")
    for assessment in case_file.assessments:
        lines.append(
            f"{assessment.tool} {assessment.tool_version} by {case_file.agency_name(assessment.agency_id)} "
            f"on {display_day(assessment.assessed_on)}: {assessment.score} of 24 ({assessment.level})."
        )
    return "\n".join(lines)


class CaseView(QWidget):
    """A case's heading and tabs.

    Signals:
        back_requested(): the user wants the meeting's case list.
        loaded(object): a `CaseSnapshot` has been shown.
        analysed(object): the gap findings for that snapshot have been shown.
        load_failed(object): loading raised this exception.
    """

    back_requested = Signal()
    loaded = Signal(object)
    analysed = Signal(object)
    load_failed = Signal(object)

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # One timer, stopped when the window closes: a re-analysis due after the window is gone
        # would read a database that may already be closed.
        self.reanalyse_timer = QTimer(self)
        self.reanalyse_timer.setSingleShot(True)
        self.reanalyse_timer.timeout.connect(self._reanalyse)
        self._database = database
        self.snapshot: CaseSnapshot | None = None
        self._subtitle_parts: list[str] = []
        # Whether the user may change an agency's return; the main window sets it from the role.
        self.may_set_return: Callable[[int], bool] = lambda _agency_id: True
        self.op: BackgroundOp | None = None
        self.analysis_ops = RunningOps(dispose=True)
        self.back_button = QPushButton("← Meeting", self)
        self.back_button.setAccessibleName("Back to the meeting's cases")
        self.back_button.setToolTip("Back to the meeting's cases (Alt+Left)")
        self.back_button.clicked.connect(self.back_requested)
        self.title = plain_label("", self, name="viewTitle")
        self.subtitle = plain_label("", self, name="viewSubtitle")
        self.subtitle.setWordWrap(True)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("caseTabs")
        self.tabs.setAccessibleName("Case sections")
        self.chronology = ChronologyPanel(self)
        self.returns = ReturnsPanel(self)
        self.people_model = PeopleTableModel(self)
        self.people_table = QTableView(self)
        self.people_table.setAccessibleName("People in the case")
        self.people_table.setModel(self.people_model)
        self.people_table.verticalHeader().hide()
        self.people_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.people_table.horizontalHeader().setStretchLastSection(True)
        self.people_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((100, 230, 110, 150, 160, 300)):
            self.people_table.setColumnWidth(column, width)
        self.referral = QPlainTextEdit(self)
        self.referral.setReadOnly(True)
        self.referral.setAccessibleName("Referral details")
        people_page = QSplitter(Qt.Orientation.Vertical, self)
        people_page.addWidget(self.people_table)
        people_page.addWidget(self.referral)
        self.tabs.addTab(self.chronology, "&Chronology")
        self.tabs.addTab(self.returns, "&Returns")
        self.findings = FindingsPanel(parent=self)
        self.timeline = TimelineView(parent=self)
        timeline_scroll = QScrollArea(self)
        timeline_scroll.setWidget(self.timeline)
        timeline_scroll.setWidgetResizable(True)
        self.tabs.addTab(self.findings, "F&indings")
        self.tabs.addTab(timeline_scroll, "&Timeline")
        self.tabs.addTab(people_page, "&People and referral")
        self.other_cases = OtherCasesPanel(self)
        self.tabs.addTab(self.other_cases, "Other ca&ses")
        # An entry picked in any tab opens in the entry editor.
        self.findings.entry_activated.connect(self.chronology.entry_activated)
        self.chronology.show_withdrawn_changed.connect(self._on_show_withdrawn)
        self.timeline.entry_activated.connect(self.chronology.entry_activated)

        heading = QHBoxLayout()
        heading.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        heading.addLayout(titles, 1)
        self.heading_actions = QHBoxLayout()  # case-level buttons added by the main window
        heading.addLayout(self.heading_actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addLayout(heading)
        layout.addWidget(self.tabs, 1)

    @property
    def case_id(self) -> int | None:
        return self.snapshot.case_id if self.snapshot else None

    def load(self, case_id: int) -> BackgroundOp:
        """Loads the case off the GUI thread; `loaded` is emitted when it is shown."""
        if self.op is not None:
            self.op.dispose()
        op = BackgroundOp.read_op(
            self,
            self._database,
            lambda session, progress: load_snapshot(session, case_id, progress),
            label="Opening the case…",
        )
        op.finished.connect(self._on_loaded)
        op.failed.connect(self.load_failed)
        self.op = op
        return op.start()

    def show_snapshot(self, snapshot: CaseSnapshot) -> None:
        self.snapshot = snapshot
        self._show_heading(snapshot)
        self.other_cases.clear("Looking for this case's people in other cases…")
        involved = {r.agency_id: r.agency_name for r in snapshot.rows}
        involved.update({line.agency_id: line.agency_name for line in snapshot.returns})
        self.chronology.set_rows(self.shown_rows(snapshot), sorted(involved.items(), key=lambda kv: kv[1]))
        self.returns.set_lines(list(snapshot.returns), may_set=self.may_set_return)
        self.people_model.set_lines(snapshot.people)
        self.referral.setPlainText(referral_text(snapshot.case_file))
        self._analyse(snapshot)

    def _show_heading(self, snapshot: CaseSnapshot) -> None:
        cf = snapshot.case_file
        case = cf.case
        victim = cf.victim
        self.title.setText(f"{case.reference} · {victim.name if victim else 'victim not named'}")
        from marac_prep.core.returns import return_progress

        answered, expected = return_progress(cf.returns)
        dash = (
            "Dash not recorded"
            if case.dash_score is None
            else f"Dash {case.dash_score} ({cf.settings.risk_level(case.dash_score)})"
        )
        parts = [
            f"Referred by {cf.agency_name(case.referring_agency_id)} on {display_day(case.referral_date)}",
            dash,
            f"returns {answered} of {expected} agencies",
            f"{len(snapshot.rows)} chronology entries",
        ]
        if cf.children:
            parts.append(f"{len(cf.children)} child" + ("" if len(cf.children) == 1 else "ren"))
        self._subtitle_parts = parts
        # Until the people are matched across cases, the referral's own repeat tick is shown.
        self._show_repeat("↻ Repeat" if case.repeat else "")

    # How long after a saved entry is shown the findings are worked out again.
    REANALYSE_AFTER_MS = 250

    def entry_saved(self, entry_id: int) -> None:
        """Shows one saved entry without reloading the case: its row is put in place at once, then
        the findings and timeline are worked out again in the background from the stored case."""
        if self.snapshot is None:
            return
        self._put_entry(entry_id)
        self.chronology.select_entry(entry_id)
        # After the row's paint: the analysis thread would otherwise share the interpreter with it.
        self.reanalyse_timer.start(self.REANALYSE_AFTER_MS)

    def _put_entry(self, entry_id: int) -> None:
        """Puts the stored entry's row in place (the selection stays where it is)."""
        from dataclasses import replace

        from marac_prep.core.chronology import get_entry

        snapshot = self.snapshot
        if snapshot is None:
            return
        with self._database.read_session() as session:  # one row by its key: bounded
            entry = get_entry(session, entry_id)
            row = entry_row(entry, snapshot.case_file.agencies.get(entry.agency_id))
        rows = list(snapshot.rows)
        # The table shows every row of the snapshot (and the withdrawn ones when asked): an entry
        # it does not hold is new here, and is not looked for among 10,000 rows.
        at = position_of_entry(rows, entry_id) if self.chronology.model.has_entry(entry_id) else -1
        if at >= 0:
            del rows[at]
        if not row.withdrawn:
            bisect.insort(rows, row, key=lambda r: r.sort_key)
        withdrawn = [w for w in snapshot.withdrawn if w.entry_id != entry_id] + ([row] if row.withdrawn else [])
        self.snapshot = replace(snapshot, rows=tuple(rows), withdrawn=tuple(withdrawn))
        if row.withdrawn and not self.chronology.show_withdrawn.isChecked():
            self.chronology.model.remove_entry(entry_id)
        else:
            self.chronology.model.put_row(row)

    # ----- others' changes (live updates, ui/live.py) -------------------------------------------
    def apply_changes(self, changes: list[Change]) -> None:
        """Shows what others changed in this case, keeping the user's place: changed entries' rows
        in place, then the returns, people, heading and findings as now stored."""
        if self.snapshot is None:
            return
        entry_ids = sorted({c.object_id for c in changes if c.kind == "chronology_entry" and c.object_id})
        if entry_ids:
            # The table's filter re-reads its rows on any change: the place is noted and put back.
            current, top = self.chronology.current_entry_id(), self._top_entry_id()
            for entry_id in entry_ids:
                try:
                    self._put_entry(entry_id)
                except MaracError as exc:  # gone meanwhile: the next full load shows the case as it is
                    log.info("a changed entry could not be shown (%s)", exc.__class__.__name__)
            self._restore_place(current, top)
        self.refresh_in_place()

    def _top_entry_id(self) -> int | None:
        index = self.chronology.table.indexAt(QPoint(1, 1))
        return int(index.data(ENTRY_ID_ROLE)) if index.isValid() else None

    def _restore_place(self, current: int | None, top: int | None) -> None:
        """The chosen entry chosen again and the same entry at the top of the table, not scrolled
        to: rows others added above or below do not move the user's place."""
        table, model, proxy = self.chronology.table, self.chronology.model, self.chronology.proxy
        scroll = table.verticalScrollBar().value()
        if current is not None:
            index = proxy.mapFromSource(model.index(model.row_of_entry(current), 0))
            if index.isValid():
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                table.selectionModel().setCurrentIndex(index, flags)
        table.verticalScrollBar().setValue(scroll)
        if top is not None:
            index = proxy.mapFromSource(model.index(model.row_of_entry(top), 0))
            if index.isValid():
                table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)

    def refresh_in_place(self) -> BackgroundOp | None:
        """Reads the case again off the GUI thread and shows the returns, people, referral and
        heading as stored, without touching the chronology's rows, selection or scroll."""
        snapshot = self.snapshot
        if snapshot is None:
            return None
        case_id = snapshot.case_id
        op = BackgroundOp.read_op(
            self, self._database, lambda session, progress: load_snapshot(session, case_id, progress),
            label="Showing others' changes…",
        )
        op.progress.setMinimumDuration(24 * 3600 * 1000)  # no dialog: the user keeps working
        op.finished.connect(self._show_fresh)
        op.failed.connect(lambda exc: log.info("refreshing the open case failed (%s)", exc.__class__.__name__))
        self.analysis_ops.keep(op)
        return op.start()

    def _show_fresh(self, fresh: object) -> None:
        from dataclasses import replace

        assert isinstance(fresh, CaseSnapshot)
        if self.snapshot is None or self.snapshot.case_id != fresh.case_id:
            return  # the user has moved on
        # The rows on screen stay (entries are put in place one by one); the rest is as stored.
        snapshot = replace(fresh, rows=self.snapshot.rows, withdrawn=self.snapshot.withdrawn)
        self.snapshot = snapshot
        self._show_heading(snapshot)
        scroll = self.returns.table.verticalScrollBar().value()
        self.returns.set_lines(list(snapshot.returns))
        self.returns.table.verticalScrollBar().setValue(scroll)
        if tuple(self.people_model.lines) != snapshot.people:
            self.people_model.set_lines(snapshot.people)
        referral = referral_text(snapshot.case_file)
        if self.referral.toPlainText() != referral:
            self.referral.setPlainText(referral)
        self.reanalyse_timer.start(self.REANALYSE_AFTER_MS)

    def _reanalyse(self) -> None:
        """The findings and timeline of the case as now stored, off the GUI thread; the table stays."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        case_id = snapshot.case_id

        from marac_prep.core.casefile import load_case_file

        def work(session: Session, _progress: Progress) -> tuple[CaseSnapshot, CaseAnalysis]:
            fresh = load_case_file(session, case_id, with_history=False)
            current = CaseSnapshot(fresh, snapshot.rows, snapshot.returns, snapshot.people, snapshot.withdrawn)
            return current, load_analysis(session, current)

        op = BackgroundOp.read_op(self, self._database, work, label="Looking for gaps…")
        op.progress.setMinimumDuration(24 * 3600 * 1000)  # no dialog: the user keeps working
        op.finished.connect(lambda result: self._on_reanalysed(*result))
        op.failed.connect(lambda exc: self._on_analysis_failed(snapshot, exc))
        self.analysis_ops.keep(op)
        op.start()

    def _on_reanalysed(self, fresh: CaseSnapshot, analysis: CaseAnalysis) -> None:
        if self.snapshot is None or self.snapshot.case_id != fresh.case_id:
            return
        from dataclasses import replace

        self.snapshot = replace(self.snapshot, case_file=fresh.case_file)
        self._on_analysed(self.snapshot, analysis)

    def shown_rows(self, snapshot: CaseSnapshot) -> list[ChronologyRow]:
        """The chronology's rows, with the withdrawn ones (struck through) when asked for."""
        if not self.chronology.show_withdrawn.isChecked() or not snapshot.withdrawn:
            return list(snapshot.rows)
        return sorted([*snapshot.rows, *snapshot.withdrawn], key=lambda r: r.sort_key)

    def _on_show_withdrawn(self, _shown: bool) -> None:
        if self.snapshot is not None:
            current = self.chronology.current_entry_id()
            self.chronology.model.set_rows(self.shown_rows(self.snapshot))
            if current is not None:
                self.chronology.select_entry(current)

    def _analyse(self, snapshot: CaseSnapshot) -> None:
        """Runs the gap analysis and builds the timeline once the chronology is on screen (they
        read the whole case file, which takes a while on big cases)."""
        self.findings.set_findings([], {})
        self.findings.summary.setText("Looking for gaps and patterns…")
        self.tabs.setTabText(self.tabs.indexOf(self.findings), "F&indings (…)")
        self.timeline.set_timeline(None, placeholder="Building the timeline…")
        op = BackgroundOp.read_op(
            self, self._database, lambda session, _progress: load_analysis(session, snapshot), label="Looking for gaps…"
        )
        # No progress dialog: the user can work in the chronology while the analysis runs.
        op.progress.setMinimumDuration(24 * 3600 * 1000)
        op.finished.connect(lambda analysis: self._on_analysed(snapshot, analysis))
        op.failed.connect(lambda exc: self._on_analysis_failed(snapshot, exc))
        self.analysis_ops.keep(op)
        # Started on the next turn of the event loop: the rows' first paint, already posted,
        # comes first rather than sharing the interpreter with the analysis thread.
        QTimer.singleShot(0, op.start)

    def _show_repeat(self, text: str) -> None:
        """The heading, with the repeat marker (never "no" beside a repeat finding: the marker
        comes from the same reading as the findings once the analysis is done)."""
        parts = list(self._subtitle_parts)
        if text:
            parts.insert(1, text)
        self.subtitle.setText(" · ".join(parts))

    def _on_analysis_failed(self, snapshot: CaseSnapshot, exc: object) -> None:
        """Says so in the two tabs the analysis fills; the chronology shown stays as it is."""
        if self.snapshot is not snapshot:
            return  # about a case the user has left
        reason = str(exc) if isinstance(exc, MaracError) else "something went wrong; the details are in the log file"
        if not isinstance(exc, MaracError):
            log.error("the gap analysis failed with %s", exc.__class__.__name__,
                      exc_info=(type(exc), exc, None) if isinstance(exc, BaseException) else None)
        self.findings.summary.setText(f"The gap analysis could not be done: {reason}")
        self.tabs.setTabText(self.tabs.indexOf(self.findings), "F&indings (not done)")
        self.timeline.set_timeline(None, placeholder="The timeline could not be built.")

    def _on_analysed(self, snapshot: CaseSnapshot, analysis: CaseAnalysis) -> None:
        if self.snapshot is not snapshot:
            return  # the user has moved on to another case or a reload
        findings = analysis.findings
        if analysis.repeat is not None:
            label = analysis.repeat.label
            self._show_repeat(f"↻ {label}" if analysis.repeat.is_repeat else label)
        names = {p.id or 0: p.name for p in snapshot.case_file.people}
        self.other_cases.set_people(
            names=names, history=analysis.history, matches=analysis.matches, repeat=analysis.repeat
        )
        possible = sum(1 for m in analysis.matches if not m.confirmed)
        self.tabs.setTabText(
            self.tabs.indexOf(self.other_cases),
            f"Other ca&ses ({len({h.case_id for h in analysis.history})})"
            + (f" · {possible} to check" if possible else ""),
        )
        self.findings.set_findings(list(findings), analysis.entry_labels)
        self.timeline.set_timeline(analysis.timeline)
        high = sum(1 for f in findings if f.severity == "high")
        self.tabs.setTabText(
            self.tabs.indexOf(self.findings),
            f"F&indings ({len(findings)})" + (f" · {high} high" if high else ""),
        )
        self.analysed.emit(snapshot)

    def _on_loaded(self, snapshot: object) -> None:
        assert isinstance(snapshot, CaseSnapshot)
        self.show_snapshot(snapshot)
        self.loaded.emit(snapshot)
