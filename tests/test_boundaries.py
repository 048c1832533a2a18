"""The Qt boundary's contract covers every module but the UI, and fails when one imports Qt."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import marac_prep

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == "Only marac_prep.ui imports Qt"]
    return contract


def test_every_package_and_module_but_the_ui_is_under_the_contract():
    every = {f"marac_prep.{m.name}" for m in pkgutil.iter_modules(marac_prep.__path__)} - {"marac_prep.ui"}
    assert set(_contract()["source_modules"]) == every


@pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed")
def test_the_contract_breaks_when_a_command_or_the_logging_setup_imports_qt(tmp_path):
    copy = tmp_path / "marac_prep"
    shutil.copytree(ROOT / "marac_prep", copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module in ("logging_setup.py", "commands/settings.py"):
        path = copy / module
        path.write_text(path.read_text(encoding="utf-8") + "\nfrom PySide6.QtCore import QObject  # noqa\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert "marac_prep.logging_setup -> PySide6" in result.stdout
    assert "marac_prep.commands.settings -> PySide6" in result.stdout
