"""The Audit view: the trail filtered by user, case, action and date, exported as CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlmodel import col, select

from marac_prep.core.audit import (
    AuditFilter,
    actions_in_trail,
    export_events,
    find_events,
    users_in_trail,
    verify_chain,
    verify_row_states,
)
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.models import Agency, AuditEvent, Case, User
from marac_prep.core.permissions import allowed
from marac_prep.core.vocabulary import RETURN_STATUS_LABELS
from marac_prep.ui.background import BackgroundOp, Progress, RunningOps
from marac_prep.ui.messages import Messages, report_error

EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
USER_ID_ROLE = Qt.ItemDataRole.UserRole + 2
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 3
ACTION_ROLE = Qt.ItemDataRole.UserRole + 4
DAY_ROLE = Qt.ItemDataRole.UserRole + 5
# Events read per page (off the GUI thread); older pages follow as the user scrolls down or
# presses "Load older events". The CSV export is not limited.
PAGE_SIZE = 2_000
COLUMNS = ("When", "User", "Agency", "Action", "Case", "Record", "Details")

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


class AuditTableModel(QAbstractTableModel):
    """Adapts audit events already loaded (detached) to a table; it never opens a session."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._events: list[AuditEvent] = []
        self._references: dict[int, str] = {}
        self.agency_names: dict[int, str] = {}

    def set_events(self, events: list[AuditEvent], references: dict[int, str]) -> None:
        self.beginResetModel()
        self._events = list(events)
        self._references = dict(references)
        self.endResetModel()

    def add_events(self, events: list[AuditEvent], references: dict[int, str]) -> None:
        """Appends the next (older) page below the rows already shown."""
        if not events:
            return
        self._references.update(references)
        first = len(self._events)
        self.beginInsertRows(_ROOT, first, first + len(events) - 1)
        self._events.extend(events)
        self.endInsertRows()

    def event_at(self, row: int) -> AuditEvent:
        return self._events[row]

    @property
    def oldest_id(self) -> int | None:
        return self._events[-1].id if self._events else None

    def rowCount(self, parent: _Index = _ROOT) -> int:  # Override QAbstractItemModel.rowCount.
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # Override QAbstractItemModel.columnCount.
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Override QAbstractItemModel.headerData.
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Override QAbstractItemModel.data.
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event = self._events[index.row()]
        if role == EVENT_ID_ROLE:
            return event.id
        if role == USER_ID_ROLE:
            return event.user_id
        if role == CASE_ID_ROLE:
            return event.case_id
        if role == ACTION_ROLE:
            return event.action
        if role == DAY_ROLE:
            return _local(event.occurred_at).date()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(event, index.column())
        return None

    def _display(self, event: AuditEvent, column: int) -> str:
        if column == 0:
            return _local(event.occurred_at).strftime("%d/%m/%Y %H:%M:%S")
        if column == 1:
            return event.user_name
        if column == 2:
            return event.agency_name
        if column == 3:
            return event.action
        if column == 4:
            return self._references.get(event.case_id, "") if event.case_id is not None else ""
        if column == 5:
            return f"{event.object_type} {event.object_id}" if event.object_id is not None else event.object_type
        return details_in_words(event.action, event.details, self.agency_names)


_FIELD_WORDS = {
    "event_date": "date", "event_type": "event type", "summary": "summary", "detail": "detail",
    "agency_id": "agency", "risk_indicators": "risk indicators", "shareable": "sharing",
    "withheld_reason": "reason for withholding", "source_ref": "source reference", "recorded_by": "recorded by",
    "dash_score": "Dash score", "criteria": "referral criteria", "meeting_id": "meeting",
}


def _words(value: Any) -> str:
    if isinstance(value, str):
        return RETURN_STATUS_LABELS.get(value) or value.replace("_", " ")
    return str(value)


