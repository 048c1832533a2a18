"""pack: a meeting's pre-Marac PDF, against a bare ReportLab LongTable of the same chronology rows."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from marac_bench.measure import Result, compare, ready
from marac_bench.workspace import ACTOR, Workspace

NAME = "pack"
TARGET = 1.0


def _baseline_pdf(rows: list[tuple[Any, ...]]) -> bytes:
    """The rows as one LongTable: same page, margins, fonts, cell style, column widths and grid."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, TableStyle

    from marac_prep.pack.document import HEADER_GAP, MARGIN
    from marac_prep.pack.markup import para
    from marac_prep.pack.sections import _grid, _widths
    from marac_prep.pack.styles import pack_styles

    s = pack_styles()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_GAP, bottomMargin=MARGIN + HEADER_GAP,
    )
    header = ["Date", "Agency", "Event", "What happened", "Risk indicators", "Source"]
    table_rows: list[list[Any]] = [[Paragraph(h, s.head_cell) for h in header]]
    for row in rows:
        table_rows.append([Paragraph(para(cell), s.cell) for cell in row])
    table = LongTable(table_rows, colWidths=_widths(doc.width, [1.15, 1.25, 1.5, 3.6, 1.4, 1.1]), repeatRows=1,
                      splitInRow=1)
    table.setStyle(TableStyle(_grid()))
    doc.build([table])
    return buffer.getvalue()


def run(ws: Workspace, db_path: str, *, runs: int) -> Result:
    from sqlalchemy import text

    from marac_prep.core.dates import PartialDate
    from marac_prep.core.db import open_database
    from marac_prep.core.users import find_user
    from marac_prep.core.vocabulary import event_type_label, risk_indicator_label
    from marac_prep.pack import export_pack

    db = open_database(db_path)
    found: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="marac-bench-pack-"))
    try:

        def ours() -> None:
            with db.session() as session:
                actor = find_user(session, ACTOR)
                assert actor is not None
                result = export_pack(session, actor=actor, meeting_id=ws.meeting_id, destination=folder / "pack.pdf")
            found["pages"] = result.pages

        def baseline() -> None:
            # One query for the rows the pack prints (shareable, not withdrawn), then one layout pass.
            with db.read_session() as session:
                rows = session.connection().execute(
                    text(
                        "SELECT e.event_date, e.date_precision, e.date_approximate, e.event_time, a.name, "
                        "e.event_type, e.summary, e.detail, e.risk_indicators, e.source_ref "
                        "FROM chronology_entry e JOIN marac_case c ON c.id = e.case_id "
                        "JOIN agency a ON a.id = e.agency_id "
                        "WHERE c.meeting_id = :m AND e.shareable AND e.withdrawn_at IS NULL "
                        "ORDER BY e.case_id, e.event_date, e.sequence, e.id"
                    ),
                    {"m": ws.meeting_id},
                ).all()
            cells = []
            for day, precision, approximate, time, agency, kind, summary, detail, risks, source in rows:
                day = date.fromisoformat(day) if isinstance(day, str) else day
                when = PartialDate(day, precision, bool(approximate)).display() + (f" {time}" if time else "")
                indicators = json.loads(risks) if isinstance(risks, str) else (risks or [])
                cells.append((
                    when, agency, event_type_label(kind), f"{summary}\n{detail}" if detail else summary,
                    "\n".join(f"• {risk_indicator_label(r)}" for r in indicators), source,
                ))
            found["rows"] = len(cells)
            found["baseline_bytes"] = len(_baseline_pdf(cells))

        # No untimed warm-up run (each takes tens of seconds at full size); the fonts and modules
        # both sides share are loaded first instead.
        from marac_prep.pack.styles import pack_styles

        pack_styles()
        ours_times, baseline_times = compare(ready(ours), ready(baseline), runs=runs, warmup=0)
    finally:
        db.close()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return Result(
        NAME, ours_times, baseline_times, target=TARGET,
        note=f"export_pack of a 25-case meeting ({found.get('rows'):,} shareable entries, {found.get('pages')} pages, "
        "one layout pass, then 'Page n of N' stamped on each page with pikepdf); "
        "baseline one query + one LongTable pass",
    )


ENCRYPTED_NAME = "pack_password"
PASSWORD_TARGET = 1.25
PASSPHRASE = "correct horse battery staple"  # noqa: S105  # a fictional benchmark passphrase


def run_password(ws: Workspace, db_path: str, *, runs: int) -> Result:
    """pack_password: the same meeting's pack with an AES-256 password, against the plain pack."""
    from marac_prep.core.db import open_database
    from marac_prep.core.users import find_user
    from marac_prep.pack import export_pack

    db = open_database(db_path)
    folder = Path(tempfile.mkdtemp(prefix="marac-bench-pack-password-"))
    found: dict[str, Any] = {}
    try:

        def export(password: str | None) -> None:
            with db.session() as session:
                actor = find_user(session, ACTOR)
                assert actor is not None
                result = export_pack(session, actor=actor, meeting_id=ws.meeting_id,
                                     destination=folder / "pack.pdf", password=password)
            found["pages"] = result.pages

        from marac_prep.pack.styles import pack_styles

        pack_styles()
        ours_times, baseline_times = compare(ready(lambda: export(PASSPHRASE)), ready(lambda: export(None)),
                                             runs=runs, warmup=0)
    finally:
        db.close()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return Result(
        ENCRYPTED_NAME, ours_times, baseline_times, target=PASSWORD_TARGET,
        note=f"export_pack with a password (AES-256, R6, {found.get('pages')} pages) against the same pack without; "
        "the encryption is done by qpdf in the save that stamps the page numbers",
    )
