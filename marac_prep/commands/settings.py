"""`marac-prep settings list|set NAME VALUE`: this Marac's local-practice settings."""

from __future__ import annotations

import argparse

from marac_prep.commands.context import CommandContext
from marac_prep.core.settings import parse_value, set_setting, setting_lines, value_text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("settings", help="list or change this Marac's settings (thresholds, windows)")
    actions = parser.add_subparsers(dest="settings_action", required=True, metavar="ACTION")
    actions.add_parser("list", help="each setting, its value and what it does").set_defaults(handler=_list)
    change = actions.add_parser("set", help="change one setting (coordinators only)")
    change.add_argument("name", help="the setting's name, as `settings list` shows it")
    change.add_argument("value", help='the new value, e.g. 21 or, for risk_bands, "0-9, 10-13, 14-24"')
    change.set_defaults(handler=_set)


def _list(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database(create=False).read_session() as session:
        lines = setting_lines(session)
    for line in lines:
        notes = []
        if line.changed:
            notes.append(f"default {value_text(line.default)}")
        if not line.settable:
            notes.append("fixed")
        suffix = f" ({'; '.join(notes)})" if notes else ""
        ctx.print(f"{line.name} = {line.value_text}{suffix}")
        ctx.print(f"    {line.description}")
    return 0


def _set(ctx: CommandContext, args: argparse.Namespace) -> int:
    value = parse_value(args.name, args.value)
    with ctx.database().session() as session:
        set_setting(session, actor=ctx.actor(session), name=args.name.strip(), value=value)
    ctx.print(f"{args.name.strip()} is now {value_text(value)}.")
    return 0