def details_in_words(action: str, details: dict[str, Any], agencies: dict[int, str] | None = None) -> str:
    """An event's details as a sentence ("Set Housing's return to Nothing known"), not key: value pairs."""
    agencies = agencies or {}
    agency = agencies.get(int(details["agency_id"])) if isinstance(details.get("agency_id"), int) else None
    whose = f"{agency}'s" if agency else "the agency's"
    if "fields" in details:
        fields = [_FIELD_WORDS.get(str(f), str(f).replace("_", " ")) for f in details["fields"]]
        return "Changed the " + ", ".join(fields) + "." if fields else "Saved without changes."
    if action == "return.restored":
        before, after = _words(details.get("from")), _words(details.get("status"))
        return f"Undid a change to {whose} return: {before} back to {after}."
    if action == "return.note":
        return f"Changed the note on {whose} return."
    if action == "return.set" and "status" in details:
        return f"Set {whose} return to {_words(details['status'])}."
    if {"name", "old", "new"} <= details.keys():
        return f"Changed the setting {details['name']} from {details['old']} to {details['new']}."
    if details.get("what") == "chronology":
        scope = "shareable entries only" if details.get("shareable_only") else "withheld entries included"
        return f"Exported the chronology: {details.get('rows')} rows from {details.get('cases')} case(s), {scope}."
    if "score" in details:
        return f"Dash score {details['score']} ({details.get('level') or 'level not given'})."
    if (meeting_words := _meeting_words(action, details, agency)) is not None:
        return meeting_words
    return "; ".join(f"{str(k).replace('_', ' ')}: {_words(v)}" for k, v in sorted(details.items()))


def _meeting_words(action: str, details: dict[str, Any], agency: str | None) -> str | None:
    """The meeting's own events (issue 18), profiles and the demo, in words; None for others."""
    if action == "hearing.reorder":
        return f"Changed the running order of {len(details.get('cases') or [])} cases."
    if action == "hearing.slots":
        return f"Planned time slots for {details.get('cases')} cases from {details.get('start')}, " \
               f"{details.get('minutes')} minutes each."
    if action == "attendance.record":
        return f"Recorded a {_words(details.get('role'))} as {_words(details.get('attendance'))}."
    if action == "attendance.remove":
        return "Removed a line from the attendance."
    if action == "action.create":
        return f"Added an action for {agency or 'an agency'}."
    if action == "action.status":
        return f"Set the action's status to {_words(details.get('status'))}."
    if action in ("minutes.export", "statistics.export"):
        what = "minutes" if action == "minutes.export" else f"statistics for {details.get('quarter')}"
        locked = ", password-protected" if details.get("encrypted") else ""
        return f"Exported the {what} ({details.get('pages')} pages{locked})."
    if action == "user.create":
        proofs = [words for key, words in (("os_account", "their account on this computer"),
                                           ("passphrase", "a passphrase"), ("db_login", "a database login"))
                  if details.get(key)]
        from marac_prep.ui.profile_dialog import ROLE_LABELS

        role = ROLE_LABELS.get(str(details.get("role")), _words(details.get("role")))
        return f"Created a profile: {role}" + (f" at {agency}" if agency else "") + \
               (f", proved by {' and '.join(proofs)}." if proofs else ".")
    if action == "demo.generate":
        return f"Made the fictional demo workspace: {details.get('cases')} cases, {details.get('entries')} entries."
    return None


