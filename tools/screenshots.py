"""Walks the app's windows and dialogs as one role and saves each as a PNG (a look, not a test).

    python tools/screenshots.py --role idva --size 1366x768 --scale 2 -o /tmp/shots

Builds the fictional demo workspace in a temporary folder, opens the real main window on a
screen of SIZE logical pixels (at SCALE, e.g. 2 for 200 %), and triggers every menu action on
the meeting page and again with a case open. Whatever window or message box appears is saved as
`<role>-<page>-<action>.png` and closed; `index.txt` lists each action with what it showed, so a
refusal ("Not allowed") for an enabled action stands out. Not run in CI (it takes a few minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROLES = ("coordinator", "idva", "agency_rep", "viewer")
# Actions that end the session, change who is acting or only move between pages.
SKIPPED = {"Quit", "Switch profile…", "Back to meeting", "Reload", "Lock now"}


def _screen(size: tuple[int, int], scale: float, folder: Path) -> None:
    """The offscreen platform with one screen of `size` logical pixels at `scale`, before Qt starts."""
    config = folder / "screen.json"
    width, height = (round(side * scale) for side in size)
    config.write_text(json.dumps({"screens": [
        {"name": "laptop", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96, "dpr": 1}
    ]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["QT_SCALE_FACTOR"] = str(scale)


def _profiles(folder: Path, cases: int, entries: int = 24) -> tuple[object, dict[str, object]]:
    """A demo workspace and one profile per role (agency roles at the police or an Idva service)."""
    from sqlmodel import select

    from marac_prep.core.db import open_database
    from marac_prep.core.models import Agency
    from marac_prep.core.users import create_profile, ensure_profile
    from marac_prep.demo import build_demo

    db = open_database(str(folder / "demo.sqlite"))
    with db.session() as session:
        coordinator = ensure_profile(session, name="Demo coordinator")
        build_demo(session, actor=coordinator, cases=cases, entries_per_case=entries)
        agencies = {a.short_code: a.id for a in session.exec(select(Agency)).all()}
        idva_agency = agencies.get("IDVA") or next(iter(agencies.values()))
        users: dict[str, object] = {"coordinator": coordinator}
        for role, agency in (("idva", idva_agency), ("agency_rep", agencies["POL"]), ("viewer", None)):
            users[role] = create_profile(
                session, actor=coordinator, name=f"Demo {role.replace('_', ' ')}", role=role,
                agency_id=agency, os_account=f"screenshots-{role}",
            )
    return db, users


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=ROLES, default="coordinator")
    parser.add_argument("--size", default="1366x768", help="the screen in logical pixels (default 1366x768)")
    parser.add_argument("--scale", type=float, default=1.0, help="display scaling, 2 for 200 %% (default 1)")
    parser.add_argument("--cases", type=int, default=8, help="demo cases (default 8)")
    parser.add_argument("--entries", type=int, default=24, help="chronology entries per demo case (default 24)")
    parser.add_argument("--only", default="",
                        help="only actions whose name contains this text (several: separate them with commas)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the folder for the PNGs")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.lower().split("x"))
    folder = Path(tempfile.mkdtemp(prefix="marac-screenshots-"))
    _screen((width, height), args.scale, folder)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    return _walk(args, folder)


def _walk(args: argparse.Namespace, folder: Path) -> int:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

    from marac_prep.ui.app import prepare_application
    from marac_prep.ui.main_window import MainWindow

    app = prepare_application()
    db, users = _profiles(folder, args.cases, args.entries)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, users[args.role], settings=settings)  # type: ignore[arg-type]
    window.setGeometry(window.screen().availableGeometry())
    window.show()
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    index: list[str] = []

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def name(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.replace("&", "").lower()).strip("-")

    def save(widget: QWidget, label: str) -> None:
        widget.grab().save(str(out / f"{args.role}-{label}.png"))

    def describe(widget: QWidget) -> str:
        room = widget.screen().availableGeometry()
        fits = "" if room.contains(widget.frameGeometry()) else f" DOES NOT FIT {widget.frameGeometry()}"
        if isinstance(widget, QMessageBox):
            return f"message '{widget.windowTitle()}': {widget.text()}{fits}"
        return f"{type(widget).__name__} '{widget.windowTitle()}' {widget.width()}x{widget.height()}{fits}"

    def capture(label: str, seen: set[int]) -> list[str]:
        """Saves and closes each new top-level window (a dialog, then a message over it)."""
        shown: list[str] = []
        for _round in range(4):
            wait(1200)  # background loads (statistics, audit) fill in meanwhile
            fresh = [w for w in QApplication.topLevelWidgets()
                     if w.isVisible() and id(w) not in seen and w is not window and not w.inherits("QMenu")]
            if not fresh:
                break
            for number, widget in enumerate(fresh):
                seen.add(id(widget))
                save(widget, f"{label}{'' if not shown else f'-{len(shown)}{number}'}")
                shown.append(describe(widget))
                if isinstance(widget, QDialog):
                    widget.reject()
                else:
                    widget.close()
        return shown

    def trigger_all(page: str) -> None:
        for menu in (window.file_menu, window.edit_menu, window.meeting_menu, window.view_menu, window.help_menu):
            for action in menu.actions():
                text = action.text().replace("&", "")
                wanted = [part.strip().lower() for part in args.only.split(",")]
                if action.isSeparator() or action.menu() or text in SKIPPED or not any(
                        part in text.lower() for part in wanted):
                    continue
                if not action.isEnabled():
                    index.append(f"{page:8} {text:40} disabled")
                    continue
                seen = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
                label = f"{page}-{name(text)}"
                shown: list[str] = []
                QTimer.singleShot(0, lambda label=label, seen=seen, shown=shown: shown.extend(capture(label, seen)))
                action.trigger()
                if not shown:  # a window that is not modal: the action returned at once
                    shown.extend(capture(label, seen))
                index.append(f"{page:8} {text:40} " + (" | ".join(shown) or "nothing shown"))

    def extra_windows(case_id: int) -> None:
        """Windows no menu opens directly: the person dialog (each role's fields) and person search."""
        from sqlmodel import select

        from marac_prep.core.cases import PersonInput
        from marac_prep.core.models import Person
        from marac_prep.ui.person_dialog import PersonDialog

        with db.read_session() as session:  # type: ignore[attr-defined]
            people = session.exec(select(Person).where(Person.case_id == case_id)).all()
            inputs = {p.role: PersonInput.of(p) for p in people}
        for role, person in inputs.items():
            dialog = PersonDialog(person, window)
            dialog.show()
            wait(500)
            save(dialog, f"case-person-{role}")
            index.append(f"{'case':8} {'Person dialog (' + role + ')':40} {describe(dialog)}")
            dialog.reject()
        seen = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
        surname = next(iter(inputs.values())).name.split()[-1] if inputs else "Smith"
        window.search_people(surname)
        shown = " | ".join(capture("case-person-search", seen))
        index.append(f"{'case':8} {'Person search (' + surname + ')':40} {shown}")

    # The meeting page with the first case selected, then the case with each tab.
    wait(3000)
    window.meeting_view.table.selectRow(0)
    wait(1500)
    save(window, "meeting")
    trigger_all("meeting")
    case_id = window.meeting_view.current_case_id()
    if case_id is not None:
        window.open_case(case_id)
        wait(4000)
        window.case_view.chronology.table.selectRow(2)
        wait(500)
        for number in range(window.case_view.tabs.count()):
            window.case_view.tabs.setCurrentIndex(number)
            wait(800)
            save(window, f"case-{number}-{name(window.case_view.tabs.tabText(number))}")
        window.case_view.tabs.setCurrentIndex(0)
        trigger_all("case")
        extra_windows(case_id)
    (out / f"{args.role}-index.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    print("\n".join(index))
    print(f"Saved the pictures to {out}.")
    window.hide()
    db.close()  # type: ignore[attr-defined]
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
