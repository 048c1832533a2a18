"""`marac-prep audit verify|seal|export`: check the hash chain (against seals); seal it; export it."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext, check_output_file
from marac_prep.core.audit import (
    AuditFilter,
    Seal,
    append_only_protection_missing,
    check_seal,
    current_seal,
    export_events,
    verify_chain,
    verify_row_states,
)
from marac_prep.core.cases import case_by_reference
from marac_prep.core.dates import parse_uk_day
from marac_prep.core.db import SQLITE_HEADER, is_encrypted_file, open_database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.files import write_bytes
from marac_prep.core.identity import sees_whole_trail
from marac_prep.core.users import find_user


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit trail")
    actions = parser.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="check that no audit event was altered, removed or reordered")
    verify.add_argument(
        "--seal", metavar="FILE|PACK|BACKUP", action="append", default=[],
        help="also check against a seal: an `audit seal` file, a pack PDF or a backup (repeatable)",
    )
    verify.add_argument("--password-file", metavar="FILE", help="the password of an encrypted pack given as --seal")
    verify.set_defaults(handler=_verify)
    seal = actions.add_parser("seal", help="write the trail's head (event count and hash) to a file kept elsewhere")
    seal.add_argument("-o", "--output", required=True, metavar="FILE")
    seal.set_defaults(handler=_seal)
    export = actions.add_parser("export", help="write the audit trail (or part of it) to a CSV file")
    export.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    export.add_argument("--user", dest="by_user", metavar="NAME", help="only this profile's actions")
    export.add_argument("--case", metavar="REFERENCE", help="only events about this case")
    export.add_argument("--action", help="only this action, e.g. entry.update")
    export.add_argument("--since", metavar="DATE", help="from this day (DD/MM/YYYY)")
    export.add_argument("--until", metavar="DATE", help="up to and including this day")
    export.set_defaults(handler=_export)


def _verify(ctx: CommandContext, args: argparse.Namespace) -> int:
    seals = [(name, _read_seal(ctx, name, args.password_file)) for name in args.seal]
    db = ctx.database(create=False)
    with db.read_session() as session:
        if not sees_whole_trail(session):
            raise PermissionDenied(
                "Only a coordinator's login (or the server's administrator) can check the whole audit trail."
            )
        check = verify_chain(session)
        unprotected = check.ok and append_only_protection_missing(session)
        against = [(name, check_seal(session, seal)) for name, seal in seals] if check.ok else []
        rows = verify_row_states(session) if check.ok else []
    if not check.ok:
        ctx.print(f"BROKEN: {check.reason} ({check.count} events before it check out).")
        return 1
    if unprotected:
        ctx.print(
            f"BROKEN: the {check.count} events check out, but the database no longer refuses "
            "changes to the audit trail (its protection was removed outside the app)."
        )
        return 1
    for name, result in against:
        if not result.ok:
            ctx.print(f"BROKEN: against the seal in {name}: {result.reason}.")
            return 1
    if rows:
        ctx.print(f"BROKEN: the {check.count} events check out, but the data does not match the trail:")
        for problem in rows:
            ctx.print(f"  {problem.sentence}")
        return 1
    sealed = "".join(f"; the seal in {name} holds ({result.count} events)" for name, result in against)
    ctx.print(f"OK, {check.count} events{sealed}")
    return 0


def _seal(ctx: CommandContext, args: argparse.Namespace) -> int:
    output = Path(args.output).expanduser()
    if output.is_dir() or not output.parent.is_dir():
        raise ValidationError(f"{output} is not a file name in an existing folder.")
    db = ctx.database(create=False)
    with db.read_session() as session:
        seal = current_seal(session)
    write_bytes(output, seal.to_json().encode("utf-8"))
    ctx.print(f"Sealed {seal.events} events (last {seal.last_id}) in {output}; keep it away from the database.")
    return 0


def _read_seal(ctx: CommandContext, name: str, password_file: str | None) -> Seal:
    """The seal in a seal file, a pack (its PDF keywords) or a backup (its own chain's head)."""
    path = Path(name).expanduser()
    if not path.is_file():
        raise ValidationError(f"The seal {name} does not exist.")
    with path.open("rb") as handle:
        start = handle.read(16)
    if start.startswith(b"%PDF"):
        found = Seal.find_in(_pdf_keywords(path, ctx._read_file(password_file, "password")))
    elif start == SQLITE_HEADER or is_encrypted_file(path):
        backup = open_database(
            path, read_only=True, create=False, passphrase=ctx.passphrase() if is_encrypted_file(path) else None
        )
        try:
            with backup.read_session() as session:
                found = current_seal(session)
        finally:
            backup.close()
    else:
        try:
            found = Seal.find_in(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            found = None
    if found is None:
        raise ValidationError(f"{name} holds no audit seal (a pack made by an older version has none).")
    return found


def _pdf_keywords(path: Path, password: str | None) -> str:
    # pikepdf (a runtime dependency, used for encrypting packs) reads it; pypdf is only for tests.
    import pikepdf

    try:
        with pikepdf.open(path, password=password or "") as pdf:
            return str(pdf.docinfo.get("/Keywords", "")) if pdf.docinfo is not None else ""
    except pikepdf.PasswordError:
        raise ValidationError(f"{path} is an encrypted pack: give its password with --password-file.") from None
    except pikepdf.PdfError:
        raise ValidationError(f"{path} is not a readable PDF.") from None


def _export(ctx: CommandContext, args: argparse.Namespace) -> int:
    output = Path(args.output).expanduser()
    check_output_file(output, example="audit.csv")
    since = parse_uk_day(args.since) if args.since else None
    until = parse_uk_day(args.until) if args.until else None
    if since and until and since > until:
        raise ValidationError("--since is after --until.")
    db = ctx.database(create=False)
    with db.session() as session:
        actor = ctx.actor(session)
        user_id = None
        if args.by_user:
            user = find_user(session, args.by_user)
            if user is None:
                raise ValidationError(f'There is no profile named "{args.by_user}".')
            user_id = user.id
        case_id = case_by_reference(session, args.case).id if args.case else None
        where = AuditFilter(user_id=user_id, case_id=case_id, action=args.action, since=since, until=until)
        count = export_events(session, actor=actor, path=output, where=where)
    ctx.print(f"Wrote {count} audit events to {output}.")
    return 0
