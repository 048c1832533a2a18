"""Any user text goes into the pack literally and never breaks the build (property tests)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from marac_prep.analysis.timeline import Lane, Mark, Timeline
from marac_prep.core.redaction import Redactor
from marac_prep.pack.content import PackCase, PackContent, PackEntry, PackPerson, Scrubber
from marac_prep.pack.export import render_pack
from marac_prep.pack.markup import clean, para

LATIN_EXTENDED = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻâîșțăÂÎȘȚĂçğıöşüÇĞİÖŞÜąčęėįšųūžĄČĘĖĮŠŲŪŽŵŷâêîôûŴŶ"
MARKUP_BITS = ["<b>", "</b>", "<font size=40>", "</font>", "<img src='x.png'/>", "<a href='http://x'>",
               "&amp;", "&", "<", ">", "<br/>", "<para>", "]]>", "<!--", "\n", "\r\n", "\t", "\x00", "\x0b"]
user_text = st.lists(
    st.one_of(st.text(max_size=40), st.text(alphabet=LATIN_EXTENDED, min_size=1, max_size=12),
              st.sampled_from(MARKUP_BITS)),
    max_size=12,
).map("".join)


def _content(summary: str, detail: str, name: str) -> PackContent:
    entry = PackEntry(
        entry_id=1, day=date(2026, 1, 12), date_text="12 Jan 2026", date_note="", agency="Police",
        event_type="Incident", summary=summary, detail=detail, opinion=False, risk_indicators=(),
        high_risk=False, risk_level="", referred_to="", source_ref=summary[:20],
    )
    person = PackPerson(role="victim", name=name, aliases=(name,), born="", age=None, gender="",
                        relationship=detail[:30], must_not_receive_information=False)
    timeline = Timeline(start=date(2026, 1, 1), end=date(2026, 2, 1), lanes=(
        Lane(agency=name or "Police", expected=True, silent=False, status="returned",
             marks=(Mark(1, date(2026, 1, 12), "day", False, "incident", summary),)),
    ))
    case = PackCase(
        case_id=1, reference=name[:30] or "REF", referring_agency="Police", referral_date="1 Jan 2026",
        criteria=("Professional judgement",), criteria_notes=detail, dash_score=None, dash_level="",
        repeat=False, victim_aware=None, victim_consent=False, consent_reason=summary, victim_name=name,
        people=(person,), assessments=(), returns=(), progress=(0, 0), entries=(entry,), withheld=(),
        findings=(), timeline=timeline,
    )
    return PackContent(meeting_date=date(2026, 2, 2), area=name, marking="OFFICIAL-SENSITIVE", scope="case",
                       generated_by=name, generated_at=datetime(2026, 1, 30, 9, 0), cases=(case,))


def _visible(text: str) -> str:
    return re.sub(r"\s+", "", clean(text))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=user_text, detail=user_text, name=user_text)
def test_any_text_builds_and_reads_back(summary: str, detail: str, name: str) -> None:
    data, pages = render_pack(_content(summary, detail, name))
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) == pages >= 4
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    # Markup-looking text prints as written (checked for text the font can show).
    if all(ord(ch) < 0x250 for ch in summary):
        assert _visible(summary) in text


def test_markup_is_escaped_and_line_breaks_kept() -> None:
    assert para("<font size=40>x</font> & a<b") == "&lt;font size=40&gt;x&lt;/font&gt; &amp; a&lt;b"
    assert para("one\r\ntwo\rthree\nfour") == "one<br/>two<br/>three<br/>four"
    assert para("bell\x07 null\x00") == "bell null"


def test_scrubber_catches_addresses_and_numbers_however_written() -> None:
    scrub = Scrubber(Redactor(addresses=["Flat 3, 27 Larkspur Gardens, Eastbridge, EB9 4QZ"], phones=["07700 900461"]))
    text = scrub("Now at flat 3 27 LARKSPUR gardens,\r\nEastbridge EB9 4QZ; ring +44 (0)7700-900-461 or 07700900461.")
    assert text == "Now at [confidential address withheld]; ring [contact number withheld] or [contact number withheld]."
    # A town on its own is not the confidential address; other numbers are left alone.
    assert scrub("Seen in Eastbridge on 12/01/2026, ref 0770090") == "Seen in Eastbridge on 12/01/2026, ref 0770090"


def _with(content: PackContent, *, entry_changes: dict[str, object], case_changes: dict[str, object]) -> PackContent:
    case = content.cases[0]
    entry = replace(case.entries[0], **entry_changes)  # type: ignore[arg-type]
    case = replace(case, entries=(entry,), **case_changes)  # type: ignore[arg-type]
    return replace(content, cases=(case,))


MANY_LINES = "\n".join(f"line {i} of the officer's account" for i in range(400))
UNBROKEN = "Ż" * 6000


def test_long_entry_flows_over_pages_with_the_header_only_at_page_tops() -> None:
    content = _with(_content("Short summary.", MANY_LINES + " " + UNBROKEN, "Alys PRITCHARD"),
                    entry_changes={"source_ref": "REF/" + "9" * 3000}, case_changes={"criteria_notes": "Concerns."})
    data, pages = render_pack(content)
    texts = [p.extract_text() for p in PdfReader(BytesIO(data)).pages]
    assert len(texts) == pages > 6
    joined = "\n".join(texts)
    positions = [joined.find(f"line {i} of the officer's account") for i in (0, 199, 399)]
    assert -1 not in positions and positions == sorted(positions)
    assert "9" * 50 in re.sub(r"\s+", "", joined)  # the long source reference is kept, under the detail
    # Pages where the entry continues: each repeats the table header once, and the entry's date.
    continued = [t for t in texts if "12Jan2026(continued)" in re.sub(r"\s+", "", t)]
    assert len(continued) >= 3
    assert all(t.count("What happened") == 1 for t in continued)
    # Every page of the case names it in the running header, "continued" after its first page.
    case_pages = [t for t in texts if "case 1 of 1" in t]
    assert len(case_pages) == pages - 3  # all but the cover, the agenda and the appendix
    assert sum("case 1 of 1 (continued)" in t for t in case_pages) == len(case_pages) - 1


def test_text_too_big_for_any_page_still_builds() -> None:
    content = _with(_content("Short summary.", MANY_LINES, "Ł" * 3000),
                    entry_changes={}, case_changes={"criteria_notes": MANY_LINES, "consent_reason": UNBROKEN})
    data, pages = render_pack(content)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages))
    assert pages > 6 and "Ł" * 200 in text and "Ż" * 200 in text


def test_a_source_reference_wrapping_at_a_hyphen_extracts_intact(tmp_path) -> None:
    import subprocess

    reference = "HOSP-ED-2025-11-04-000123-ATTENDANCE-NOTE-TRIAGE-NURSE-RECORD-SYSTEM-A"
    content = _with(_content("Short summary.", "Detail.", "Alys PRITCHARD"),
                    entry_changes={"source_ref": reference}, case_changes={})
    data, _ = render_pack(content)
    path = tmp_path / "ref.pdf"
    path.write_bytes(data)
    by_pypdf = "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    by_poppler = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Wrapped (it is wider than the column), but never at a line-ending hyphen that poppler would drop.
    assert reference not in by_poppler
    assert reference in re.sub(r"\s+", "", by_poppler) and reference in re.sub(r"\s+", "", by_pypdf)
