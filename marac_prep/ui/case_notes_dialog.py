"""The coordinator's notes on a case: read, add, change and remove them (each change audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.case_notes import NOTE_LIMIT, add_case_note, case_notes, remove_case_note, update_case_note
from marac_prep.core.cases import get_case
from marac_prep.core.db import Database
from marac_prep.core.models import User
from marac_prep.ui.forms import fit_to_screen, inline_error, run_modal, saving, show_inline
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.messages import Messages
from marac_prep.ui.text import plain_label


@dataclass(frozen=True)
class NoteLine:
    note_id: int
    version: int
    written: datetime
    author: str
    text: str


class CaseNoteTableModel(LineTableModel):
    """The case's notes, oldest first; the text on one line (the editor below shows it whole)."""

    COLUMNS = ("Written", "By", "Note")

    @staticmethod
    def _display(line: NoteLine, column: int) -> str:
        return (f"{line.written.astimezone():%d/%m/%Y %H:%M}", line.author, " ".join(line.text.split()))[column]

    def _tooltip_text(self, line: NoteLine, column: int) -> str:
        return line.text


class CaseNotesDialog(QDialog):
    """A coordinator's working notes on one case: never in a pack unless the export asks for them."""

    def __init__(self, database: Database, actor: User, *, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self._case_id = database, actor, case_id
        with database.read_session() as session:
            reference = get_case(session, case_id).reference
            case_notes(session, actor=actor, case_id=case_id)  # refused here, before any window, if not allowed
        self.setWindowTitle(f"Case notes – {reference}")
        self.model = CaseNoteTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Case notes")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.editor = QPlainTextEdit(self)
        self.editor.setAccessibleName("Note")
        self.editor.setPlaceholderText("A working note for the coordinator; not in the pack unless asked")
        self.editor.setTabChangesFocus(True)
        editor_label = QLabel("&Note", self)
        editor_label.setBuddy(self.editor)
        self.add_button = QPushButton("&Add as a new note", self)
        self.update_button = QPushButton("&Update selected", self)
        self.remove_button = QPushButton("&Remove selected", self)
        self.error = inline_error(self)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.error, 1)
        buttons_row.addStretch(0)
        buttons_row.addWidget(self.remove_button)
        buttons_row.addWidget(self.update_button)
        buttons_row.addWidget(self.add_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("Coordinator's notes on this case. They stay out of the pack unless "
                                     "Export pack is asked to include them.", self, name="fieldHint"))
        layout.addWidget(self.table, 2)
        # An empty table says what to do next.
        self.empty = plain_label("No notes on this case yet: write one below and press Add as a new note.",
                                 self, name="fieldHint")
        layout.addWidget(self.empty)
        layout.addWidget(editor_label)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons_row)
        layout.addWidget(close)
        self.add_button.clicked.connect(self.add_note)
        self.update_button.clicked.connect(self.update_note)
        self.remove_button.clicked.connect(self.remove_note)
        self.table.selectionModel().currentRowChanged.connect(self._on_selected)
        editable = not database.read_only
        for widget in (self.editor, self.add_button, self.update_button, self.remove_button):
            widget.setEnabled(editable)
        self.reload()
        fit_to_screen(self)
        # Room for the table's columns when the screen has it (fit_to_screen caps the size at the screen).
        self.resize(min(max(self.width(), 720), self.maximumWidth()),
                    min(max(self.height(), 520), self.maximumHeight()))

    def reload(self, select_id: int | None = None) -> None:
        with self._database.read_session() as session:
            notes = case_notes(session, actor=self._actor, case_id=self._case_id)
        self.model.set_lines(NoteLine(note_id=n.id or 0, version=n.version, written=n.created_at,
                                      author=n.author_name, text=n.text) for n in notes)
        self.empty.setVisible(not self.model.lines)
        for row, line in enumerate(self.model.lines):
            if line.note_id == select_id:
                self.table.selectRow(row)
        self._on_selected()

    def selected(self) -> NoteLine | None:
        index = self.table.currentIndex()
        return self.model.lines[index.row()] if index.isValid() else None

    def _on_selected(self, *_args: object) -> None:
        line = self.selected()
        self.update_button.setEnabled(line is not None and not self._database.read_only)
        self.remove_button.setEnabled(line is not None and not self._database.read_only)
        if line is not None:
            self.editor.setPlainText(line.text)

    def _save(self, doing: str, work: object) -> bool:
        show_inline(self.error, "")
        if len(self.editor.toPlainText()) > NOTE_LIMIT:
            show_inline(self.error, f"The note is too long; keep it under {NOTE_LIMIT:,} characters.")
            return False
        with saving(self, self.error, doing=doing, accept=False) as saved, self._database.session() as session:
            note_id = work(session)  # type: ignore[operator]
        if not saved.ok:
            return False
        self.reload(select_id=note_id)
        return True

    def add_note(self) -> bool:
        text = self.editor.toPlainText()
        ok = self._save("add the note", lambda s: add_case_note(
            s, actor=self._actor, case_id=self._case_id, text=text).id)
        if ok:
            self.table.clearSelection()
            self.table.setCurrentIndex(self.model.index(len(self.model.lines) - 1, 0))
        return ok

    def update_note(self) -> bool:
        line = self.selected()
        if line is None:
            show_inline(self.error, "Choose the note to change first.")
            return False
        text = self.editor.toPlainText()
        return self._save("change the note", lambda s: update_case_note(
            s, actor=self._actor, note_id=line.note_id, expected_version=line.version, text=text).id)

    def remove_note(self) -> bool:
        line = self.selected()
        if line is None:
            show_inline(self.error, "Choose the note to remove first.")
            return False
        if not Messages.ask(self, "Remove note", "Remove this note? The audit trail keeps that it existed.",
                            yes="Remove", no="Keep"):
            return False
        ok = self._save("remove the note", lambda s: remove_case_note(s, actor=self._actor, note_id=line.note_id))
        if ok:
            self.editor.clear()
        return ok

    @classmethod
    def edit_notes(cls, parent: QWidget | None, database: Database, actor: User, *, case_id: int) -> None:
        """Shows the dialog modally. Tests replace this."""
        run_modal(parent, lambda: cls(database, actor, case_id=case_id, parent=parent), doing="show the case notes")
