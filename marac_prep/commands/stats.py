"""`marac-prep stats`: the SafeLives quarterly return, printed, as JSON, or written to XLSX or PDF."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from marac_prep.commands.context import CommandContext, check_output_file
from marac_prep.core.errors import ValidationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "stats", help="the quarterly Marac return: cases, repeats, referrals, diversity",
        description="Counts the cases heard at meetings dated in the quarter, from what is recorded "
                    "(a field not recorded is counted as not recorded, never guessed).",
    )
    parser.add_argument("--quarter", required=True, metavar="YYYYQN", help="the quarter, e.g. 2026Q3")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("-o", "--output", metavar="FILE.xlsx|FILE.pdf", help="write the return to a file")
    parser.add_argument("--marking", metavar="TEXT", help="PDF only: protective marking (default as for the pack)")
    parser.add_argument("--password-file", metavar="FILE",
                        help="PDF only: encrypt with AES-256 using the password on this file's first line")
    parser.set_defaults(handler=_stats)


def _stats(ctx: CommandContext, args: argparse.Namespace) -> int:
    from marac_prep.analysis.stats import Quarter, quarterly_return, summary_rows

    quarter = Quarter.parse(args.quarter)
    if args.output:
        return _write(ctx, args, quarter)
    if args.marking or args.password_file:
        raise ValidationError("--marking and --password-file apply only when writing a PDF with -o FILE.pdf.")
    with ctx.database(create=False).read_session() as session:
        ret = quarterly_return(session, actor=ctx.actor(session), quarter=quarter)
    if args.json:
        ctx.print(json.dumps(ret.as_json(), indent=2, ensure_ascii=False))
        return 0
    ctx.print(f"Marac statistics for {quarter.label}: {ret.total.meetings} meeting(s) dated "
              f"{quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}.")
    for row in summary_rows(ret):
        share = f" ({row.percent:.1f} %" + (f"; national {row.national:.1f} %)" if row.national is not None else ")") \
            if row.percent is not None else ""
        note = f" – {row.note}" if row.note else ""
        ctx.print(f"  {row.label}: {row.count}{share}{note}")
    if ret.total.referrals_by_agency:
        ctx.print("  Referrals by agency: " + ", ".join(f"{a} {n}" for a, n in ret.total.referrals_by_agency.items()))
    ctx.print(f"National figures: {ret.national.source}.")
    return 0


def _write(ctx: CommandContext, args: argparse.Namespace, quarter: object) -> int:
    from marac_prep.analysis.stats import Quarter

    assert isinstance(quarter, Quarter)
    output = Path(args.output).expanduser()
    suffix = output.suffix.casefold()
    if suffix not in (".xlsx", ".pdf"):
        raise ValidationError(f'Write the statistics to an .xlsx or a .pdf file (not "{output.name}").')
    if suffix == ".xlsx" and (args.marking or args.password_file):
        raise ValidationError("--marking and --password-file apply only to a PDF.")
    check_output_file(output, example=f"statistics{suffix}")
    with ctx.database(create=False).session() as session:
        actor = ctx.actor(session)
        if suffix == ".xlsx":
            from marac_prep.interchange.statistics import export_statistics_xlsx

            ret = export_statistics_xlsx(session, actor=actor, quarter=quarter, path=output)
            ctx.print(f"Statistics for {quarter.label} ({ret.total.cases} cases) written to {output}.")
            return 0
        from marac_prep.commands.pack import read_password_file
        from marac_prep.pack.export import check_marking, check_password
        from marac_prep.pack.statistics import export_statistics_pdf

        marking = None if args.marking is None else check_marking(args.marking)
        password = check_password(read_password_file(args.password_file)) if args.password_file else None
        result = export_statistics_pdf(session, actor=actor, quarter=quarter, destination=output, marking=marking,
                                       password=password)
    protection = ", encrypted (AES-256)" if result.encrypted else ""
    ctx.print(f"Statistics for {quarter.label} ({result.statistics.total.cases} cases) written to {result.path}: "
              f"{result.pages} page{'s' if result.pages != 1 else ''}{protection}.")
    return 0
