"""load: 20 representatives saving on one meeting while the coordinator watches, on PostgreSQL,
against one representative alone in the same run (benchmarks/load.py does the work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marac_bench.measure import Result

NAME = "load"
WRITERS = 20


@dataclass
class LoadResult(Result):
    """`ours` is the p95 save under load, `baseline` the p95 save of one writer alone; met when
    the issue's targets hold: p95 save and p95 meeting refresh under their limits at 20 writers,
    nothing lost or duplicated, the audit chain intact.

    Attributes:
        refresh_p95: the coordinator's p95 meeting refresh under load, in seconds.
        integrity_ok: every acknowledged write present once, none refused present, chain verified.
        report: the harness's whole report (phases and integrity), for the JSON.
    """

    refresh_p95: float | None = None
    integrity_ok: bool = False
    report: dict[str, Any] = field(default_factory=dict)
    target_text: str = ""

    @property
    def met(self) -> bool | None:
        if not self.ours:
            return None
        from load import REFRESH_TARGET_S, SAVE_TARGET_S

        return (self.ours[0] < SAVE_TARGET_S and self.refresh_p95 is not None
                and self.refresh_p95 < REFRESH_TARGET_S and self.integrity_ok)

    def as_json(self) -> dict[str, Any]:
        return super().as_json() | {"refresh_p95_s": self.refresh_p95, "integrity_ok": self.integrity_ok,
                                    "load": self.report}


def run(*, seconds: float, think: float = 0.5) -> Result:
    import load
    from load import _percentile

    report = load.run_load(None, [1, WRITERS], seconds=seconds, think=think)
    alone, loaded = report.phases
    save_alone, save_loaded = alone.p("saves", 95), loaded.p("saves", 95)
    refresh = loaded.p("refreshes", 95)
    integrity = report.integrity
    return LoadResult(
        NAME, [save_loaded] if save_loaded is not None else [], [save_alone] if save_alone is not None else [],
        refresh_p95=refresh, integrity_ok=integrity.ok, report=report.as_json(),
        target_text=f"p95 save < {load.SAVE_TARGET_S * 1000:.0f} ms, p95 refresh < "
                    f"{load.REFRESH_TARGET_S * 1000:.0f} ms, 0 lost",
        note=(
            f"p95 save with {WRITERS} representatives (own logins; add, edit, set return; "
            f"mean pause {think:g} s) and the coordinator refreshing the meeting every second, "
            f"{seconds:g} s; baseline p95 save of one representative alone. "
            f"{loaded.writes_per_second:.1f} writes/s; save p50/p95/p99 "
            f"{_ms(loaded.p('saves', 50))}/{_ms(save_loaded)}/{_ms(loaded.p('saves', 99))} ms; meeting refresh "
            f"p50/p95/p99 {_ms(loaded.p('refreshes', 50))}/{_ms(refresh)}/{_ms(loaded.p('refreshes', 99))} ms "
            f"(alone {_ms(alone.p('refreshes', 95))} ms p95); CPU per save {_ms(loaded.client_cpu_per_write)} ms "
            f"in the desk, {_ms(loaded.server_cpu_per_write)} ms in its server process; audit chain lock "
            f"waited {_ms(_percentile(loaded.lock_waits, 50))} ms, held {_ms(_percentile(loaded.lock_holds, 50))} ms "
            f"(p50); {loaded.conflicts} stale edits refused; "
            f"{len(loaded.failures)} failed saves; {integrity.acknowledged} acknowledged writes, "
            f"{len(integrity.lost)} lost, {len(integrity.duplicated)} duplicated, chain "
            f"{'verifies' if integrity.chain_ok else 'BROKEN'}; load average "
            f"{loaded.load_average[0]:.2f} → {loaded.load_average[1]:.2f}"
        ),
    )


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"
