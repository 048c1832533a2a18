"""Free-text returns only, through the real import and `gaps`, as a new user would try it: agencies
tick no indicators and choose generic event types ("contact", "other"); everything a domestic
homicide review would name is in their words. The patterns must be found, quoted and grouped; a
well-served control case, written in good practice language, must stay quiet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marac_prep.cli import main

LIST_HEADER = (
    "case_reference,referral_date,referring_agency,victim_name,victim_dob,victim_gender,perpetrator_name,"
    "perpetrator_dob,relationship,children,criteria,dash_score,address,address_confidential\n"
)
# No risk_indicators column is filled and no event type says what happened: the words must.
RETURN_HEADER = "case_reference,date,event_type,summary,detail,risk_indicators,referred_to,source_ref,subjects\n"

CASE_LIST = (
    LIST_HEADER
    + "MAR-FT-001,02/11/2026,Police,Carys EVANS,11/03/1994,female,Darren JONES,02/02/1990,Ex-partner,"
    "Bethan EVANS 04/06/2020,professional_judgement,9,,no\n"
    "MAR-FT-002,04/11/2026,Idva service,Nia PRICE,19/09/1989,female,Owen HUGHES,12/12/1987,Partner,,"
    "professional_judgement,11,,no\n"
)

RETURNS = {
    "Police": [
        "MAR-FT-001,14/03/2026,other,DA incident. IP states susp grabbed her round the throat until she went dizzy.,"
        "Susp left prior to police arrival. DASH completed - medium. NFA.,,,POL/101,victim",
        "MAR-FT-001,02/05/2026,other,Susp rang 101 claiming IP had attacked him with a mug.,"
        "No injuries seen on susp. Words of advice.,,,POL/102,perpetrator",
        "MAR-FT-001,20/06/2026,other,Darren called police again alleging Carys had assaulted him at the handover.,"
        "Both parties spoken to.,,,POL/103,perpetrator",
        "MAR-FT-002,03/10/2026,contact,Nia reported that Owen sent messages after she asked for space; "
        "officers spoke to her by phone.,Advice given; she will call 999 if he attends.,,,POL/201,victim",
    ],
    "Health": [
        "MAR-FT-001,10/04/2026,contact,Booking appt at 12/40. Routine enquiry: disclosed ex said she won't see "
        "Christmas.,Midwife and GP discussed a Marac referral but agreed to monitor.,,,MW/7,victim",
        "MAR-FT-002,12/10/2026,contact,GP review; Nia described feeling low since Owen's messages.,"
        "Referred to the Idva service with her consent; Idva made contact the same week.,,,GP/44,victim",
    ],
    "Housing": [
        "MAR-FT-001,01/07/2026,other,Tenant says she ended the relationship in June and he has been hanging around "
        "the estate most nights.,Management transfer discussed.,,,HSG/9,victim",
        "MAR-FT-002,,nothing_known,,,,,,",
    ],
    "Idva service": [
        "MAR-FT-001,05/08/2026,contact,Client went back to Darren for two weeks and declined the support offered.,"
        "Client went back to Cardiff to stay with her aunt afterwards.,,,IDVA/3,victim",
        "MAR-FT-001,12/08/2026,contact,Referred to Children's Social Care about Bethan.,,,,IDVA/4,victim; child",
        "MAR-FT-002,20/10/2026,contact,Idva met Nia in person and offered support by phone and text; she accepted "
        "and a safety plan was agreed.,Offer of a refuge space stays open; next contact 27 October. "
        "Nia went back to Ffion for the weekend.,,,IDVA/9,victim",  # Ffion is not her perpetrator (Owen)
    ],
}
NOTHING_KNOWN = ("Mental Health", "Probation", "Substance Misuse", "Adult Social Care")


def _cli(*args: str) -> int:
    return main(list(args))


@pytest.fixture
def analysed(tmp_path: Path, capsys) -> dict[str, dict]:
    db = str(tmp_path / "free-text.sqlite")
    assert _cli("--database", db, "meeting", "create", "--date", "2026-12-03", "--area", "Northmoor") == 0
    (tmp_path / "list.csv").write_text(CASE_LIST, encoding="utf-8")
    assert _cli("--database", db, "import", "--meeting", "2026-12-03", str(tmp_path / "list.csv")) == 0
    files = {agency: "\n".join(rows) + "\n" for agency, rows in RETURNS.items()}
    files |= {agency: "MAR-FT-001,,nothing_known,,,,,,\nMAR-FT-002,,nothing_known,,,,,,\n" for agency in NOTHING_KNOWN}
    for agency, rows in files.items():
        path = tmp_path / f"{agency}.csv"
        path.write_text(RETURN_HEADER + rows, encoding="utf-8")
        assert _cli("--database", db, "import", "--meeting", "2026-12-03", "--agency", agency, "--json", str(path)) == 0
        out = capsys.readouterr().out
        assert json.loads(out[out.index("{"):])["files"][0]["rejected"] == 0, (agency, out)
    assert _cli("--database", db, "gaps", "--meeting", "2026-12-03", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    return {c["reference"]: c for c in report["cases"]}


def _by_kind(case: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in case["findings"]:
        found.setdefault(finding["kind"], []).append(finding)
    return found


def _quoted(findings: list[dict]) -> set[str]:
    return {q["words"] for f in findings for q in f["from_text"]}


def test_what_a_review_would_name_is_found_quoted_and_grouped(analysed):
    case = analysed["MAR-FT-001"]
    found = _by_kind(case)
    # The referral the midwife and GP talked themselves out of, in their own words.
    [considered] = found["referral_considered_not_made"]
    assert considered["agency"] == "Health" and considered["severity"] == "high"
    assert "discussed a Marac referral but agreed to monitor" in _quoted([considered])
    # His two calls to police are one pattern, listed with both, not two findings.
    [counter] = found["counter_allegation"]
    assert len(counter["instances"]) == 2 and "Darren JONES" in counter["message"]
    assert {"Susp rang 101 claiming IP had attacked him",
            "Darren called police again alleging Carys had assaulted him"} == _quoted([counter])
    # Homicide markers from three agencies' words: separation with strangulation, threats and stalking.
    [markers] = found["homicide_markers"]
    reads_as = {q["reads_as"] for q in markers["from_text"]}
    assert {"separation in the past year", "strangling, choking or suffocating", "threats to kill",
            "stalking or harassment", "pregnant or baby under 18 months"} <= reads_as
    assert "grabbed her round the throat" in _quoted([markers]) and "won't see Christmas" in _quoted([markers])
    # Risks named in words but never ticked, one finding per agency.
    uncoded = {f["agency"]: f for f in found["risk_in_text_not_coded"]}
    assert set(uncoded) == {"Police", "Health", "Housing"}
    assert "hanging around the estate" in _quoted([uncoded["Housing"]])
    # Each high-risk indicator known to one agency only, read from its text.
    assert {f["agency"] for f in found["single_agency_risk"]} == {"Police", "Health", "Housing"}
    # A referral written in words that the receiving agency never answered.
    [lost] = found["referral_not_received"]
    assert lost["agency"] == "Children's Social Care" and "Referred to Children's Social Care" in _quoted([lost])
    # Blaming words quoted; "went back to Cardiff" (a place) is not.
    [blaming] = found["victim_blaming_language"]
    assert _quoted([blaming]) == {"went back to Darren", "declined the support"}
    assert "counter-allegation pattern" in case["headline"] and "homicide markers" in case["headline"]


def test_the_well_served_control_case_stays_quiet(analysed):
    control = analysed["MAR-FT-002"]
    assert [f for f in control["findings"] if f["severity"] != "info"] == []
    assert control["headline"] == "No gaps found."
