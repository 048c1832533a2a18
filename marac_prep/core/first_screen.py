"""The first screen – the upcoming meeting's case list and gap matrix – read without the ORM.

Issue 17, decision 0100: importing SQLAlchemy, SQLModel and pydantic alone takes longer than the
whole start-up target, so the desktop app first reads what its opening screen shows through the
standard library's `sqlite3` (read-only), paints it, and only then opens the workspace as always.

The read is sure or it is nothing: `read_first_screen` returns None, and the app takes its
normal path (which gives the right message or prompt), whenever it cannot be certain it shows
exactly what the normal path would show to a profile the normal path would let in – a URL
(PostgreSQL), a missing, encrypted, locked or damaged file, a file on a network drive, a schema
that is not this version's head, or a profile that would need a passphrase or a choice. The rows
it gives are the rows of `ui.meeting_view.load_meeting_lines`, `load_case_lines` (all but the
repeat findings, which need the person matcher and come with the normal read) and
`ui.gap_matrix.load_matrix_rows`; `tests/ui/test_first_screen.py` ties each to its ORM twin.

Only the standard library and Qt-free, ORM-free modules are imported here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marac_prep.core.host import filesystem_type, is_network_type, same_account
from marac_prep.core.vocabulary import ReturnStatusOf

if TYPE_CHECKING:
    from marac_prep.core.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*(['\"])(\w+)\2", re.MULTILINE)
SQLITE_HEADER = b"SQLite format 3\x00"  # as core.db.probing: an encrypted file lacks it
ENV_DATABASE = "MARAC_PREP_DATABASE"  # as core.db.engine
# As core.db.probing (tied by a test): files up to this size are checked on open.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024
APP_NAME = "MaracPrep"


class _NotSure(Exception):
    """The lean read cannot vouch for what it would show: the normal path takes over."""


@dataclass(frozen=True)
class LeanAgency:
    id: int
    name: str
    short_code: str
    category: str
    active: bool


@dataclass(frozen=True)
class LeanReturnRecord:
    """The fields of an `AgencyReturn` the matrix shows."""

    agency_id: int
    status: str
    requested_on: date | None
    chased_on: date | None
    chase_count: int
    returned_on: date | None


@dataclass(frozen=True)
class LeanReturnRow(ReturnStatusOf):
    """`core.returns.ReturnRow` over lean records (same attributes, same rules)."""

    agency: LeanAgency
    record: LeanReturnRecord | None
    expected: bool



@dataclass(frozen=True)
class LeanMeeting:
    meeting_id: int
    meeting_date: date
    area: str
    status: str
    version: int
    case_count: int


@dataclass(frozen=True)
class LeanCase:
    """A case line without its repeat finding (`repeat` is the referral's own mark)."""

    case_id: int
    reference: str
    victim: str
    referring_agency: str
    dash_score: int | None
    repeat: bool
    answered: int
    expected: int
    status: str
    risk_level: str | None


@dataclass(frozen=True)
class LeanMatrixRow:
    case_id: int
    reference: str
    returns: tuple[LeanReturnRow, ...]
    agencies_with_entries: frozenset[int]


@dataclass(frozen=True)
class FirstScreen:
    """What the window shows first: the meetings, and the first meeting's cases and matrix."""

    location: str
    user_id: int
    meetings: tuple[LeanMeeting, ...]
    cases: tuple[LeanCase, ...]
    matrix: tuple[LeanMatrixRow, ...]
    overdue_actions: int = 0  # `core.actions.count_overdue`: every meeting's, for the page's link


def default_target() -> str:
    """`core.db.default_database_path()`, without importing the database layer (tied by a test)."""
    configured = os.environ.get(ENV_DATABASE)
    if configured:
        return str(Path(configured))
    import platformdirs

    return str(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "marac-prep.sqlite")


def head_revision() -> str | None:
    """The migrations' head, read from their files as `core.db.schema.known_revisions` reads them
    (tied by a test); None unless there is exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in MIGRATIONS.glob("*.py"):
        for kind, _quote, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def read_first_screen(
    target: str | None, *, user_name: str | None, os_account: str, today: date | None = None
) -> FirstScreen | None:
    """The first screen of the SQLite workspace at `target` (the default one when None), or None
    when the normal path must decide (see the module's docstring). Never raises; leaves the file
    as it found it."""
    try:
        path = Path(target if target is not None else default_target()).expanduser()
        if str(target or "").startswith(("postgresql:", "postgres:", "postgresql+")) or not path.is_file():
            return None
        if _on_network_drive(path):
            return None  # the normal path refuses it, and says why
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None  # encrypted (or not a database): the passphrase prompt or the refusal
    except Exception as exc:  # Whatever it is, the normal path decides and says it properly.
        log.info("first screen left to the normal path (%s)", exc.__class__.__name__)
        return None
    # A read-only open of a WAL database creates its -wal and -shm files; those this read made are
    # removed again (as core.db.probing does), so a file the normal path then refuses is left as found.
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    made = [p for p in sidecars if not p.exists()]
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=0.2, check_same_thread=False)
        try:
            connection.execute("PRAGMA query_only = ON")
            if path.stat().st_size <= QUICK_CHECK_LIMIT_BYTES:
                result = connection.execute("PRAGMA quick_check").fetchone()
                if not result or result[0] != "ok":
                    raise _NotSure("damaged")
            return _read(connection, str(path), user_name=user_name, os_account=os_account,
                         today=today or date.today())
        finally:
            connection.close()
    except Exception as exc:  # Whatever it is, the normal path decides and says it properly.
        log.info("first screen left to the normal path (%s)", exc.__class__.__name__)
        return None
    finally:
        _remove_sidecars(made)


def _remove_sidecars(made: list[Path]) -> None:
    """Removes the -wal and -shm files this read created, unless someone has written since."""
    try:
        if any(p.name.endswith("-wal") and p.exists() and p.stat().st_size > 0 for p in made):
            return
        for p in made:
            p.unlink(missing_ok=True)
    except OSError as exc:
        log.info("left a database's side file (%s)", exc.__class__.__name__)


def _on_network_drive(path: Path) -> bool:
    return is_network_type(filesystem_type(path) or "")


def _read(connection: sqlite3.Connection, location: str, *, user_name: str | None, os_account: str,
          today: date) -> FirstScreen:
    head = head_revision()
    revisions = [r[0] for r in connection.execute("SELECT version_num FROM alembic_version")]
    if head is None or revisions != [head]:
        raise _NotSure("schema revision")  # to be migrated, newer, or not ours: the normal path says so
    user_id = _user_id(connection, user_name, os_account)
    meetings = _meetings(connection, today)
    overdue = int(connection.execute(
        "SELECT count(*) FROM marac_action WHERE status = 'open' AND due_date IS NOT NULL AND due_date < ?",
        (today.isoformat(),),
    ).fetchone()[0])
    if not meetings:
        return FirstScreen(location, user_id, (), (), (), overdue)
    meeting_id = meetings[0].meeting_id
    cases = _cases_for_meeting(connection, meeting_id)
    ids = [int(c["id"]) for c in cases]
    agencies = [
        LeanAgency(id=int(r[0]), name=r[1], short_code=r[2], category=r[3], active=bool(r[4]))
        for r in connection.execute("SELECT id, name, short_code, category, active FROM agency ORDER BY id")
    ]
    by_id = {a.id: a for a in agencies}
    marks = _marks(len(ids))
    victims: dict[int, str] = {}
    with_children: set[int] = set()
    for case_id, role, name in connection.execute(
        f"SELECT case_id, role, name FROM person WHERE case_id IN ({marks})", ids
    ):
        if role == "victim":
            victims.setdefault(case_id, name)
        elif role == "child":
            with_children.add(case_id)
    records: dict[int, dict[int, LeanReturnRecord]] = {i: {} for i in ids}
    for row in connection.execute(
        "SELECT case_id, agency_id, status, requested_on, chased_on, chase_count, returned_on "
        f"FROM agency_return WHERE case_id IN ({marks})", ids,
    ):
        records[row[0]][row[1]] = LeanReturnRecord(
            agency_id=int(row[1]), status=row[2], requested_on=_day(row[3]), chased_on=_day(row[4]),
            chase_count=int(row[5]), returned_on=_day(row[6]),
        )
    with_entries: dict[int, set[int]] = {i: set() for i in ids}
    for case_id, agency_id in connection.execute(
        f"SELECT DISTINCT case_id, agency_id FROM chronology_entry WHERE case_id IN ({marks}) "
        "AND withdrawn_at IS NULL", ids,
    ):
        with_entries[case_id].add(agency_id)
    settings = _settings(connection)
    lines: list[LeanCase] = []
    matrix: list[LeanMatrixRow] = []
    for case in cases:
        case_id = int(case["id"])
        rows = return_rows(agencies, records[case_id], has_children=case_id in with_children)
        expected = [r for r in rows if r.expected]
        agency = by_id.get(case["referring_agency_id"])
        score = case["dash_score"]
        lines.append(LeanCase(
            case_id=case_id, reference=case["reference"], victim=victims.get(case_id, ""),
            referring_agency=agency.name if agency else "", dash_score=score, repeat=bool(case["repeat"]),
            answered=sum(1 for r in expected if r.answered), expected=len(expected), status=case["status"],
            risk_level=settings.risk_level(score),
        ))
        matrix.append(LeanMatrixRow(case_id=case_id, reference=case["reference"], returns=tuple(rows),
                                    agencies_with_entries=frozenset(with_entries[case_id])))
    return FirstScreen(location, user_id, tuple(meetings), tuple(lines), tuple(matrix), overdue)


def _marks(count: int) -> str:
    return ",".join("?" * count) or "NULL"


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value is not None else None


def _user_id(connection: sqlite3.Connection, user_name: str | None, os_account: str) -> int:
    """The profile `core.identity.authenticate` lets in with this process's proof (no passphrase:
    the app has none before its prompt), when that is certain; else `_NotSure`.

    Only the certain cases: the named (or the one account-bound) active profile whose bound OS
    account is this one. Everything else – a passphrase, no profile yet, several bound profiles –
    is the normal path's, with its prompt or message."""
    columns = "SELECT id, active, os_account FROM app_user"
    if user_name:
        wanted = " ".join(user_name.split()).casefold()
        row = connection.execute(f"{columns} WHERE lower(name) = ? LIMIT 1", (wanted,)).fetchone()
        if row is not None and row[1] and same_account(row[2], os_account):
            return int(row[0])
        raise _NotSure("profile")
    bound = [
        r for r in connection.execute(f"{columns} WHERE os_account IS NOT NULL")
        if same_account(r[2], os_account) and r[1]
    ]
    if len(bound) == 1:
        return int(bound[0][0])
    raise _NotSure("profile")


def _meetings(connection: sqlite3.Connection, today: date) -> list[LeanMeeting]:
    """`load_meeting_lines`: upcoming meetings soonest first, then past ones latest first."""
    counts = dict(connection.execute("SELECT meeting_id, count(*) FROM marac_case GROUP BY meeting_id").fetchall())
    meetings = [
        LeanMeeting(meeting_id=int(r[0]), meeting_date=date.fromisoformat(str(r[1])[:10]), area=r[2], status=r[3],
                    version=int(r[4]), case_count=int(counts.get(r[0], 0)))
        for r in connection.execute("SELECT id, meeting_date, area, status, version FROM meeting ORDER BY meeting_date")
    ]
    upcoming = [m for m in meetings if m.meeting_date >= today]
    past = [m for m in meetings if m.meeting_date < today]
    return upcoming + past[::-1]


def _cases_for_meeting(connection: sqlite3.Connection, meeting_id: int) -> list[sqlite3.Row]:
    """`core.cases.cases_for_meeting`: the running order first, then the rest by referral date."""
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(
            "SELECT c.id, c.reference, c.referring_agency_id, c.dash_score, c.repeat, c.status "
            "FROM marac_case c LEFT OUTER JOIN case_hearing h ON h.case_id = c.id AND h.meeting_id = ? "
            "WHERE c.meeting_id = ? ORDER BY h.position IS NULL, h.position, c.referral_date, c.id",
            (meeting_id, meeting_id),
        ))
    finally:
        connection.row_factory = None


