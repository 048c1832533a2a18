"""Many desks, one server: agency representatives saving on one meeting while the coordinator watches.

    python benchmarks/load.py [--writers 20] [--seconds 30] [--think 0.5] [--url URL] [--json FILE]
    python benchmarks/load.py --writers 5 10 20 40      (one phase after another on one database)

Each representative is a process logged in as its own PostgreSQL login (an agency
representative of one agency, as the app connects on a shared server), going through the app's
own services: `chronology.add_entry`, `chronology.edit_entry` and `returns.set_return` on one
25-case meeting made by the demo generator. A coordinator process, logged in as a coordinator,
re-reads the meeting page every second with the calls the meeting view makes (the meeting list,
the agenda lines, the gap matrix's case files) and then runs the gap analysis. Edits and returns
are read first and saved with the version read, after a pause, as the dialogs do: a save that
finds the version changed is refused (counted as a conflict, never a failure).

Afterwards the harness checks, as the server's administrator, that every acknowledged write is
in the database exactly once (each carries a unique token: a new entry's summary, an edit's
detail – found in the entry or in exactly one of its kept versions –, a return's note) and none
that was refused, that the audit trail holds one event per acknowledged write by its writer, and
that the audit chain verifies.

A private database `load_bench_<pid>` and its logins are created on the server named by --url
(default MARAC_PREP_TEST_POSTGRES_URL), which must allow CREATE DATABASE and CREATE ROLE; both are
dropped afterwards. Exit status: 0 when the targets are met and nothing was lost, 1 when a target
is missed or a write lost or duplicated, 2 when no server could be reached (skipped).

Targets (issue 19), judged for phases of at most 20 writers: p95 save < 50 ms, p95 meeting
refresh < 200 ms, 0 lost or duplicated writes, the audit chain intact.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

SAVE_TARGET_S = 0.050
REFRESH_TARGET_S = 0.200
JUDGED_UP_TO = 20  # the targets are set "at 20 writers on this two-core machine"
PG_URL_VAR = "MARAC_PREP_TEST_POSTGRES_URL"
CASES = 25
ENTRIES_PER_CASE = 24  # the demo's default: about 600 entries on the meeting before the load
HOT_CASES = 5  # edits go to entries on the first cases, so two desks of one agency sometimes meet
# What a representative does, by weight: add an entry, edit one, set the agency's return.
MIX = (("add", 5), ("edit", 3), ("return", 2))
RETURN_STATUSES = ("requested", "returned", "returned")
EVENT_TYPES = ("incident", "contact", "disclosure", "service_offered", "missed_appointment")
SKIPPED = 2


class ServerUnavailable(Exception):
    """No PostgreSQL server to load (the run is skipped, not failed)."""


@dataclass
class Desk:
    """One simulated person: their login and what they write for."""

    login: str
    url: str
    agency_id: int | None  # None for the coordinator


@dataclass
class Plan:
    meeting_id: int
    case_ids: list[int]


# --- the processes ----------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _backend_cpu(db: Any) -> float | None:
    """CPU seconds the server processes of this login have used so far, read from /proc: the
    harness and a loopback server share the machine (None for a server elsewhere)."""
    with db.read_session() as session:
        pids = [int(p) for (p,) in session.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE usename = session_user"))]
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total


class _ChainLockClock:
    """Times, for each acknowledged save, the wait for the audit chain's lock (every save on the
    server takes it, one at a time: core/audit.py) and how long the save held it to its end."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.waits: list[float] = []
        self.holds: list[float] = []
        self.hold_cpu: list[float] = []  # the desk's own CPU while it held the lock
        self._asked = self._got = self._got_cpu = 0.0

        @event.listens_for(engine, "before_cursor_execute")
        def _before(*args: Any) -> None:
            if "pg_advisory_xact_lock" in args[2]:
                self._asked = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(*args: Any) -> None:
            if "pg_advisory_xact_lock" in args[2]:
                self._got, self._got_cpu = time.perf_counter(), time.process_time()

    def saved(self) -> None:
        if self._got:
            self.waits.append(self._got - self._asked)
            self.holds.append(time.perf_counter() - self._got)
            self.hold_cpu.append(time.process_time() - self._got_cpu)
        self._asked = self._got = 0.0


