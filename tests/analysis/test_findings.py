"""A finding as the meeting reads it: grouped instances, the worst severity, the order, the headline."""

from __future__ import annotations

from datetime import UTC, datetime

from marac_prep.analysis.findings import (
    WHY,
    GapFinding,
    Grouper,
    Instance,
    Quote,
    finding_key,
    headline,
    new_since_review,
    sort_findings,
    with_reviews,
    worst,
)
from marac_prep.core.reviews import Review


def _finding(kind, severity, agency=None, entry_ids=(1,)) -> GapFinding:
    return GapFinding(kind=kind, case_id=1, case_reference="MAR-T-0001", agency=agency, entry_ids=entry_ids,
                      severity=severity, message="m", why="w", key=finding_key(kind, agency))


def test_a_findings_key_names_kind_agency_and_group_and_stays_stable_without_them():
    assert finding_key("agency_silent", "Police", "Kai") == "agency_silent|Police|Kai"
    assert finding_key("escalation", None) == "escalation||"


def test_the_worst_severity_wins_and_nothing_is_a_note():
    assert worst(["info", "high", "medium"]) == "high"
    assert worst(["info", "medium"]) == "medium"
    assert worst([]) == "info"


def test_grouped_instances_make_one_finding_per_agency_and_group():
    quote = Quote(entry_id=2, words="grabbed her throat", reads_as="non-fatal strangulation")
    grouper = Grouper(case_id=7, case_reference="MAR-T-0007", kind="referral_not_received",
                      summary=lambda agency, group, found: f"{agency}/{group}: {len(found)} referrals")
    grouper.add(Instance("First.", "medium", (1, 2), (quote,)), agency="Police", group="Kai")
    grouper.add(Instance("Second.", "high", (2, 3), (quote,)), agency="Police", group="Kai")
    grouper.add(Instance("Alone.", "medium", (4,)), agency="Housing")
    two, one = grouper.findings()
    assert (two.kind, two.case_id, two.case_reference, two.agency) == (
        "referral_not_received", 7, "MAR-T-0007", "Police"
    )
    assert (two.message, two.severity, two.entry_ids) == ("Police/Kai: 2 referrals", "high", (1, 2, 3))
    assert two.key == "referral_not_received|Police|Kai" and two.why == WHY["referral_not_received"]
    assert [i.message for i in two.instances] == ["First.", "Second."] and two.from_text == (quote,)
    assert (one.message, one.severity, one.entry_ids, one.key) == ("Alone.", "medium", (4,), "referral_not_received|Housing|")


def test_findings_are_ordered_most_severe_first_then_by_kind_keeping_their_order_within_a_kind():
    found = [
        _finding("nothing_known", "info"),
        _finding("escalation", "medium"),
        _finding("agency_silent", "high", "Police"),
        _finding("repeat", "high"),
        _finding("agency_silent", "high", "Housing"),
    ]
    assert [(f.kind, f.agency) for f in sort_findings(found)] == [
        ("agency_silent", "Police"), ("agency_silent", "Housing"), ("repeat", None),
        ("escalation", None), ("nothing_known", None),
    ]


def test_the_headline_counts_gaps_by_severity_naming_each_kind_once_and_leaves_notes_out():
    assert headline([]) == "No gaps found."
    assert headline([_finding("nothing_known", "info")]) == "No gaps found."
    found = [
        _finding("agency_silent", "high", "Police"),
        _finding("agency_silent", "high", "Housing"),
        _finding("referral_not_received", "high"),
        _finding("escalation", "medium"),
        _finding("nothing_known", "info"),
    ]
    assert headline(found) == "3 high: agency silent, referral lost; 1 medium: escalation"
    assert headline([_finding("escalation", "medium")]) == "1 medium: escalation"


def test_a_review_is_attached_by_key_and_later_entries_are_new_since_it():
    reviewed = _finding("escalation", "medium", entry_ids=(1, 2, 5))
    other = _finding("repeat", "high")
    review = Review("Discussed at the last Marac.", "Cora Ordinator", datetime(2026, 3, 1, tzinfo=UTC), (1, 2))
    attached, untouched = with_reviews([reviewed, other], {reviewed.key: review})
    assert attached.review == review and untouched is other
    assert new_since_review(attached) == (5,)
    assert new_since_review(other) == ()
