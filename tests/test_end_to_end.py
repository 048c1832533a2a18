"""Through the command line, as a coordinator would: import a Marac list and agencies' returns,
then analyse gaps and build the pack. A pattern-rich case must show every pattern; a well-served
control case must show none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marac_prep.cli import main

LIST_HEADER = (
    "case_reference,referral_date,referring_agency,victim_name,victim_dob,victim_gender,perpetrator_name,"
    "perpetrator_dob,relationship,children,criteria,dash_score,address,address_confidential\n"
)
RETURN_HEADER = "case_reference,date,event_type,summary,risk_indicators,referred_to,risk_level,source_ref,subjects\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _cli(*args: str) -> int:
    return main(list(args))


@pytest.fixture
def scenario(tmp_path, capsys):
    db = str(tmp_path / "e2e.sqlite")
    assert _cli("--database", db, "meeting", "create", "--date", "2026-02-12", "--area", "Northmoor") == 0
    assert _cli("--database", db, "meeting", "create", "--date", "2026-12-03", "--area", "Northmoor") == 0
    earlier = _write(
        tmp_path / "february-list.csv",
        LIST_HEADER + "MAR-E2E-000,01/02/2026,Police,Zofia KOWALCZYK,14/07/1992,female,Darius NOWAK,03/03/1990,"
        "Ex-partner,,visible_high_risk,15,,no\n",
    )
    current = _write(
        tmp_path / "december-list.csv",
        LIST_HEADER
        + "MAR-E2E-001,10/11/2026,Police,Zofia KOWALCZYK,14/07/1992,female,Darius NOWAK,03/03/1990,Ex-partner,"
        'Maja KOWALCZYK 05/05/2019,visible_high_risk,16,"Flat 2, 9 Heol y Bryn, Westvale",yes\n'
        "MAR-E2E-002,12/11/2026,Idva service,Ffion LLEWELYN,02/02/1988,female,Rhys MORGAN,09/09/1985,Partner,,"
        'visible_high_risk,14,"4 Mill Lane, Northmoor",no\n',
    )
    police = _write(
        tmp_path / "police.csv",
        RETURN_HEADER
        + "MAR-E2E-001,02/03/2026,incident,Darius threatened to kill Zofia during a call-out.,threats_to_kill,,,POL/1,victim\n"
        "MAR-E2E-001,15/06/2026,incident,Zofia reported Darius held her by the throat.,strangulation,,,POL/2,victim\n"
        "MAR-E2E-001,16/06/2026,referral_made,Referral to Children's Social Care about Maja.,,Children's Social Care,,POL/3,child\n"
        "MAR-E2E-001,01/07/2026,counter_allegation,Darius alleged Zofia scratched him; no injuries seen.,,,,POL/4,perpetrator\n"
        "MAR-E2E-002,01/09/2026,incident,Neighbour called police; Ffion had a bruised arm.,injury,,,POL/9,victim\n",
    )
    health = _write(
        tmp_path / "health.csv",
        RETURN_HEADER
        + "MAR-E2E-001,10/04/2026,ae_attendance,Zofia attended A&E with a facial injury.,injury,,,ED/77,victim\n"
        "MAR-E2E-001,20/05/2026,referral_considered_not_made,GP considered a Marac referral; not made.,,,,GP/5,victim\n"
        "MAR-E2E-002,,nothing_known,,,,,,\n",
    )
    housing = _write(
        tmp_path / "housing.csv",
        RETURN_HEADER
        + "MAR-E2E-001,01/08/2026,risk_assessment,Housing risk assessment after the repair visit.,,,standard,HSG/8,victim\n"
        "MAR-E2E-002,,nothing_known,,,,,,\n",
    )
    idva = _write(
        tmp_path / "idva.csv",
        RETURN_HEADER
        + "MAR-E2E-001,05/09/2026,disclosure,Zofia declined to engage after Darius followed her to work.,stalking,,,IDVA/3,victim\n"
        "MAR-E2E-002,05/09/2026,service_offered,Idva support offered to Ffion in person; safety plan agreed.,,,,IDVA/9,victim\n",
    )
    nothing = "".join(f"MAR-E2E-00{n},,nothing_known,,,,,,\n" for n in (1, 2))
    others = {}
    for agency in ("Mental Health", "Probation", "Substance Misuse", "Adult Social Care"):
        others[agency] = _write(tmp_path / f"{agency}.csv", RETURN_HEADER + nothing)
    education = _write(tmp_path / "education.csv", RETURN_HEADER + "MAR-E2E-001,,nothing_known,,,,,,\n")

    assert _cli("--database", db, "import", "--meeting", "2026-02-12", str(earlier)) == 0
    assert _cli("--database", db, "import", "--meeting", "2026-12-03", str(current)) == 0
    for agency, path in [
        ("Police", police),
        ("Health", health),
        ("Housing", housing),
        ("Idva service", idva),
        ("Education", education),
        *others.items(),
    ]:
        assert _cli("--database", db, "import", "--meeting", "2026-12-03", "--agency", agency, "--json", str(path)) == 0
        summary = json.loads(_last_json(capsys))
        assert summary["files"][0]["rejected"] == 0, (agency, summary)
    capsys.readouterr()
    return db


def _last_json(capsys) -> str:
    out = capsys.readouterr().out
    return out[out.index("{") :]


def test_every_pattern_is_caught_and_the_control_case_is_quiet(scenario, capsys):
    assert _cli("--database", scenario, "gaps", "--meeting", "2026-12-03", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    cases = {c["reference"]: c for c in report["cases"]}
    kinds = {f["kind"] for f in cases["MAR-E2E-001"]["findings"]}
    assert {
        "agency_silent",
        "referral_not_received",
        "referral_considered_not_made",
        "assessed_without_known_risk",
        "counter_allegation",
        "escalation",
        "single_agency_risk",
        "repeat",
        "victim_blaming_language",
    } <= kinds
    silent = {f["agency"] for f in cases["MAR-E2E-001"]["findings"] if f["kind"] == "agency_silent"}
    assert silent == {"Children's Social Care"}
    control = [f for f in cases["MAR-E2E-002"]["findings"] if f["severity"] != "info"]
    assert control == []


def test_pack_from_the_imported_scenario_leaves_out_the_confidential_address(scenario, tmp_path):
    pdf = tmp_path / "pack.pdf"
    assert _cli("--database", scenario, "pack", "--meeting", "2026-12-03", "-o", str(pdf)) == 0
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    assert "MAR-E2E-001" in text and "KOWALCZYK" in text
    assert "Heol y Bryn" not in text
