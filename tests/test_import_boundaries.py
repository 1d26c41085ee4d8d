"""Dependency direction: models/ imports the standard library only; strategies/ adds hypothesis."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_roots(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_models_import_only_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"models"}
    bad = {name: files for name, files in imported_roots("models").items() if name not in allowed}
    assert not bad, f"models/ imports outside the standard library: {bad}"


def test_strategies_import_only_hypothesis_models_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"models", "strategies", "hypothesis"}
    bad = {name: files for name, files in imported_roots("strategies").items() if name not in allowed}
    assert not bad, f"strategies/ imports outside its layer: {bad}"


def test_models_import_with_nothing_but_the_standard_library_on_the_path(tmp_path):
    """`python -I -S` with only the repo on sys.path: no site-packages at all."""
    code = (
        "import sys; sys.path[:] = [p for p in sys.path if 'site-packages' not in p]; "
        f"sys.path.insert(0, {str(ROOT)!r}); import models, models.model, models.linearizability; "
        "print(len(models.RULES))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 55