def _writer(desk: Desk, plan: Plan, *, tag: str, seconds: float, think: float, seed: int,
            barrier: Any, results: Any) -> None:
    """A representative: opens the app's database as their own login, then saves until time is up."""
    try:
        from sqlmodel import col, select

        from marac_prep.core.chronology import add_entry, edit_entry
        from marac_prep.core.dates import PartialDate
        from marac_prep.core.db import open_database
        from marac_prep.core.errors import ConflictError
        from marac_prep.core.identity import Proof, authenticate
        from marac_prep.core.models import ChronologyEntry
        from marac_prep.core.returns import returns_for_case, set_return

        rng = random.Random(seed)
        db = open_database(desk.url, create=False)
        chain = _ChainLockClock(db.engine)
        with db.session() as session:
            actor = authenticate(session, name=None, proof=Proof.of_this_process())
            session.commit()
        agency_id = desk.agency_id or 0
        with db.read_session() as session:
            # The entries this desk may come to edit: its agency's on the cases under discussion.
            editable = [i for i in session.exec(
                select(ChronologyEntry.id).where(
                    col(ChronologyEntry.case_id).in_(plan.case_ids[:HOT_CASES]),
                    ChronologyEntry.agency_id == agency_id,
                )
            ).all() if i is not None]
        acked: dict[str, list[str]] = {"add": [], "edit": [], "return": []}
        refused: list[str] = []
        failed: list[str] = []
        latency: dict[str, list[float]] = {"add": [], "edit": [], "return": []}
        conflict_latency: list[float] = []
        kinds = [k for k, w in MIX for _ in range(w)]
        today = date.today()
        barrier.wait(timeout=300)
        deadline = time.monotonic() + seconds
        server_cpu, client_cpu = _backend_cpu(db), time.process_time()
        n = 0
        while True:
            time.sleep(rng.expovariate(1 / think) if think > 0 else 0)
            if time.monotonic() >= deadline:
                break
            n += 1
            token = f"{tag}-{desk.login.rsplit('_', 1)[-1]}-{n:05d}"
            kind = rng.choice(kinds) if editable else "add"
            elapsed = 0.0
            chain._asked = chain._got = 0.0
            try:
                if kind == "add":
                    started = time.perf_counter()
                    with db.session() as session:
                        entry = add_entry(
                            session, actor=actor, case_id=rng.choice(plan.case_ids), agency_id=agency_id,
                            date=PartialDate(today - timedelta(days=rng.randint(1, 300))),
                            event_type=rng.choice(EVENT_TYPES), summary=f"Load entry {token}",
                            detail="A fictional entry written by the load test.",
                        )
                    latency["add"].append(time.perf_counter() - started)
                    chain.saved()
                    if entry.case_id in plan.case_ids[:HOT_CASES] and entry.id is not None:
                        editable.append(entry.id)
                elif kind == "edit":
                    entry_id = rng.choice(editable)
                    with db.read_session() as session:  # the dialog opens on the entry as it is now
                        version = session.get(ChronologyEntry, entry_id).version  # type: ignore[union-attr]
                    time.sleep(rng.uniform(0, think))  # the person types
                    started = time.perf_counter()
                    try:
                        with db.session() as session:
                            edit_entry(session, actor=actor, entry_id=entry_id, expected_version=version,
                                       detail=f"Load edit {token}")
                    finally:
                        elapsed = time.perf_counter() - started
                    latency["edit"].append(elapsed)
                    chain.saved()
                else:
                    case_id = rng.choice(plan.case_ids)
                    with db.read_session() as session:  # the returns panel shows the return
                        row = next((r for r in returns_for_case(session, case_id) if r.agency.id == agency_id), None)
                    version = row.record.version if row is not None and row.record is not None else None
                    time.sleep(rng.uniform(0, think))
                    started = time.perf_counter()
                    try:
                        with db.session() as session:
                            set_return(session, actor=actor, case_id=case_id, agency_id=agency_id,
                                       status=rng.choice(RETURN_STATUSES), representative=desk.login,
                                       note=f"Load return {token}", expected_version=version)
                    finally:
                        elapsed = time.perf_counter() - started
                    latency["return"].append(elapsed)
                    chain.saved()
                acked[kind].append(token)
            except ConflictError:
                conflict_latency.append(elapsed)
                refused.append(token)
            except Exception as exc:  # a busy server or a lost connection: reported, counted
                failed.append(f"{token} {kind}: {type(exc).__name__}: {exc}")
        client_cpu = time.process_time() - client_cpu
        server_end = _backend_cpu(db)
        db.close()
        results.put({"login": desk.login, "user_id": actor.id, "acked": acked, "refused": refused,
                     "failed": failed, "latency": latency, "conflict_latency": conflict_latency,
                     "client_cpu": client_cpu, "lock_wait": chain.waits, "lock_hold": chain.holds,
                     "lock_hold_cpu": chain.hold_cpu,
                     "server_cpu": None if server_cpu is None or server_end is None else server_end - server_cpu})
    except Exception:
        results.put({"login": desk.login, "error": traceback.format_exc()})
        barrier.abort()


