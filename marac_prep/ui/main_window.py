"""The main window: meetings on the left, a meeting's cases or one case on the right.

The window wires menus, buttons and shortcuts to the user operations in `marac_prep/ui/operations/`
(one module per area: meeting, case, entry, returns, interchange, pack) and shows again what an
operation reports as changed (`apply`). Integration points for the other panels (gap matrix,
findings, timeline, audit, idle lock) are in `MainWindow._integrate_panels` and the menus below.

The window is built in two steps so it shows at once: its frame (menus, status bar, "Opening
the workspace…") needs only Qt, and `attach` then fills it with a database and a profile. The
data stack (SQLAlchemy, the services, the views) is therefore imported inside the methods that
use it, after the first paint, not at the top of this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QEventLoop, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.operations import Changes
from marac_prep.ui.operations import actions as actions_ops
from marac_prep.ui.operations import agenda as agenda_ops
from marac_prep.ui.operations import case as case_ops
from marac_prep.ui.operations import entry as entry_ops
from marac_prep.ui.operations import findings as findings_ops
from marac_prep.ui.operations import interchange as interchange_ops
from marac_prep.ui.operations import meeting as meeting_ops
from marac_prep.ui.operations import pack as pack_ops
from marac_prep.ui.operations import people as people_ops
from marac_prep.ui.operations import returns as returns_ops
from marac_prep.ui.operations import statistics as statistics_ops
from marac_prep.ui.settings_dialog import settings_action
from marac_prep.ui.text import plain_label

if TYPE_CHECKING:
    from marac_prep.core.db import Database
    from marac_prep.core.first_screen import FirstScreen
    from marac_prep.core.models import Agency, User
    from marac_prep.ui.background import BackgroundOp, Progress
    from marac_prep.ui.case_view import CaseSnapshot, CaseView
    from marac_prep.ui.gap_matrix import GapMatrixRow
    from marac_prep.ui.idle_lock import IdleLock
    from marac_prep.ui.live import LiveRefresh
    from marac_prep.ui.meeting_mode import MeetingModeWindow
    from marac_prep.ui.meeting_view import MeetingListModel, MeetingView
    from marac_prep.ui.operations.returns import ReturnUndo

log = logging.getLogger("marac_prep.ui")
ORGANISATION, APPLICATION = "MaracPrep", "Marac Prep"
READ_ONLY_NOTICE = "Read-only: changes cannot be saved"


def app_settings() -> QSettings:
    """Window geometry and column widths (never case data)."""
    return QSettings(ORGANISATION, APPLICATION)


class MainWindow(QMainWindow):
    """Meetings, cases and the case view, with menus, shortcuts and a status bar.

    Attributes:
        database: the open database.
        actor: the acting profile; its role decides which actions are enabled.

    Signals:
        matrix_loaded(): the meeting's gap matrix has been filled.
        first_screen_shown(): the first screen (read without the ORM) fills the frame.
        first_painted(): the window has just been painted for the first time (the frame is on screen).
        workspace_opened(): `attach` has filled the window with a workspace.
    """

    matrix_loaded = Signal()
    first_screen_shown = Signal()
    first_painted = Signal()
    workspace_opened = Signal()
    READ_ONLY_NOTICE = READ_ONLY_NOTICE
    # How long a failed backup stays on screen before the window closes anyway (tests set 0).
    BACKUP_FAILURE_PAUSE_MS = 2500

    def __init__(
        self, database: Database | None = None, actor: User | None = None, *, settings: QSettings | None = None
    ) -> None:
        """The window's frame; with a database and a profile it is filled at once (see `attach`)."""
        super().__init__()
        self._settings = settings or app_settings()
        self.attached = False
        self.idle_lock: IdleLock | None = None
        self.live: LiveRefresh
        self.exit_status: int | None = None  # set when the workspace could not be opened
        self._painted = False
        self._frame_built = False
        self.first_screen_filled = False  # shown by `show_first_screen` before `attach`
        self.setWindowTitle("Marac Prep")
        self.setObjectName("mainWindow")
        # The meeting page's refresh after a saved entry; stopped on close (see closeEvent).
        self.agenda_timer = QTimer(self)
        self.agenda_timer.setSingleShot(True)
        self.agenda_timer.timeout.connect(self.show_current_meeting)
        self.opening = plain_label("Opening the workspace…", self, name="viewSubtitle")
        self.opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.opening)
        self.who = plain_label("", self, name="statusWho")
        self.statusBar().addPermanentWidget(self.who)
        # Permanent, so passing status messages never hide it.
        self.read_only_notice = plain_label(READ_ONLY_NOTICE, self, name="statusReadOnly")
        self.read_only_notice.setAccessibleName(READ_ONLY_NOTICE)
        self.statusBar().addPermanentWidget(self.read_only_notice)
        self.read_only_notice.hide()
        self.backup_error: str | None = None
        from marac_prep.ui.background import RunningOps

        self._export_ops = RunningOps(dispose=True)
        self.meeting_mode: MeetingModeWindow | None = None
        self._make_actions()
        self._make_menus()
        for action in self.findChildren(QAction):
            if action.menu() is None:  # a menu's own action would grey out the whole menu
                action.setEnabled(action in (self.quit_action, self.about_action))
        self._restore_geometry()
        if database is not None and actor is not None:
            self.attach(database, actor)

    def event(self, event: QEvent) -> bool:  # Override QObject.event: tells when the window is first on screen.
        handled = super().event(event)
        if event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)  # once the paint is over: slots may paint too
        return handled

    def attach(self, database: Database, actor: User) -> None:
        """Fills the frame with the workspace: meetings, the first meeting's cases, the case view.

        After `show_first_screen` the widgets it filled stay (no "Loading…" in between): the
        normal reads below show the same rows again, with the repeat findings."""
        from marac_prep.core.access_log import CaseOpenings
        from marac_prep.ui.case_view import CaseView

        self.database = database
        self.actor = actor
        self.case_openings = CaseOpenings()  # who saw what: each case audited once per session
        self._agencies: dict[int, Agency] = {}
        self.return_undo: ReturnUndo | None = None
        self.setWindowTitle(f"Marac Prep – {database.location}")
        self._build_workspace_frame()
        self.meetings.selectionModel().currentChanged.connect(self._on_meeting_changed)
        from marac_prep.ui.case_list_loader import CaseListLoader

        self.case_list = CaseListLoader(self, database)
        self.case_list.loaded.connect(self._on_case_lines)
        self.case_list.failed.connect(lambda exc: report_error(self, exc, doing="read the meeting's cases"))
        self.case_view: CaseView = CaseView(database, self)
        self.case_view.may_set_return = lambda agency_id: self.may("set_return", agency_id)
        self.stack.addWidget(self.case_view)
        self.read_only_notice.setVisible(database.read_only)
        self.setAcceptDrops(True)
        for action in self.findChildren(QAction):
            action.setEnabled(True)  # until _update_actions decides from the role
        self._connect()
        self._integrate_panels()
        self.attached = True
        if self.first_screen_filled:
            self.statusBar().clearMessage()
        self.set_actor(actor)
        self.refresh_meetings()
        self._restore_view_state()
        self._follow_changes()
        self.workspace_opened.emit()

    def _build_workspace_frame(self) -> None:
        """The meetings list, the meeting page and its gap matrix, in place of "Opening…" (once).

        Qt and light modules only: the first screen fills these before the data stack is loaded."""
        if self._frame_built:
            return
        from marac_prep.ui.gap_matrix import GapMatrixView
        from marac_prep.ui.meeting_view import MeetingListModel, MeetingView
        from marac_prep.ui.person_search import PersonSearchBox

        self._frame_built = True
        self._shown_meeting_id: int | None = None
        self.meetings_model: MeetingListModel = MeetingListModel(self)
        self.meetings = QListView(self)
        self.meetings.setObjectName("meetingList")
        self.meetings.setAccessibleName("Meetings, next meeting first")
        self.meetings.setModel(self.meetings_model)
        self.meetings.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.meetings.setSpacing(2)
        self.meetings.setWordWrap(True)
        self.meetings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        sidebar = QWidget(self)
        side_layout = QVBoxLayout(sidebar)
        side_layout.setContentsMargins(8, 10, 4, 8)
        self.person_search = PersonSearchBox(sidebar)
        side_layout.addWidget(self.person_search)
        side_layout.addWidget(plain_label("Meetings", sidebar, name="sidebarTitle"))
        side_layout.addWidget(self.meetings, 1)
        self.new_meeting_button = QPushButton("New meeting…", sidebar)
        self.new_meeting_button.setEnabled(False)  # until the role is known (_update_actions)
        side_layout.addWidget(self.new_meeting_button)
        self.meeting_view: MeetingView = MeetingView(self)
        self.gap_matrix = GapMatrixView(parent=self.meeting_view)
        self.gap_matrix.setAccessibleName("Gap matrix: each case's agencies and their returns")
        self.meeting_view.extra.addWidget(plain_label("Who has returned what", self.meeting_view, name="sectionTitle"))
        self.meeting_view.extra.addWidget(self.gap_matrix, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.meeting_view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 1170])
        self.setCentralWidget(self.splitter)  # the "Opening…" label goes with it
        self._restore_frame_state()

    def show_first_screen(self, screen: FirstScreen) -> None:
        """Shows the first screen read without the ORM (`core.first_screen`, decision 0100): the
        meetings and the upcoming meeting's cases and gap matrix, while the workspace opens.

        Nothing can be done with them yet (the menus stay as in "Opening…", activating a case
        waits for `attach`); the repeat column says "Checking…" until the normal read fills it."""
        from marac_prep.ui.gap_matrix import GapMatrixRow
        from marac_prep.ui.meeting_view import CaseLine, MeetingLine

        if self.attached:
            return
        self._build_workspace_frame()
        self.setWindowTitle(f"Marac Prep – {screen.location}")
        meetings = [MeetingLine.first_screen(m) for m in screen.meetings]
        self.meetings_model.set_lines(meetings)
        if meetings:
            self.meetings.setCurrentIndex(self.meetings_model.index(0))
            meeting = meetings[0]
            self.setWindowTitle(f"Marac Prep – Marac meeting {meeting.title} – {screen.location}")
            self._shown_meeting_id = meeting.meeting_id
            self.meeting_view.show_meeting(meeting, [CaseLine.first_screen(c) for c in screen.cases])
        else:
            self.meeting_view.show_meeting(None, [])
        self.gap_matrix.set_rows([
            GapMatrixRow(case_id=r.case_id, reference=r.reference, returns=r.returns,
                         agencies_with_entries=r.agencies_with_entries)
            for r in screen.matrix
        ])
        self.meeting_view.show_overdue(screen.overdue_actions)
        self.statusBar().showMessage("Opening the workspace…")
        self.first_screen_filled = True
        # On screen now, shown, laid out and painted, before the data stack takes the interpreter
        # for a while: showing the new widgets and laying them out are posted events (queued calls,
        # layout requests), which only the next turn of the event loop would deliver.
        QApplication.sendPostedEvents()
        self.repaint()
        self.first_screen_shown.emit()

    # ----- actions and menus ------------------------------------------------------------------
    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def run(self, operation: Callable[..., Changes | None], *args: Any) -> None:
        """Runs a user operation (see `marac_prep/ui/operations/`) and shows what it changed."""
        changes = operation(self, *args)
        if changes is not None:
            self.apply(changes)

    def _op(self, operation: Callable[..., Changes | None]) -> Callable[..., None]:
        """A slot for a menu action or button that runs `operation`."""
        return lambda *_args: self.run(operation)

    def apply(self, changes: Changes) -> None:
        """Shows again what an operation changed: the meetings, the open case, a selection, a message."""
        if changes.meetings:
            self.refresh_meetings(changes.select_meeting)
        elif changes.agenda and changes.entry is not None and self.open_case_id() is not None:
            # The meeting page is behind the open case: refreshed once the saved row is on screen.
            self.agenda_timer.start(self.case_view.REANALYSE_AFTER_MS)
        elif changes.agenda:
            self.show_current_meeting()
        if changes.select_case is not None:
            self.meeting_view.select_case(changes.select_case)
        case_id = self.open_case_id()
        if changes.case and case_id is not None:
            op = self.case_view.load(case_id)  # a reload of the case already open, not a new opening
            if changes.select_entry is not None:
                entry_id = changes.select_entry
                op.finished.connect(lambda _s: self.case_view.chronology.select_entry(entry_id))
            if changes.select_agency is not None:
                agency_id = changes.select_agency
                op.finished.connect(lambda _s: self.case_view.returns.select_agency(agency_id))
        if changes.entry is not None and case_id is not None and not changes.case:
            try:
                self.case_view.entry_saved(changes.entry)
            except MaracError as exc:  # e.g. deleted meanwhile: the whole case is read again
                log.info("showing the saved entry failed (%s); reloading the case", exc.__class__.__name__)
                self.case_view.load(case_id)
        if changes.message:
            self.statusBar().showMessage(changes.message, 5000)

    def _make_actions(self) -> None:
        self.new_meeting_action = self._action("New &meeting…", self._op(meeting_ops.new_meeting), "Ctrl+Shift+M")
        self.edit_meeting_action = self._action("E&dit meeting…", self._op(meeting_ops.edit_meeting))
        self.new_case_action = self._action("New &case from referral…", self._op(case_ops.new_case), "Ctrl+Shift+N")
        self.edit_case_action = self._action("Edit case and &people…", self._op(case_ops.edit_case), "Ctrl+Shift+E")
        self.new_entry_action = self._action(
            "&New chronology entry…",
            self._op(entry_ops.new_entry),
            QKeySequence.StandardKey.New,
            "Add an agency's dated event to this case",
        )
        self.open_entry_action = self._action("&Open entry…", self.open_current_entry, "Ctrl+O")
        self.find_action = self._action("&Find in chronology", self.find, QKeySequence.StandardKey.Find)
        self.dash_action = self._action("&Dash risk checklist…", self._op(case_ops.dash_checklist), "Ctrl+D")
        self.export_action = self._action("&Export pack…", lambda: pack_ops.export_pack(self), "Ctrl+E")
        self.import_action = self._action(
            "&Import agency return…", lambda: interchange_ops.import_returns(self), "Ctrl+I"
        )
        self.export_chronology_action = self._action(
            "Export c&hronology…",
            lambda: interchange_ops.export_chronology(self),
            tip="The combined chronology as a CSV or XLSX file",
        )
        self.templates_action = self._action(
            "Research request &templates…",
            lambda: interchange_ops.research_templates(self),
            tip="One XLSX per expected agency, to fill in and import back",
        )
        self.print_action = self._action(
            "P&rint chronology…",
            lambda: case_ops.print_chronology(self, preview=False),
            QKeySequence.StandardKey.Print,
            "The open case's chronology as shown (filters, order and columns)",
        )
        self.print_preview_action = self._action(
            "Print pre&view…", lambda: case_ops.print_chronology(self, preview=True), "Ctrl+Shift+P"
        )
        self.history_action = self._action(
            "Entry &history…", lambda: self._for_current_entry(entry_ops.show_history), "Ctrl+H"
        )
        self.withdraw_action = self._action(
            "&Withdraw entry…", lambda: self._for_current_entry(entry_ops.withdraw_entry)
        )
        # The meeting itself (issue 18): meeting mode, attendance, the agenda's order, the minutes.
        self.minutes_action = self._action(
            "Export min&utes…", lambda: agenda_ops.export_minutes(self),
            tip="The meeting's minutes as a marked PDF: attendance, agreed risk levels, actions, notes",
        )
        self.meeting_mode_action = self._action(
            "Meeting &mode", lambda: agenda_ops.meeting_mode(self), "Ctrl+M",
            "One case at a time in the running order, with actions and notes typed as agreed",
        )
        self.attendance_action = self._action("&Attendance…", lambda: agenda_ops.attendance(self))
        self.time_slots_action = self._action(
            "&Time slots…", self._op(agenda_ops.time_slots), tip="Each case's slot in agenda order, back to back"
        )
        self.move_up_action = self._action(
            "Move case &up", lambda: self.run(agenda_ops.move_case, -1), "Ctrl+Shift+Up", "Earlier in the agenda"
        )
        self.move_down_action = self._action(
            "Move case &down", lambda: self.run(agenda_ops.move_case, 1), "Ctrl+Shift+Down", "Later in the agenda"
        )
        self.move_meeting_action = self._action(
            "Move case to another m&eeting…", self._op(agenda_ops.move_to_meeting)
        )
        self.case_notes_action = self._action(
            "&Case notes…", lambda: case_ops.case_notes(self), "Ctrl+Shift+K",
            "The coordinator's notes on this case (not in the pack unless asked)",
        )
        self.profile_action = self._action("S&witch profile…", self.switch_profile)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.back_action = self._action("&Back to meeting", self.show_meeting_page, "Alt+Left")
        self.refresh_action = self._action("&Reload", self.refresh, QKeySequence.StandardKey.Refresh)
        self.tab_actions = []
        for number in range(1, 6):
            action = self._action(
                f"Case tab {number}", lambda _c=False, n=number: self._show_tab(n - 1), f"Ctrl+{number}"
            )
            self.tab_actions.append(action)
            self.addAction(action)
        self.audit_action = self._action("&Audit trail…", self.show_audit)
        self.statistics_action = self._action(
            "S&tatistics…", lambda: statistics_ops.show_statistics(self), "Ctrl+Shift+T",
            "The quarterly Marac return: cases, repeats, referrals and diversity beside the national figures",
        )
        self.actions_action = self._action(
            "A&ctions…", lambda: actions_ops.show_actions(self), "Ctrl+Shift+A",
            "The actions agreed at a meeting, or every open one: status, overdue, tracking form",
        )
        self.find_person_action = self._action(
            "Find a &person in every case…", self.find_person, "Ctrl+Shift+F", "Search names, aliases, dates of birth"
        )
        # Next and previous case tab, as in browsers and office software.
        self.next_tab_action = self._action("Next tab", lambda: self._step_tab(1))
        self.next_tab_action.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previous_tab_action = self._action("Previous tab", lambda: self._step_tab(-1))
        self.previous_tab_action.setShortcuts([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")])
        for action in (self.next_tab_action, self.previous_tab_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        for action in (
            self.new_meeting_action,
            self.edit_meeting_action,
            None,
            self.new_case_action,
            self.edit_case_action,
            None,
            self.import_action,
            self.export_action,
            self.minutes_action,
            self.export_chronology_action,
            self.templates_action,
            None,
            self.print_action,
            self.print_preview_action,
            None,
            self.profile_action,
            None,
            self.quit_action,
        ):
            self.file_menu.addSeparator() if action is None else self.file_menu.addAction(action)
        self.edit_menu = bar.addMenu("&Edit")
        for action in (
            self.new_entry_action,
            self.open_entry_action,
            self.history_action,
            self.withdraw_action,
            self.find_action,
            self.find_person_action,
            None,
            self.dash_action,
            self.case_notes_action,
        ):
            self.edit_menu.addSeparator() if action is None else self.edit_menu.addAction(action)
        self.meeting_menu = bar.addMenu("Meetin&g")
        for action in (
            self.meeting_mode_action,
            self.attendance_action,
            self.time_slots_action,
            None,
            self.move_up_action,
            self.move_down_action,
            self.move_meeting_action,
        ):
            self.meeting_menu.addSeparator() if action is None else self.meeting_menu.addAction(action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.back_action)
        self.view_menu.addAction(self.refresh_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.audit_action)
        self.view_menu.addAction(self.statistics_action)
        self.view_menu.addAction(self.actions_action)
        self.view_menu.addAction(settings_action(self))
        self.help_menu = bar.addMenu("&Help")
        self.about_action = self._action("&About Marac Prep", self.about)
        self.help_menu.addAction(self.about_action)

    def _connect(self) -> None:
        self.new_meeting_button.clicked.connect(self._op(meeting_ops.new_meeting))
        self.meeting_view.case_activated.connect(self.open_case)
        self.meeting_view.overdue_requested.connect(
            lambda: actions_ops.show_actions(self, overdue_only=True, every_open=True))
        self.case_view.back_requested.connect(self.show_meeting_page)
        self.case_view.chronology.entry_activated.connect(self.open_entry)
        chronology = self.case_view.chronology
        chronology.history_requested.connect(lambda entry_id: entry_ops.show_history(self, entry_id))
        chronology.withdraw_requested.connect(lambda entry_id: self.run(entry_ops.withdraw_entry, entry_id))
        chronology.may_withdraw = lambda row: self.may("edit_entry", row.agency_id)  # type: ignore[method-assign]
        returns = self.case_view.returns
        returns.action_requested.connect(lambda ids, status: returns_ops.record_returns(self, ids, status))
        returns.note_requested.connect(lambda agency_id: self.run(returns_ops.edit_note, agency_id))
        returns.undo_requested.connect(lambda: returns_ops.undo_return(self))
        self.case_view.findings.review_requested.connect(
            lambda finding, note: self.run(findings_ops.review_finding, finding, note)
        )
        self.case_view.loaded.connect(self._on_case_loaded)
        self.case_view.load_failed.connect(lambda exc: report_error(self, exc, doing="open the case"))
        self.stack.currentChanged.connect(lambda _i: self._update_actions())
        entry_button = QPushButton("New entry", self.case_view)
        entry_button.setToolTip("Add a chronology entry (Ctrl+N)")
        entry_button.clicked.connect(self._op(entry_ops.new_entry))
        dash_button = QPushButton("Dash checklist", self.case_view)
        dash_button.clicked.connect(self._op(case_ops.dash_checklist))
        self.case_view.heading_actions.addWidget(entry_button)
        self.person_search.search_requested.connect(self.search_people)
        self.case_view.other_cases.may_decide = lambda: self.may("link_people")
        self.case_view.other_cases.decision_requested.connect(
            lambda person_id, other_id, same: self.run(people_ops.decide_match, person_id, other_id, same)
        )
        self.case_view.other_cases.case_requested.connect(self.open_case)
        self.case_view.heading_actions.addWidget(dash_button)
        self._case_buttons = {"edit_entry": entry_button, "record_risk_assessment": dash_button}

    def _integrate_panels(self) -> None:
        """Wires the panels other parts of the app provide: the meeting's gap matrix, …"""
        self._matrix_op: BackgroundOp | None = None
        self.gap_matrix.case_activated.connect(self.open_case)
        self.gap_matrix.return_activated.connect(self.open_return)

    def _load_gap_matrix(self, meeting_id: int | None) -> None:
        from marac_prep.ui.background import BackgroundOp
        from marac_prep.ui.gap_matrix import load_matrix_rows

        if self._matrix_op is not None:
            self._matrix_op.dispose()
            self._matrix_op = None
        if meeting_id is None:
            self.gap_matrix.set_rows([])
            self.matrix_loaded.emit()
            return

        def work(session: Any, progress: Progress) -> list[GapMatrixRow]:
            progress(0, 0, "Checking the meeting's agency returns…")
            return load_matrix_rows(session, meeting_id)

        op = BackgroundOp.read_op(self, self.database, work, label="Checking the meeting's agency returns…")
        op.finished.connect(self._on_matrix_loaded)
        op.failed.connect(lambda exc: report_error(self, exc, doing="check the meeting's returns"))
        self._matrix_op = op.start()

    def refresh_gap_matrix(self) -> None:
        """Reads the shown meeting's gap matrix again (the chosen cell stays)."""
        self._load_gap_matrix(self._shown_meeting_id)

    def _on_matrix_loaded(self, rows: list[GapMatrixRow]) -> None:
        self.gap_matrix.set_rows(rows)
        self.matrix_loaded.emit()

    def open_return(self, case_id: int, agency_id: int) -> None:
        """Opens a case on its returns tab with one agency chosen (from the gap matrix)."""

        def show_return(_snapshot: object) -> None:
            self.case_view.tabs.setCurrentWidget(self.case_view.returns)
            self.case_view.returns.select_agency(agency_id)

        if not case_ops.audit_opening(self, case_id):
            return
        op = self.case_view.load(case_id)
        op.finished.connect(show_return)

    # ----- who am I ---------------------------------------------------------------------------
    def set_actor(self, actor: User) -> None:
        from marac_prep.core.reference import agencies_by_id
        from marac_prep.ui.profile_dialog import ROLE_LABELS

        self.actor = actor
        with self.database.read_session() as session:
            self._agencies = agencies_by_id(session)
        agency = self._agencies.get(actor.agency_id or -1)
        self.who.setText(
            f"{actor.name} · {ROLE_LABELS.get(actor.role, actor.role)}" + (f" · {agency.name}" if agency else "")
        )
        if self.idle_lock is not None:  # the new profile's own proof unlocks the screen now
            from marac_prep.core.identity import unlock_check

            self.idle_lock.verify = unlock_check(self.database, actor)
        if self.case_view.snapshot is not None:
            self.case_view.show_snapshot(self.case_view.snapshot)
        self._update_actions()

    def agency(self, agency_id: int) -> Agency | None:
        return self._agencies.get(agency_id)

    def may(self, action: str, agency_id: int | None = None) -> bool:
        """Whether to offer `action`: the role allows it and the database can be written.

        Exports count too: they write an audit event, which a read-only database refuses.
        """
        from marac_prep.core.permissions import allowed

        return self.attached and not self.database.read_only and allowed(self.actor, action, agency_id=agency_id)

    def _may_some_agency(self, action: str) -> bool:
        return any(self.may(action, a) for a in self._agencies)

    def _may_edit_some_entry(self) -> bool:
        return self._may_some_agency("edit_entry")

    def _update_actions(self) -> None:
        from marac_prep.core.permissions import allowed

        if not self.attached:
            return
        in_case = self.stack.currentWidget() is self.case_view and self.case_view.snapshot is not None
        may_meeting = self.may("manage_meeting")
        may_case = self.may("manage_case")
        self.new_meeting_action.setEnabled(may_meeting)
        self.new_meeting_button.setEnabled(may_meeting)
        self.edit_meeting_action.setEnabled(may_meeting and self.current_meeting_id() is not None)
        self.new_case_action.setEnabled(may_case)
        self.edit_case_action.setEnabled(may_case and (in_case or self.meeting_view.current_case_id() is not None))
        may_entry = in_case and self._may_edit_some_entry()
        may_dash = in_case and self._may_some_agency("record_risk_assessment")
        self.new_entry_action.setEnabled(may_entry)
        self.dash_action.setEnabled(may_dash)
        self._case_buttons["edit_entry"].setEnabled(may_entry)
        self._case_buttons["record_risk_assessment"].setEnabled(may_dash)
        self.open_entry_action.setEnabled(in_case)
        has_meeting = self.current_meeting_id() is not None
        may_export = has_meeting and self.may("export")
        self.export_action.setEnabled(may_export)
        self.minutes_action.setEnabled(may_export)
        self.meeting_mode_action.setEnabled(has_meeting)
        self.attendance_action.setEnabled(has_meeting)
        for action in (self.move_up_action, self.move_down_action):
            action.setEnabled(has_meeting and may_meeting and not in_case)
        self._update_move_meeting_action(has_meeting and may_meeting and may_case)
        self.time_slots_action.setEnabled(has_meeting and may_meeting)
        self.case_notes_action.setEnabled(
            allowed(self.actor, "case_notes") and (in_case or self.meeting_view.current_case_id() is not None)
        )
        self.export_chronology_action.setEnabled(may_export)
        self.templates_action.setEnabled(may_export)
        self.import_action.setEnabled(has_meeting and self._may_some_agency("import"))
        self.audit_action.setEnabled(allowed(self.actor, "view_audit"))
        self.statistics_action.setEnabled(self.attached and allowed(self.actor, "view_statistics"))
        self.actions_action.setEnabled(self.attached)
        self.case_view.findings.set_may_review(in_case and self.may("review_finding"))
        self.find_action.setEnabled(in_case)
        for action in (self.print_action, self.print_preview_action, self.history_action):
            action.setEnabled(in_case)
        self.withdraw_action.setEnabled(in_case and self._may_edit_some_entry())
        self.back_action.setEnabled(in_case)

    def _update_move_meeting_action(self, may_move: bool) -> None:
        """Enabled only when there is somewhere to move the case to; the status tip says why not."""
        action = self.move_meeting_action
        if may_move and not agenda_ops.other_upcoming_meetings(self):
            action.setEnabled(False)
            action.setStatusTip(agenda_ops.NO_OTHER_MEETING)
            return
        action.setEnabled(may_move)
        action.setStatusTip("Onto another upcoming meeting's agenda, last in its running order")

    def switch_profile(self) -> None:
        from marac_prep.ui.profile_dialog import ProfileDialog

        user = ProfileDialog.choose_profile(self, self.database)
        if user is not None:
            if self.meeting_mode is not None and self.meeting_mode.isVisible():
                self.meeting_mode.close()  # it records as the profile that opened it
            self.set_actor(user)
            self.statusBar().showMessage(f"Now acting as {user.name}.", 5000)

    # ----- meetings ---------------------------------------------------------------------------
    def current_meeting_id(self) -> int | None:
        from marac_prep.ui.meeting_view import ID_ROLE

        if not self.attached:
            return None
        index = self.meetings.currentIndex()
        return int(index.data(ID_ROLE)) if index.isValid() else None

    def refresh_meetings(self, select_id: int | None = None) -> None:
        from marac_prep.ui.meeting_view import load_meeting_lines

        select_id = select_id if select_id is not None else self.current_meeting_id()
        with self.database.read_session() as session:
            lines = load_meeting_lines(session)
        self.meetings_model.set_lines(lines)
        row = self.meetings_model.row_of(select_id) if select_id is not None else -1
        if row < 0 and lines:
            row = 0
        before = self.current_meeting_id()
        if row >= 0:
            self.meetings.setCurrentIndex(self.meetings_model.index(row))
        if self.current_meeting_id() == before or row < 0:
            # A changed selection already showed the meeting (through _on_meeting_changed).
            self.show_current_meeting()

    def show_current_meeting(self) -> None:
        """Shows the chosen meeting; its case list is read off the GUI thread (see `CaseListLoader`)."""
        from marac_prep.ui.meeting_view import meeting_of

        meeting_id = self.current_meeting_id()
        meeting = meeting_of(self.meetings_model.lines, meeting_id)
        # Once, and saying where the user is: the meeting, and the workspace file.
        where = f"Marac meeting {meeting.title} – " if meeting is not None else ""
        self.setWindowTitle(f"Marac Prep – {where}{self.database.location}")
        # The matrix first: its read runs while the case list's is waited for (both off the GUI thread).
        self._load_gap_matrix(meeting_id)
        self.meeting_view.show_overdue(self.overdue_actions())
        if meeting_id is None:
            self._shown_meeting_id = None
            self.meeting_view.show_meeting(None, [])
        else:
            # The same meeting refreshed behind an open case (after a save): nobody is looking at
            # the list, so the GUI thread does not wait for it; its old rows stay until the new come.
            behind = meeting_id == self._shown_meeting_id and self.stack.currentWidget() is not self.meeting_view
            if meeting_id != self._shown_meeting_id:  # another meeting: no stale rows, no "0 cases"
                self.meeting_view.show_loading(meeting)
            self._shown_meeting_id = meeting_id
            # The rows now if quick, else on arrival (_on_case_lines).
            self.case_list.load(meeting_id, wait=not behind)
        self._update_actions()

    def overdue_actions(self) -> int:
        """Every meeting's overdue actions (a single count), for the meeting page's link."""
        from marac_prep.core.actions import count_overdue

        try:
            with self.database.read_session() as session:
                return count_overdue(session)
        except MaracError:
            return 0  # the count is a pointer; the Actions window reports a failed read itself

    def _on_case_lines(self, meeting_id: int, cases: list[Any]) -> None:
        from marac_prep.ui.meeting_view import meeting_of

        if meeting_id != self.current_meeting_id():  # the user has moved on: not this meeting's rows
            return
        self.meeting_view.show_meeting(meeting_of(self.meetings_model.lines, meeting_id), cases)
        self._update_actions()

    def _on_meeting_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        # The same meeting selected again (the list was re-read): the open case stays on screen.
        same = self.current_meeting_id() == self._shown_meeting_id
        self.show_current_meeting()
        if not same:
            self.show_meeting_page()

    def show_meeting_page(self) -> None:
        self.stack.setCurrentWidget(self.meeting_view)
        self.meeting_view.table.setFocus()

    # ----- cases ------------------------------------------------------------------------------
    def open_case_id(self) -> int | None:
        """The case open on the right (None while the meeting is shown)."""
        return self.case_view.case_id if self.stack.currentWidget() is self.case_view else None

    def open_case_reference(self) -> str | None:
        snapshot = self.case_view.snapshot
        return snapshot.case_file.case.reference if self.open_case_id() is not None and snapshot else None

    def open_case(self, case_id: int) -> None:
        if not case_ops.audit_opening(self, case_id):
            return
        self.statusBar().showMessage("Opening the case…")
        self.case_view.load(case_id)

    def find_person(self) -> None:
        """Ctrl+Shift+F: the navigator's person search box."""
        self.person_search.setFocus()
        self.person_search.selectAll()

    def search_people(self, text: str) -> None:
        from marac_prep.ui.person_search import show_search

        self.person_search_dialog = show_search(self, self.database, text, self.open_case)

    def _on_case_loaded(self, snapshot: CaseSnapshot) -> None:
        if self.return_undo is not None and self.return_undo.case_id != snapshot.case_id:
            self.set_return_undo(None)  # undo belongs to the case it was made on
        self.stack.setCurrentWidget(self.case_view)
        self.statusBar().showMessage(f"{len(snapshot.rows):,} chronology entries loaded.", 5000)
        self._update_actions()

    def refresh(self) -> None:
        self.apply(Changes(meetings=True, case=True))

    def _step_tab(self, step: int) -> None:
        if self.attached and self.stack.currentWidget() is self.case_view:
            tabs = self.case_view.tabs
            tabs.setCurrentIndex((tabs.currentIndex() + step) % tabs.count())

    def _show_tab(self, index: int) -> None:
        if self.stack.currentWidget() is self.case_view and index < self.case_view.tabs.count():
            self.case_view.tabs.setCurrentIndex(index)

    # ----- entries ----------------------------------------------------------------------------
    def find(self) -> None:
        if self.stack.currentWidget() is self.case_view:
            self.case_view.tabs.setCurrentWidget(self.case_view.chronology)
            self.case_view.chronology.focus_search()

    def _for_current_entry(self, operation: Callable[..., Changes | None]) -> None:
        entry_id = self.case_view.chronology.current_entry_id()
        if entry_id is not None and self.open_case_id() is not None:
            self.run(operation, entry_id)

    def open_current_entry(self) -> None:
        entry_id = self.case_view.chronology.current_entry_id()
        if entry_id is not None:
            self.open_entry(entry_id)

    def open_entry(self, entry_id: int) -> None:
        self.run(entry_ops.open_entry, entry_id)

    # ----- returns ----------------------------------------------------------------------------
    def record_return(self, agency_id: int, status: str) -> None:
        returns_ops.record_return(self, agency_id, status)

    def set_return_undo(self, undo: ReturnUndo | None) -> None:
        """The return change the returns tab's Undo button takes back (one step)."""
        self.return_undo = undo
        self.case_view.returns.set_undo(undo.description if undo else None)

    # ----- other panels -----------------------------------------------------------------------
    def keep_op(self, op: BackgroundOp | None) -> None:
        """Keeps a running export alive until it ends (closing the window waits for it)."""
        if op is not None:
            self._export_ops.keep(op)

    def announce(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Override QWidget.dragEnterEvent.
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Override QWidget.dropEvent.
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        interchange_ops.import_dropped(self, paths)

    def show_audit(self) -> None:
        from marac_prep.ui.audit_view import AuditView
        from marac_prep.ui.forms import fit_window

        view = AuditView(self.database, self.actor)
        view.setWindowTitle("Audit trail – Marac Prep")
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_window(view, 1100, 700)
        view.show()
        self._audit_window = view

    def about(self) -> None:
        from marac_prep import __version__

        Messages.info(
            self,
            "About Marac Prep",
            f"Marac Prep {__version__}\nPrepares Marac meetings: a combined multi-agency chronology, "
            "gap analysis and a redacted pre-meeting pack."
            + (f"\nDatabase: {self.database.location}" if self.attached else ""),
        )

    # ----- live updates (ui/live.py) -------------------------------------------------------------
    def _follow_changes(self) -> None:
        """Others' changes (another desk, the command line) appear here as they are committed."""
        from marac_prep.ui.live import LiveRefresh

        self.live = LiveRefresh(self)
        self.live.start()

    # ----- state ------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self._settings.value("window/geometry") if self._settings.contains("window/geometry") else None
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)

    def _restore_frame_state(self) -> None:
        """The splitter and the case list's columns as left (before the first screen fills them)."""
        splitter = self._settings.value("window/splitter") if self._settings.contains("window/splitter") else None
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        self.meeting_view.restore_state(self._settings)

    def _restore_view_state(self) -> None:
        self.case_view.chronology.restore_state(self._settings)

    def save_state(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        if not self.attached:
            self._settings.sync()
            return
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self.case_view.chronology.save_state(self._settings)
        self.meeting_view.save_state(self._settings)
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent.
        if self.meeting_mode is not None and self.meeting_mode.isVisible() and not self.meeting_mode.close():
            event.ignore()  # meeting mode kept a note it could not save: the user sees why there
            return
        self.agenda_timer.stop()
        if self.attached:
            self.case_view.reanalyse_timer.stop()
            self.live.stop()
        if not self.attached:  # closed before a workspace was opened: nothing else to keep
            self.save_state()
            event.accept()
            return
        for op in (self.case_view.op, self._matrix_op, *self.case_view.analysis_ops, *self._export_ops):
            if op is not None:
                op.wait()
        self.case_list.wait()
        self.save_state()
        self.make_rolling_backup()
        event.accept()

    def make_rolling_backup(self) -> None:
        """The rolling backup taken on close; a failure is logged and shown briefly, never blocks quitting."""
        from marac_prep.core.backup import rolling_backup

        if not self.database.is_sqlite or self.database.read_only:
            return
        try:
            made = rolling_backup(self.database)
        except Exception as exc:  # Any failure: quitting must still work.
            detail = str(exc) if isinstance(exc, MaracError) else "the details are in the log file"
            log.error("rolling backup on close failed with %s", exc.__class__.__name__,
                      exc_info=None if isinstance(exc, MaracError) else (type(exc), exc, None))
            self.backup_error = f"The backup made on closing failed: {detail}"
            self.statusBar().showMessage(self.backup_error)
            if self.isVisible() and self.BACKUP_FAILURE_PAUSE_MS > 0:
                # Long enough to read; a timer-bounded loop, so the close still goes ahead.
                loop = QEventLoop(self)
                QTimer.singleShot(self.BACKUP_FAILURE_PAUSE_MS, loop.quit)
                loop.exec()
            return
        if made is not None:
            log.info("rolling backup made on close")
