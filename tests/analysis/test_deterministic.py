"""The same data gives the same findings, word for word, whatever Python's hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.factories import demo_file

_SCRIPT = """
import hashlib, sys
from marac_prep.analysis.gaps import analyse_meeting
from marac_prep.core.casefile import load_meeting_files
from marac_prep.core.db import open_database
from marac_prep.core.models import Meeting
from sqlmodel import select
db = open_database(sys.argv[1])
with db.read_session() as session:
    text = []
    for meeting_id in session.exec(select(Meeting.id)).all():
        _meeting, files = load_meeting_files(session, meeting_id)
        for case_id, findings in analyse_meeting(files).items():
            text += [f"{case_id} {f.kind} {f.message} {f.entry_ids}" for f in findings]
print(len(text), hashlib.sha256("\\n".join(text).encode()).hexdigest())
"""


def test_findings_are_worded_the_same_under_any_hash_seed(tmp_path):
    path = demo_file(tmp_path / "demo.sqlite", cases=12, entries_per_case=40)
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(path)],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
        )
        outputs.add(done.stdout.strip())
    assert len(outputs) == 1, outputs
    assert int(next(iter(outputs)).split()[0]) > 20  # enough findings to mean something
