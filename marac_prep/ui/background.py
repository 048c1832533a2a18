"""Long work off the GUI thread: one small helper, like Anki's CollectionOp."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.text import plain_label

if TYPE_CHECKING:  # the main window builds its RunningOps before the data stack is loaded
    from marac_prep.core.db import Database

log = logging.getLogger("marac_prep.ui")

# The worker's progress callback: (done, total, what is being done).
Progress = Callable[[int, int, str], None]


class _Runner(QThread):
    """Runs the work; its signals are delivered to the GUI thread (queued), never touching widgets."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)

    def __init__(self, work: Callable[[Progress], Any], parent: QObject) -> None:
        super().__init__(parent)
        self._work = work

    def run(self) -> None:  # Override QThread.run.
        try:
            result = self._work(self.progressed.emit)
        except MaracError as exc:
            self.failed.emit(exc)
        except Exception as exc:  # Reported as a plain sentence in the GUI thread, never a traceback.
            log.error("background work failed with %s", exc.__class__.__name__, exc_info=(type(exc), exc, None))
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class BackgroundOp(QObject):
    """Runs `work(progress)` on a worker thread with a progress dialog over `parent`.

    The work gets its own read session from `database` (via `read_op`) and returns plain data.

    Signals:
        finished(object): the work's result, in the GUI thread.
        failed(object): the exception it raised, in the GUI thread.
    """

    finished = Signal(object)
    failed = Signal(object)
    # Shown only if the work takes longer than this, so quick loads do not flash a dialog.
    SHOW_AFTER_MS = 400

    def __init__(self, parent: QWidget, work: Callable[[Progress], Any], *, label: str) -> None:
        super().__init__(parent)
        # The thread object belongs to this op, so it lives exactly as long as the op does.
        self._runner = _Runner(work, self)
        self.progress = QProgressDialog(label, "", 0, 0, parent)
        # Its own label would read markup in the text, which may quote a file name.
        self.progress.setLabel(plain_label(label))
        self.progress.setWindowTitle("Marac Prep")
        self.progress.setCancelButton(None)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(self.SHOW_AFTER_MS)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.setAccessibleName(label)
        self._runner.progressed.connect(self._on_progress)
        self._runner.succeeded.connect(self._on_succeeded)
        self._runner.failed.connect(self._on_failed)

    @classmethod
    def read_op(
        cls, parent: QWidget, database: Database, work: Callable[[Any, Progress], Any], *, label: str
    ) -> BackgroundOp:
        """An op whose work is `work(read_session, progress)` in a session of its own."""

        def in_session(progress: Progress) -> Any:
            with database.read_session() as session:
                return work(session, progress)

        return cls(parent, in_session, label=label)

    @classmethod
    def write_op(
        cls, parent: QWidget, database: Database, work: Callable[[Any, Progress], Any], *, label: str
    ) -> BackgroundOp:
        """An op whose work is `work(session, progress)` in a short write session of its own: the
        GUI thread never waits on the database's busy timeout while another desk writes."""

        def in_session(progress: Progress) -> Any:
            progress(0, 0, label)
            with database.session() as session:
                return work(session, progress)

        return cls(parent, in_session, label=label)

    def start(self) -> BackgroundOp:
        self.progress.setValue(0)
        self._runner.start()
        return self

    @property
    def running(self) -> bool:
        return self._runner.isRunning()

    def wait(self) -> None:
        """Blocks until the work ends (for closing the window or rendering screenshots)."""
        self._runner.wait()

    def finish_within(self, ms: int) -> bool:
        """Waits at most `ms` for the work; if it ended, its result (or failure) is delivered now.

        For a read that is usually quick: the GUI thread waits a bounded time and shows the result
        without an in-between "Loading…" state; a slow read (a busy database, a large workspace)
        is left to arrive later through `finished` while the window stays responsive.
        """
        if not self._runner.wait(ms):
            return False
        # The worker's signals are queued to this object: deliver them now rather than on a later turn.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return True

    def dispose(self) -> None:
        """Waits for the thread to end, then frees the op (a running QThread must not be deleted)."""
        self._runner.wait()
        self.deleteLater()

    def _on_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setMaximum(max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)
        if what:
            self.progress.setLabelText(what)

    def _finish(self) -> None:
        self.progress.reset()
        self.progress.hide()
        self.progress.deleteLater()

    def _on_succeeded(self, result: object) -> None:
        self._finish()
        self.finished.emit(result)

    def _on_failed(self, exc: object) -> None:
        self._finish()
        self.failed.emit(exc)


class RunningOps:
    """The background ops a window has started and not yet seen end.

    Each op is kept until it ends (a running QThread must not be freed), then let go: waited for
    and freed with the window (`dispose=False`, for windows deleted on close, where a deferred
    delete would race the window's own deletion), or freed at once (`dispose=True`). Closing the
    window calls `wait`. Empty (false) when nothing runs.
    """

    def __init__(self, *, dispose: bool = False) -> None:
        self._ops: list[BackgroundOp] = []
        self._dispose = dispose

    def keep(self, op: BackgroundOp) -> BackgroundOp:
        """Keeps `op` until it finishes or fails (connect its own handlers first); `op` again."""
        self._ops.append(op)
        op.finished.connect(lambda _result: self._forget(op))
        op.failed.connect(lambda _exc: self._forget(op))
        return op

    def wait(self) -> None:
        """Blocks until every kept op has ended (closing the window, tests)."""
        for op in list(self._ops):
            op.wait()

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[BackgroundOp]:
        return iter(list(self._ops))

    def _forget(self, op: BackgroundOp) -> None:
        if op in self._ops:
            self._ops.remove(op)
            if self._dispose:
                op.dispose()
            else:
                op.wait()


def export_op(
    parent: QWidget, database: Database, work: Callable[[Any, Progress], Any], *, label: str, title: str,
    said: Callable[[Any], str], doing: str, keep: Callable[[BackgroundOp], object],
) -> BackgroundOp:
    """Writes a file off the GUI thread (`work(session, progress)` in a write session of its own),
    kept by `keep` while it runs; then says `said(result)` in a message titled `title`, or the
    failure as a sentence ("… while trying to `doing`")."""
    op = BackgroundOp.write_op(parent, database, work, label=label)
    op.finished.connect(lambda result: Messages.info(parent, title, said(result)))
    op.failed.connect(lambda exc: report_error(parent, exc, doing=doing))
    keep(op)
    return op.start()
