"""Agency return operations: mark requested, record a chase, nothing known, declined, the note, undo.

Each action changes only what it means (see `core.returns.set_return`), asks before replacing an
agency's answer, runs off the GUI thread, and can be undone once (the returns tab's Undo button).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QInputDialog, QWidget

from marac_prep.core.vocabulary import ANSWERED_STATUSES, RETURN_STATUS_LABELS
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.core.returns import ReturnState
    from marac_prep.ui.main_window import MainWindow
    from marac_prep.ui.returns_panel import ReturnLine

STATUS_WORDS = {
    "requested": "marked as requested",
    "chased": "chased",
    "nothing_known": "recorded as nothing known",
    "declined": "recorded as declined",
}


class ReturnInputs:
    """What the user types for a return; classmethods so tests can answer without a dialog."""

    @classmethod
    def declined_reason(cls, parent: QWidget | None, agency: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(
            parent, "Declined", f"Why did {agency} decline to share its information?", ""
        )
        return text if ok else None

    @classmethod
    def note(cls, parent: QWidget | None, agency: str, current: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(parent, "Return note", f"Note on {agency}'s return:", current)
        return text if ok else None


@dataclass(frozen=True)
class ReturnUndo:
    """One return change that can be undone: each agency's state before it and its version after.

    Attributes:
        case_id: the case the change was made on.
        description: what is undone, for the Undo button's tooltip and the status bar.
        steps: (agency id, state before, version after) for each agency changed.
    """

    case_id: int
    description: str
    steps: tuple[tuple[int, ReturnState, int], ...]


def _names(lines: list[ReturnLine]) -> str:
    names = [line.agency_name for line in lines]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def record_returns(window: MainWindow, agency_ids: list[int], status: str) -> None:
    """Sets the return of each agency in `agency_ids` on the open case to `status`, today."""
    from marac_prep.core.returns import set_return
    from marac_prep.ui.background import BackgroundOp

    case_id = window.case_view.case_id
    panel = window.case_view.returns
    lines = [line for line in panel.model.lines if line.agency_id in agency_ids]
    if case_id is None or not lines:
        return
    # Declining is not an answer the meeting can use, but it is the agency's word: asked too.
    replaced = [
        line for line in lines if line.status in (*ANSWERED_STATUSES, "declined") and line.status != status
    ]
    if replaced:
        answers = "; ".join(
            f"{line.agency_name}: {RETURN_STATUS_LABELS.get(line.status, line.status)}" for line in replaced
        )
        if not Messages.ask(
            window,
            "Replace the answer?",
            f"{_names(replaced)} already answered ({answers}). Marking {STATUS_WORDS[status].split()[-1]} "
            "replaces that answer and clears its returned date. You can undo this afterwards.",
            yes="Replace the answer",
            no="Keep the answer",
        ):
            return
    note: str | None = None
    if status == "declined":
        note = ReturnInputs.declined_reason(window, _names(lines))
        if note is None:
            return
        if not note.strip():
            Messages.info(window, "Declined", "Nothing was recorded: say why the agency declined.")
            return
    actor = window.actor
    wanted = [(line.agency_id, line.version) for line in lines]

    def work(session: Any, _progress: object) -> ReturnUndo:
        from marac_prep.core.returns import return_state

        steps = []
        for agency_id, version in wanted:
            before: ReturnState = return_state(session, case_id=case_id, agency_id=agency_id)
            record = set_return(
                session,
                actor=actor,
                case_id=case_id,
                agency_id=agency_id,
                status=status,
                note=note,
                expected_version=version,
            )
            steps.append((agency_id, before, record.version))
        return ReturnUndo(case_id, f"{_names(lines)} {STATUS_WORDS.get(status, status)}", tuple(steps))

    def done(undo: ReturnUndo) -> None:
        window.set_return_undo(undo)
        window.apply(
            Changes(agenda=True, case=True, select_agency=lines[0].agency_id, message=f"{undo.description}.")
        )

    def failed(exc: object) -> None:
        report_error(window, exc if isinstance(exc, BaseException) else RuntimeError(), doing="record the return")
        window.apply(Changes(agenda=True, case=True))  # some agencies may have been changed before the failure

    op = BackgroundOp.write_op(window, window.database, work, label="Recording the return…")
    op.finished.connect(done)
    op.failed.connect(failed)
    window.keep_op(op.start())


def record_return(window: MainWindow, agency_id: int, status: str) -> None:
    record_returns(window, [agency_id], status)


def undo_return(window: MainWindow) -> None:
    """Puts the returns changed by the last return action back as they were."""
    from marac_prep.core.returns import restore_return
    from marac_prep.ui.background import BackgroundOp

    undo = window.return_undo
    if undo is None or undo.case_id != window.case_view.case_id:
        return
    actor = window.actor

    def work(session: Any, _progress: object) -> None:
        for agency_id, state, version in undo.steps:
            restore_return(
                session, actor=actor, case_id=undo.case_id, agency_id=agency_id, state=state, expected_version=version
            )

    def done(_result: object) -> None:
        window.set_return_undo(None)
        window.apply(Changes(agenda=True, case=True, message=f"Undone: {undo.description}."))

    op = BackgroundOp.write_op(window, window.database, work, label="Undoing…")
    op.finished.connect(done)
    op.failed.connect(lambda exc: report_error(window, exc, doing="undo the return change"))
    window.keep_op(op.start())


def edit_note(window: MainWindow, agency_id: int) -> Changes | None:
    """The return's note (e.g. what the agency said, or why it declined)."""
    from marac_prep.core.errors import MaracError
    from marac_prep.core.returns import set_return_note

    case_id = window.case_view.case_id
    line = next((li for li in window.case_view.returns.model.lines if li.agency_id == agency_id), None)
    if case_id is None or line is None:
        return None
    note = ReturnInputs.note(window, line.agency_name, line.note)
    if note is None or note.strip() == line.note.strip():
        return None
    try:
        with window.database.interactive_session() as session:
            set_return_note(
                session,
                actor=window.actor,
                case_id=case_id,
                agency_id=agency_id,
                note=note,
                expected_version=line.version,
            )
    except MaracError as exc:
        report_error(window, exc, doing="save the note")
        return None
    return Changes(case=True, select_agency=agency_id, message=f"Note on {line.agency_name}'s return saved.")
