"""The fictional demo workspace: believable meetings, cases and agency entries for trying the app."""

from marac_prep.demo.workspace import build_demo

__all__ = ["build_demo"]