class AuditFilterProxyModel(QSortFilterProxyModel):
    """Keeps the rows matching an `AuditFilter` (user, case, action, from/to day)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._where = AuditFilter()

    @property
    def where(self) -> AuditFilter:
        return self._where

    def set_filter(self, where: AuditFilter) -> None:
        self.beginFilterChange()
        self._where = where
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        # Override QSortFilterProxyModel.filterAcceptsRow.
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        where = self._where
        if where.user_id is not None and model.data(index, USER_ID_ROLE) != where.user_id:
            return False
        if where.case_id is not None and model.data(index, CASE_ID_ROLE) != where.case_id:
            return False
        if where.action and model.data(index, ACTION_ROLE) != where.action:
            return False
        day: date = model.data(index, DAY_ROLE)
        if where.since is not None and day < where.since:
            return False
        return not (where.until is not None and day > where.until)


class AuditView(QWidget):
    """The audit trail for coordinators: filters, the table, Verify and Export CSV.

    Attributes:
        model / proxy: the table model and its filter.

    Signals:
        exported(str, int): a CSV was written (path, number of events).
    """

    exported = Signal(str, int)
    page_loaded = Signal(int)  # rows now loaded
    verified = Signal(bool)  # the chain and the rows checked out (True) or not

    def __init__(self, database: Database, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor
        self.model = AuditTableModel(self)
        self.proxy = AuditFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        self.notice = QLabel(self)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        filters = QHBoxLayout()
        self.user_filter = QComboBox(self)
        self.case_filter = QComboBox(self)
        self.action_filter = QComboBox(self)
        self.since_check = QCheckBox("From", self)
        self.since_edit = QDateEdit(self)
        self.until_check = QCheckBox("To", self)
        self.until_edit = QDateEdit(self)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setDate(QDate.currentDate())
            edit.setEnabled(False)
        for label, widget in (("User", self.user_filter), ("Case", self.case_filter), ("Action", self.action_filter)):
            caption = QLabel(label, self)
            caption.setTextFormat(Qt.TextFormat.PlainText)
            filters.addWidget(caption)
            filters.addWidget(widget, 1)
        for check, edit in ((self.since_check, self.since_edit), (self.until_check, self.until_edit)):
            filters.addWidget(check)
            filters.addWidget(edit)
        layout.addLayout(filters)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        buttons.addWidget(self.count_label, 1)
        self.more_button = QPushButton("Load older events", self)
        self.more_button.setEnabled(False)
        buttons.addWidget(self.more_button)
        self.refresh_button = QPushButton("Refresh", self)
        self.verify_button = QPushButton("Verify the trail", self)
        self.export_button = QPushButton("Export CSV…", self)
        for button in (self.refresh_button, self.verify_button, self.export_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.more_button.clicked.connect(self.load_more)
        self.table.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.refresh_button.clicked.connect(self.reload)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.export_csv)
        for combo in (self.user_filter, self.case_filter, self.action_filter):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        for check, edit in ((self.since_check, self.since_edit), (self.until_check, self.until_edit)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._on_filter_changed)
            edit.dateChanged.connect(self._on_filter_changed)
        self.has_more = False
        self.loading = False
        self._ops = RunningOps()
        self.reload()

    @classmethod
    def ask_export_path(cls, parent: QWidget | None) -> Path | None:
        """Asks where to save the CSV (tests replace this)."""
        name, _ = QFileDialog.getSaveFileName(parent, "Export the audit trail", "audit-trail.csv", "CSV files (*.csv)")
        return Path(name) if name else None

    @property
    def may_view(self) -> bool:
        return allowed(self.actor, "view_audit")

    def reload(self) -> None:
        """Loads the newest page of events and the filter choices off the GUI thread."""
        enabled = self.may_view
        for widget in (self.table, self.user_filter, self.case_filter, self.action_filter, self.since_check,
                       self.until_check, self.refresh_button, self.verify_button, self.export_button):
            widget.setEnabled(enabled)
        self.since_edit.setEnabled(enabled and self.since_check.isChecked())
        self.until_edit.setEnabled(enabled and self.until_check.isChecked())
        if not enabled:
            self.notice.setText("Only a coordinator can see the audit trail.")
            self.notice.show()
            self.model.set_events([], {})
            self.has_more = False
            self.more_button.setEnabled(False)
            self._update_count()
            return
        self.notice.hide()
        actor = self.actor

        def work(session: Any, progress: Progress) -> dict[str, Any]:
            progress(0, 0, "Reading the audit trail…")
            events = find_events(session, actor=actor, limit=PAGE_SIZE + 1)
            return {
                "events": events,
                "references": {c.id: c.reference for c in session.exec(select(Case)).all() if c.id is not None},
                "agencies": {a.id: a.name for a in session.exec(select(Agency)).all() if a.id is not None},
                "users": users_in_trail(session),
                "actions": actions_in_trail(session),
            }

        self.count_label.setText("Loading…")
        self._start(work, self._on_first_page, label="Reading the audit trail…", doing="load the audit trail")

    def load_more(self) -> None:
        """Reads the next older page (off the GUI thread) and appends it."""
        if self.loading or not self.has_more or not self.may_view:
            return
        actor, before = self.actor, self.model.oldest_id

        def work(session: Any, progress: Progress) -> dict[str, Any]:
            progress(0, 0, "Reading older events…")
            events = find_events(session, actor=actor, limit=PAGE_SIZE + 1, before_id=before)
            ids = {e.case_id for e in events if e.case_id is not None}
            cases = session.exec(select(Case).where(col(Case.id).in_(ids))).all() if ids else []
            return {"events": events, "references": {c.id: c.reference for c in cases if c.id is not None}}

        self._start(work, self._on_next_page, label="Reading older events…", doing="load older audit events")

    def _start(self, work: Any, done: Any, *, label: str, doing: str) -> BackgroundOp:
        self.loading = True
        op = BackgroundOp.read_op(self, self.database, work, label=label)
        op.finished.connect(done)
        op.failed.connect(lambda exc: self._failed(exc, doing))
        return self._ops.keep(op).start()

    def _failed(self, exc: object, doing: str) -> None:
        self.loading = False
        self.verify_button.setEnabled(self.may_view)
        report_error(self, exc if isinstance(exc, Exception) else RuntimeError(str(exc)), doing=doing)

    def _page(self, result: dict[str, Any]) -> list[AuditEvent]:
        events: list[AuditEvent] = result["events"]
        self.has_more = len(events) > PAGE_SIZE
        self.more_button.setEnabled(self.has_more)
        return events[:PAGE_SIZE]

    def _on_first_page(self, result: dict[str, Any]) -> None:
        events = self._page(result)
        references = result["references"]
        self.model.agency_names = result["agencies"]
        self.model.set_events(events, references)
        self._fill(self.user_filter, "All users", result["users"])
        used_cases = sorted({e.case_id for e in events if e.case_id is not None}, key=lambda i: references.get(i, ""))
        self._fill(self.case_filter, "All cases", [(i, references.get(i, f"case {i}")) for i in used_cases])
        self._fill(self.action_filter, "All actions", [(a, a) for a in result["actions"]])
        self.loading = False
        self._on_filter_changed()
        self.page_loaded.emit(self.model.rowCount())

    def _on_next_page(self, result: dict[str, Any]) -> None:
        events = self._page(result)
        self.model.add_events(events, result["references"])
        known = {self.case_filter.itemData(i) for i in range(self.case_filter.count())}
        for case_id in dict.fromkeys(e.case_id for e in events if e.case_id is not None and e.case_id not in known):
            self.case_filter.addItem(result["references"].get(case_id, f"case {case_id}"), case_id)
        self.loading = False
        self._update_count()
        self.page_loaded.emit(self.model.rowCount())

    def _on_scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if value >= bar.maximum() - 5 and bar.maximum() > 0:
            self.load_more()

    def wait(self) -> None:
        """Blocks until background reads end (closing the window, tests)."""
        self._ops.wait()

    def closeEvent(self, event: Any) -> None:  # Override QWidget.closeEvent.
        self.wait()
        super().closeEvent(event)

    def _fill(self, combo: QComboBox, everything: str, items: list[tuple[Any, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for value, label in items:
            combo.addItem(label, value)
        found = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(found, 0))
        combo.blockSignals(False)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            user_id=self.user_filter.currentData(),
            case_id=self.case_filter.currentData(),
            action=self.action_filter.currentData(),
            since=self.since_edit.date().toPython() if self.since_check.isChecked() else None,  # type: ignore[arg-type]
            until=self.until_edit.date().toPython() if self.until_check.isChecked() else None,  # type: ignore[arg-type]
        )

    def _on_filter_changed(self, *_args: object) -> None:
        self.proxy.set_filter(self.current_filter())
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        more = " (older events not loaded yet)" if self.has_more else ""
        self.count_label.setText(f"{shown} of {total} events shown{more}")

    def verify(self) -> BackgroundOp:
        """Checks the chain and the rows off the GUI thread, with progress; the answer is shown
        and `verified` emitted when it is known."""

        def work(session: Any, progress: Progress) -> tuple[Any, list[Any]]:
            def step(done: int, total: int) -> None:
                progress(done, total, f"Checking the audit trail: {done:,} of {total:,} events…")

            check = verify_chain(session, progress=step)
            progress(check.count, check.count, "Checking the records against the trail…")
            return check, (verify_row_states(session, limit=5) if check.ok else [])

        self.verify_button.setEnabled(False)
        return self._start(work, self._on_verified, label="Checking the audit trail…", doing="check the audit trail")

    def _on_verified(self, result: tuple[Any, list[Any]]) -> None:
        check, rows = result
        self.loading = False
        self.verify_button.setEnabled(self.may_view)
        if check.ok and rows:
            Messages.error(
                self, "Audit trail",
                f"The {check.count} events check out, but the data does not match the trail: "
                + "; ".join(problem.sentence for problem in rows) + ".",
            )
            self.verified.emit(False)
            return
        if check.ok:
            Messages.info(self, "Audit trail", f"The audit trail checks out: {check.count} events, none altered.")
        else:
            Messages.error(self, "Audit trail", f"The audit trail has been tampered with: {check.reason}.")
        self.verified.emit(check.ok)

    def export_csv(self) -> Path | None:
        """Writes the events matching the filters to a CSV file (audited)."""
        path = self.ask_export_path(self)
        if path is None:
            return None
        try:
            with self.database.interactive_session() as session:
                count = export_events(session, actor=self.actor, path=path, where=self.current_filter())
        except (MaracError, OSError) as exc:
            report_error(self, exc, doing="export the audit trail")
            return None
        self.exported.emit(str(path), count)
        self.reload()
        return path
