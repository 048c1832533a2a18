"""Stored gap findings: a meeting's analysis read back, not recomputed, while nothing it rests on
has changed (issue 12; decision 0099).

Each case's findings are kept in `case_findings` with an input key: a digest of
- the audit chain's head (the last event's id and hash). Every change to data is audited in the
  transaction that makes it (`core.audit`), so any change anywhere – an entry, a return, a
  person match, a setting, another case that makes this one a repeat – moves the head;
- today's date (rules look at windows ending today; the analysis is run for that day);
- the text reader's rules version, and a digest of the analysis code and the data files it reads
  (`code_digest`: every module of `analysis` and `core`, and the shipped JSON);
- the settings in force (the packaged defaults overlaid with the database's);
- the schema revision.

The key is coarse – any audited write invalidates every stored finding – so that it cannot miss
an input. It is read before anything the findings rest on, so findings are only ever stored
under a key at least as old as the data they were computed from (never newer: never stale).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

import marac_prep
from marac_prep.analysis.findings import KINDS, SEVERITIES, FindingKind, GapFinding, Instance, Quote, Severity
from marac_prep.analysis.gaps import GapSettings, analyse_case
from marac_prep.analysis.reading import attach_signals, rules_version
from marac_prep.core.audit import chain_head
from marac_prep.core.casefile import CaseFile, load_case_files
from marac_prep.core.cases import cases_for_meeting, get_case
from marac_prep.core.db import is_read_only
from marac_prep.core.errors import StorageError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Case
from marac_prep.core.settings import current_values
from marac_prep.resources import resources_dir

log = logging.getLogger(__name__)

FORMAT = 1  # the stored JSON's layout (`encode`)
_CHUNK = 500  # case ids per IN (...) list
_STORE_WAIT_MS = 200  # how long a store waits for another writer before giving up (it is only a cache)

_KINDS: dict[str, FindingKind] = {k: k for k in KINDS}
_SEVERITIES: dict[str, Severity] = {s: s for s in SEVERITIES}


@cache
def code_digest() -> str:
    """A digest of the code and data the findings come from: every module of `marac_prep.analysis`
    and `marac_prep.core` (the loaders, matching, returns, vocabulary, settings…; migrations aside:
    the schema revision is in the key) and the shipped JSON data files. Computed once per process."""
    package = Path(marac_prep.__file__).resolve().parent
    data = resources_dir()
    files = [
        *sorted((package / "analysis").rglob("*.py")),
        *sorted(p for p in (package / "core").rglob("*.py") if "migrations" not in p.relative_to(package).parts),
        *sorted(data.rglob("*.json")),
    ]
    digest = hashlib.sha256()
    for path in files:
        root = data if path.is_relative_to(data) else package
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class InputKey:
    """The key stored findings must carry to be used now, and the day the analysis speaks for."""

    digest: str
    day: date


def input_key(session: Session, *, today: date | None = None) -> InputKey:
    """The key of every input of the analysis as the database stands now (see the module's note).

    Read it before anything the findings rest on: data read afterwards is at least as new."""
    head_id, head_hash = chain_head(session, lock=False)
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    day = today or date.today()
    parts = {
        "format": FORMAT,
        "head": [head_id, head_hash],
        "day": day.isoformat(),
        "rules": rules_version(),
        "code": code_digest(),
        "settings": current_values(session),
        "schema": revision,
    }
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return InputKey(hashlib.sha256(canonical.encode()).hexdigest(), day)


# --- the stored JSON ----------------------------------------------------------------------------


def _quote(q: Quote) -> list[Any]:
    return [q.entry_id, q.words, q.reads_as]


def encode(findings: Sequence[GapFinding]) -> str:
    """A case's findings as the stored JSON (reviews are never stored: they are attached after)."""
    rows = []
    for f in findings:
        if f.review is not None:
            raise ValueError("a reviewed finding is not stored: reviews are attached when read")
        rows.append([
            f.kind, f.case_id, f.case_reference, f.agency, list(f.entry_ids), f.severity, f.message, f.why, f.key,
            [[i.message, i.severity, list(i.entry_ids), [_quote(q) for q in i.quotes], i.short] for i in f.instances],
            [_quote(q) for q in f.from_text],
        ])
    return json.dumps(rows, ensure_ascii=True, separators=(",", ":"))


def _quotes(items: list[list[Any]]) -> tuple[Quote, ...]:
    return tuple([Quote(entry_id, words, reads_as) for entry_id, words, reads_as in items]) if items else ()


def decode(stored: str) -> list[GapFinding]:
    """The findings `encode` stored, equal to those encoded (JSON keeps the ints and strings; lists
    become the tuples again). Raises ValueError (or KeyError, TypeError) on a row it cannot read:
    the caller then analyses the case again. Only coordinators write the table (server_roles)."""
    found = []
    for kind, case_id, reference, agency, entry_ids, severity, message, why, key, instances, from_text in json.loads(
        stored
    ):
        found.append(GapFinding(
            _KINDS[kind], case_id, reference, agency, tuple(entry_ids), _SEVERITIES[severity], message, why, key,
            tuple([
                Instance(i_message, _SEVERITIES[i_severity], tuple(i_ids), _quotes(i_quotes), short)
                for i_message, i_severity, i_ids, i_quotes, short in instances
            ]),
            _quotes(from_text),
        ))
    return found


# --- reading, analysing and storing -------------------------------------------------------------


def _stored_rows(session: Session, case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """case id -> (input key, findings JSON) for these cases' stored rows."""
    ids = sorted({int(i) for i in case_ids})  # integers only: nothing to escape
    found: dict[int, tuple[str, str]] = {}
    connection = session.connection()
    for first in range(0, len(ids), _CHUNK):
        listed = ",".join(str(i) for i in ids[first : first + _CHUNK])
        for case_id, key, findings in connection.exec_driver_sql(
            f"SELECT case_id, input_key, findings FROM case_findings WHERE case_id IN ({listed})"
        ).fetchall():
            found[int(case_id)] = (str(key), str(findings))
    return found


def analyse_now(case_file: CaseFile, day: date) -> list[GapFinding]:
    """`analyse_case` for the day the key speaks for (today's analysis, pinned to that day)."""
    return analyse_case(case_file, replace(GapSettings.from_settings(case_file.settings), as_of=day))


def _store(session: Session, key: InputKey, fresh: dict[int, list[GapFinding]]) -> bool:
    """Stores these findings under `key` and commits; False (nothing stored, the session's
    transaction still usable) when the database is busy, the login may not write the table (only
    coordinators do on a server), or anything else refuses it: they are computed again next time.

    In a savepoint, waiting at most `_STORE_WAIT_MS` for another writer: this is only a cache.
    """
    rows = [
        {"case_id": case_id, "input_key": key.digest, "findings": encode(found), "stored_at": datetime.now(UTC)}
        for case_id, found in fresh.items()
    ]
    connection = session.connection()
    dialect = connection.dialect.name
    from sqlalchemy.dialects import postgresql, sqlite

    from marac_prep.core.models import CaseFindings

    table: Any = CaseFindings.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.case_id],
        set_={"input_key": statement.excluded.input_key, "findings": statement.excluded.findings,
              "stored_at": statement.excluded.stored_at},
    )
    waited = None
    try:
        if dialect == "sqlite":
            waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {_STORE_WAIT_MS}")
        with session.begin_nested():
            if dialect == "postgresql":
                session.execute(text(f"SET LOCAL lock_timeout = {_STORE_WAIT_MS}"))
            session.execute(statement, rows)
    except (SQLAlchemyError, StorageError) as exc:  # StorageError: busy, said as a sentence (storage_errors)
        log.info("gap findings not stored this time (%s); they are computed again next time", type(exc).__name__)
        return False
    finally:
        if waited is not None:
            with contextlib.suppress(SQLAlchemyError, StorageError):
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")
    try:
        session.commit()
    except (SQLAlchemyError, StorageError) as exc:
        session.rollback()
        log.info("gap findings not stored this time (%s); they are computed again next time", type(exc).__name__)
        return False
    return True


