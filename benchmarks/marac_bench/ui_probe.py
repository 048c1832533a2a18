"""Runs in a fresh process (QT_QPA_PLATFORM=offscreen) and reports one UI measurement as JSON.

    python ui_probe.py bare
    python ui_probe.py startup DATABASE
    python ui_probe.py session DATABASE CASE_ID RUNS LIMIT_S
    python ui_probe.py filter DATABASE CASE_ID RUNS
    python ui_probe.py save DATABASE CASE_ID RUNS

`bare` and `startup` print "painted" when the window is first painted (the parent times the
process from its start to that line); `startup` then prints "usable" when the upcoming meeting's
case list and gap matrix are filled and painted (by the first screen, read without the ORM, or
else by the normal read), "workspace" when the workspace has been opened over it and painted,
and "complete" when the normal read's case list (with its repeat findings) and matrix are painted
(decision 0100). `session` opens the case
RUNS times, interleaved with the baseline query, and reports the peak memory after the first
open; `filter` times keystrokes.
PySide6 is imported inside functions: only marac_prep.ui may import it at module level.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ACTOR = "Benchmark coordinator"
# Typed into the chronology's search box one key at a time, then erased the same way.
TYPED = "incident"
WAIT_LIMIT_S = 120.0
POLL_MS = 50
_LOOPS: list[Any] = []


def _paint_watcher(target: Any) -> Any:
    """An event filter that records when `target` is next painted after `arm()`."""
    from PySide6.QtCore import QEvent, QObject

    class Watcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.armed = False
            self.painted_at: float | None = None

            self.on_paint: Any = None  # called at the paint itself (before the event loop is left)

        def arm(self) -> None:
            self.armed, self.painted_at = True, None

        def eventFilter(self, obj: Any, event: Any) -> bool:
            if self.armed and event.type() == QEvent.Type.Paint:
                self.painted_at = time.perf_counter()
                self.armed = False
                if self.on_paint is not None:
                    self.on_paint()
                for loop in _LOOPS:
                    loop.quit()  # the waiter re-checks its condition at once
            return False

    watcher = Watcher()
    target.installEventFilter(watcher)
    return watcher


def _wait_for(app: Any, condition: Any) -> None:
    """Runs an event loop (as `app.exec()` does) until `condition()` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()
    deadline = time.perf_counter() + WAIT_LIMIT_S
    timed_out: list[bool] = []

    def check() -> None:
        if condition():
            loop.quit()
        elif time.perf_counter() > deadline:
            timed_out.append(True)
            loop.quit()

    # A coarse poll: a fast Python timer would take the interpreter from the app's background
    # thread and slow what is being measured. Paints end the wait at once (see _paint_watcher).
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(check)
    timer.start()
    _LOOPS.append(loop)
    try:
        while not condition() and not timed_out:
            loop.exec()
            check()
    finally:
        _LOOPS.remove(loop)
        timer.stop()
    if timed_out:
        raise TimeoutError(f"the window did not get there within {WAIT_LIMIT_S:.0f} s")


def bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Bare window")
    window.resize(1400, 900)
    watcher = _paint_watcher(window)
    watcher.arm()
    window.show()
    _wait_for(app, lambda: watcher.painted_at is not None)
    print("painted", flush=True)


def _main_window(database: str) -> tuple[Any, Any, Any]:
    """The app as `run_app` starts it (stylesheet, database, profile, main window), with private settings."""
    from PySide6.QtCore import QSettings

    from marac_prep.core.db import open_database
    from marac_prep.ui.app import choose_actor, prepare_application
    from marac_prep.ui.main_window import MainWindow

    app = prepare_application()
    db = open_database(database)
    actor = choose_actor(db, ACTOR)
    if actor is None:
        raise RuntimeError(f"the workspace has no profile named {ACTOR}")
    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="marac-bench-qt-")) / "settings.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(db, actor, settings=settings)
    window.resize(1400, 900)
    return app, db, window


