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
