"""The load harness on a real server: a couple of seconds with three representatives and the
coordinator, then every acknowledged write is read back exactly once and the audit chain holds
(issue 19). The latency targets are the benchmark's business (`benchmarks/run.py --only load`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import load

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin_url(postgres_databases) -> str:
    if postgres_databases is None:
        pytest.skip("MARAC_PREP_TEST_POSTGRES_URL is not set")
    return postgres_databases.base_url


def test_three_desks_lose_and_duplicate_nothing_and_the_chain_holds(admin_url):
    # spawn: this process may have Qt's threads running, which a forked child must not inherit.
    report = load.run_load(admin_url, [3], seconds=2, think=0.05, say=lambda _message: None, start_method="spawn")
    (phase,) = report.phases
    integrity = report.integrity
    assert phase.acknowledged > 0 and integrity.acknowledged == phase.acknowledged
    assert not phase.failures
    assert integrity.lost == [] and integrity.duplicated == []
    assert integrity.refused_present == [] and integrity.unexpected == [] and integrity.audit_mismatches == []
    assert integrity.chain_ok and integrity.chain_events > integrity.acknowledged


def test_the_check_notices_a_lost_and_a_duplicated_write(admin_url):
    """The read-back is not a formality: a write a desk was told of that is missing, and one
    stored twice, are both caught."""
    from datetime import date

    from sqlalchemy import text

    from marac_prep.core.chronology import add_entry
    from marac_prep.core.dates import PartialDate
    from marac_prep.core.db import open_database
    from marac_prep.core.identity import Proof, authenticate

    server = load.create_server(admin_url)
    try:
        plan, _coordinator, (desk,) = load.add_desks(server, 1, seed=3)
        added = ["t-r00-00001", "t-r00-00002"]
        db = open_database(desk.url)
        try:
            with db.session() as session:
                actor = authenticate(session, name=None, proof=Proof.of_this_process())
                for token in added:  # two saves the desk was told of, as the writers make them
                    add_entry(session, actor=actor, case_id=plan.case_ids[0], agency_id=desk.agency_id,
                              date=PartialDate(date(2026, 5, 4)), event_type="incident",
                              summary=f"Load entry {token}")
                records = [{"login": desk.login, "user_id": actor.id, "refused": [], "failed": [],
                            "acked": {"add": added, "edit": [], "return": []}}]
        finally:
            db.close()
        assert load.check_integrity(server, records).ok
        admin = open_database(server.url)
        try:
            with admin.engine.begin() as conn:
                # As if the server had lost one save and replayed another (the trail is untouched).
                conn.execute(text("ALTER TABLE chronology_entry DISABLE TRIGGER USER"))
                conn.execute(text("UPDATE chronology_entry SET summary = 'gone' WHERE summary = :s"),
                             {"s": f"Load entry {added[0]}"})
                conn.execute(text("UPDATE chronology_entry SET summary = :s WHERE id = "
                                  "(SELECT min(id) FROM chronology_entry WHERE summary NOT LIKE 'Load entry %')"),
                             {"s": f"Load entry {added[1]}"})
        finally:
            admin.close()
        integrity = load.check_integrity(server, records)
    finally:
        load.drop_server(server)
    assert integrity.lost == [f"add {added[0]}"] and not integrity.ok
    assert integrity.duplicated == [f"add {added[1]} ×2"]
