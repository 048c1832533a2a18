"""A large agency-return CSV is read, checked and written in batches (decision 0035).

Memory is proven by the benchmark row `import_memory` (a 1,000,000-row CSV); these tests prove
the behaviour that makes it possible: entries are inserted while the file is still being read,
rejected rows reach the rejects file as they come, duplicates are found across batches and
against the database without holding the rows, and a file that fails part-way leaves nothing.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from marac_prep.core.errors import ValidationError
from marac_prep.core.models import AuditEvent, ChronologyEntry
from marac_prep.interchange import agency_returns, importer, sheets
from marac_prep.interchange.importer import import_file, preview_file
from tests.interchange.helpers import RETURN_HEADER, write_csv

DAY = (date.today() - timedelta(days=3)).strftime("%d/%m/%Y")


def _row(n: int, reference: str = "MAR-26-201") -> list[str]:
    return [reference, "Housing", DAY, "Incident", f"Tenancy visit {n}.", f"H/{n}"]


def _stored(session) -> int:
    return session.exec(select(func.count()).select_from(ChronologyEntry)).one()


def test_the_old_row_limit_no_longer_refuses_a_return(ws, session, tmp_path):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    assert sheets.MAX_CSV_ROWS >= 1_000_000  # the benchmark file must be accepted
    assert sheets.MAX_CSV_BYTES >= 190 * sheets.MB  # and it is 184 MiB


def test_entries_are_written_while_the_file_is_still_being_read(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(agency_returns, "INSERT_CHUNK", 100)
    monkeypatch.setattr(importer, "INSERT_CHUNK", 100)
    path = write_csv(tmp_path / "big.csv", [RETURN_HEADER, *(_row(n) for n in range(3_000))])
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        # The import's own session: what it has written so far in its open transaction.
        seen.append((done, total, _stored(session)))

    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path, progress=progress)
    assert result.imported == 3_000 and _stored(session) == 3_000
    halfway = [stored for done, total, stored in seen if done < total]
    assert halfway and 0 < max(halfway) < 3_000  # rows stored before the file was read to its end
    # Progress never goes backwards and ends complete.
    assert [d / t for d, t, _s in seen] == sorted(d / t for d, t, _s in seen) and seen[-1][0] == seen[-1][1]


def test_duplicates_are_found_across_batches_and_in_the_database(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(agency_returns, "INSERT_CHUNK", 10)
    monkeypatch.setattr(importer, "INSERT_CHUNK", 10)
    rows = [_row(n) for n in range(50)] + [_row(3), _row(49), _row(25)]
    path = write_csv(tmp_path / "twice.csv", [RETURN_HEADER, *rows])
    first = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (first.imported, first.skipped_duplicates) == (50, 3)
    again = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (again.imported, again.skipped_duplicates) == (0, 53)
    assert _stored(session) == 50


def test_colliding_fingerprints_never_make_different_rows_duplicates(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(agency_returns, "INSERT_CHUNK", 10)
    monkeypatch.setattr(importer, "INSERT_CHUNK", 10)
    monkeypatch.setattr(agency_returns, "fingerprint", lambda key: 7)  # every key collides
    rows = [_row(n) for n in range(30)] + [_row(4), _row(29)]
    path = write_csv(tmp_path / "collide.csv", [RETURN_HEADER, *rows])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.skipped_duplicates) == (30, 2)


def test_a_file_that_fails_part_way_leaves_nothing(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(agency_returns, "INSERT_CHUNK", 10)
    monkeypatch.setattr(importer, "INSERT_CHUNK", 10)
    monkeypatch.setattr(importer, "MAX_CSV_ROWS", 100)
    rows = [_row(n) for n in range(101)]
    rows[5] = _row(5, reference="MAR-99-999")  # a rejected row, written to the rejects file early
    path = write_csv(tmp_path / "long.csv", [RETURN_HEADER, *rows])
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    with pytest.raises(ValidationError, match="more than 100 data rows"):
        import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path, rejects_dir=tmp_path / "r")
    assert _stored(session) == 0
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events  # no "import" event
    assert not (tmp_path / "r").exists() or list((tmp_path / "r").iterdir()) == []


def test_rejected_rows_keep_their_reason_in_the_reason_column(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(importer, "KEPT_REASONS", 2)
    rows = [_row(0), _row(1, "MAR-99-001"), _row(2, "MAR-99-002"), [*_row(3), "", "stray"], _row(4, "MAR-99-004")]
    path = write_csv(tmp_path / "mixed.csv", [RETURN_HEADER, *rows])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path, rejects_dir=tmp_path)
    assert (result.imported, result.rejected) == (1, 4)
    assert [line for line, _reason in result.reasons] == [3, 4]  # the summary keeps the first few
    with open(result.rejects_file, encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == [*RETURN_HEADER, "reason"]
    assert [r[0] for r in written[1:]] == ["MAR-99-001", "MAR-99-002", "MAR-26-201", "MAR-99-004"]
    assert written[1][len(RETURN_HEADER)].startswith("line 3: ")  # under the reason heading
    assert written[3][-1].startswith("line 5: ") and "stray" in written[3]


def test_the_preview_checks_only_the_first_rows_of_a_large_file(ws, session, tmp_path, monkeypatch):
    meeting = ws.meeting()
    ws.case(meeting, reference="MAR-26-201")
    monkeypatch.setattr(importer, "PREVIEW_CHECK_ROWS", 40)
    path = write_csv(tmp_path / "big.csv", [RETURN_HEADER, *(_row(n) for n in range(200))])
    plan = preview_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert len(plan.outcomes) == 40
    assert any("first 40 rows" in note for note in plan.notes)
    assert import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path).imported == 200
