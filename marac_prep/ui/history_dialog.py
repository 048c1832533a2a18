"""An entry's history: each version, who made it, when, and what changed, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget
from sqlmodel import Session, select

from marac_prep.core.chronology import entry_history, get_entry
from marac_prep.core.db import Database
from marac_prep.core.models import Agency, User
from marac_prep.core.vocabulary import event_type_label, risk_indicator_label
from marac_prep.ui.forms import fit_to_screen
from marac_prep.ui.text import plain_label

# The fields a reader cares about, in the order they are described.
_FIELDS = {
    "event_date": "date",
    "date_precision": "date precision",
    "event_time": "time",
    "agency_id": "agency",
    "event_type": "event type",
    "summary": "summary",
    "detail": "detail",
    "fact_or_opinion": "fact or opinion",
    "risk_indicators": "risk indicators",
    "risk_level": "risk level",
    "source_ref": "source reference",
    "recorded_by": "recorded by",
    "shareable": "may be shared",
    "withheld_reason": "withheld because",
}


@dataclass(frozen=True)
class HistoryStep:
    """One version of an entry: its number, who saved it, when, and what it changed."""

    version: int
    who: str
    when: str
    changes: tuple[str, ...]


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d %b %Y %H:%M") if isinstance(value, datetime) else ""


def _words(field: str, value: Any, agencies: dict[int, str]) -> str:
    if value in (None, "", []):
        return "(empty)"
    if field == "agency_id":
        return agencies.get(int(value), f"agency {value}")
    if field == "event_type":
        return event_type_label(str(value))
    if field == "risk_indicators":
        return ", ".join(risk_indicator_label(str(v)) for v in value)
    if field == "shareable":
        return "yes" if value else "no (withheld)"
    return " ".join(str(value).split())


def history_steps(states: list[dict[str, Any]], users: dict[int, str], agencies: dict[int, str]) -> list[HistoryStep]:
    """Each state (earliest first, the current entry last) as a step saying what it changed."""
    steps = []
    for number, state in enumerate(states):
        first = number == 0
        who_id = state.get("created_by_id") if first else state.get("updated_by_id")
        when = state.get("created_at") if first else state.get("updated_at")
        changes: list[str] = []
        if first:
            changes.append("Entry added.")
        else:
            before = states[number - 1]
            for field, label in _FIELDS.items():
                if before.get(field) != state.get(field):
                    old, new = _words(field, before.get(field), agencies), _words(field, state.get(field), agencies)
                    changes.append(f"Changed the {label} from “{old}” to “{new}”.")
        if state.get("withdrawn_at") and not (not first and states[number - 1].get("withdrawn_at")):
            who_id = state.get("withdrawn_by_id") or who_id
            when = state.get("withdrawn_at")
            changes.append(f"Withdrew the entry: {state.get('withdrawn_reason') or 'no reason given'}.")
        if not changes:
            changes.append("Saved without changes a reader would see.")
        who = users.get(int(who_id), "someone") if who_id is not None else "someone"
        steps.append(HistoryStep(int(state.get("version") or number + 1), who, _when(when), tuple(changes)))
    return steps


def load_history(session: Session, entry_id: int) -> list[HistoryStep]:
    entry = get_entry(session, entry_id)
    states = [v.snapshot for v in entry_history(session, entry_id)]
    states.append(entry.model_dump(mode="json"))
    users = {u.id or 0: u.name for u in session.exec(select(User)).all()}
    agencies = {a.id or 0: a.name for a in session.exec(select(Agency)).all()}
    return history_steps(states, users, agencies)


def history_text(steps: list[HistoryStep]) -> str:
    blocks = []
    for step in reversed(steps):  # the newest first: that is what a reader checks
        lines = [f"Version {step.version} · {step.who} · {step.when}"]
        lines += [f"  {change}" for change in step.changes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class HistoryDialog(QDialog):
    """Shows an entry's versions, newest first (read only)."""

    def __init__(self, database: Database, entry_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        with database.read_session() as session:
            self.steps = load_history(session, entry_id)
            entry = get_entry(session, entry_id)
        self.setWindowTitle(f"History of the entry of {entry.partial_date.display()}")
        intro = plain_label(
            f"{len(self.steps)} version(s), the newest first: who saved each, when, and what it changed.", self
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Versions of the entry")
        self.text.setPlainText(history_text(self.steps))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        fit_to_screen(self)
        self.resize(self.size().expandedTo(QSize(720, 480)).boundedTo(self.maximumSize()))

    @classmethod
    def show_history(cls, parent: QWidget | None, database: Database, entry_id: int) -> None:
        """Shows the dialog modally; tests replace this."""
        cls(database, entry_id, parent).exec()
