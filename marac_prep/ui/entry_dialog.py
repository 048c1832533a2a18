"""The chronology entry editor: every field, UK dates, inline validation, conflict-safe saving."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.chronology import add_entry, edit_entry, get_entry
from marac_prep.core.db import Database
from marac_prep.core.entry_rules import SUMMARY_MAX, check_entry
from marac_prep.core.errors import ConflictError, MaracError, PermissionDenied, ValidationError
from marac_prep.core.models import ChronologyEntry, User
from marac_prep.core.permissions import allowed
from marac_prep.core.vocabulary import FACT_OR_OPINION, RISK_LEVELS, SUBJECTS, dash_questions, event_types
from marac_prep.ui.forms import (
    UkDateField,
    add_choice,
    agencies,
    choice,
    clear_when_edited,
    fill_agency_combo,
    fit_to_screen,
    inline_error,
    scrolling,
    select_data,
    show_inline,
)
from marac_prep.ui.language_highlighter import attach_language_highlighter
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.text import plain_label


class EntryDialog(QDialog):
    """Adds or edits one chronology entry.

    Attributes:
        entry: the stored entry being edited (None for a new entry).
        read_only: the user's role does not allow changing this entry.
    """

    def __init__(
        self,
        database: Database,
        actor: User,
        *,
        case_id: int,
        entry_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._database, self._actor, self._case_id = database, actor, case_id
        self.entry: ChronologyEntry | None = None
        self.setWindowTitle("New chronology entry" if entry_id is None else "Chronology entry")
        self.setObjectName("entryDialog")
        with database.read_session() as session:
            self._agencies = agencies(session)
            if entry_id is not None:
                self.entry = get_entry(session, entry_id)
        self._build()
        if self.entry is not None:
            self._fill(self.entry)
        else:
            self._default_agency()
        # A read-only database shows the entry but offers no saving (the services refuse anyway).
        self.withdrawn = self.entry is not None and self.entry.withdrawn_at is not None
        self.read_only = (
            database.read_only
            or self.withdrawn
            or (self.entry is not None and not allowed(actor, "edit_entry", agency_id=self.entry.agency_id))
        )
        if self.read_only:
            self._lock()
        self._saved_state = self._state()
        self._update_counter()
        clear_when_edited(self, self.error)
        fit_to_screen(self, self.body)

    # ----- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = plain_label("", self, name="banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self._build_changed_bar()
        self.agency = QComboBox(self)
        self.agency.setAccessibleName("Agency")
        editable = [a for a in self._agencies if allowed(self._actor, "edit_entry", agency_id=a.id)]
        fill_agency_combo(self.agency, editable if self.entry is None else self._agencies)
        self.date = UkDateField("Date", self)
        self.time = QLineEdit(self)
        self.time.setAccessibleName("Time")
        self.time.setPlaceholderText("HH:MM, optional")
        self.time.setMaximumWidth(120)
        self.sequence = QSpinBox(self)
        self.sequence.setAccessibleName("Order within the day")
        self.sequence.setRange(0, 999)
        self.event_type = QComboBox(self)
        self.event_type.setAccessibleName("Event type")
        for kind in event_types():
            self.event_type.addItem(kind.label, kind.id)
        self.summary = QPlainTextEdit(self)
        self.summary.setAccessibleName("Summary")
        self.summary.setPlaceholderText(
            "A brief factual summary of what happened (the victim's experience, "
            "the perpetrator as the subject of their actions)."
        )
        self.summary.setTabChangesFocus(True)
        self.summary.setFixedHeight(80)
        self.counter = plain_label("", self, name="fieldHint")
        self.detail = QPlainTextEdit(self)
        self.detail.setAccessibleName("Detail")
        self.detail.setTabChangesFocus(True)
        self.detail.setFixedHeight(70)
        self.fact = QComboBox(self)
        self.fact.setAccessibleName("Fact or professional opinion")
        for value in FACT_OR_OPINION:
            self.fact.addItem("Fact" if value == "fact" else "Professional opinion", value)
        self.subjects: dict[str, QCheckBox] = {}
        subjects_row = QHBoxLayout()
        for subject in SUBJECTS:
            box = QCheckBox(subject.capitalize(), self)
            box.setAccessibleName(f"About the {subject}")
            self.subjects[subject] = box
            subjects_row.addWidget(box)
        subjects_row.addStretch(1)
        self.risks = QListWidget(self)
        self.risks.setAccessibleName("Risk indicators")
        for question in dash_questions():
            item = QListWidgetItem(f"{question.number}. {question.label}" + (" ★" if question.high_risk else ""))
            item.setData(Qt.ItemDataRole.UserRole, question.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.risks.addItem(item)
        # All 24 at once, none cut: the dialog's body scrolls instead of the list.
        self.risks.setWordWrap(True)
        self.risks.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.risks.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.risks.setMinimumWidth(self.risks.sizeHintForColumn(0) + 2 * self.risks.frameWidth() + 8)
        self.risks.setMinimumHeight(
            sum(self.risks.sizeHintForRow(row) for row in range(self.risks.count())) + 2 * self.risks.frameWidth() + 4
        )
        self.risk_level = QComboBox(self)
        self.risk_level.setAccessibleName("Risk level given")
        add_choice(self.risk_level, "—", None)
        for level in RISK_LEVELS:
            self.risk_level.addItem(level.capitalize(), level)
        self.referred_to = QComboBox(self)
        self.referred_to.setAccessibleName("Referred to agency")
        fill_agency_combo(self.referred_to, self._agencies, none_label="—")
        self.source_ref = QLineEdit(self)
        self.source_ref.setAccessibleName("Source record reference")
        self.recorded_by = QLineEdit(self)
        self.recorded_by.setAccessibleName("Recorded by")
        self.shareable = QCheckBox("May be shared at the Marac", self)
        self.shareable.setChecked(True)
        self.withheld_reason = QLineEdit(self)
        self.withheld_reason.setAccessibleName("Why it is withheld")
        self.withheld_reason.setPlaceholderText("Why this entry may not be shared")
        # Says in words, next to the box, what unticking it means.
        self.withheld_notice = plain_label(
            "Withheld: this entry stays in the chronology for your agency and the coordinator, but is "
            "left out of the pack and of shareable exports.",
            self,
            name="withheldNotice",
        )
        self.withheld_notice.setWordWrap(True)
        self.withheld_notice.hide()
        self.error = inline_error(self)

        left = QFormLayout()
        left.addRow("&Agency", self.agency)
        left.addRow("&Date", self.date)
        when = QHBoxLayout()
        when.addWidget(self.time)
        when.addWidget(QLabel("Order in day", self))
        when.addWidget(self.sequence)
        when.addStretch(1)
        time_label = QLabel("Ti&me", self)
        time_label.setBuddy(self.time)
        left.addRow(time_label, when)
        left.addRow("&Event type", self.event_type)
        left.addRow("&Summary", self.summary)
        left.addRow("", self.counter)
        left.addRow("De&tail", self.detail)
        left.addRow("About", subjects_row)
        left.addRow("&Fact or opinion", self.fact)
        right = QFormLayout()
        right.addRow("Risk &indicators", self.risks)
        right.addRow("Risk &level", self.risk_level)
        right.addRow("Referred t&o", self.referred_to)
        right.addRow("Source &reference", self.source_ref)
        right.addRow("Recorded &by", self.recorded_by)
        right.addRow("", self.shareable)
        right.addRow("&Withheld because", self.withheld_reason)
        right.addRow("", self.withheld_notice)
        left_column, right_column = QVBoxLayout(), QVBoxLayout()
        left_column.addLayout(left)
        left_column.addStretch(1)
        right_column.addLayout(right)
        right_column.addStretch(1)
        grid = QGridLayout()
        grid.addLayout(left_column, 0, 0)
        grid.addLayout(right_column, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.changed_bar)
        layout.addWidget(self.banner)
        self.body = scrolling(self, grid)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.summary.textChanged.connect(self._update_counter)
        # Victim-blaming phrases are underlined with a suggestion; the author's words are never changed.
        self.highlighters = [attach_language_highlighter(self.summary), attach_language_highlighter(self.detail)]
        self.shareable.toggled.connect(self._on_shareable_toggled)
        self._on_shareable_toggled(self.shareable.isChecked())

    def _build_changed_bar(self) -> None:
        """A bar, not a message box: someone else saved this entry while it is open here."""
        self.changed_bar = QFrame(self)
        self.changed_bar.setObjectName("changedBar")
        self.changed_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.changed_bar.setStyleSheet("#changedBar { background: #fff2b3; border: 1px solid #c9a227; }")
        self.changed_text = plain_label("", self.changed_bar, name="changedText")
        self.changed_text.setWordWrap(True)
        self.reload_button = QPushButton("Reload", self.changed_bar)
        self.reload_button.setToolTip("Show their version; what you typed here is replaced.")
        self.reload_button.clicked.connect(self._reload_from_bar)
        row = QHBoxLayout(self.changed_bar)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.changed_text, 1)
        row.addWidget(self.reload_button)
        self.changed_bar.hide()

    def show_changed_elsewhere(self, who: str, when: datetime) -> None:
        """Says, before Save, that `who` changed this entry at `when` (the version check at Save stays)."""
        self.changed_text.setText(f"Changed by {who or 'someone else'} at {when.astimezone():%H:%M} – reload?")
        self.changed_text.setAccessibleName(self.changed_text.text())
        self.changed_bar.show()

    def _reload_from_bar(self) -> None:
        self.reload()
        self.changed_bar.hide()

    def _on_shareable_toggled(self, shareable: bool) -> None:
        """The reason is asked for exactly when the entry is withheld."""
        self.withheld_reason.setEnabled(not shareable and not getattr(self, "read_only", False))
        self.withheld_notice.setVisible(not shareable)
        if not shareable and self.isVisible() and self.withheld_reason.isEnabled():
            self.withheld_reason.setFocus()

    def _default_agency(self) -> None:
        if self._actor.agency_id is not None:
            select_data(self.agency, self._actor.agency_id)
        self.recorded_by.setText(self._actor.name)

    def _fill(self, entry: ChronologyEntry) -> None:
        select_data(self.agency, entry.agency_id)
        self.date.set_partial(entry.partial_date)
        self.time.setText(entry.event_time or "")
        self.sequence.setValue(entry.sequence)
        select_data(self.event_type, entry.event_type)
        self.summary.setPlainText(entry.summary)
        self.detail.setPlainText(entry.detail)
        select_data(self.fact, entry.fact_or_opinion)
        for subject, box in self.subjects.items():
            box.setChecked(subject in entry.subjects)
        for row in range(self.risks.count()):
            item = self.risks.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in entry.risk_indicators
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        select_data(self.risk_level, entry.risk_level)
        select_data(self.referred_to, entry.referred_to_agency_id)
        self.source_ref.setText(entry.source_ref)
        self.recorded_by.setText(entry.recorded_by)
        self.shareable.setChecked(entry.shareable)
        self.withheld_reason.setText(entry.withheld_reason)
        self._on_shareable_toggled(entry.shareable)
        withheld = " – withheld" if not entry.shareable else ""
        self.setWindowTitle(f"Chronology entry – {entry.partial_date.display()} (version {entry.version}){withheld}")

    def _lock(self) -> None:
        agency = next((a.name for a in self._agencies if self.entry and a.id == self.entry.agency_id), "another agency")
        if self.withdrawn and self.entry is not None:
            self.banner.setText(
                f"This entry was withdrawn ({self.entry.withdrawn_reason or 'no reason given'}). "
                "It is kept on record and can be read, but no longer changed."
            )
        elif self._database.read_only:
            self.banner.setText("You can read this entry. The database is open read-only, so changes cannot be saved.")
        else:
            self.banner.setText(
                f"You can read this entry. It belongs to {agency}, and your profile "
                f"({self._actor.role.replace('_', ' ')}) cannot change it."
            )
        self.banner.show()
        for widget in (
            self.agency,
            self.date.edit,
            self.time,
            self.sequence,
            self.event_type,
            self.fact,
            self.risk_level,
            self.referred_to,
            self.source_ref,
            self.recorded_by,
            self.shareable,
            self.withheld_reason,
            *self.subjects.values(),
        ):
            widget.setEnabled(False)
        for widget in (self.summary, self.detail):
            # Read-only rather than disabled, so the text can still be selected and copied.
            widget.setReadOnly(True)
            # The stylesheet's [readOnly="true"] grey applies only when the widget is polished again.
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.risks.setEnabled(False)
        self.save_button.setEnabled(False)
        self.save_button.hide()  # nothing to save: the only way out is Close
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Close")
        cancel.setDefault(True)
        self.setWindowTitle(self.windowTitle() + " – read only")

    # ----- state ----------------------------------------------------------------------------
    def _checked_risks(self) -> list[str]:
        return [
            str(self.risks.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.risks.count())
            if self.risks.item(row).checkState() == Qt.CheckState.Checked
        ]

    def _state(self) -> tuple[Any, ...]:
        return (
            choice(self.agency),
            self.date.text(),
            self.time.text(),
            self.sequence.value(),
            choice(self.event_type),
            self.summary.toPlainText(),
            self.detail.toPlainText(),
            choice(self.fact),
            tuple(s for s, b in self.subjects.items() if b.isChecked()),
            tuple(self._checked_risks()),
            choice(self.risk_level),
            choice(self.referred_to),
            self.source_ref.text(),
            self.recorded_by.text(),
            self.shareable.isChecked(),
            self.withheld_reason.text(),
        )

    @property
    def dirty(self) -> bool:
        return self._state() != self._saved_state

    def _update_counter(self) -> None:
        length = len(self.summary.toPlainText().strip())
        self.counter.setText(f"{length} of {SUMMARY_MAX} characters")
        self.counter.setObjectName("inlineError" if length > SUMMARY_MAX else "fieldHint")
        self.counter.style().unpolish(self.counter)
        self.counter.style().polish(self.counter)

    def fields(self) -> dict[str, Any]:
        """The form as service fields; raises `ValidationError` for a date that cannot be read."""
        return {
            "date": self.date.partial(),
            "event_time": self.time.text(),
            "sequence": self.sequence.value(),
            "event_type": choice(self.event_type),
            "summary": self.summary.toPlainText(),
            "detail": self.detail.toPlainText(),
            "fact_or_opinion": choice(self.fact),
            "subjects": [s for s, b in self.subjects.items() if b.isChecked()],
            "risk_indicators": self._checked_risks(),
            "risk_level": choice(self.risk_level),
            "referred_to_agency_id": choice(self.referred_to),
            "source_ref": self.source_ref.text(),
            "recorded_by": self.recorded_by.text(),
            "shareable": self.shareable.isChecked(),
            "withheld_reason": self.withheld_reason.text(),
        }

    # ----- actions --------------------------------------------------------------------------
    def save(self) -> bool:
        """Saves through the services; on a problem, says so and keeps everything typed."""
        show_inline(self.error, "")
        agency_id = choice(self.agency)
        try:
            fields = self.fields()
            if agency_id is None:
                raise ValidationError("Choose the agency this entry belongs to.")
            # Every broken rule at once, before the services refuse the first (core.entry_rules).
            check_entry(
                event_type=fields["event_type"], summary=fields["summary"], shareable=fields["shareable"],
                withheld_reason=fields["withheld_reason"],
                has_referred_agency=fields["referred_to_agency_id"] is not None,
            )
            if not self._may_replace_nothing_known(agency_id):
                return False
            with self._database.interactive_session() as session:
                if self.entry is None:
                    saved = add_entry(session, actor=self._actor, case_id=self._case_id, agency_id=agency_id, **fields)
                else:
                    saved = edit_entry(
                        session,
                        actor=self._actor,
                        entry_id=self.entry.id or 0,
                        expected_version=self.entry.version,
                        agency_id=agency_id,
                        **fields,
                    )
        except ValidationError as exc:
            show_inline(self.error, str(exc))
            return False
        except ConflictError as exc:
            self._on_conflict(exc)
            return False
        except PermissionDenied as exc:
            show_inline(self.error, str(exc))
            report_error(self, exc, doing="save the entry")
            return False
        except MaracError as exc:
            report_error(self, exc, doing="save the entry")
            return False
        self.entry = saved
        self._saved_state = self._state()
        self.accept()
        return True

    def _may_replace_nothing_known(self, agency_id: int) -> bool:
        """An entry from an agency that answered "nothing known" turns that answer into "returned":
        asked first, since the answer may have been the agency's considered reply."""
        from marac_prep.core.returns import return_state

        if self.entry is not None and self.entry.agency_id == agency_id:
            return True
        with self._database.read_session() as session:
            status = return_state(session, case_id=self._case_id, agency_id=agency_id).status
        if status != "nothing_known":
            return True
        agency = next((a.name for a in self._agencies if a.id == agency_id), "This agency")
        return Messages.ask(
            self,
            "The agency said nothing known",
            f"{agency} answered \"nothing known\" for this case. Saving this entry changes its answer to "
            "\"returned with information\".",
            yes="Save and change the answer",
            no="Keep editing",
        )

    def _on_conflict(self, exc: ConflictError) -> None:
        show_inline(self.error, str(exc))
        if Messages.ask(
            self,
            "Changed by someone else",
            f"{exc}\n\nReload shows their version; what you typed here will be replaced. "
            "Keep editing leaves your text in the form so you can copy it first.",
            yes="Reload their version",
            no="Keep editing",
        ):
            self.reload()

    def reload(self) -> None:
        if self.entry is None:
            return
        with self._database.read_session() as session:
            self.entry = get_entry(session, self.entry.id or 0)
        self._fill(self.entry)
        self._saved_state = self._state()
        show_inline(self.error, "")

    def _may_close(self) -> bool:
        if not self.dirty or self.read_only:
            return True
        return Messages.ask(
            self,
            "Unsaved changes",
            "This entry has changes that are not saved. Discard them?",
            yes="Discard changes",
            no="Keep editing",
        )

    def reject(self) -> None:  # Override QDialog.reject (Escape and Cancel).
        if self._may_close():
            self._saved_state = self._state()
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent.
        if self._may_close():
            self._saved_state = self._state()
            event.accept()
        else:
            event.ignore()

    @classmethod
    def open_entry(
        cls, parent: QWidget | None, database: Database, actor: User, *, case_id: int, entry_id: int | None = None
    ) -> int | None:
        """Shows the dialog modally; the saved entry's id, or None. Tests replace this."""
        dialog = cls(database, actor, case_id=case_id, entry_id=entry_id, parent=parent)
        saved = dialog.exec() == QDialog.DialogCode.Accepted
        return dialog.entry.id if saved and dialog.entry is not None else None
