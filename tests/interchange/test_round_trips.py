"""Export then import gives the same entries; a filled research request imports back as it is."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import PermissionDenied
from marac_prep.core.models import AgencyReturn, AuditEvent, ChronologyEntry
from marac_prep.core.returns import set_return
from marac_prep.interchange.export import export_chronology
from marac_prep.interchange.importer import import_file
from marac_prep.interchange.templates import write_templates
from tests.interchange.helpers import write_csv

FIELDS = ("agency_id", "event_date", "date_precision", "date_approximate", "event_time", "source_ref", "recorded_by",
          "subjects", "event_type", "summary", "detail", "fact_or_opinion", "risk_indicators", "risk_level",
          "referred_to_agency_id", "shareable", "withheld_reason")


def _snapshot(session, case_id: int) -> list[tuple]:
    entries = session.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)).all()
    return sorted(tuple(getattr(e, f) for f in FIELDS) for e in entries)


def _rich_case(ws, meeting, reference: str):
    case = ws.case(meeting, reference=reference, children=1)
    ws.entry(case, "POL", on=date(2025, 3, 4), event_type="incident", summary="=1+1 neighbour's call",
             event_time="21:40", subjects=["victim", "child"], risk_indicators=["threats_to_kill", "strangulation"],
             source_ref="POL/1", recorded_by="PC Bryn Owen", detail="Line one\nLine two, with comma")
    ws.entry(case, "HLTH", on=PartialDate(date(2024, 11, 1), "month", True), event_type="ae_attendance",
             summary="-Attended A&E with a wrist injury", fact_or_opinion="opinion", shareable=False,
             withheld_reason="Third-party information")
    ws.entry(case, "IDVA", on=PartialDate(date(2023, 1, 1), "year"), event_type="referral_made",
             summary="@Referred to housing", referred_to_agency_id=ws.agency["HSG"].id, risk_level="high")
    set_return(session=ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["PROB"].id,
               status="nothing_known", on=date(2025, 5, 6))
    return case


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_gives_the_same_entries(ws, session, tmp_path: Path, suffix: str) -> None:
    meeting = ws.meeting()
    case = _rich_case(ws, meeting, "MAR-RT-1")
    before = _snapshot(session, case.id)
    out = tmp_path / f"chronology{suffix}"
    result = export_chronology(session, actor=ws.coordinator, meeting_id=meeting.id, path=out, everything=True)
    assert (result.rows, result.cases) == (4, 1)  # three entries and one "nothing known" answer
    # Import into a second meeting with the same case reference after renaming the first case away.
    from marac_prep.core.cases import update_case

    update_case(session, actor=ws.coordinator, case_id=case.id, expected_version=case.version, reference="OLD-1")
    twin = ws.case(ws.meeting(days_ahead=14), reference="MAR-RT-1", children=1)
    imported = import_file(session, actor=ws.coordinator, meeting_id=twin.meeting_id, path=out)
    assert (imported.read, imported.imported, imported.rejected) == (4, 4, 0)
    assert _snapshot(session, twin.id) == before
    prob = session.exec(select(AgencyReturn).where(AgencyReturn.case_id == twin.id,
                                                   AgencyReturn.agency_id == ws.agency["PROB"].id)).one()
    assert (prob.status, prob.returned_on) == ("nothing_known", date(2025, 5, 6))


def test_export_guards_formulas_and_leaves_out_confidential_details(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    case = create_case(
        session, actor=ws.coordinator, reference="MAR-CF-1", referral_date=date(2025, 6, 1),
        referring_agency_id=ws.agency["POL"].id, meeting_id=meeting.id,
        people=[PersonInput(role="victim", name="Seren HUGHES", phone="07700 900123",
                            address="Flat 2, 14 Refuge Road, Northmoor", address_confidential=True)],
    )
    ws.entry(case, "HSG", on=date(2025, 5, 1), summary="Moved to Flat 2, 14 Refuge Road; call on 07700900123.")
    ws.entry(case, "POL", on=date(2025, 5, 2), summary="+44 7700 900 123 rang in", detail="@Tabbed")
    out = tmp_path / "c.csv"
    export_chronology(session, actor=ws.coordinator, meeting_id=meeting.id, path=out)
    text = out.read_text(encoding="utf-8-sig")
    assert "Refuge Road" not in text and "900123" not in text and "900 123" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["summary"] == "Moved to [confidential address withheld]; call on [contact number withheld]."
    assert rows[1]["summary"] == "[contact number withheld] rang in"
    assert rows[1]["detail"] == "'@Tabbed"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(events) == 1 and events[0].details["rows"] == 2
    with pytest.raises(PermissionDenied):
        export_chronology(session, actor=ws.user("viewer"), meeting_id=meeting.id, path=tmp_path / "v.csv")
    assert not (tmp_path / "v.csv").exists()


def test_a_filled_template_imports_back_as_it_is(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    case = create_case(
        session, actor=ws.coordinator, reference="MAR-TP-1", referral_date=date(2025, 6, 1),
        referring_agency_id=ws.agency["POL"].id, meeting_id=meeting.id,
        people=[PersonInput(role="victim", name="=Seren HUGHES", address="9 Secret Lane", address_confidential=True,
                            phone="07700 900456"),
                PersonInput(role="child", name="Nia HUGHES", date_of_birth=date(2019, 5, 1))],
    )
    paths = write_templates(session, actor=ws.coordinator, meeting_id=meeting.id, folder=tmp_path)
    names = sorted(p.name.rsplit("-", 1)[1] for p in paths)
    assert "CSC.xlsx" in names and "EDU.xlsx" in names and "ODAS.xlsx" not in names
    housing = next(p for p in paths if p.name.endswith("-HSG.xlsx"))
    book = openpyxl.load_workbook(housing)
    assert book.sheetnames[:2] == ["Return", "Lists"] and "Instructions" in book.sheetnames
    cases_text = str([list(r) for r in book["Cases"].iter_rows(values_only=True)])
    assert "MAR-TP-1" in cases_text and "'=Seren HUGHES" in cases_text and "Nia HUGHES 1 May 2019" in cases_text
    assert "Secret Lane" not in cases_text and "900456" not in cases_text
    sheet = book["Return"]
    assert sheet.data_validations.dataValidation, "drop-downs are missing"
    sheet.append(["MAR-TP-1", "12/03/2025", "21:40", "Incident", "Tenancy officer heard shouting.", "", "victim",
                  "Threats to kill; Stalking or harassment"])
    sheet.append(["MAR-TP-1", "Feb 2025", None, "Service offered", "Offered a sanctuary scheme.", "", "victim"])
    book.save(housing)
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=housing)
    assert (result.read, result.imported, result.rejected) == (2, 2, 0)
    entries = session.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case.id)).all()
    assert {e.agency_id for e in entries} == {ws.agency["HSG"].id}
    assert sorted(e.date_precision for e in entries) == ["day", "month"]


def test_a_marac_list_creates_cases_people_and_addresses(ws, session, tmp_path: Path) -> None:
    from marac_prep.core.cases import addresses_of, case_by_reference, people_of

    meeting = ws.meeting()
    header = ["case_reference", "referral_date", "referring_agency", "victim_name", "victim_dob", "victim_gender",
              "perpetrator_name", "perpetrator_dob", "relationship", "children", "criteria", "dash_score", "address",
              "address_confidential"]
    path = write_csv(tmp_path / "list.csv", [
        header,
        ["MAR-L-1", "03/11/2026", "Police", "Seren HUGHES", "04/05/1991", "female", "Rhys JONES", "1/2/88",
         "Ex-partner", "Nia HUGHES 01/05/2019; Cai HUGHES 3 Mar 2021", "visible_high_risk; repeat", "16",
         "Refuge, Northmoor", "yes"],
        ["MAR-L-2", "2026-11-04", "idva", "Alys PRICE", "", "", "", "", "", "", "Professional judgement", "",
         "", ""],
        ["MAR-L-3", "11/30/2026", "Police", "Month first", "", "", "", "", "", "", "", "", "", ""],
        ["MAR-L-4", "04/11/2026", "Police", "", "", "", "", "", "", "", "", "30", "", ""],
        ["MAR-L-1", "03/11/2026", "Police", "Seren HUGHES", "04/05/1991", "female", "Rhys JONES", "1/2/88",
         "Ex-partner", "Nia HUGHES 01/05/2019; Cai HUGHES 3 Mar 2021", "visible_high_risk; repeat", "16",
         "Refuge, Northmoor", "yes"],
    ])
    first = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (first.format, first.read, first.imported, first.skipped_duplicates, first.rejected) == ("list", 5, 2, 1, 2)
    case = case_by_reference(session, "MAR-L-1")
    people = people_of(session, case.id)
    assert [(p.role, p.name, p.date_of_birth) for p in people] == [
        ("victim", "Seren HUGHES", date(1991, 5, 4)), ("perpetrator", "Rhys JONES", date(1988, 2, 1)),
        ("child", "Nia HUGHES", date(2019, 5, 1)), ("child", "Cai HUGHES", date(2021, 3, 3)),
    ]
    assert people[1].must_not_receive_information
    [address] = addresses_of(session, case.id)
    assert address.confidential and address.text == "Refuge, Northmoor"
    assert (case.criteria, case.dash_score, case.repeat) == (["repeat", "visible_high_risk"], 16, True)
    assert case_by_reference(session, "MAR-L-2").referring_agency_id == ws.agency["IDVA"].id
    again = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (again.imported, again.skipped_duplicates, again.rejected) == (0, 3, 2)
    reasons = [r for _, r in again.reasons]
    assert "not a real date" in reasons[0] and "Dash score" in reasons[1] and "victim's name" in reasons[1]


def test_rows_in_always_equal_rows_accounted_for(ws, session, tmp_path: Path) -> None:
    """Random mixtures of good, duplicate and bad rows: read = imported + skipped + rejected."""
    import random

    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-INV-1")
    pool = [
        ["MAR-INV-1", "Police", "01/03/2025", "incident", "Same event", "P/1"],
        ["MAR-INV-1", "Police", "31/04/2025", "incident", "Bad date", ""],
        ["MAR-INV-9", "Police", "01/03/2025", "incident", "Bad case", ""],
        ["MAR-INV-1", "Nobody", "01/03/2025", "incident", "Bad agency", ""],
        ["MAR-INV-1", "Housing", "?2024", "contact", "Approximate year", ""],
        ["", "", "", "", "", ""],
    ]
    rnd = random.Random(7)
    for attempt in range(6):
        rows = [[*rnd.choice(pool), str(rnd.randrange(3))] for _ in range(rnd.randrange(1, 40))]
        path = write_csv(tmp_path / f"f{attempt}.csv", [["case_reference", "agency", "date", "event_type", "summary",
                                                          "source_ref", "detail"], *rows])
        non_blank = sum(1 for r in rows if any(c.strip() for c in r))
        result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
        assert result.read == non_blank
        assert result.read == result.imported + result.skipped_duplicates + result.rejected
        if result.rejected:
            with open(result.rejects_file, encoding="utf-8-sig", newline="") as handle:
                assert len(list(csv.reader(handle))) == result.rejected + 1


def test_the_shipped_examples_import_cleanly(ws, session) -> None:
    from marac_prep.resources import resource_path

    meeting = ws.meeting()
    for n in (1, 2, 3):
        ws.case(meeting, reference=f"MAR-2026-0000{n}", children=1)
    ret = import_file(session, actor=ws.coordinator, meeting_id=meeting.id,
                      path=resource_path("examples", "agency-return-housing.csv"))
    assert (ret.read, ret.imported, ret.rejected) == (5, 5, 0), ret.reasons
    for name in ("marac-list.csv", "marac-list.xlsx"):
        listed = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=resource_path("examples", name))
        assert listed.read == 2 and listed.rejected == 0, listed.reasons