def _coordinator(desk: Desk, plan: Plan, *, seconds: float, barrier: Any, results: Any) -> None:
    """The coordinator's meeting page: re-read every second, then the meeting's gap analysis."""
    try:
        from marac_prep.analysis.stored import meeting_findings
        from marac_prep.core.db import open_database
        from marac_prep.core.identity import Proof, authenticate
        from marac_prep.ui.gap_matrix import load_matrix_rows
        from marac_prep.ui.meeting_view import load_case_lines, load_meeting_lines

        db = open_database(desk.url, create=False)
        with db.session() as session:
            authenticate(session, name=None, proof=Proof.of_this_process())
            session.commit()

        def refresh() -> tuple[float, float, int, float]:
            cpu = time.process_time()
            started = time.perf_counter()
            # What the meeting page reads (ui/main_window.py): the meetings, the case list and the
            # gap matrix's few small queries (decision 0075).
            with db.read_session() as session:
                load_meeting_lines(session)
                load_case_lines(session, plan.meeting_id)
                load_matrix_rows(session, plan.meeting_id)
            refreshed = time.perf_counter()
            cpu = time.process_time() - cpu
            # The app's meeting analysis: stored findings while nothing changed, else analysed and
            # stored (with agencies saving throughout, mostly the latter; decision 0099).
            with db.read_session() as session:
                findings = meeting_findings(session, plan.meeting_id)
            analysed = time.perf_counter() - refreshed
            return refreshed - started, analysed, sum(len(f) for f in findings.values()), cpu

        refresh()  # the text reader is built once per process, before the clock starts
        refreshes: list[float] = []
        analyses: list[float] = []
        cpu: list[float] = []
        findings = 0
        barrier.wait(timeout=300)
        started = time.monotonic()
        deadline = started + seconds
        tick = 0
        while time.monotonic() < deadline:
            took, analysed, findings, used = refresh()
            refreshes.append(took)
            cpu.append(used)
            analyses.append(analysed)
            tick += 1
            time.sleep(max(0.0, started + tick - time.monotonic()))  # every second, not every second after
        db.close()
        results.put({"login": desk.login, "refresh": refreshes, "analysis": analyses, "findings": findings,
                     "refresh_cpu": cpu})
    except Exception:
        results.put({"login": desk.login, "error": traceback.format_exc()})
        barrier.abort()


# --- the server -------------------------------------------------------------------------------


def _admin_engine(url: str) -> Any:
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


def _with(url: str, *, database: str | None = None, login: str | None = None, password: str | None = None) -> str:
    target = make_url(url).set(drivername="postgresql")
    if database is not None:
        target = target.set(database=database)
    if login is not None:
        target = target.set(username=login, password=password)
    return target.render_as_string(hide_password=False)


@dataclass
class Server:
    """The private database and logins of one run."""

    admin_url: str
    name: str
    password: str
    logins: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return _with(self.admin_url, database=self.name)

    def url_as(self, login: str) -> str:
        return _with(self.admin_url, database=self.name, login=login, password=self.password)