def startup(database: str) -> None:
    """The app started as `run_app` starts it: the window first, the first screen (read without
    the ORM) next, then the workspace opened as always."""
    from PySide6.QtCore import QSettings

    from marac_prep.ui.app import start_app

    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="marac-bench-qt-")) / "settings.ini"),
                         QSettings.Format.IniFormat)
    window = start_app(database_target=database, user_name=ACTOR, demo=False, settings=settings)
    said: list[str] = []

    def say(line: str) -> None:
        if line not in said:
            said.append(line)
            print(line, flush=True)

    def first_screen() -> None:
        # Emitted right after the window painted the upcoming meeting's cases and matrix (read
        # without the ORM): usable. The frame's own paint came first.
        if window.meeting_view.table.model().rowCount() == 0 or "sqlalchemy" in sys.modules:
            return  # not what is measured: the normal path below decides
        say("painted")  # already said at the frame's paint
        say("usable")

    window.first_screen_shown.connect(first_screen)
    opened: list[bool] = []
    window.workspace_opened.connect(lambda: opened.append(True))
    matrix: list[bool] = []
    window.matrix_loaded.connect(lambda: matrix.append(True))
    watcher = _paint_watcher(window)
    # Said at the frame's first paint itself: the first screen is read on the next turn, which may
    # come before this probe's own wait returns.
    watcher.on_paint = lambda: say("painted")
    watcher.arm()  # show() posts the first paint; nothing has been painted yet
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    _wait_for(app, lambda: watcher.painted_at is not None)
    watcher.on_paint = None
    _wait_for(app, lambda: bool(opened) or window.exit_status is not None)
    if window.exit_status is not None:
        raise RuntimeError("the workspace could not be opened")
    # The meetings and the first meeting's cases are on screen at the next paint.
    watcher.arm()
    window.update()
    _wait_for(app, lambda: watcher.painted_at is not None)
    # Complete: the normal read's case list (with the repeat findings) and gap matrix painted.
    _wait_for(app, lambda: bool(matrix) and not window.meeting_view.loading)
    watcher.arm()
    window.update()
    _wait_for(app, lambda: watcher.painted_at is not None)
    if window.meeting_view.table.model().rowCount() == 0:
        raise RuntimeError("the meeting's case list is empty")
    say("usable")  # when the first screen was not read without the ORM: usable only now
    say("workspace")
    say("complete")


def _open_case(app: Any, window: Any, case_id: int) -> float:
    """Seconds from asking for the case to the first paint of its chronology with rows in it."""
    viewport = window.case_view.chronology.table.viewport()
    watcher = _paint_watcher(viewport)
    window.show_meeting_page()
    app.processEvents()
    loaded: list[bool] = []

    def on_loaded(_snapshot: object) -> None:
        loaded.append(True)
        watcher.arm()

    window.case_view.loaded.connect(on_loaded)
    started = time.perf_counter()
    window.open_case(case_id)
    _wait_for(app, lambda: bool(loaded) and watcher.painted_at is not None)
    window.case_view.loaded.disconnect(on_loaded)
    viewport.removeEventFilter(watcher)
    if window.case_view.chronology.proxy.rowCount() == 0:
        raise RuntimeError("the case opened with no rows shown")
    return float(watcher.painted_at) - started


def _one_query(db: Any, case_id: int) -> float:
    from sqlmodel import select

    from marac_prep.core.models import ChronologyEntry

    started = time.perf_counter()
    with db.read_session() as session:
        rows = session.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)).all()
    elapsed = time.perf_counter() - started
    if not rows:
        raise RuntimeError("the baseline query found no rows")
    return elapsed


