"""Import bounds: sparse, inflated and amplifying files; mixed encodings; hidden characters."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from marac_prep.core.errors import ValidationError
from marac_prep.core.models import ChronologyEntry
from marac_prep.interchange import importer, sheets
from marac_prep.interchange.importer import import_file
from marac_prep.interchange.plan import MAX_CELL_CHARS, MAX_DETAIL_CHARS, MAX_ROW_CHARS
from tests.interchange.helpers import RETURN_HEADER, write_csv

DAY = (date.today() - timedelta(days=3)).strftime("%d/%m/%Y")


def _entries(session, case_id: int) -> list[ChronologyEntry]:
    return list(session.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)).all())


def _with_dimension(path: Path, dimension: str) -> Path:
    """Rewrites the sheet's declared extent, as a hostile or careless tool may."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    start = xml.index("<dimension")
    end = xml.index("/>", start) + 2
    parts["xl/worksheets/sheet1.xml"] = (xml[:start] + f'<dimension ref="{dimension}"/>' + xml[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_two_rows_a_million_rows_apart_import_at_once(ws, session, tmp_path):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-101")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RETURN_HEADER)
    sheet.append(["MAR-26-101", "Housing", DAY, "Incident", "Neighbour reported shouting.", "H/1"])
    for column, value in enumerate(["MAR-26-101", "Housing", DAY, "Incident", "Visit, no answer.", "H/2"], 1):
        sheet.cell(row=1_000_002, column=column, value=value)
    path = tmp_path / "sparse.xlsx"
    book.save(path)
    _with_dimension(path, "A1:XFD1048576")  # and it claims every cell Excel can have
    assert path.stat().st_size < 10_000
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.read, result.imported) == (2, 2)
    assert sorted(e.summary for e in _entries(session, case.id)) == ["Neighbour reported shouting.",
                                                                      "Visit, no answer."]


def test_a_sheet_with_too_many_cells_is_refused_before_it_is_read_whole(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-102")
    monkeypatch.setattr(sheets, "MAX_CELLS", 60)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RETURN_HEADER)
    for n in range(20):
        sheet.append(["MAR-26-102", "Housing", DAY, "Incident", f"Visit {n}.", f"H/{n}"])
    path = tmp_path / "inflated.xlsx"
    book.save(path)
    with pytest.raises(ValidationError, match="more than 60 filled cells"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)


def test_a_worksheet_too_large_once_unpacked_is_refused_unopened(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    monkeypatch.setattr(sheets, "MAX_SHEET_XML_BYTES", 2_000)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RETURN_HEADER)
    for n in range(100):
        sheet.append(["MAR-26-103", "Housing", DAY, "Incident", f"Visit {n}.", f"H/{n}"])
    path = tmp_path / "big.xlsx"
    book.save(path)
    with pytest.raises(ValidationError, match=r"worksheet of .* once unpacked"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)


def test_overlong_cells_rows_and_details_reject_the_row_with_the_reason(ws, session, tmp_path):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-104")
    header = [*RETURN_HEADER, "detail", "notes a", "notes b", "notes c"]
    good = ["MAR-26-104", "Housing", DAY, "Incident", "An ordinary visit.", "H/1", "", "", "", ""]
    long_cell = [*good[:5], "H/2", "x" * (MAX_CELL_CHARS + 1), "", "", ""]
    long_detail = [*good[:5], "H/3", "d" * 6_000, "a" * 6_000, "b" * 6_000, "c" * 6_000]
    long_row = [*good[:5], "H/4", *(["r" * 9_999] * 4)]
    path = write_csv(tmp_path / "long.csv", [header, good, long_cell, long_detail, long_row])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (1, 3)
    reasons = dict(result.reasons)
    assert f"at most {MAX_CELL_CHARS:,} are accepted" in reasons[3]
    assert "detail" in reasons[4] and f"at most {MAX_DETAIL_CHARS:,}" in reasons[4]
    assert "The row is 40," in reasons[5] and f"at most {MAX_ROW_CHARS:,}" in reasons[5]
    assert [e.summary for e in _entries(session, case.id)] == ["An ordinary visit."]


def test_a_file_mixing_utf8_and_windows_1252_is_refused(ws, session, tmp_path):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-105")
    path = tmp_path / "mixed.csv"
    lines = [",".join(RETURN_HEADER).encode(),
             f"MAR-26-105,Housing,{DAY},Incident,Visit by Şule Yılmaz.,H/1".encode(),
             f"MAR-26-105,Housing,{DAY},Incident,Visit to the café.,H/2".encode("cp1252")]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    with pytest.raises(ValidationError, match="mixes two text encodings"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    # Either encoding on its own is read faithfully.
    path.write_bytes(b"\r\n".join([lines[0], lines[2]]) + b"\r\n")
    assert import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path).imported == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "cp1252"])
def test_nul_is_refused_in_every_encoding(ws, session, tmp_path, encoding):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-106")
    path = write_csv(tmp_path / "nul.csv", [RETURN_HEADER, ["MAR-26-106", "Housing", DAY, "Incident",
                                                            "Visit\x00hidden.", "H/1"]], encoding=encoding)
    with pytest.raises(ValidationError, match="NUL"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)


def test_hidden_characters_refuse_names_and_references_and_show_elsewhere(ws, session, tmp_path):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-26-107")
    header = [*RETURN_HEADER, "recorded_by"]
    path = write_csv(tmp_path / "hidden.csv", [
        header,
        ["MAR-26-107\u202e", "Housing", DAY, "Incident", "Reference reversed.", "H/1", "J. Okafor"],
        ["MAR-26-107", "Housing", DAY, "Incident", "Recorder rewrites the terminal.", "H/2", "J. Okafor\x1b[2J"],
        ["MAR-26-107", "Housing", DAY, "Incident", "Seen with \u202egnirts\u202c at the door.", "H/3", "J. Okafor"],
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (1, 2)
    reasons = dict(result.reasons)
    assert "case reference contains invisible or direction-changing characters (U+202E)" in reasons[2]
    assert "U+001B" in reasons[3]
    assert [e.summary for e in _entries(session, case.id)] == ["Seen with [U+202E]gnirts[U+202C] at the door."]


def test_a_csv_of_exactly_the_maximum_rows_is_accepted(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-108")
    monkeypatch.setattr(sheets, "MAX_CSV_ROWS", 5)
    monkeypatch.setattr(importer, "MAX_CSV_ROWS", 5)
    rows = [["MAR-26-108", "Housing", DAY, "Incident", f"Visit {n}.", f"H/{n}"] for n in range(6)]
    path = write_csv(tmp_path / "five.csv", [RETURN_HEADER, *rows[:5]])
    assert import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path).imported == 5
    path = write_csv(tmp_path / "six.csv", [RETURN_HEADER, *rows])
    with pytest.raises(ValidationError, match="more than 5 data rows"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