def create_server(admin_url: str) -> Server:
    """A fresh database for this run, migrated; raises ServerUnavailable when there is no server."""
    from marac_prep.core.db import open_database

    admin = _admin_engine(admin_url)
    server = Server(admin_url=admin_url, name=f"load_bench_{os.getpid()}", password=secrets.token_urlsafe(18))
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{server.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{server.name}"'))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise ServerUnavailable(f"no PostgreSQL server could be reached at "
                                f"{make_url(admin_url).render_as_string(hide_password=True)} ({reason})") from None
    finally:
        admin.dispose()
    open_database(server.url).close()  # migrated (and the group roles made) by the app itself
    return server


def add_desks(server: Server, writers: int, *, seed: int) -> tuple[Plan, Desk, list[Desk]]:
    """The meeting (demo generator), a coordinator's login and one login per representative,
    each a profile of an agency taken in turn (Police, Idva service, Health …)."""
    from sqlmodel import col, select

    from marac_prep.core.db import open_database
    from marac_prep.core.models import Agency, Case
    from marac_prep.core.server_roles import GROUP_ROLES
    from marac_prep.core.users import create_profile, ensure_profile
    from marac_prep.demo import build_demo

    admin = _admin_engine(server.admin_url)
    db = open_database(server.url)
    try:
        coordinator_login = f"{server.name}_coord"
        rep_logins = [f"{server.name}_r{i:02d}" for i in range(writers)]
        with admin.connect() as conn:
            for login, role in [(coordinator_login, "coordinator"), *((r, "agency_rep") for r in rep_logins)]:
                conn.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD '{server.password}' "
                                  f"IN ROLE {GROUP_ROLES[role]}"))
                server.logins.append(login)
        with db.session() as session:
            owner = ensure_profile(session, name="Load test setup", role="coordinator")
            session.commit()
            build_demo(session, actor=owner, cases=CASES, entries_per_case=ENTRIES_PER_CASE, seed=seed)
            meeting_id = session.exec(select(Case.meeting_id).group_by(col(Case.meeting_id))
                                      .order_by(col(Case.meeting_id))).first()
            case_ids = [c for c in session.exec(select(Case.id).where(Case.meeting_id == meeting_id)
                                                .order_by(col(Case.id))).all() if c is not None]
            agencies = [a.id for a in session.exec(select(Agency).where(Agency.active).order_by(col(Agency.id))).all()]
            create_profile(session, actor=owner, name="Load coordinator", role="coordinator", agency_id=None,
                           db_login=coordinator_login)
            desks = []
            for i, login in enumerate(rep_logins):
                agency_id = agencies[i % len(agencies)]
                create_profile(session, actor=owner, name=f"Load representative {i:02d}", role="agency_rep",
                               agency_id=agency_id, db_login=login)
                desks.append(Desk(login=login, url=server.url_as(login), agency_id=agency_id))
    finally:
        db.close()
        admin.dispose()
    coordinator = Desk(coordinator_login, server.url_as(coordinator_login), None)
    return Plan(meeting_id=meeting_id or 0, case_ids=case_ids), coordinator, desks


def more_desks(server: Server, desks: list[Desk], writers: int) -> list[Desk]:
    """Desks for a phase with more writers than made so far (new logins, same agencies in turn)."""
    if writers <= len(desks):
        return desks[:writers]
    from sqlmodel import col, select

    from marac_prep.core.db import open_database
    from marac_prep.core.models import Agency
    from marac_prep.core.server_roles import GROUP_ROLES
    from marac_prep.core.users import create_profile, find_user

    admin = _admin_engine(server.admin_url)
    db = open_database(server.url)
    try:
        with db.session() as session:
            owner = find_user(session, "Load test setup")
            agencies = [a.id for a in session.exec(select(Agency).where(Agency.active).order_by(col(Agency.id))).all()]
            for i in range(len(desks), writers):
                login = f"{server.name}_r{i:02d}"
                with admin.connect() as conn:
                    conn.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD '{server.password}' "
                                      f"IN ROLE {GROUP_ROLES['agency_rep']}"))
                server.logins.append(login)
                agency_id = agencies[i % len(agencies)]
                create_profile(session, actor=owner, name=f"Load representative {i:02d}", role="agency_rep",
                               agency_id=agency_id, db_login=login)
                desks.append(Desk(login=login, url=server.url_as(login), agency_id=agency_id))
    finally:
        db.close()
        admin.dispose()
    return desks