def _keystrokes(app: Any, panel: Any) -> list[float]:
    """Seconds from each key press in the chronology panel's search box to the table's next paint."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    viewport = panel.table.viewport()
    watcher = _paint_watcher(viewport)
    panel.search.setFocus()
    times: list[float] = []
    keys = [(ch, None) for ch in TYPED] + [("", Qt.Key.Key_Backspace)] * len(TYPED)
    for char, key in keys:
        app.processEvents()
        watcher.arm()
        started = time.perf_counter()
        if key is None:
            QTest.keyClicks(panel.search, char)
        else:
            QTest.keyClick(panel.search, key)
        # The filter runs inside the key event; the repaint it asks for is a posted event that the
        # next round of event processing delivers. When the rows shown did not change there is
        # nothing to repaint, and the keystroke is done when the events are processed.
        for _ in range(3):
            app.processEvents()
            if watcher.painted_at is not None:
                break
        ended = watcher.painted_at if watcher.painted_at is not None else time.perf_counter()
        times.append(float(ended) - started)
    viewport.removeEventFilter(watcher)
    return times


def session(database: str, case_id: int, runs: int, limit_s: float) -> None:
    """Opens the case `runs` times (each interleaved with the baseline query) and reports the
    peak memory after the first open; stops early when one open takes longer than `limit_s`."""
    global WAIT_LIMIT_S
    WAIT_LIMIT_S = limit_s
    app, db, window = _main_window(database)
    window.show()
    app.processEvents()
    _one_query(db, case_id)  # the database file into the page cache for both
    opened: list[float] = []
    queried: list[float] = []
    peak_mib: float | None = None
    timed_out = False
    analysed: list[float] = []
    analysis_timed_out = False
    for _ in range(runs):
        started = time.perf_counter()
        try:
            opened.append(_open_case(app, window, case_id))
        except TimeoutError:
            opened.append(time.perf_counter() - started)
            timed_out = True
            break
        # The case view analyses gaps in the background after the rows show; let it finish so
        # that neither the baseline nor the next open competes with it for the interpreter.
        try:
            _wait_for(app, lambda: not any(op.running for op in window.case_view.analysis_ops))
            analysed.append(time.perf_counter() - started)
        except TimeoutError:
            analysis_timed_out = True
        if peak_mib is None:
            # ru_maxrss is in KiB on Linux; taken once the case is open and analysed.
            peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queried.append(_one_query(db, case_id))
        if analysis_timed_out:
            break
    rows = window.case_view.chronology.model.rowCount()
    print(json.dumps({"case_open": opened, "one_query": queried, "rows": rows, "timed_out": timed_out,
                      "limit_s": limit_s, "peak_mib": peak_mib, "analysed": analysed,
                      "analysis_timed_out": analysis_timed_out}), flush=True)


def filtering(database: str, case_id: int, runs: int) -> None:
    """Keystrokes in the case view's own chronology panel, filled with the case's rows as the case
    view fills it (without waiting for the case view's gap analysis, which is measured by case_open)."""
    from PySide6.QtWidgets import QMainWindow

    from marac_prep.core.casefile import load_case_file
    from marac_prep.core.db import open_database
    from marac_prep.ui.app import prepare_application
    from marac_prep.ui.chronology_model import chronology_rows
    from marac_prep.ui.chronology_view import ChronologyPanel

    app = prepare_application()
    db = open_database(database)
    with db.read_session() as s:
        case_file = load_case_file(s, case_id, with_history=False)
    rows = chronology_rows(case_file)
    holder = QMainWindow()
    panel = ChronologyPanel(holder)
    holder.setCentralWidget(panel)
    holder.resize(1400, 900)
    involved = sorted({(r.agency_id, r.agency_name) for r in rows}, key=lambda kv: kv[1])
    panel.set_rows(rows, involved)
    holder.show()
    app.processEvents()
    _keystrokes(app, panel)  # warm-up
    strokes: list[float] = []
    for _ in range(runs):
        strokes += _keystrokes(app, panel)
    print(json.dumps({"keystrokes": strokes, "rows": panel.model.rowCount(), "keystroke_max": max(strokes),
                      "keystroke_median": statistics.median(strokes)}), flush=True)


def _new_entry_fields(number: int) -> dict[str, Any]:
    from datetime import date, timedelta

    from marac_prep.core.dates import PartialDate

    return {
        "date": PartialDate(date.today() - timedelta(days=3 + number % 300)),
        "event_type": "contact",
        "summary": f"Benchmark contact {number}: welfare call, no new concerns.",
        "recorded_by": ACTOR,
    }


def saving(database: str, case_id: int, runs: int) -> None:
    """One new entry saved as the app saves it (the service call, then the row shown in place,
    until the table repaints), interleaved with the bare service call on the same case."""
    from marac_prep.core.chronology import add_entry
    from marac_prep.core.reference import find_agency
    from marac_prep.ui.entry_dialog import EntryDialog
    from marac_prep.ui.operations import entry as entry_ops

    app, db, window = _main_window(database)
    window.show()
    app.processEvents()
    _open_case(app, window, case_id)
    _wait_for(app, lambda: not any(op.running for op in window.case_view.analysis_ops))
    with db.read_session() as s:
        agency_id = find_agency(s, "POL").id
    actor = window.actor
    counter = [0]

    def dialog_save(cls: Any, parent: Any, database: Any, actor: Any, *, case_id: int, entry_id: Any = None) -> int:
        # What EntryDialog.save does once the form is filled: the service call in a session.
        counter[0] += 1
        with db.session() as session:
            return int(add_entry(session, actor=actor, case_id=case_id, agency_id=agency_id,
                                 **_new_entry_fields(counter[0])).id or 0)

    EntryDialog.open_entry = classmethod(dialog_save)  # type: ignore[method-assign, assignment]
    viewport = window.case_view.chronology.table.viewport()
    watcher = _paint_watcher(viewport)
    ours: list[float] = []
    bare: list[float] = []
    def spin(ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settled() -> bool:
        matrix = window._matrix_op
        return not any(op.running for op in window.case_view.analysis_ops) and not (matrix and matrix.running)

    for _ in range(runs + 1):  # the first of each is a warm-up
        _wait_for(app, settled)
        spin(400)  # past the deferred refreshes of the previous save
        _wait_for(app, settled)
        app.processEvents()
        watcher.arm()
        before = window.case_view.chronology.model.rowCount()
        started = time.perf_counter()
        window.run(entry_ops.new_entry)
        _wait_for(app, lambda: watcher.painted_at is not None)
        ours.append(float(watcher.painted_at) - started)
        if window.case_view.chronology.model.rowCount() != before + 1:
            raise RuntimeError("the saved entry did not appear in the table")
        _wait_for(app, settled)
        spin(400)
        _wait_for(app, settled)
        counter[0] += 1
        started = time.perf_counter()
        with db.session() as session:
            add_entry(session, actor=actor, case_id=case_id, agency_id=agency_id, **_new_entry_fields(counter[0]))
        bare.append(time.perf_counter() - started)
    print(json.dumps({"ours": ours[1:], "bare": bare[1:], "rows": window.case_view.chronology.model.rowCount()}),
          flush=True)


def main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode == "bare":
        bare()
    elif mode == "startup":
        startup(rest[0])
    elif mode == "session":
        session(rest[0], int(rest[1]), int(rest[2]), float(rest[3]))
    elif mode == "filter":
        filtering(rest[0], int(rest[1]), int(rest[2]))
    elif mode == "save":
        saving(rest[0], int(rest[1]), int(rest[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    sys.stdout.flush()
    # Measured and reported: leave at once, without tearing down Qt (a background op may still run).
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
