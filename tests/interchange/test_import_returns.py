"""Importing agency returns: rows in = imported + duplicates + rejected, nothing lost, nothing twice."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AgencyReturn, AuditEvent, ChronologyEntry
from marac_prep.interchange.importer import import_file
from tests.interchange.helpers import RETURN_HEADER, write_csv, write_xlsx


def _entries(session, case_id: int) -> list[ChronologyEntry]:
    return list(session.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)).all())


def _status(session, case_id: int, agency_id: int) -> str | None:
    record = session.exec(
        select(AgencyReturn).where(AgencyReturn.case_id == case_id, AgencyReturn.agency_id == agency_id)
    ).first()
    return record.status if record else None


def _rejects(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_messy_return_imports_with_every_row_accounted_for(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-001", children=1)
    other = ws.case(meeting, reference="MAR-26-002")
    path = write_csv(tmp_path / "housing return.csv", [
        ["Housing research return – OFFICIAL-SENSITIVE"],
        ["Agency:", "Housing"],
        [],
        ["Case Ref", "Date of event (DD/MM/YYYY)", "Type", "Description", "Risk indicators", "Subjects",
         "Officer notes"],
        ["MAR-26-001", "03/04/2025", "Incident", "Neighbour reported screaming; tenancy officer visited.",
         "Threats to kill; 6", "victim; children", "Keys changed"],
        ["mar-26-001", "?Jan 2025", "disclosure", "Told officer he had threatened to burn the flat.", "", "", ""],
        ["MAR-26-001", "31/02/2025", "incident", "Impossible date", "", "", ""],
        ["MAR-26-404", "01/02/2025", "incident", "No such case", "", "", ""],
        ["", "", "", "", "", "", ""],
        ["MAR-26-001", "03/04/2025", "Incident", "Neighbour reported screaming; tenancy officer visited.",
         "Threats to kill; 6", "victim; children", "Keys changed"],
        ["MAR-26-002", "", "Nothing known", "", "", "", ""],
        ["MAR-26-001", "05/05/2025", "teleportation", "", "", "", ""],
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.read, result.imported, result.skipped_duplicates, result.rejected) == (7, 3, 1, 3)
    assert result.read == result.imported + result.skipped_duplicates + result.rejected
    entries = sorted(_entries(session, case.id), key=lambda e: e.event_date)
    assert [(e.event_date, e.date_precision, e.date_approximate) for e in entries] == [
        (date(2025, 1, 1), "month", True), (date(2025, 4, 3), "day", False),
    ]
    assert entries[1].risk_indicators == ["threats_to_kill", "separation"]
    assert entries[1].subjects == ["child", "victim"]
    assert "Officer notes: Keys changed" in entries[1].detail  # an unknown column is kept, not dropped
    housing = ws.agency["HSG"].id
    assert _status(session, case.id, housing) == "returned"
    assert _status(session, other.id, housing) == "nothing_known"
    rejects = _rejects(result.rejects_file)
    assert rejects[0] == ["Housing research return – OFFICIAL-SENSITIVE"]
    assert rejects[1][:2] == ["Agency:", "Housing"]
    assert rejects[2][-1] == "reason"
    bad = rejects[3:]
    assert [r[0] for r in bad] == ["MAR-26-001", "MAR-26-404", "MAR-26-001"]
    assert "not a real date" in bad[0][-1] and "no case" in bad[1][-1]
    assert "not a known event type" in bad[2][-1] and "needs a brief summary" in bad[2][-1]
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 1 and events[0].details["imported"] == 3


def test_reimporting_imports_nothing_twice(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-010")
    rows = [[*RETURN_HEADER, "time"]] + [
        ["MAR-26-010", "Police", f"{d:02d}/03/2025", "incident", f"Call-out number {d}", f"POL/{d}", "21:40"]
        for d in range(1, 21)
    ]
    path = write_csv(tmp_path / "police.csv", rows)
    first = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    again = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (first.imported, first.skipped_duplicates) == (20, 0)
    assert (again.read, again.imported, again.skipped_duplicates, again.rejected) == (20, 0, 20, 0)
    assert len(_entries(session, case.id)) == 20
    assert {e.event_time for e in _entries(session, case.id)} == {"21:40"}


def test_an_error_part_way_leaves_nothing_from_the_file(ws, session, tmp_path: Path, monkeypatch) -> None:
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-020")
    path = write_csv(tmp_path / "p.csv", [RETURN_HEADER, ["MAR-26-020", "Police", "01/03/2025", "incident", "x", "1"]])
    from marac_prep.interchange import agency_returns

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    # Fails after the entries are inserted, when the agency's return is recorded.
    monkeypatch.setattr(agency_returns, "_set_return", broken)
    with pytest.raises(OSError):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert _entries(session, case.id) == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "import")).first() is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_excel_writes(ws, session, tmp_path: Path, encoding: str) -> None:
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-030")
    summary = "Zoë said the £200 was taken – “he kept her card”"
    delimiter = "\t" if encoding == "utf-16" else ","
    row = ["MAR-26-030", "Police", "01/03/2025", "incident", summary, ""]
    path = write_csv(tmp_path / "r.csv", [RETURN_HEADER, row], encoding=encoding, delimiter=delimiter)
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert result.imported == 1
    assert _entries(session, case.id)[0].summary == summary


def test_bytes_that_are_no_text_encoding_are_refused_whole(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    path = tmp_path / "r.csv"
    path.write_bytes(b"case_reference,agency,date,event_type,summary\r\nMAR-1,Police,01/03/2025,incident,\x81\x8d\xff\xfe\r\n")
    with pytest.raises(ValidationError, match="neither UTF-8 nor Windows-1252"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(ValidationError, match="97-2003"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=tmp_path / "old.xls")
    (tmp_path / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(ValidationError, match="not a CSV"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=tmp_path / "photo.csv")


def test_missing_columns_reject_rows_with_the_reason(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-040")
    path = write_csv(tmp_path / "r.csv", [["case_reference", "date", "event_type", "summary"],
                                          ["MAR-26-040", "01/03/2025", "incident", "No agency column"]])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.read, result.rejected) == (1, 1)
    assert "no agency column" in _rejects(result.rejects_file)[1][-1]
    ok = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path, agency="Police")
    assert ok.imported == 1
    nothing = write_csv(tmp_path / "n.csv", [["name", "notes"], ["x", "y"]])
    with pytest.raises(ValidationError, match="no header row"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=nothing)


def test_unknown_agencies_and_future_dates_are_rejected(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-050")
    future = (date.today() + timedelta(days=3)).strftime("%d/%m/%Y")
    path = write_csv(tmp_path / "r.csv", [
        [*RETURN_HEADER, "referred_to"],
        ["MAR-26-050", "Ministry of Magic", "01/03/2025", "incident", "x", "", ""],
        ["MAR-26-050", "Police", future, "incident", "y", "", ""],
        ["MAR-26-050", "Police", "01/03/2025", "referral made", "Referred to nobody", "", ""],
        ["MAR-26-050", "childrens social care", "01/03/2025", "Referral made", "Referred to housing", "", "HSG"],
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    reasons = [r[-1] for r in _rejects(result.rejects_file)[1:]]
    assert result.imported == 1 and result.rejected == 3
    assert "not an agency" in reasons[0] and "future" in reasons[1] and "referred_to" in reasons[2]


def test_agency_reps_import_only_their_own_agency(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-060")
    rep = ws.user("agency_rep", "HSG")
    path = write_csv(tmp_path / "r.csv", [
        RETURN_HEADER,
        ["MAR-26-060", "Housing", "01/03/2025", "incident", "ours", ""],
        ["MAR-26-060", "Police", "01/03/2025", "incident", "not ours", ""],
    ])
    result = import_file(session, actor=rep, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (1, 1)
    assert "only for their own agency" in result.reasons[0][1]
    viewer = ws.user("viewer")
    with pytest.raises(PermissionDenied):
        import_file(session, actor=viewer, meeting_id=meeting.id, path=path)


def test_nothing_known_cannot_hide_entries(ws, session, tmp_path: Path) -> None:
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-070")
    path = write_csv(tmp_path / "r.csv", [
        RETURN_HEADER,
        ["MAR-26-070", "Police", "01/03/2025", "incident", "Attended", ""],
        ["MAR-26-070", "Police", "", "nothing known", "", ""],
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (1, 1)
    assert _status(session, case.id, ws.agency["POL"].id) == "returned"


def test_xlsx_formula_cells_are_never_run_and_dates_are_real_dates(ws, session, tmp_path: Path) -> None:
    from datetime import datetime

    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-080")
    path = write_xlsx(tmp_path / "r.xlsx", [
        RETURN_HEADER,
        ["MAR-26-080", "Police", datetime(2025, 3, 4), "incident", "Typed as an Excel date", 1234],
        ["MAR-26-080", "Police", "04/03/2025", "incident", '=HYPERLINK("http://evil.example","click")', ""],
        ["MAR-26-080", "Police", "=TODAY()", "incident", "Date by formula", ""],
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.read, result.imported, result.rejected) == (3, 1, 2)
    [entry] = _entries(session, case.id)
    assert (entry.event_date, entry.source_ref) == (date(2025, 3, 4), "1234")
    rejects = _rejects(result.rejects_file)
    assert rejects[1][4] == "'=HYPERLINK(\"http://evil.example\",\"click\")"  # guarded, still the same text
    assert all("formula" in r[-1] for r in rejects[1:])


def test_a_zip_bomb_is_refused_before_it_is_opened(ws, session, tmp_path: Path) -> None:
    import zipfile

    meeting = ws.meeting()
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(600):  # 600 MB of zeros, a few hundred KB on disk
                handle.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    with pytest.raises(ValidationError, match="zip bomb"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)


def test_many_parts_and_damaged_workbooks_are_refused(ws, session, tmp_path: Path) -> None:
    import zipfile

    meeting = ws.meeting()
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(2_100):
            archive.writestr(f"x/{n}.xml", "")
    with pytest.raises(ValidationError, match="parts"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    with pytest.raises(ValidationError, match="damaged"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=broken)


def test_xml_entities_in_a_workbook_are_refused(ws, session, tmp_path: Path) -> None:
    """defusedxml is what openpyxl parses with: a billion-laughs sheet is refused, not expanded."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
    meeting = ws.meeting()
    good = write_xlsx(tmp_path / "good.xlsx", [RETURN_HEADER])
    import zipfile

    hostile = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' + body)
            target.writestr(item, data)
    with pytest.raises(ValidationError, match="entity or DTD declarations"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=hostile)


def test_the_same_summary_on_different_dates_is_two_entries_not_a_duplicate(ws, session, tmp_path: Path) -> None:
    # Agencies write the same words for routine events ("Missed appointment"): the date tells them apart,
    # in one file and against what an earlier import stored.
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-011")
    first = write_csv(tmp_path / "first.csv", [
        RETURN_HEADER,
        ["MAR-26-011", "Health", "03/02/2025", "other", "Missed appointment", ""],
        ["MAR-26-011", "Health", "10/02/2025", "other", "Missed appointment", ""],
    ])
    later = write_csv(tmp_path / "later.csv", [
        RETURN_HEADER,
        ["MAR-26-011", "Health", "17/02/2025", "other", "Missed appointment", ""],
        ["MAR-26-011", "Health", "03/02/2025", "other", "Missed appointment", ""],
    ])
    one = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=first)
    two = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=later)
    assert (one.imported, one.skipped_duplicates) == (2, 0)
    assert (two.imported, two.skipped_duplicates) == (1, 1)
    assert sorted(e.event_date for e in _entries(session, case.id)) == [
        date(2025, 2, 3), date(2025, 2, 10), date(2025, 2, 17)
    ]
