"""CPU per save: the load harness's saves, one desk, flat out, timed with `time.process_time`.

    python benchmarks/save_cpu.py [--saves 200] [--sqlite | --url URL] [--profile FILE.prof]

The desk does what `benchmarks/load.py`'s representatives do – add an entry, edit one, set its
agency's return (mix 5:3:2), each in a session of its own through the app's services, as an agency
representative (on PostgreSQL its own login, so row-level security and the row states are paid) –
with no pause and nobody else writing. It prints the desk's own CPU per save (ms, the mean and the
median over the saves of each kind), which hardly depends on what else the machine runs: run it
for the code before and after a change, interleaved, to compare (docs/decisions/0101).
The reads before an edit or a return (the dialog opening) are timed apart, not in the save.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (
    EVENT_TYPES,
    HOT_CASES,
    MIX,
    PG_URL_VAR,
    RETURN_STATUSES,
    add_desks,
    create_server,
    drop_server,
)


def _sqlite_desk(folder: Path, seed: int) -> tuple[str, list[int], str]:
    """A demo workspace file and an agency representative's profile name."""
    from sqlmodel import col, select

    from marac_prep.core.db import open_database
    from marac_prep.core.models import Agency, Case
    from marac_prep.core.users import create_profile, ensure_profile
    from marac_prep.demo import build_demo

    path = folder / "save_cpu.sqlite"
    db = open_database(path)
    try:
        with db.session() as session:
            owner = ensure_profile(session, name="Load test setup", role="coordinator")
            session.commit()
            build_demo(session, actor=owner, cases=25, entries_per_case=24, seed=seed)
            meeting_id = session.exec(select(Case.meeting_id).order_by(col(Case.meeting_id))).first()
            case_ids = [c for c in session.exec(select(Case.id).where(Case.meeting_id == meeting_id)
                                                .order_by(col(Case.id))).all() if c is not None]
            agency = session.exec(select(Agency).where(Agency.active).order_by(col(Agency.id))).first()
            assert agency is not None
            create_profile(session, actor=owner, name="Load representative", role="agency_rep",
                           agency_id=agency.id, os_account="load-desk")
    finally:
        db.close()
    return str(path), case_ids, "Load representative"


def run_desk(url: str, case_ids: list[int], *, profile_name: str | None, saves: int, seed: int,
             profiler: cProfile.Profile | None) -> dict[str, list[float]]:
    """`saves` saves as one desk; the CPU seconds of each, by kind."""
    from sqlmodel import col, select

    from marac_prep.core.chronology import add_entry, edit_entry
    from marac_prep.core.dates import PartialDate
    from marac_prep.core.db import open_database
    from marac_prep.core.identity import Proof, authenticate
    from marac_prep.core.models import ChronologyEntry
    from marac_prep.core.returns import returns_for_case, set_return
    from marac_prep.core.users import find_user

    rng = random.Random(seed)
    db = open_database(url, create=False)
    with db.session() as session:
        if profile_name is None:
            actor = authenticate(session, name=None, proof=Proof.of_this_process())
        else:
            found = find_user(session, profile_name)
            assert found is not None
            actor = found
        session.commit()
    agency_id = actor.agency_id or 0
    with db.read_session() as session:
        editable = [i for i in session.exec(select(ChronologyEntry.id).where(
            col(ChronologyEntry.case_id).in_(case_ids[:HOT_CASES]), ChronologyEntry.agency_id == agency_id,
        )).all() if i is not None]
    kinds = [k for k, w in MIX for _ in range(w)]
    cpu: dict[str, list[float]] = {"add": [], "edit": [], "return": [], "read": []}
    today = date.today()
    for n in range(saves):
        kind = rng.choice(kinds) if editable else "add"
        if kind == "add":
            started = time.process_time()
            if profiler:
                profiler.enable()
            with db.session() as session:
                entry = add_entry(
                    session, actor=actor, case_id=rng.choice(case_ids), agency_id=agency_id,
                    date=PartialDate(today - timedelta(days=rng.randint(1, 300))),
                    event_type=rng.choice(EVENT_TYPES), summary=f"CPU entry {n}",
                    detail="A fictional entry written by the CPU benchmark.",
                )
            if profiler:
                profiler.disable()
            cpu["add"].append(time.process_time() - started)
            if entry.case_id in case_ids[:HOT_CASES] and entry.id is not None:
                editable.append(entry.id)
        elif kind == "edit":
            entry_id = rng.choice(editable)
            read = time.process_time()
            with db.read_session() as session:
                version = session.get(ChronologyEntry, entry_id).version  # type: ignore[union-attr]
            started = time.process_time()
            cpu["read"].append(started - read)
            if profiler:
                profiler.enable()
            with db.session() as session:
                edit_entry(session, actor=actor, entry_id=entry_id, expected_version=version,
                           detail=f"CPU edit {n}")
            if profiler:
                profiler.disable()
            cpu["edit"].append(time.process_time() - started)
        else:
            case_id = rng.choice(case_ids)
            read = time.process_time()
            with db.read_session() as session:
                row = next((r for r in returns_for_case(session, case_id) if r.agency.id == agency_id), None)
            version = row.record.version if row is not None and row.record is not None else None
            started = time.process_time()
            cpu["read"].append(started - read)
            if profiler:
                profiler.enable()
            with db.session() as session:
                set_return(session, actor=actor, case_id=case_id, agency_id=agency_id,
                           status=rng.choice(RETURN_STATUSES), representative="Load representative",
                           note=f"CPU return {n}", expected_version=version)
            if profiler:
                profiler.disable()
            cpu["return"].append(time.process_time() - started)
    db.close()
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20, help="saves first, not counted (imports, caches)")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of a server")
    parser.add_argument("--url", default=os.environ.get(PG_URL_VAR, "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--profile", help="write a cProfile of the counted saves to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    import marac_prep

    with tempfile.TemporaryDirectory() as folder:
        server = None
        if args.sqlite:
            url, case_ids, name = _sqlite_desk(Path(folder), args.seed)
        else:
            server = create_server(args.url)
        try:
            if server is not None:
                plan, _coordinator, desks = add_desks(server, 1, seed=args.seed)
                url, case_ids, name = desks[0].url, plan.case_ids, None  # type: ignore[assignment]
            run_desk(url, case_ids, profile_name=name, saves=args.warm, seed=args.seed + 1, profiler=None)
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            cpu = run_desk(url, case_ids, profile_name=name, saves=args.saves, seed=args.seed, profiler=profiler)
            if profiler is not None:
                profiler.dump_stats(args.profile)
        finally:
            if server is not None:
                drop_server(server)
    saves = cpu["add"] + cpu["edit"] + cpu["return"]
    line = [f"{'sqlite' if args.sqlite else 'postgresql'} {Path(marac_prep.__file__).parent.parent.name}:",
            f"save mean {1000 * statistics.fmean(saves):.2f} ms median {1000 * statistics.median(saves):.2f} ms"
            f" (n={len(saves)})"]
    for kind in ("add", "edit", "return", "read"):
        if cpu[kind]:
            line.append(f"{kind} {1000 * statistics.fmean(cpu[kind]):.2f}/{1000 * statistics.median(cpu[kind]):.2f}")
    print("  ".join(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
