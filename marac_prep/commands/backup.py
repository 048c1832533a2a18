"""`marac-prep backup -o FILE`: a consistent copy of the SQLite database, even while others write."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.backup import backup_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("backup", help="copy the database to a backup file (coordinators only)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the backup file to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(handler=_backup)


def _backup(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    # Always an actor: a backup holds everything, so only a coordinator may take one.
    with db.read_session() if db.read_only else db.session() as session:
        actor = ctx.actor(session)
    result = backup_database(db, Path(args.output), actor=actor, overwrite=args.force)
    kind = "encrypted backup (same passphrase)" if result.encrypted else "backup"
    ctx.print(f"Wrote a {kind} of {result.size:,} bytes to {result.path}.")
    return 0