def drop_server(server: Server) -> None:
    admin = _admin_engine(server.admin_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{server.name}" WITH (FORCE)'))
            for login in server.logins:
                conn.execute(text(f"DROP ROLE IF EXISTS {login}"))
    finally:
        admin.dispose()


# --- a phase: N writers and the coordinator for a bounded time --------------------------------


@dataclass
class Phase:
    """One phase's figures (latencies in seconds)."""

    writers: int
    seconds: float
    think: float
    saves: list[float]
    refreshes: list[float]
    analyses: list[float]
    conflicts: int
    failures: list[str]
    acknowledged: int
    findings: int
    load_average: tuple[float, float]  # the 1-minute load average before and after
    by_kind: dict[str, list[float]]
    # CPU seconds per save attempt (acknowledged or refused), whatever else the machine does:
    # the representative's process (including the read before an edit) and its server process.
    client_cpu_per_write: float | None = None
    server_cpu_per_write: float | None = None
    refresh_cpu: list[float] = field(default_factory=list)
    lock_waits: list[float] = field(default_factory=list)  # for the audit chain's lock, per save
    lock_holds: list[float] = field(default_factory=list)  # from getting it to the save's end
    lock_hold_cpu: list[float] = field(default_factory=list)  # the desk's CPU meanwhile

    @property
    def writes_per_second(self) -> float:
        return self.acknowledged / self.seconds

    def p(self, which: str, pct: float) -> float | None:
        return _percentile(getattr(self, which), pct)

    @property
    def judged(self) -> bool:
        return self.writers <= JUDGED_UP_TO

    @property
    def targets_met(self) -> bool:
        save, refresh = self.p("saves", 95), self.p("refreshes", 95)
        return (save is not None and save < SAVE_TARGET_S and refresh is not None
                and refresh < REFRESH_TARGET_S and not self.failures)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "writers": self.writers, "seconds": self.seconds, "think_s": self.think,
            "writes_per_second": round(self.writes_per_second, 1), "acknowledged": self.acknowledged,
            "conflicts_refused": self.conflicts, "failures": len(self.failures),
            "load_average_before_after": list(self.load_average),
        }
        for which in ("saves", "refreshes", "analyses"):
            figures = {f"p{pct}_ms": _ms(self.p(which, pct)) for pct in (50, 95, 99)}
            out[which] = figures | {"n": len(getattr(self, which))}
        out["saves_by_kind"] = {k: {"p50_ms": _ms(_percentile(v, 50)), "p95_ms": _ms(_percentile(v, 95)), "n": len(v)}
                                for k, v in self.by_kind.items()}
        out["findings"] = self.findings
        out["cpu_ms_per_write"] = {"client": _ms(self.client_cpu_per_write), "server": _ms(self.server_cpu_per_write)}
        out["refresh_cpu_ms_p50"] = _ms(_percentile(self.refresh_cpu, 50))
        out["audit_chain_lock"] = {
            "wait_p50_ms": _ms(_percentile(self.lock_waits, 50)), "wait_p95_ms": _ms(_percentile(self.lock_waits, 95)),
            "hold_p50_ms": _ms(_percentile(self.lock_holds, 50)), "hold_p95_ms": _ms(_percentile(self.lock_holds, 95)),
            "hold_desk_cpu_p50_ms": _ms(_percentile(self.lock_hold_cpu, 50)),
        }
        if self.judged:
            out["targets_met"] = self.targets_met
        return out


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _start_method() -> str:
    # fork: the processes start in a fraction of a second with the app already imported (no engine
    # is open in this process at that point); spawn imports the data stack once per process. A
    # process with threads of its own (a test run with Qt started) should spawn.
    return "fork" if sys.platform.startswith("linux") else "spawn"


