"""`marac-prep audit verify|export`: check the hash chain; export the trail as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.audit import AuditFilter, append_only_protection_missing, export_events, verify_chain
from marac_prep.core.cases import case_by_reference
from marac_prep.core.dates import parse_uk_day
from marac_prep.core.errors import ValidationError
from marac_prep.core.users import find_user


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit trail")
    actions = parser.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="check that no audit event was altered, removed or reordered")
    verify.set_defaults(handler=_verify)
    export = actions.add_parser("export", help="write the audit trail (or part of it) to a CSV file")
    export.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    export.add_argument("--user", dest="by_user", metavar="NAME", help="only this profile's actions")
    export.add_argument("--case", metavar="REFERENCE", help="only events about this case")
    export.add_argument("--action", help="only this action, e.g. entry.update")
    export.add_argument("--since", metavar="DATE", help="from this day (DD/MM/YYYY)")
    export.add_argument("--until", metavar="DATE", help="up to and including this day")
    export.set_defaults(handler=_export)


def _verify(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    with db.read_session() as session:
        check = verify_chain(session)
        unprotected = check.ok and append_only_protection_missing(session)
    if not check.ok:
        ctx.print(f"BROKEN: {check.reason} ({check.count} events before it check out).")
        return 1
    if unprotected:
        ctx.print(
            f"BROKEN: the {check.count} events check out, but the database no longer refuses "
            "changes to the audit trail (its protection was removed outside the app)."
        )
        return 1
    ctx.print(f"OK, {check.count} events")
    return 0


def _export(ctx: CommandContext, args: argparse.Namespace) -> int:
    output = Path(args.output).expanduser()
    if output.is_dir():
        raise ValidationError(f"{output} is a folder; give a file name such as audit.csv.")
    if not output.parent.is_dir():
        raise ValidationError(f"The folder {output.parent} does not exist.")
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
