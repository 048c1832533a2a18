"""identity: matching a 25-case meeting's people against the workspace, against one indexed query;
identity_quality: precision and recall of the matcher on the labelled corpus of name pairs."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from marac_bench.measure import Result, compare, ready
from marac_bench.workspace import Workspace

NAME = "identity"
LIMIT_S = 0.1
QUALITY = "identity_quality"
PRECISION, RECALL = 0.98, 0.90
_ROOT = Path(__file__).resolve().parents[2]


def run(ws: Workspace, db_path: str, *, runs: int) -> Result:
    from sqlmodel import col, select

    from marac_prep.core.cases import cases_for_meeting
    from marac_prep.core.db import open_database
    from marac_prep.core.models import Person
    from marac_prep.core.people import match_people

    db = open_database(db_path)
    found: dict[str, int] = {}
    try:
        with db.read_session() as session:
            ids = [c.id or 0 for c in cases_for_meeting(session, ws.meeting_id)]
            births = sorted(
                {
                    p.date_of_birth
                    for p in session.exec(select(Person).where(col(Person.case_id).in_(ids))).all()
                    if p.date_of_birth is not None
                }
            )
            found["people_in_workspace"] = len(session.exec(select(Person.id)).all())

        def ours() -> None:
            with db.read_session() as session:
                people = session.exec(select(Person).where(col(Person.case_id).in_(ids))).all()
                matches = match_people(session, people)
            found["people"] = len(people)
            found["matches"] = sum(len(m) for m in matches.values())

        def baseline() -> None:
            # One indexed query: the people born on the meeting's people's dates of birth.
            with db.read_session() as session:
                rows: list[Any] = list(session.exec(select(Person).where(col(Person.date_of_birth).in_(births))).all())
            found["baseline_rows"] = len(rows)

        ours_times, baseline_times = compare(ready(ours), ready(baseline), runs=runs)
    finally:
        db.close()
    return Result(
        NAME,
        ours_times,
        baseline_times,
        limit_s=LIMIT_S,
        note=f"match_people for a meeting's {found.get('people')} people against {found.get('people_in_workspace'):,} "
        f"person records ({found.get('matches')} matches found); baseline one indexed SELECT of the people born on "
        f"their {len(births)} dates of birth ({found.get('baseline_rows')} rows)",
    )


class QualityResult(Result):
    """Precision and recall against their targets, in place of a time ratio."""

    @property
    def target_text(self) -> str:
        return f"precision >= {PRECISION}, recall >= {RECALL}"


def quality() -> Result:
    # Loaded from its file: another installed package may own the top-level name "tests".
    spec = importlib.util.spec_from_file_location("marac_people_corpus", _ROOT / "tests" / "people" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # dataclasses look their module up while the file runs
    spec.loader.exec_module(corpus)
    evaluate, load_pairs = corpus.evaluate, corpus.load_pairs

    started = time.perf_counter()
    pairs = load_pairs()
    q = evaluate(pairs)
    result = QualityResult(
        QUALITY,
        [time.perf_counter() - started],
        precision=q.precision,
        recall=q.recall,
        quality_targets=(PRECISION, RECALL, 0.0),  # no per-signal floor: one kind of pair
    )
    misses = "; ".join(f"{p.a.name} / {p.b.name}" for p, _s in q.misses) or "none"
    false = "; ".join(f"{p.a.name} / {p.b.name}" for p, _s in q.false_matches) or "none"
    held = evaluate(load_pairs(corpus.HOLDOUT))
    result.note = (
        f"{q.pairs} labelled pairs in tests/people/name_pairs.csv ({q.true_matches} the same person); "
        f"false matches: {false}; missed: {misses}. Held-out pairs (name_pairs_holdout.csv, "
        f"{held.pairs}): precision {held.precision:.3f}, recall {held.recall:.3f}"
    )
    return result
