"""Gap analysis over a real database (SQLite and PostgreSQL) and the `gaps` command's report and JSON."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date, timedelta

from marac_prep.analysis.gaps import analyse_case
from marac_prep.cli import build_parser
from marac_prep.commands.context import CommandContext
from marac_prep.core.casefile import load_case_file
from marac_prep.core.dates import PartialDate
from marac_prep.core.returns import set_return
from marac_prep.core.risk import Answer, record_risk_assessment

TODAY = date.today()


def _seed(ws):
    meeting = ws.meeting()
    ws.case(None, reference="MAR-OLD-0001", referral_days_ago=200)
    case = ws.case(meeting, reference="MAR-NEW-0001", children=1, criteria=["professional_judgement"])
    ws.entry(
        case,
        "POL",
        on=TODAY - timedelta(days=90),
        event_type="incident",
        risk_indicators=["strangulation"],
        summary="Police attended; Gethin choked Alys.",
    )
    considered = ws.entry(
        case,
        "HLTH",
        on=TODAY - timedelta(days=60),
        event_type="referral_considered_not_made",
        summary="GP considered a Marac referral; did not make it.",
    )
    record_risk_assessment(
        ws.session,
        actor=ws.coordinator,
        case_id=case.id,
        agency_id=ws.agency["HSG"].id,
        assessed_on=TODAY - timedelta(days=30),
        answers={"injury": Answer("yes")},
    )
    ws.entry(
        case,
        "IDVA",
        on=PartialDate(TODAY.replace(day=1) - timedelta(days=1), "month"),
        event_type="contact",
        summary="Alys declined to engage.",
    )
    for status in ("requested", "chased"):
        set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["MH"].id, status=status)
    set_return(
        ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["PROB"].id, status="nothing_known"
    )
    return meeting, case, considered


def _run(db, *argv: str) -> str:
    out = io.StringIO()
    args = build_parser().parse_args(list(argv))
    assert args.handler(CommandContext(out=out, _database=db), args) == 0
    return out.getvalue()


def test_loaded_case_raises_each_pattern(db, ws, session):
    _meeting, case, considered = _seed(ws)
    session.commit()
    findings = analyse_case(load_case_file(session, case.id))
    by_kind = {f.kind: f for f in findings}
    assert by_kind["referral_considered_not_made"].entry_ids == (considered.id,)
    assert by_kind["assessed_without_known_risk"].agency == "Housing"
    assert "MAR-OLD-0001" in by_kind["repeat"].message
    assert "declined to engage" in by_kind["victim_blaming_language"].message
    silent = {f.agency for f in findings if f.kind == "agency_silent"}
    assert "Mental Health" in silent and "Probation" not in silent and "Education" in silent


def test_gaps_json_shape(db, ws, session):
    meeting, _case, considered = _seed(ws)
    session.commit()
    data = json.loads(_run(db, "gaps", "--meeting", str(meeting.id), "--json"))
    assert set(data) == {"meeting", "cases"} and data["meeting"]["date"] == meeting.meeting_date.isoformat()
    [item] = data["cases"]
    assert item["reference"] == "MAR-NEW-0001"
    assert {"agency": "Probation", "status": "nothing_known"}.items() <= next(
        r for r in item["returns"] if r["agency"] == "Probation"
    ).items()
    assert all(set(r) >= {"agency", "status"} for r in item["returns"])
    for finding in item["findings"]:
        assert set(finding) >= {"kind", "severity", "agency", "entry_ids", "message"}
        assert isinstance(finding["entry_ids"], list) and all(isinstance(i, int) for i in finding["entry_ids"])
    assert {"kind": "referral_considered_not_made", "entry_ids": [considered.id]}.items() <= next(
        f for f in item["findings"] if f["kind"] == "referral_considered_not_made"
    ).items()


def test_gaps_report_by_date_and_case(db, ws, session):
    meeting, _case, _ = _seed(ws)
    other = ws.case(
        meeting, reference="MAR-NEW-0002", victim="Sian EVANS", victim_dob=date(1979, 2, 2),
        perpetrator="Rhodri HOWELLS", perpetrator_dob=date(1975, 6, 6),
    )
    session.commit()
    text = _run(db, "gaps", "--meeting", meeting.meeting_date.strftime("%d/%m/%Y"), "--case", "mar-new-0001")
    assert "MAR-NEW-0001" in text and other.reference not in text
    assert "[high] referral_considered_not_made" in text and "Waiting for:" in text


def test_unknown_case_or_meeting_is_one_line_and_exit_2(tmp_path):
    target = str(tmp_path / "demo.sqlite")
    assert (
        subprocess.run(
            [sys.executable, "-m", "marac_prep", "--database", target, "demo"], capture_output=True, check=False
        ).returncode
        == 0
    )
    for extra in (["--meeting", "1", "--case", "NOPE"], ["--meeting", "99"], ["--meeting", "not a date"]):
        result = subprocess.run(
            [sys.executable, "-m", "marac_prep", "--database", target, "gaps", *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "marac_prep", "--database", target, "gaps", "--meeting", "1", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["cases"]) == 8
