"""Reads a meeting's case list off the GUI thread (issue 17, "Never freeze").

The case lines (victims, returns progress, repeat findings from matching everyone on the
agenda) take a few queries and the person matcher; on a large workspace or a busy database
that is longer than a window may stand still. The read runs in a `BackgroundOp`; the GUI
thread waits for it at most `WAIT_MS`, so a quick read still shows its rows at once (no
"Loading…" flash), and a slow one arrives later while the meeting page says "Loading…".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from marac_prep.ui.background import BackgroundOp, Progress

if TYPE_CHECKING:
    from marac_prep.core.db import Database


class CaseListLoader(QObject):
    """Loads one meeting's `CaseLine`s at a time; a newer request supersedes an older one.

    Signals:
        loaded(int, object): the meeting id and its list of `CaseLine`, in the GUI thread.
        failed(object): the exception the read raised, in the GUI thread.
    """

    loaded = Signal(int, object)
    failed = Signal(object)
    # The longest the GUI thread waits before leaving the read to arrive on its own: below what
    # people notice as a pause, above what a meeting's read takes on an ordinary workspace.
    WAIT_MS = 250
    LABEL = "Loading the meeting's cases…"

    def __init__(self, parent: QWidget, database: Database) -> None:
        super().__init__(parent)
        self._parent = parent
        self._database = database
        self._op: BackgroundOp | None = None
        self._retired: list[BackgroundOp] = []  # older reads still running: freed when they end
        self._request = 0  # which load is the latest: an older one's rows are never shown

    @property
    def running(self) -> bool:
        return self._op is not None and self._op.running

    def load(self, meeting_id: int, *, wait: bool = True) -> bool:
        """Starts reading the meeting's case lines; True when they were delivered before returning.

        With `wait` False the GUI thread does not wait at all (a refresh nobody is looking at)."""
        from marac_prep.ui.meeting_view import load_case_lines

        self._request += 1
        request = self._request

        def work(session: Any, _progress: Progress) -> Any:
            return load_case_lines(session, meeting_id)

        op = BackgroundOp.read_op(self._parent, self._database, work, label=self.LABEL)
        op.finished.connect(lambda lines: self._on_finished(request, meeting_id, lines))
        op.failed.connect(lambda exc: self._on_failed(request, exc))
        previous, self._op = self._op, op
        if previous is not None:
            self._retire(previous)
        op.start()
        return op.finish_within(self.WAIT_MS) if wait else False

    def wait(self) -> None:
        """Blocks until every running read ends (closing the window)."""
        for op in (*self._retired, self._op):
            if op is not None:
                op.wait()

    def _retire(self, op: BackgroundOp) -> None:
        """An older read: its rows are dropped; it is freed once it ends, never waited for here."""
        if not op.running:
            op.dispose()
            return
        self._retired.append(op)

        def free(_result: object) -> None:
            if op in self._retired:
                self._retired.remove(op)
                op.dispose()

        op.finished.connect(free)
        op.failed.connect(free)

    def _on_finished(self, request: int, meeting_id: int, lines: object) -> None:
        if request == self._request:
            self.loaded.emit(meeting_id, lines)

    def _on_failed(self, request: int, exc: object) -> None:
        if request == self._request:
            self.failed.emit(exc)
