"""The Export pack dialog: scope, marking, optional password, destination, progress and cancel."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marac_prep.analysis.language import blaming_matches
from marac_prep.analysis.reading import attach_signals
from marac_prep.core.casefile import load_meeting_files
from marac_prep.core.db import Database
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import User
from marac_prep.core.permissions import allowed
from marac_prep.core.reference import agencies_by_id
from marac_prep.core.settings import current
from marac_prep.pack import PackResult, export_pack
from marac_prep.ui.marked_pdf import MarkedPdfDialog, MarkedPdfRunner, documents_folder
from marac_prep.ui.text import plain_label, tooltip

log = logging.getLogger("marac_prep.ui")
WHOLE_MEETING = ""


@dataclass(frozen=True)
class PhraseWarning:
    """A victim-blaming phrase still in an entry that will go into the pack."""

    case_reference: str
    agency: str
    day: str
    phrase: str
    suggestion: str
    why: str

    def line(self) -> str:
        return f"{self.case_reference} · {self.agency} · {self.day}: “{self.phrase}” – {self.suggestion}"


class PackDialog(MarkedPdfDialog):
    """Exports the pre-Marac pack for a meeting or one of its cases.

    Attributes:
        result: the PackResult once a pack has been written, else None.

    Signals:
        exported(object): the PackResult, after the file is written.
    """

    WHAT = "pack"

    def __init__(self, database: Database, actor: User, *, meeting_id: int, case_reference: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.setWindowTitle("Export pack")
        self.setMinimumWidth(560)
        self._meeting_id = meeting_id
        self.result: PackResult | None = None
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self._meeting_date = meeting.meeting_date
            references, self._warnings = _load_scope(session, meeting_id)
            marking = current(session).default_marking
            recipients = [(a.name, a.short_code) for a in agencies_by_id(session).values() if a.active]

        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Scope")
        self.scope.addItem(f"Whole meeting ({len(references)} case{'s' if len(references) != 1 else ''})",
                           WHOLE_MEETING)
        for reference in references:
            self.scope.addItem(f"One case: {reference}", reference)
        if case_reference:
            index = self.scope.findData(case_reference)
            self.scope.setCurrentIndex(max(index, 0))
        self.recipient = QComboBox(self)
        self.recipient.setAccessibleName("Prepared for")
        self.recipient.addItem("The meeting (no recipient watermark)", None)
        for name, code in sorted(recipients):
            self.recipient.addItem(f"{name}'s representative", code)
        # The coordinator's working notes are not information shared for the meeting: off unless asked.
        self.include_notes = QCheckBox("Include the coordinator's case &notes", self)
        self.include_notes.setToolTip("Left out unless ticked; only a coordinator can include them.")
        self.include_notes.setVisible(allowed(actor, "case_notes"))
        form = self._make_form(marking)
        form.insertRow(0, "&Scope", self.scope)
        form.insertRow(2, "Prepared &for", self.recipient)
        form.insertRow(3, "", self.include_notes)
        for before, after in pairwise((self.scope, self.marking, self.recipient, self.include_notes, self.protect)):
            QWidget.setTabOrder(before, after)  # Tab goes down the rows, the shared ones made first

        self.phrases_title = plain_label("", self, name="phrasesTitle")
        self.phrases_title.setWordWrap(True)
        self.phrases = QListWidget(self)
        self.phrases.setAccessibleName("Victim-blaming phrases still in the entries")
        self.phrases.setWordWrap(True)
        self._make_controls()
        self.progress.setTextVisible(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.phrases_title)
        layout.addWidget(self.phrases, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.scope.currentIndexChanged.connect(self._on_scope_changed)
        self._on_scope_changed()

    # ----- behaviour ---------------------------------------------------------------------------
    def selected_reference(self) -> str | None:
        return self.scope.currentData() or None

    def suggested_name(self) -> str:
        """A file name naming the meeting date or case reference, never a person."""
        reference = self.selected_reference()
        stem = f"marac-pack-{self._meeting_date.isoformat()}"
        if reference:
            stem += "-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in reference)
        return str(documents_folder() / f"{stem}.pdf")

    def _on_scope_changed(self) -> None:
        reference = self.selected_reference()
        warnings = [w for w in self._warnings if reference is None or w.case_reference == reference]
        self.phrases.clear()
        for warning in warnings:
            item = QListWidgetItem(warning.line())
            item.setToolTip(tooltip(warning.why))
            self.phrases.addItem(item)
        if warnings:
            self.phrases_title.setText(
                f"{len(warnings)} phrase{'s' if len(warnings) != 1 else ''} that can read as blaming the victim "
                "will go into the pack as written. You can still export; consider asking the authors to revise."
            )
        else:
            self.phrases_title.setText("No victim-blaming phrases were found in the entries going into the pack.")
        self.phrases.setVisible(bool(warnings))
        current = self.destination.text()
        if not current or Path(current).name.startswith("marac-pack-"):
            self.destination.setText(self.suggested_name())

    def start_export(self) -> bool:
        """Checks the form and starts the export on a worker thread; False if the form is refused."""
        options: dict[str, Any] = {
            "meeting_id": self._meeting_id,
            "destination": self.form.path(),
            "case_reference": self.selected_reference(),
            "marking": self.marking.text(),
            "password": self.form.chosen_password(),
            "for_agency": self.recipient.currentData(),
            "include_notes": self.include_notes.isChecked(),
        }

        def write(session: Any, actor: User, runner: MarkedPdfRunner) -> PackResult:
            return export_pack(session, actor=actor, progress=runner.progressed.emit,
                               cancelled=runner.cancel_event.is_set, **options)

        return self._start(write)

    def _set_running(self, running: bool) -> None:
        super()._set_running(running)
        for widget in (self.scope, self.recipient, self.include_notes):
            widget.setEnabled(not running)
        self.progress.setRange(0, 0)
        self.cancel_button.setText("Stop" if running else "Close")

    def _on_cancel(self) -> None:
        if self.running and self._runner is not None:
            self._runner.cancel_event.set()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Stopping…")
            return
        self.reject()

    def _saved_message(self, result: PackResult) -> tuple[str, str]:
        protected = " It is protected with your password." if result.encrypted else ""
        withheld = (f" {result.withheld} withheld entr{'y was' if result.withheld == 1 else 'ies were'} left out."
                    if result.withheld else "")
        return ("Pack exported",
                f"The pack ({result.pages} pages) was saved as {result.path}.{protected}{withheld}\n\nOpen it now?")

    @classmethod
    def export(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int,
               case_reference: str | None = None) -> PackResult | None:
        """Shows the dialog modally; the PackResult if a pack was written."""
        result: PackResult | None = cls._show_modal(parent, database, actor, meeting_id=meeting_id,
                                                    case_reference=case_reference)
        return result


def _load_scope(session: Any, meeting_id: int) -> tuple[list[str], list[PhraseWarning]]:
    """The meeting's case references and the victim-blaming phrases in its shareable entries
    (from the signals read from each entry's text, kept once read: no re-reading here)."""
    _meeting, files = load_meeting_files(session, meeting_id)
    attach_signals(session, files)
    references: list[str] = []
    warnings: list[PhraseWarning] = []
    for case_file in files:
        references.append(case_file.case.reference)
        for entry in case_file.entries:
            if not entry.shareable:
                continue  # withheld entries are not in the pack
            for match in blaming_matches(case_file.signals.get(entry.id, ())):
                warnings.append(PhraseWarning(
                    case_reference=case_file.case.reference, agency=case_file.agency_name(entry.agency_id),
                    day=entry.partial_date.display(), phrase=match.phrase, suggestion=match.suggestion,
                    why=match.why,
                ))
    return references, warnings
