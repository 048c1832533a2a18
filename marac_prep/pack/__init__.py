"""The pre-Marac pack: one consolidated, marked, redacted PDF per meeting or case (ReportLab, no Qt)."""

from marac_prep.pack.document import PackCancelled
from marac_prep.pack.export import PackResult, export_pack, load_pack_content, render_pack

__all__ = ["PackCancelled", "PackResult", "export_pack", "load_pack_content", "render_pack"]