def return_rows(agencies: Iterable[LeanAgency], records: dict[int, LeanReturnRecord], *,
                has_children: bool) -> list[LeanReturnRow]:
    """`core.returns.return_rows`: every expected agency plus any with a record, in agency order."""
    wanted = {"every_case"} | ({"children"} if has_children else set())
    agencies = list(agencies)
    expected = {a.id for a in agencies if a.active and a.category in wanted}
    return [
        LeanReturnRow(agency=a, record=records.get(a.id), expected=a.id in expected)
        for a in agencies
        if a.id in expected or a.id in records
    ]


def _settings(connection: sqlite3.Connection) -> Settings:
    """`core.settings.current`: the packaged settings with the database's valid values over them."""
    from marac_prep.core import settings as core_settings
    from marac_prep.core.errors import ValidationError

    values = dict(core_settings._packaged_values())
    for name, raw in connection.execute("SELECT name, value FROM app_setting"):
        spec = core_settings.SPECS.get(name)
        if spec is None or not spec.settable:
            continue
        try:
            values[name] = spec.check(json.loads(raw) if isinstance(raw, str | bytes) else raw)
        except ValidationError:  # as `_stored`: a bad stored value is ignored (the normal path logs it)
            log.debug("stored setting %s ignored", name)
    return core_settings._build(values)
