"""PostgreSQL enforcement of the roles: group roles, GRANTs and row-level security policies.

Each person connects with their own login, a member of one NOLOGIN group role per app role.
The server then refuses, even to raw SQL, what the app's permission checks refuse: a viewer only
reads, an agency representative changes only its own agency's entries and return, nobody changes
or deletes audit events. The policies find the login's profile through `app_user.db_login =
session_user` (see docs/security.md and decision 0031).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from marac_prep.core.errors import ValidationError

GROUP_ROLES: dict[str, str] = {
    "coordinator": "marac_coordinator",
    "idva": "marac_idva",
    "agency_rep": "marac_agency_rep",
    "viewer": "marac_viewer",
}
ALL_GROUPS = ", ".join(GROUP_ROLES.values())
WRITERS = "marac_coordinator, marac_idva, marac_agency_rep"

# Tables by who may change them (the rest of the schema: coordinators write, everyone reads).
_CASE_TABLES = ("marac_case", "person", "address")  # coordinators and Idvas (manage_case)
_AGENCY_TABLES = ("chronology_entry", "agency_return", "risk_assessment", "marac_action")  # by agency_id
_ENTRY_VERSIONS = "chronology_entry_version"  # follows its entry's agency
_COORDINATOR_ONLY = ("case_note",)  # the coordinator's working notes: coordinators read and write
_AUDIT = "audit_event"
_NO_POLICIES = ("alembic_version", "audit_touched")
# Derived data any reader or writer may refresh (the text reader's cache of what each entry says;
# the matcher's blocking keys, rewritten whenever anyone saves a person).
_DERIVED = ("entry_signals", "person_key")
# Derived data others are shown as it is stored: each case's gap findings (analysis/stored.py).
# Everyone reads; only coordinators write, since a login that could write a row could plant
# findings (or hide one) in any case. Other logins analyse what is not stored and do not store it.
_TRUSTED_DERIVED = ("case_findings",)
_ROW_STATES = "audit_row_state"

_LOGIN_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_FUNCTIONS = [
    # SECURITY DEFINER with a fixed search_path: the lookups work whatever the caller may read,
    # and cannot be redirected by a caller's own objects.
    """
    CREATE OR REPLACE FUNCTION marac_login_user_id() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT id FROM app_user WHERE db_login = session_user AND active $$
    """,
    """
    CREATE OR REPLACE FUNCTION marac_login_agency_id() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT agency_id FROM app_user WHERE db_login = session_user AND active $$
    """,
    """
    CREATE OR REPLACE FUNCTION marac_entry_agency_id(entry integer) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT agency_id FROM chronology_entry WHERE id = entry $$
    """,
    # The chain's head, for every writer: the audit rows themselves are readable only to
    # coordinators (and each login's own events), but every change must chain to the last.
    """
    CREATE OR REPLACE FUNCTION marac_audit_head(OUT head_id integer, OUT head_hash text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1 $$
    """,
    # The notes the triggers left for this transaction, consumed by its audit event.
    """
    CREATE OR REPLACE FUNCTION marac_take_touched(OUT tbl text, OUT row_id integer) RETURNS SETOF record
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ DELETE FROM audit_touched WHERE txid = txid_current() RETURNING tbl, row_id $$
    """,
    """
    CREATE OR REPLACE FUNCTION marac_audit_count(last integer) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT count(*) FROM audit_event WHERE id <= last $$
    """,
]


def _create_groups_sql() -> str:
    creates = "\n".join(
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{group}') THEN CREATE ROLE {group} NOLOGIN; END IF;"
        for group in GROUP_ROLES.values()
    )
    # Roles are cluster-wide: two databases migrating at once may race to create them.
    return (
        "DO $$ BEGIN\n" + creates + "\nEXCEPTION WHEN duplicate_object OR unique_violation OR "
        "insufficient_privilege THEN NULL; END $$"
    )


def groups_exist(connection: Any) -> bool:
    names = set(GROUP_ROLES.values())
    rows = connection.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": list(names)})
    return {row[0] for row in rows} == names


def _policy(connection: Any, table: str, name: str, clause: str) -> None:
    connection.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
    connection.execute(text(f"CREATE POLICY {name} ON {table} {clause}"))


def apply_server_roles(connection: Any) -> bool:
    """Creates the group roles (if this login may), GRANTs and row-level security policies.

    Idempotent; run by migration 0007 as the schema's owner. Returns False (and changes no
    privilege) when the group roles do not exist and cannot be created here: the server then
    relies on the app's checks alone until an administrator runs `marac-prep user create
    --print-sql`'s first statements.
    """
    # The app needs these functions whatever happens to the groups (the chain's head, the notes).
    for statement in _FUNCTIONS:
        connection.execute(text(statement))
    connection.execute(text(_create_groups_sql()))
    if not groups_exist(connection):
        return False
    tables = [
        row[0] for row in connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
    ]
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {ALL_GROUPS}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ALL_GROUPS}"))
    connection.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ALL_GROUPS}"))
    connection.execute(text("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO marac_coordinator"))
    # Tables later versions add: everyone reads, coordinators write (until a policy says more).
    connection.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {ALL_GROUPS}"))
    connection.execute(text(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT, UPDATE, DELETE ON TABLES TO marac_coordinator"
    ))
    connection.execute(text(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ALL_GROUPS}"
    ))
    for table in _CASE_TABLES:
        connection.execute(text(f"GRANT INSERT, UPDATE, DELETE ON {table} TO marac_idva"))
    for table in (*_AGENCY_TABLES, _ENTRY_VERSIONS):
        if table in tables:  # a table a later migration adds gets its grant when that migration runs
            connection.execute(text(f"GRANT INSERT, UPDATE ON {table} TO marac_idva, marac_agency_rep"))
    # The audit trail: append-only for everyone, by privilege (and by trigger, migration 0001).
    connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_AUDIT} FROM {ALL_GROUPS}"))
    connection.execute(text(f"GRANT INSERT ON {_AUDIT} TO {ALL_GROUPS}"))
    connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_ROW_STATES} FROM {ALL_GROUPS}"))
    connection.execute(text(f"GRANT INSERT ON {_ROW_STATES} TO {ALL_GROUPS}"))
    # Notes are written and taken only through SECURITY DEFINER functions.
    connection.execute(text(f"REVOKE ALL ON audit_touched FROM {ALL_GROUPS}"))

    for table in tables:
        if table in _NO_POLICIES:
            continue
        connection.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        if table in _DERIVED:
            connection.execute(text(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {ALL_GROUPS}"))
            _policy(connection, table, "marac_derived", f"FOR ALL TO {ALL_GROUPS} USING (true) WITH CHECK (true)")
            continue
        if table in _TRUSTED_DERIVED:
            connection.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM marac_idva, "
                                    "marac_agency_rep, marac_viewer"))
            _policy(connection, table, "marac_read", f"FOR SELECT TO {ALL_GROUPS} USING (true)")
            _policy(connection, table, "marac_coordinator_write",
                    "FOR ALL TO marac_coordinator USING (true) WITH CHECK (true)")
            continue
        if table == _ROW_STATES:
            _policy(connection, table, "marac_read", f"FOR SELECT TO {ALL_GROUPS} USING (true)")
            _policy(connection, table, "marac_append", f"FOR INSERT TO {ALL_GROUPS} WITH CHECK (event_id > 0)")
            continue
        if table in _COORDINATOR_ONLY:
            connection.execute(text(f"REVOKE ALL ON {table} FROM marac_idva, marac_agency_rep, marac_viewer"))
            _policy(connection, table, "marac_coordinator_write",
                    "FOR ALL TO marac_coordinator USING (true) WITH CHECK (true)")
            continue
        if table == _AUDIT:
            _policy(connection, table, "marac_audit_read_all", "FOR SELECT TO marac_coordinator USING (true)")
            # Others see their own events only (INSERT … RETURNING needs the new row visible).
            _policy(connection, table, "marac_audit_read_own",
                    f"FOR SELECT TO {ALL_GROUPS} USING (user_id = marac_login_user_id())")
            _policy(connection, table, "marac_audit_append_own",
                    f"FOR INSERT TO {ALL_GROUPS} WITH CHECK (user_id = marac_login_user_id())")
            continue
        _policy(connection, table, "marac_read", f"FOR SELECT TO {ALL_GROUPS} USING (true)")
        _policy(connection, table, "marac_coordinator_write",
                "FOR ALL TO marac_coordinator USING (true) WITH CHECK (true)")
        if table in _CASE_TABLES:
            _policy(connection, table, "marac_idva_write", "FOR ALL TO marac_idva USING (true) WITH CHECK (true)")
        elif table in _AGENCY_TABLES:
            own = "agency_id = marac_login_agency_id()"
            _policy(connection, table, "marac_own_agency_insert",
                    f"FOR INSERT TO marac_idva, marac_agency_rep WITH CHECK ({own})")
            _policy(connection, table, "marac_own_agency_update",
                    f"FOR UPDATE TO marac_idva, marac_agency_rep USING ({own}) WITH CHECK ({own})")
        elif table == _ENTRY_VERSIONS:
            own = "marac_entry_agency_id(entry_id) = marac_login_agency_id()"
            _policy(connection, table, "marac_own_agency_insert",
                    f"FOR INSERT TO marac_idva, marac_agency_rep WITH CHECK ({own})")
    return True


def login_name_for(name: str) -> str:
    """A PostgreSQL login name from a person's name: "Rhian Evans" -> "rhian_evans"."""
    login = re.sub(r"[^a-z0-9_]+", "_", name.casefold()).strip("_")
    if not login or not login[0].isalpha():
        login = f"u_{login}"
    return login[:63]


def check_login_name(login: str) -> str:
    """The login name, refused unless it is a plain lower-case identifier (it is put into SQL)."""
    if not _LOGIN_NAME.match(login) or login.startswith("pg_") or login in GROUP_ROLES.values():
        raise ValidationError(
            f'"{login}" cannot be a database login: use lower-case letters, digits and '
            "underscores, starting with a letter (and not pg_ or a marac_ group name)."
        )
    return login


def create_login_sql(login: str, role: str) -> list[str]:
    """The statements a server administrator runs to give a person their own login."""
    login = check_login_name(login)
    group = GROUP_ROLES[role]
    return [
        f"CREATE ROLE {login} LOGIN IN ROLE {group}",
        f"-- then set a password (psql: \\password {login}) or map a certificate/Kerberos name to {login}",
    ]
