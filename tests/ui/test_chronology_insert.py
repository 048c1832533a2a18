"""A saved entry put in place (`put_row`) is one row inserted in the filtered view, not a reset;
the view shows exactly what filtering afresh would show."""

from __future__ import annotations

from datetime import date

from marac_prep.core.dates import PartialDate
from marac_prep.ui.chronology_model import AGENCY, ChronologyFilterProxyModel, ChronologyRow, ChronologyTableModel


def _row(n: int, day: int, summary: str) -> ChronologyRow:
    return ChronologyRow(
        entry_id=n, version=1, when=PartialDate(date(2026, 1, day)), time="", sequence=0, agency_id=n % 2,
        agency_name=("Police", "Housing")[n % 2], agency_code=("POL", "HSG")[n % 2], event_type="incident",
        summary=summary, detail="", risk_indicators=(), source_ref="", recorded_by="", fact_or_opinion="fact",
    )


def _shown(proxy: ChronologyFilterProxyModel) -> list[int]:
    return [proxy.source_row(r).entry_id for r in range(proxy.rowCount())]


def _afresh(model: ChronologyTableModel, proxy: ChronologyFilterProxyModel) -> list[int]:
    fresh = ChronologyFilterProxyModel()
    fresh.setSourceModel(model)
    fresh.set_filters(text=proxy.text, agency_ids=proxy.agency_ids)
    if proxy._sort_column >= 0:
        fresh.sort(proxy._sort_column, proxy._sort_order)
    return _shown(fresh)


def test_an_inserted_row_is_inserted_in_the_view_where_filtering_afresh_puts_it(qtmodeltester):
    model = ChronologyTableModel()
    model.set_rows([_row(1, 2, "knife seen"), _row(2, 4, "welfare call"), _row(3, 8, "knife again")])
    proxy = ChronologyFilterProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    announced: list[str] = []
    proxy.modelReset.connect(lambda: announced.append("reset"))
    proxy.rowsInserted.connect(lambda _p, first, last: announced.append(f"inserted {first}-{last}"))
    kept = proxy.index(2, 0)  # "knife again": a persistent index follows the insertion
    from PySide6.QtCore import QPersistentModelIndex

    persistent = QPersistentModelIndex(kept)
    model.put_row(_row(4, 5, "knife in the kitchen"))  # between day 4 and day 8
    assert announced == ["inserted 2-2"]
    assert _shown(proxy) == [1, 2, 4, 3] == _afresh(model, proxy)
    assert persistent.row() == 3 and proxy.source_row(persistent.row()).entry_id == 3
    # Filtered: a row that passes is inserted among the rows shown; one that does not changes nothing shown.
    proxy.set_filters(text="knife")
    announced.clear()
    model.put_row(_row(5, 1, "knife at the door"))
    assert announced == ["inserted 0-0"] and _shown(proxy) == [5, 1, 4, 3] == _afresh(model, proxy)
    announced.clear()
    model.put_row(_row(6, 6, "welfare visit"))
    assert announced == [] and _shown(proxy) == [5, 1, 4, 3] == _afresh(model, proxy)
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == [
        model.index(model.row_of_entry(e), 0).data() for e in (5, 1, 4, 3)
    ]
    # Sorted by a column: filtered afresh (a reset), with the same result as sorting afresh.
    proxy.sort(AGENCY)
    announced.clear()
    model.put_row(_row(7, 3, "knife under the bed"))
    assert announced == ["reset"] and _shown(proxy) == _afresh(model, proxy)


def test_where_an_entry_is_stays_true_through_puts_moves_and_removals():
    """The model answers "where is entry N" from its own record of the entries it holds (a new
    entry is not looked for among every row); after any sequence of changes the answer is the
    row a scan would find, and -1 for an entry it does not hold."""
    model = ChronologyTableModel()
    model.set_rows([_row(n, n, f"entry {n}") for n in range(1, 9)])

    def scan(entry_id: int) -> int:
        ids = [line.entry_id for line in model.lines]
        return ids.index(entry_id) if entry_id in ids else -1

    def check() -> None:
        for entry_id in range(0, 14):
            assert model.row_of_entry(entry_id) == scan(entry_id), entry_id
            assert model.has_entry(entry_id) == (scan(entry_id) >= 0)

    check()
    model.put_row(_row(10, 3, "new on day 3"))  # inserted: found at once where it went
    check()
    model.put_row(_row(10, 9, "moved to day 9"))  # re-dated: removed and inserted again
    check()
    model.put_row(_row(11, 1, "new on day 1"))  # every row after it moves down one
    check()
    model.remove_entry(10)
    model.remove_entry(12)  # not held: nothing changes
    check()
    model.put_row(_row(4, 4, "edited in place"))
    check()
    model.set_rows([_row(2, 2, "a fresh case")])
    check()
    assert model.row_of_entry(11) == -1 and model.row_of_entry(2) == 0