def _findings_of(
    session: Session, key: InputKey, cases: Sequence[Case], *, store: bool = True, clean: bool = True
) -> dict[int, list[GapFinding]]:
    """Each case's findings, by case id in the order given: read from `case_findings` where its
    row carries `key`, else analysed now (case files read, signals attached) and stored.

    `key` must have been read (`input_key`) before the cases and anything else they rest on;
    `clean` says the session held no loaded objects then (see `meeting_findings`): only then are
    new findings stored, since objects loaded earlier could be older than the key.
    """
    ids = [c.id or 0 for c in cases]
    found: dict[int, list[GapFinding]] = {}
    for case_id, (stored_key, stored) in _stored_rows(session, ids).items():
        if stored_key != key.digest:
            continue
        try:
            found[case_id] = decode(stored)
        except (ValueError, KeyError, TypeError):
            log.warning("stored gap findings of case %s could not be read; analysing it again", case_id)
    missing = [c for c in cases if (c.id or 0) not in found]
    if missing:
        files = load_case_files(session, missing)
        # What the entries' words say: stored, or read now – and stored only from a session that
        # held nothing of its caller's (the signals' store commits, and a change of the caller's
        # already flushed by a query would be committed with it).
        attach_signals(session, files, store=store and clean)
        fresh = {f.case.id or 0: analyse_now(f, key.day) for f in files}
        found.update(fresh)
        # Not stored when the day moved on meanwhile (the data may be tomorrow's), for a read-only
        # database, or a session that held objects or changes of its caller's.
        if store and clean and date.today() == key.day and not is_read_only(session) and not _busy(session):
            _store(session, key, fresh)
    return {case_id: found[case_id] for case_id in ids}


def _busy(session: Session) -> bool:
    """Whether the session holds its caller's unsaved changes (never commit someone else's work)."""
    return bool(session.new or session.dirty or session.deleted)


def _clean(session: Session) -> bool:
    return not session.identity_map and not _busy(session)


def meeting_findings(session: Session, meeting_id: int, *, store: bool = True) -> dict[int, list[GapFinding]]:
    """Every case on the meeting's agenda with its gap findings (as `analyse_case` gives them for
    today, reviews not attached), in agenda order: stored ones where nothing changed since, the
    rest analysed now and stored (unless `store` is False, the database is read-only or busy, or
    the login may not write them).

    Use a session that has loaded nothing yet (a new one): findings are stored only then. The
    session may be a read session: new rows are written and committed in a short transaction.
    """
    clean = _clean(session)
    key = input_key(session)
    get_meeting(session, meeting_id)  # a meeting deleted meanwhile is said so (NotFound)
    return _findings_of(session, key, cases_for_meeting(session, meeting_id), store=store, clean=clean)


def case_findings(session: Session, case_id: int, *, store: bool = True) -> list[GapFinding]:
    """One case's gap findings, as `meeting_findings` gives them."""
    clean = _clean(session)
    key = input_key(session)
    return _findings_of(session, key, [get_case(session, case_id)], store=store, clean=clean)[case_id]
