"""Finds the shipped data files (reference data, fonts, stylesheet) in a checkout or a wheel."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def resources_dir() -> Path:
    """The folder holding `resources/`: inside the installed package, else the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if (candidate / "agencies.json").is_file():
            return candidate
    raise FileNotFoundError("Marac Prep's resources folder is missing; reinstall the application.")


def resource_path(*parts: str) -> Path:
    """The path of one shipped file, e.g. `resource_path("fonts", "DejaVuSans.ttf")`."""
    return resources_dir().joinpath(*parts)


@cache
def load_json(name: str) -> Any:
    """A shipped JSON data file, parsed once per process."""
    with resource_path(name).open(encoding="utf-8") as handle:
        return json.load(handle)
