"""The log file never holds personal data: the main flows run with canary values, then the log
folder is searched for them."""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from marac_prep import cli
from marac_prep.core.audit import AuditFilter, export_events, record_case_opened
from marac_prep.core.cases import PersonInput, add_person, update_case
from marac_prep.core.chronology import edit_entry, withdraw_entry
from marac_prep.core.db import open_database
from marac_prep.core.errors import ValidationError
from marac_prep.core.returns import set_return
from marac_prep.logging_setup import LOG_FILE_NAME, configure_logging
from tests.factories import Workspace

# Made-up values that cannot appear in a log by accident.
CANARIES = {
    "victim": "Xanthippe CANARYVICTIM",
    "perpetrator": "Quillon CANARYPERP",
    "child": "Wrenna CANARYCHILD",
    "phone": "07700 900CAN",
    "address": "Flat 9, Canary Refuge Lane",
    "summary": "CANARYSUMMARY threatened with a knife",
    "reason": "CANARYREASON duplicate",
    "note": "CANARYNOTE held by the team",
    "reference": "MAR-CANARY-77",
}


def _run_service_flows(path: Path, tmp_path: Path) -> None:
    db = open_database(path)
    with db.session() as s:
        ws = Workspace(s)
        meeting = ws.meeting()
        case = ws.case(meeting, reference=CANARIES["reference"], victim=CANARIES["victim"], children=0)
        add_person(s, actor=ws.coordinator, case_id=case.id, person=PersonInput(
            role="child", name=CANARIES["child"], phone=CANARIES["phone"],
            address=CANARIES["address"], address_confidential=True,
        ))
        add_person(s, actor=ws.coordinator, case_id=case.id, person=PersonInput(
            role="perpetrator", name=CANARIES["perpetrator"]))
        entry = ws.entry(case, "POL", summary=CANARIES["summary"], on=date.today() - timedelta(days=5))
        edit_entry(s, actor=ws.coordinator, entry_id=entry.id, expected_version=1,
                   detail=CANARIES["summary"] + " (detail)")
        withdraw_entry(s, actor=ws.coordinator, entry_id=entry.id, expected_version=2, reason=CANARIES["reason"])
        set_return(s, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                   status="nothing_known", note=CANARIES["note"])
        update_case(s, actor=ws.coordinator, case_id=case.id, expected_version=case.version,
                    criteria_notes=CANARIES["note"])
        record_case_opened(s, actor=ws.coordinator, case_id=case.id)
        export_events(s, actor=ws.coordinator, path=tmp_path / "trail.csv", where=AuditFilter(case_id=case.id))
        with pytest.raises(ValidationError):
            ws.case(reference=CANARIES["reference"], victim=CANARIES["victim"])  # a duplicate
    db.close()


def _run_command_flows(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = ["--database", str(path)]
    assert cli.main([*target, "meeting", "list"]) == 0
    assert cli.main([*target, "gaps", "--meeting", "1"]) == 0
    assert cli.main([*target, "pack", "--meeting", "1", "-o", str(tmp_path / "pack.pdf")]) == 0
    assert cli.main([*target, "backup", "-o", str(tmp_path / "b.sqlite")]) == 0
    assert cli.main([*target, "audit", "verify"]) == 0
    assert cli.main([*target, "--user", CANARIES["victim"], "meeting", "create", "--date", "2030-01-07"]) == 2
    assert cli.main([*target, "gaps", "--meeting", "1", "--case", CANARIES["perpetrator"]]) != 0

    # An unexpected failure whose message carries user text: the traceback is logged, the text is not.
    def boom(_ctx: object, _args: argparse.Namespace) -> int:
        raise RuntimeError(f"unexpected while handling {CANARIES['victim']} at {CANARIES['address']}")

    import marac_prep.commands.meeting as meeting_command

    monkeypatch.setattr(meeting_command, "_list", boom)
    assert cli.main([*target, "meeting", "list"]) == 1


def test_main_flows_leave_no_personal_data_in_the_log(tmp_path, monkeypatch, capsys):
    log_dir = tmp_path / "logs"
    monkeypatch.setenv("MARAC_PREP_LOG_DIR", str(log_dir))
    configure_logging(log_dir, level=logging.DEBUG)
    path = tmp_path / "canary.sqlite"
    _run_service_flows(path, tmp_path)
    _run_command_flows(path, tmp_path, monkeypatch)
    capsys.readouterr()
    for handler in logging.getLogger("marac_prep").handlers:
        handler.flush()

    text = "\n".join(p.read_text(encoding="utf-8") for p in log_dir.glob(f"{LOG_FILE_NAME}*"))
    # The log is really being written: actions, ids and the unexpected error are there…
    assert "audit entry.withdraw" in text and "audit case.open" in text
    assert "RuntimeError" in text and "Traceback" in text
    # …and not one personal detail.
    lowered = text.casefold()
    for what, value in CANARIES.items():
        for piece in value.split():
            if piece.upper().startswith("CANARY") or "CANARY" in piece.upper():
                assert piece.casefold() not in lowered, f"the log holds the {what}"
        assert value.casefold() not in lowered, f"the log holds the {what}"


def test_configure_logging_is_idempotent(tmp_path):
    first = configure_logging(tmp_path / "a")
    again = configure_logging(tmp_path / "a")
    assert first == again
    handlers = [h for h in logging.getLogger("marac_prep").handlers if h.get_name() == "marac_prep_file"]
    assert len(handlers) == 1
    configure_logging(tmp_path / "b")
    handlers = [h for h in logging.getLogger("marac_prep").handlers if h.get_name() == "marac_prep_file"]
    assert len(handlers) == 1 and "b" in Path(handlers[0].baseFilename).parent.name
