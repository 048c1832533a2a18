"""The Export pack dialog driven through its widgets, the export running on its worker thread."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pikepdf
import pytest

from marac_prep.core.db import Database
from marac_prep.ui.messages import Messages
from marac_prep.ui.pack_dialog import PackDialog
from tests.factories import Workspace
from tests.pack.scenario import Scenario, build_scenario


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Questions and errors the dialog would show; the stubbed user answers "Open"."""
    shown: list[str] = []
    monkeypatch.setattr(Messages, "ask", classmethod(lambda cls, parent, title, text, *, yes, no:
                                                     shown.append(text) or True))
    monkeypatch.setattr(Messages, "error", classmethod(lambda cls, parent, title, text: shown.append(text)))
    return shown


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    paths: list[Path] = []
    monkeypatch.setattr(PackDialog, "open_in_viewer", classmethod(lambda cls, path: paths.append(path) or True))
    return paths


@pytest.fixture
def prepared(ws: Workspace, db: Database) -> tuple[Workspace, Database, Scenario]:
    scenario = build_scenario(ws)
    first = scenario.cases[0]
    ws.entry(first, "IDVA", on=date.today() - timedelta(days=20), event_type="service_offered",
             summary="She declined to engage with the Idva service.")
    ws.entry(first, "POL", on=date.today() - timedelta(days=19), event_type="other",
             summary="Officer thinks she chose to stay.", shareable=False, withheld_reason="Police only")
    ws.session.commit()
    return ws, db, scenario


def make_dialog(qtbot, prepared, case_reference: str | None = None) -> PackDialog:
    ws, db, scenario = prepared
    dialog = PackDialog(db, ws.coordinator, meeting_id=scenario.meeting.id, case_reference=case_reference)
    qtbot.addWidget(dialog)
    return dialog


def test_lists_victim_blaming_phrases_in_shareable_entries(qtbot, prepared) -> None:
    dialog = make_dialog(qtbot, prepared)
    lines = [dialog.phrases.item(i).text() for i in range(dialog.phrases.count())]
    assert any("declined to engage" in line and "MAR-P-001" in line for line in lines)
    assert not any("chose to stay" in line for line in lines)  # withheld: not in the pack
    assert "1 phrase" in dialog.phrases_title.text()
    dialog.scope.setCurrentIndex(dialog.scope.findData("MAR-P-002"))
    assert dialog.phrases.count() == 0 and "No victim-blaming" in dialog.phrases_title.text()
    assert dialog.destination.text().endswith("marac-pack-" + prepared[2].meeting.meeting_date.isoformat()
                                              + "-MAR-P-002.pdf")


def test_mismatched_passwords_are_refused_before_any_work(qtbot, prepared, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, prepared)
    dialog.destination.setText(str(tmp_path / "p.pdf"))
    dialog.protect.setChecked(True)
    dialog.password.setText("one lovely day")
    dialog.password_again.setText("two lovely days")
    assert dialog.start_export() is False
    assert "not the same" in dialog.error.text() and not dialog.running
    assert not (tmp_path / "p.pdf").exists()


def test_a_short_or_blank_password_is_refused_with_the_reason(qtbot, prepared, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, prepared)
    dialog.destination.setText(str(tmp_path / "p.pdf"))
    dialog.protect.setChecked(True)
    for weak, reason in (("marac2026", "9 characters; use at least 12"), (" " * 14, "only spaces")):
        dialog.password.setText(weak)
        dialog.password_again.setText(weak)
        assert dialog.start_export() is False
        assert reason in dialog.error.text() and not dialog.running
    assert not (tmp_path / "p.pdf").exists()


def test_export_writes_the_pack_and_offers_to_open_it(qtbot, prepared, tmp_path: Path, asked, opened) -> None:
    dialog = make_dialog(qtbot, prepared, case_reference="MAR-P-001")
    target = tmp_path / "one-case.pdf"
    dialog.destination.setText(str(target))
    dialog.marking.setText("OFFICIAL")
    dialog.protect.setChecked(True)
    dialog.password.setText("Zażółć gęślą")
    dialog.password_again.setText("Zażółć gęślą")
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.export_button.click()
    assert dialog.result is not None and dialog.result.encrypted and dialog.result.cases == 1
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(target)
    with pikepdf.open(target, password="Zażółć gęślą") as pdf:
        assert pdf.encryption.R == 6
    assert opened == [target.resolve()]
    assert any("Open it now?" in text for text in asked)


def test_stop_cancels_and_leaves_no_file(qtbot, prepared, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, prepared)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "stopped.pdf"
    dialog.destination.setText(str(target))
    assert dialog.start_export()
    assert dialog.cancel_button.text() == "Stop" and not dialog.export_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.running and dialog.export_button.isEnabled(), timeout=60_000)
    assert "cancelled" in dialog.error.text()
    assert list(folder.iterdir()) == []


def test_bad_destination_is_one_sentence(qtbot, prepared, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, prepared)
    dialog.destination.setText(str(tmp_path / "missing" / "x.pdf"))
    dialog.start_export()
    qtbot.waitUntil(lambda: not dialog.running and bool(dialog.error.text()), timeout=60_000)
    assert "does not exist" in dialog.error.text()


def test_short_password_and_recipient_in_the_dialog(qtbot, prepared, tmp_path: Path, asked, opened) -> None:
    dialog = make_dialog(qtbot, prepared)
    dialog.destination.setText(str(tmp_path / "p.pdf"))
    dialog.protect.setChecked(True)
    dialog.password.setText("too short")
    dialog.password_again.setText("too short")
    assert dialog.start_export() is False
    assert "at least 12 characters" in dialog.error.text() and not dialog.running
    dialog.protect.setChecked(False)
    dialog.recipient.setCurrentIndex(dialog.recipient.findData("POL"))
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.export_button.click()
    assert dialog.result is not None and dialog.result.prepared_for == "Police"
