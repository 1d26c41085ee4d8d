"""Dependency direction: models/ imports the standard library only; strategies/ adds hypothesis.

Both are installed inside the one ``conformance`` namespace (conformance.models,
conformance.strategies), so within a layer imports are relative and across layers absolute."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_roots(package: str, depth: int = 1) -> dict[str, set[str]]:
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
                root = ".".join(name.split(".")[:depth])
                found.setdefault(root, set()).add(str(path.relative_to(ROOT)))
    return found


def test_models_import_only_the_standard_library():
    allowed = set(sys.stdlib_module_names)
    bad = {name: files for name, files in imported_roots("models").items() if name not in allowed}
    assert not bad, f"models/ imports outside the standard library: {bad}"


def test_strategies_import_only_hypothesis_models_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"hypothesis", "conformance.models"}
    bad = {
        name: files
        for name, files in imported_roots("strategies", depth=2).items()
        if name not in allowed and name.split(".")[0] not in allowed
    }
    assert not bad, f"strategies/ imports outside its layer: {bad}"


def test_models_and_strategies_are_installed_inside_the_conformance_namespace():
    """A seller's own ``models.py`` or ``strategies/`` must not collide with ours: the packages
    are reached as conformance.models and conformance.strategies (links to the top-level
    folders, which setuptools follows into the wheel)."""
    for name in ("models", "strategies"):
        link = ROOT / "conformance" / name
        assert link.is_symlink() and link.resolve() == ROOT / name


def test_models_import_with_nothing_but_the_standard_library_on_the_path(tmp_path):
    """`python -I -S` with only the repo on sys.path: no site-packages at all."""
    code = (
        "import sys; sys.path[:] = [p for p in sys.path if 'site-packages' not in p]; "
        f"sys.path.insert(0, {str(ROOT)!r}); import conformance.models as models; "
        "import conformance.models.model, conformance.models.linearizability; "
        "import json; print(json.dumps([len(models.RULES), [m for m in sys.modules if 'conformance' in m]]))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    count, modules = json.loads(result.stdout)
    assert count >= 55
    # importing the model runs conformance/__init__.py, which must stay free of the I/O layers
    assert all(m == "conformance" or m.startswith("conformance.models") for m in modules), modules


# conformance/ by role, bottom up: a package imports its own modules and the layers below it.
LAYERS = (
    "models",
    "strategies",
    "wire",
    "emulator",
    "faults",
    "targets",
    "config",  # conformance/config.py: what a run is asked, read by reporting and engine
    "reporting",
    "engine",
    "lab",
    "sellers",
    "",  # options.py, pytest_plugin.py, config.py's readers above
    "cli",  # one module per command
    "__main__",
)


def _conformance_imports() -> dict[str, set[str]]:
    """Every module of conformance/ and the conformance modules it imports, lazily or not."""
    graph: dict[str, set[str]] = {}
    packages = ("conformance", "conformance/models", "conformance/strategies")  # rglob keeps off links
    for path in sorted(p for package in packages for p in (ROOT / package).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        targets = graph.setdefault(module, set())
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):  # type-only imports count: mypy sees them
            if isinstance(node, ast.ImportFrom) and (node.level or node.module):
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = node.module if not node.level else ".".join(filter(None, (base, node.module)))
                names = [f"{source}.{alias.name}" for alias in node.names]
                if node.module:  # ``from . import jwt`` imports the module, not the package's names
                    names.append(source)
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            targets.update(n for n in names if n.startswith("conformance.") or n == "conformance")
    known = set(graph)
    return {m: {t for t in ts if t in known and t != m} for m, ts in graph.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    package = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""
    return LAYERS.index(package) if module != "conformance" else -1


def test_conformance_imports_only_along_the_grain():
    graph = _conformance_imports()
    against = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert not against, (
        "imports against the grain (" + " < ".join(p or "top" for p in LAYERS) + "):\n" + "\n".join(against)
    )


def test_no_two_conformance_modules_import_each_other():
    graph = _conformance_imports()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo.extend(graph.get(module, ()))
        return False

    # a package's __init__ re-exports its modules, so only module-to-module cycles count
    modules = {m for m in graph if not any(m == f"conformance.{p}" for p in LAYERS if p)}
    cycles = sorted(
        f"{a} <-> {b}" for a in modules for b in graph[a] if b in modules and a < b and reaches(b, a)
    )
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_grain_test_sees_an_import_against_it():
    assert _layer("conformance.wire.protocol") < _layer("conformance.targets.http")
    assert _layer("conformance.cli.run") == _layer("conformance.cli") == len(LAYERS) - 2
    assert _layer("conformance") == -1
    graph = _conformance_imports()
    assert "conformance.wire.protocol" in graph["conformance.targets.http"]
    assert "conformance.models.requests" in graph["conformance.strategies.requests"]
    assert "conformance.models.state" in graph["conformance.models.model"]  # a relative import
    assert _layer("conformance.models.model") < _layer("conformance.strategies.requests")
