"""gaps: a 25-case meeting's gap analysis as the app asks for it (`analysis.stored.meeting_findings`),
against one query loading the meeting's entries."""

from __future__ import annotations

import statistics
from typing import Any

from marac_bench.measure import Result, Work, compare, ready
from marac_bench.workspace import Workspace

NAME = "gaps"
TARGET = 2.0
LIMIT_S = 0.1


def run(ws: Workspace, db_path: str, *, runs: int) -> Result:
    from sqlalchemy import text
    from sqlmodel import col, select

    from marac_prep.analysis.stored import meeting_findings
    from marac_prep.core.db import open_database
    from marac_prep.core.models import Case, ChronologyEntry

    db = open_database(db_path)
    found: dict[str, int] = {}
    try:

        def ours() -> None:
            # A new session, as every caller opens one: the findings stored for the workspace as it
            # stands are read back (the first, untimed run analyses the meeting and stores them).
            with db.read_session() as session:
                findings = meeting_findings(session, ws.meeting_id)
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

        def missed() -> Work:
            # What a miss costs: the stored rows gone (as after any audited change anywhere), so the
            # meeting is read, its signals attached (stored), the rules run and the findings stored.
            with db.session() as session:
                session.execute(text("DELETE FROM case_findings"))
                session.commit()
            return ours

        miss_times, _ = compare(missed, None, runs=max(3, runs // 2), warmup=0)
    finally:
        db.close()
    return Result(
        NAME, ours_times, baseline_times, target=TARGET, limit_s=LIMIT_S,
        note=f"analysis.stored.meeting_findings in a new read session, {found.get('cases')} cases, "
        f"{found.get('findings')} findings: the findings stored for this workspace, read back because their "
        "key (the audit chain's head, today, the rules' and code's digests, the settings, the schema) "
        "matched – any audited change anywhere makes the next read a miss, which re-reads the meeting, runs "
        f"the rules and stores them again: median {statistics.median(miss_times):.3f} s over "
        f"{len(miss_times)} misses; baseline one SQLModel SELECT of the meeting's "
        f"{found.get('entries'):,} entries",
    )