def run_phase(plan: Plan, coordinator: Desk, desks: list[Desk], *, tag: str, seconds: float, think: float,
              seed: int, start_method: str | None = None) -> tuple[Phase, list[dict[str, Any]]]:
    """Runs the writers and the coordinator together; returns the phase's figures and each
    writer's record of what it was acknowledged and refused."""
    context = multiprocessing.get_context(start_method or _start_method())
    barrier = context.Barrier(len(desks) + 2)
    results = context.Queue()
    processes = [
        context.Process(target=_writer, args=(desk, plan),
                        kwargs={"tag": tag, "seconds": seconds, "think": think, "seed": seed * 1000 + i,
                                "barrier": barrier, "results": results}, daemon=True)
        for i, desk in enumerate(desks)
    ]
    processes.append(context.Process(target=_coordinator, args=(coordinator, plan),
                                     kwargs={"seconds": seconds, "barrier": barrier, "results": results}, daemon=True))
    for process in processes:
        process.start()
    collected: list[dict[str, Any]] = []
    before = after = 0.0
    try:
        barrier.wait(timeout=300)
        before = os.getloadavg()[0]
        while len(collected) < len(processes):
            collected.append(results.get(timeout=seconds + 300))
        after = os.getloadavg()[0]
    except Exception:
        for process in processes:
            process.kill()
        errors = [r["error"] for r in collected if "error" in r]
        raise RuntimeError("a desk could not run:\n" + ("\n".join(errors) or "no process reported")) from None
    finally:
        for process in processes:
            process.join(timeout=30)
    errors = [r["error"] for r in collected if "error" in r]
    if errors:
        raise RuntimeError("a desk could not run:\n" + "\n".join(errors))
    coordinator_result = next(r for r in collected if r["login"] == coordinator.login)
    writers = [r for r in collected if r["login"] != coordinator.login]
    by_kind: dict[str, list[float]] = {"add": [], "edit": [], "return": []}
    for w in writers:
        for kind, values in w["latency"].items():
            by_kind[kind] += values
    phase = Phase(
        writers=len(desks), seconds=seconds, think=think,
        saves=[v for values in by_kind.values() for v in values],
        refreshes=coordinator_result["refresh"], analyses=coordinator_result["analysis"],
        conflicts=sum(len(w["refused"]) for w in writers),
        failures=[f for w in writers for f in w["failed"]],
        acknowledged=sum(len(v) for w in writers for v in w["acked"].values()),
        findings=coordinator_result["findings"], load_average=(before, after), by_kind=by_kind,
        refresh_cpu=coordinator_result["refresh_cpu"],
        lock_waits=[v for w in writers for v in w["lock_wait"]],
        lock_holds=[v for w in writers for v in w["lock_hold"]],
        lock_hold_cpu=[v for w in writers for v in w["lock_hold_cpu"]],
    )
    attempts = sum(len(w["refused"]) + sum(len(v) for v in w["acked"].values()) for w in writers)
    if attempts:
        phase.client_cpu_per_write = sum(w["client_cpu"] for w in writers) / attempts
        if all(w["server_cpu"] is not None for w in writers):
            phase.server_cpu_per_write = sum(w["server_cpu"] for w in writers) / attempts
    return phase, writers


# --- afterwards: is every acknowledged write there exactly once? -----------------------------


@dataclass
class Integrity:
    acknowledged: int
    lost: list[str]
    duplicated: list[str]
    refused_present: list[str]
    unexpected: list[str]
    audit_mismatches: list[str]
    chain_ok: bool
    chain_events: int
    chain_reason: str

    @property
    def ok(self) -> bool:
        return self.chain_ok and not (self.lost or self.duplicated or self.refused_present
                                      or self.unexpected or self.audit_mismatches)

    def summary(self) -> dict[str, Any]:
        return {
            "acknowledged_writes": self.acknowledged, "lost": len(self.lost), "duplicated": len(self.duplicated),
            "refused_but_present": len(self.refused_present), "present_but_never_attempted": len(self.unexpected),
            "audit_mismatches": len(self.audit_mismatches), "chain_ok": self.chain_ok,
            "chain_events": self.chain_events, "chain_reason": self.chain_reason,
            "examples": (self.lost + self.duplicated + self.refused_present + self.unexpected
                         + self.audit_mismatches)[:10],
        }


def _tokens(rows: Any, prefix: str) -> Counter[str]:
    return Counter(str(value)[len(prefix):] for (value,) in rows if value)


