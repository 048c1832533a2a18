"""gaps: gap analysis of a 25-case meeting, against one query loading the meeting's entries."""

from __future__ import annotations

from typing import Any

from marac_bench.measure import Result, compare, ready
from marac_bench.workspace import Workspace

NAME = "gaps"
TARGET = 2.0
LIMIT_S = 0.1


def run(ws: Workspace, db_path: str, *, runs: int) -> Result:
    from sqlmodel import col, select

    from marac_prep.analysis.gaps import analyse_meeting
    from marac_prep.analysis.reading import attach_signals
    from marac_prep.core.casefile import load_meeting_files
    from marac_prep.core.db import open_database
    from marac_prep.core.models import Case, ChronologyEntry

    db = open_database(db_path)
    found: dict[str, int] = {}
    try:

        def ours() -> None:
            with db.read_session() as session:
                _meeting, files = load_meeting_files(session, ws.meeting_id)
                attach_signals(session, files)  # stored when the workspace was built: read, not re-read
            findings = analyse_meeting(files)
            found["cases"] = len(findings)
            found["findings"] = sum(len(f) for f in findings.values())

        def baseline() -> None:
            # The same database layer the app uses: one SELECT, rows as model objects.
            with db.read_session() as session:
                rows: list[Any] = list(
                    session.exec(
                        select(ChronologyEntry)
                        .join(Case, col(Case.id) == col(ChronologyEntry.case_id))
                        .where(Case.meeting_id == ws.meeting_id)
                    ).all()
                )
            found["entries"] = len(rows)

        ours_times, baseline_times = compare(ready(ours), ready(baseline), runs=runs)
    finally:
        db.close()
    return Result(
        NAME, ours_times, baseline_times, target=TARGET, limit_s=LIMIT_S,
        note=f"load_meeting_files + attach_signals (stored) + analyse_meeting: {found.get('cases')} cases, "
        f"{found.get('findings')} findings; "
        f"baseline one SQLModel SELECT of the meeting's {found.get('entries'):,} entries",
    )
