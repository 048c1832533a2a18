"""Mutation testing of the core's rules: `python tools/mutation.py [MODULE ...]` (not run in CI: slow).

Each module is mutated by mutmut in a scratch copy of the checkout (so the working tree and its
pyproject.toml are never touched), against the tests that speak for it, one module at a time and
one test process at a time (the machine is shared). It prints the kill rate per module and writes
them to `tools/mutation-results.json`; `docs/quality.md` records them with the reasons any
surviving mutant is equivalent. `--list` shows the modules; `--survivors` prints the diffs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tools" / "mutation-results.json"

# module name -> (file to mutate, tests that speak for it)
MODULES: dict[str, tuple[str, list[str]]] = {
    "dates": ("marac_prep/core/dates.py", ["tests/test_dates.py", "tests/interchange/test_dates_property.py"]),
    "permissions": ("marac_prep/core/permissions.py", ["tests/test_permissions.py"]),
    "audit": ("marac_prep/core/audit.py", ["tests/test_audit_hash.py", "tests/trust/test_audit_trail.py"]),
    "chronology": ("marac_prep/core/chronology.py", ["tests/test_entry_fields.py"]),
    "redaction": ("marac_prep/core/redaction.py", ["tests/test_redaction.py", "tests/pack/test_pack_text.py"]),
    "gaps": (
        "marac_prep/analysis/gaps.py",
        # The actions and repeats rules are reached through `analyse_case` by their own tests too.
        ["tests/analysis/test_gap_rules.py", "tests/analysis/test_rules_exact.py",
         "tests/test_actions_next_meeting.py", "tests/analysis/test_repeats.py"],
    ),
    "incidents": (
        "marac_prep/analysis/incidents.py",
        ["tests/analysis/test_incidents.py", "tests/analysis/test_gap_rules.py"],
    ),
    "findings": (
        "marac_prep/analysis/findings.py",
        ["tests/analysis/test_findings.py"],
    ),
    # `repeat_statuses` (the meeting's repeat column and the statistics) is reached through the statistics' tests.
    "repeats": ("marac_prep/analysis/repeats.py", ["tests/analysis/test_repeats.py", "tests/analysis/test_stats.py"]),
    "timeline": ("marac_prep/analysis/timeline.py", ["tests/analysis/test_timeline.py"]),
    "language": ("marac_prep/analysis/language.py", ["tests/analysis/test_language.py"]),
    "stats": ("marac_prep/analysis/stats.py", ["tests/analysis/test_stats.py"]),
    # The reader is tested by its labelled corpora (tests/analysis/reading_corpus*.txt, scored by
    # test_reading.py) as well as by its unit cases; test_reading_names.py reads its texts through it.
    # Stored findings (decision 0099): the key, the decoding and the store, through their own tests.
    "stored": ("marac_prep/analysis/stored.py", ["tests/analysis/test_stored_findings.py"]),
    "reader": (
        "marac_prep/analysis/reading/reader.py",
        ["tests/analysis/test_reading.py", "tests/analysis/test_reader_exact.py",
         "tests/analysis/test_reading_store.py", "tests/analysis/test_reading_names.py"],
    ),
    "reading_names": (
        "marac_prep/analysis/reading/names.py",
        ["tests/analysis/test_reading_names.py", "tests/analysis/test_reading_names_exact.py"],
    ),
    "reading_store": (
        "marac_prep/analysis/reading/store.py",
        ["tests/analysis/test_reading_store.py", "tests/analysis/test_reading_store_exact.py",
         "tests/analysis/test_signals_store_busy.py", "tests/analysis/test_language.py"],
    ),
    # The pattern language's compiler (inflections, pieces, gaps, the rules' fingerprint); the data
    # it compiles (resources/reading/) is tested by the same corpora, not by mutation.
    "reading_patterns": (
        "marac_prep/analysis/reading/patterns.py",
        ["tests/analysis/test_reading.py", "tests/analysis/test_reading_patterns_exact.py",
         "tests/analysis/test_reader_exact.py", "tests/analysis/test_reading_names.py"],
    ),
}


def _scratch(workdir: Path, name: str, target: str, tests: list[str]) -> Path:
    """A copy of the checkout with a [tool.mutmut] section for this one module."""
    where = workdir / name
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "mutants")
    for part in ("marac_prep", "tests", "resources"):
        shutil.copytree(ROOT / part, where / part, ignore=ignore)
    existing = [t for t in tests if (ROOT / t).exists()]
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    config += (
        "\n[tool.mutmut]\n"
        # mutmut also stops a mutant's tests after half their CPU limit in *wall* time: on a busy
        # shared machine that cut off healthy runs and counted them "timeout" (killed). A wide
        # margin leaves only real hangs as timeouts.
        "timeout_multiplier = 200\n"
        # By default mutmut forks each mutant's worker from its own process, which has just run the
        # tests: the worker inherits every process cache those tests filled (the reader built once
        # per process, the texts it has read, decoded stored signals), so a mutant behind such a
        # cache is never called and "survives". A fork server that has only collected the tests
        # starts each worker with empty caches, as a new process of the app would.
        'process_isolation = "forkserver"\n'
        'source_paths = ["marac_prep"]\n'
        f"only_mutate = [{json.dumps(target)}]\n"
        'also_copy = ["resources"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(existing)}\n"
        'pytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"]\n'
    )
    (where / "pyproject.toml").write_text(config, encoding="utf-8")
    return where


def _stats(where: Path) -> dict[str, int]:
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=where, check=True,
                   capture_output=True)
    data = json.loads((where / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    return {k: int(v) for k, v in data.items() if isinstance(v, int | float)}


def _survivors(where: Path) -> str:
    listing = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=where, capture_output=True, text=True)
    out = []
    for line in listing.stdout.splitlines():
        name = line.split(":")[0].strip()
        if name and ("survived" in line or "no tests" in line):
            shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=where,  # noqa: S603
                                   capture_output=True, text=True)
            out.append(shown.stdout)
    return "\n".join(out)


def _sample_stats(where: Path, target: str, patterns: list[str]) -> dict[str, int]:
    """Counts over the mutants run only (`export-cicd-stats` counts the unrun ones as well)."""
    from mutmut.stats import status_by_exit_code  # type: ignore[import-not-found]  # mutmut 3

    meta = json.loads((where / "mutants" / (target + ".meta")).read_text(encoding="utf-8"))
    codes = [code for key, code in meta["exit_code_by_key"].items() if any(fnmatch(key, p) for p in patterns)]
    counts: dict[str, int] = {"sampled_from": len(meta["exit_code_by_key"])}
    for code in codes:
        status = str(status_by_exit_code[code]).replace(" ", "_")
        counts[status] = counts.get(status, 0) + 1
    return counts


def run(name: str, workdir: Path, *, show_survivors: bool, sample: str = "",
        only: tuple[str, ...] = ()) -> dict[str, object]:
    target, tests = MODULES[name]
    where = _scratch(workdir, name, target, tests)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MARAC_PREP_TEST_POSTGRES_URL": ""}
    print(f"== {name}: mutating {target} against {', '.join(tests)}", flush=True)
    # A sample is every mutant whose number ends in one of `sample`'s digits: fixed, spread over
    # every function, and the same on every run (mutmut numbers a function's mutants in order).
    # `only`: the mutants of some functions (mutmut's names, e.g. "*x_add_entry__mutmut_*").
    names = [f"*__mutmut_*{d}" for d in sample] + [p if p.startswith("*") else f"*{p}" for p in only]
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "1", *names],  # noqa: S603
                   cwd=where, env=env, check=False)
    stats = _sample_stats(where, target, names) if names else _stats(where)
    killed = stats.get("killed", 0) + stats.get("timeout", 0)
    total = killed + stats.get("survived", 0) + stats.get("no_tests", 0) + stats.get("suspicious", 0)
    rate = round(100 * killed / total, 1) if total else 0.0
    print(f"== {name}: {killed} of {total} mutants killed ({rate} %)", flush=True)
    if show_survivors:
        print(_survivors(where))
    return {"module": target, "killed": killed, "total": total, "rate": rate, **stats,
            **({"sample": f"mutant numbers ending in {', '.join(sample)}"} if sample else {}),
            **({"only": list(only)} if only else {})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[*MODULES, []], help="default: all, one after another")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--sample", default="", metavar="DIGITS",
                        help="mutate only the mutants whose number ends in one of DIGITS, e.g. 3 (a tenth)")
    parser.add_argument("--only", action="append", default=[], metavar="GLOB",
                        help="mutate only the mutants whose name matches, e.g. 'x_add_entry__mutmut_*' "
                             "(repeatable; recorded under 'MODULE only …', not as the module's rate)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "marac-mutation")
    args = parser.parse_args(argv)
    if args.list:
        for name, (target, tests) in MODULES.items():
            print(f"{name:12} {target}  <-  {' '.join(tests)}")
        return 0
    if importlib.util.find_spec("mutmut") is None:
        print("mutation.py: mutmut is not installed; run `pip install mutmut` first.", file=sys.stderr)
        return 2
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    for name in args.modules or list(MODULES):
        key = f"{name} only {' '.join(args.only)}" if args.only else name
        results[key] = run(name, args.workdir, show_survivors=args.survivors, sample=args.sample,
                           only=tuple(args.only))
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name, result in results.items():
        print(f"{name:12} {result['killed']:>4} / {result['total']:<4} {result['rate']:>5} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