def check_integrity(server: Server, records: list[dict[str, Any]]) -> Integrity:
    """Reads every load-test write back as the administrator and compares it with what the
    writers were told."""
    from marac_prep.core.audit import verify_chain
    from marac_prep.core.db import open_database

    acked = {kind: Counter(t for r in records for t in r["acked"][kind]) for kind in ("add", "edit", "return")}
    refused = {t for r in records for t in r["refused"]}
    failed = {f.split(" ", 1)[0] for r in records for f in r["failed"]}  # in doubt: may or may not be there
    db = open_database(server.url, create=False)
    try:
        with db.read_session() as session:
            entries = _tokens(session.execute(text(
                "SELECT summary FROM chronology_entry WHERE summary LIKE 'Load entry %'")), "Load entry ")
            edits = _tokens(session.execute(text(
                "SELECT detail FROM chronology_entry WHERE detail LIKE 'Load edit %' UNION ALL "
                "SELECT snapshot->>'detail' FROM chronology_entry_version WHERE snapshot->>'detail' LIKE 'Load edit %'"
            )), "Load edit ")
            notes = _tokens(session.execute(text(
                "SELECT note FROM agency_return WHERE note LIKE 'Load return %'")), "Load return ")
            events = Counter(
                (int(user_id), str(action)) for user_id, action in session.execute(text(
                    "SELECT user_id, action FROM audit_event WHERE action IN "
                    "('entry.create', 'entry.update', 'return.set') AND user_id IS NOT NULL"))
            )
            chain = verify_chain(session)
    finally:
        db.close()
    lost: list[str] = []
    duplicated: list[str] = []
    for kind, found in (("add", entries), ("edit", edits)):
        for token in acked[kind]:
            if found[token] == 0:
                lost.append(f"{kind} {token}")
            elif found[token] > 1 or acked[kind][token] > 1:
                duplicated.append(f"{kind} {token} ×{found[token]}")
    # A return keeps only its last note: the note there must be one a writer was acknowledged for.
    present = set(entries) | set(edits) | set(notes)
    refused_present = sorted(present & refused)
    unexpected = sorted(t for t in notes if t not in acked["return"] and t not in failed) + sorted(
        t for t in set(entries) | set(edits) if t not in acked["add"] and t not in acked["edit"] and t not in failed
    )
    mismatches = []
    # A desk writes in every phase under the same profile: its events are compared with all of them.
    wanted: Counter[tuple[int, str]] = Counter()
    doubtful: Counter[tuple[int, str]] = Counter()
    logins = {}
    for r in records:
        logins[r["user_id"]] = r["login"]
        for kind, action in (("add", "entry.create"), ("edit", "entry.update"), ("return", "return.set")):
            wanted[(r["user_id"], action)] += len(r["acked"][kind])
            doubtful[(r["user_id"], action)] += sum(1 for f in r["failed"] if f.split(" ", 2)[1].rstrip(":") == kind)
    for (user_id, action), want in sorted(wanted.items()):
        have = events[(user_id, action)]
        if not want <= have <= want + doubtful[(user_id, action)]:
            mismatches.append(f"{logins[user_id]}: {have} {action} events for {want} acknowledged")
    return Integrity(
        acknowledged=sum(sum(c.values()) for c in acked.values()), lost=lost, duplicated=duplicated,
        refused_present=refused_present, unexpected=unexpected, audit_mismatches=mismatches,
        chain_ok=chain.ok, chain_events=chain.count, chain_reason=chain.reason,
    )


# --- the whole run -----------------------------------------------------------------------------


@dataclass
class Report:
    phases: list[Phase]
    integrity: Integrity
    machine: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.integrity.ok and all(p.targets_met for p in self.phases if p.judged)

    def as_json(self) -> dict[str, Any]:
        return {"phases": [p.summary() for p in self.phases], "integrity": self.integrity.summary(),
                "machine": self.machine, "ok": self.ok}


def admin_url_from(url: str | None) -> str:
    url = url or os.environ.get(PG_URL_VAR)
    if not url:
        raise ServerUnavailable(f"no PostgreSQL server named: pass --url or set {PG_URL_VAR}")
    return url


