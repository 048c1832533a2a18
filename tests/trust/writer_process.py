"""A child process for the crash and concurrency tests: adds entries, reporting each committed id.

    python writer_process.py DATABASE CASE_ID COUNT     write COUNT entries (0 = until killed),
                                                        printing "ready", then one id per commit
    python writer_process.py --zygote DATABASE CASE_ID  import everything once, then for each
                                                        "spawn FILE" line on stdin fork a writer
                                                        that reports into FILE; print its pid

An id is reported only after the commit that stored it returned. The zygote exists so the crash
test can kill dozens of writers without paying Python's start-up for each one.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date, timedelta
from typing import TextIO

from sqlmodel import select

from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import open_database
from marac_prep.core.identity import Proof, authenticate
from marac_prep.core.models import Agency


def write(target: str, case_id: int, count: int, out: TextIO) -> None:
    db = open_database(target)
    with db.session() as session:
        # The coordinator the test made, proved as the tests prove every profile: by this
        # process's operating-system account.
        actor = authenticate(session, name="Cora Ordinator", proof=Proof.of_this_process())
        agencies = [a.id for a in session.exec(select(Agency)).all()]
    print("ready", file=out, flush=True)
    n = 0
    while count == 0 or n < count:
        with db.session() as session:
            entry = add_entry(
                session, actor=actor, case_id=case_id, agency_id=agencies[n % len(agencies)],
                date=PartialDate(date.today() - timedelta(days=n % 300)), event_type="incident",
                summary=f"Fictional incident number {n}.",
            )
        print(entry.id, file=out, flush=True)
        n += 1
    db.close()


def zygote(target: str, case_id: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed writers are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, report = line.strip().partition(" ")
        if command != "spawn":
            break
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            with open(report, "w", encoding="utf-8") as out:
                write(target, case_id, 0, out)
            os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(sys.argv[2], int(sys.argv[3]))
    else:
        write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.stdout)