def run_load(url: str | None, writer_counts: list[int], *, seconds: float, think: float, seed: int = 1,
             say: Any = None, start_method: str | None = None) -> Report:
    """Creates the private database, runs one phase per writer count, checks integrity, drops it."""
    say = say or (lambda message: print(message, file=sys.stderr, flush=True))
    server = create_server(admin_url_from(url))
    try:
        say(f"load: database {server.name}: building a {CASES}-case meeting and {max(writer_counts)} logins …")
        plan, coordinator, desks = add_desks(server, writer_counts[0], seed=seed)
        phases: list[Phase] = []
        records: list[dict[str, Any]] = []
        for index, writers in enumerate(writer_counts, start=1):
            desks = more_desks(server, desks, writers)
            say(f"load: phase {index}: {writers} writers and the coordinator for {seconds:g} s "
                f"(load average {os.getloadavg()[0]:.2f}) …")
            phase, written = run_phase(plan, coordinator, desks[:writers], tag=f"p{index}", seconds=seconds,
                                       think=think, seed=seed + index, start_method=start_method)
            phases.append(phase)
            records += written
        say("load: reading every acknowledged write back and verifying the audit chain …")
        integrity = check_integrity(server, records)
    finally:
        drop_server(server)
    return Report(phases=phases, integrity=integrity,
                  machine={"cpus": os.cpu_count(), "load_average_end": [round(x, 2) for x in os.getloadavg()]})


def format_report(report: Report) -> list[str]:
    lines = [
        "| writers | writes/s | save p50 / p95 / p99 | refresh p50 / p95 / p99 | gap analysis p50 / p95 "
        "| CPU per write: desk / server | refresh CPU p50 | chain lock wait / hold p50 "
        "| conflicts refused | failures "
        "| load avg before → after | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def trio(p: Phase, which: str, pcts: tuple[int, ...] = (50, 95, 99)) -> str:
        return " / ".join(f"{_ms(p.p(which, pct))}" for pct in pcts) + " ms"

    for p in report.phases:
        met = ("met" if p.targets_met else "**missed**") if p.judged else "not judged (> 20)"
        lines.append(
            f"| {p.writers} | {p.writes_per_second:.1f} | {trio(p, 'saves')} | {trio(p, 'refreshes')} "
            f"| {trio(p, 'analyses', (50, 95))} | {_ms(p.client_cpu_per_write)} / {_ms(p.server_cpu_per_write)} ms "
            f"| {_ms(_percentile(p.refresh_cpu, 50))} ms "
            f"| {_ms(_percentile(p.lock_waits, 50))} / {_ms(_percentile(p.lock_holds, 50))} ms "
            f"| {p.conflicts} | {len(p.failures)} "
            f"| {p.load_average[0]:.2f} → {p.load_average[1]:.2f} | {met} |"
        )
    i = report.integrity
    lines.append("")
    lines.append(
        f"Integrity: {i.acknowledged} acknowledged writes; lost {len(i.lost)}, duplicated {len(i.duplicated)}, "
        f"refused yet present {len(i.refused_present)}, present without being written {len(i.unexpected)}, "
        f"audit mismatches {len(i.audit_mismatches)}; audit chain "
        + (f"verifies ({i.chain_events} events)" if i.chain_ok else f"BROKEN: {i.chain_reason}")
    )
    for example in i.summary()["examples"]:
        lines.append(f"  - {example}")
    for p in report.phases:
        for failure in p.failures[:5]:
            lines.append(f"  - failed save ({p.writers} writers): {failure}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, nargs="+", default=[20], help="representatives (one phase each)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase (default 30)")
    parser.add_argument("--think", type=float, default=0.5,
                        help="mean pause of a representative between saves, and the longest pause "
                             "between opening an edit and saving it, in seconds (default 0.5; 0 = flat out)")
    parser.add_argument("--url", help=f"the server's administrator URL (default ${PG_URL_VAR})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = run_load(args.url, args.writers, seconds=args.seconds, think=args.think, seed=args.seed)
    except ServerUnavailable as exc:
        print(f"load: skipped – {exc}.", file=sys.stderr)
        return SKIPPED
    for line in format_report(report):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
    verdict = "every target met; nothing lost or duplicated" if report.ok else "TARGET MISSED or writes lost"
    print(f"\nload: {verdict}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
