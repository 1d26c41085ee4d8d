"""Rule IDs are a type the checker follows (``models.rule_ids.RuleId``): every rule ID the code
writes out is in a place ``mypy`` checks against the catalogue, so a typo fails ``mypy``.

The proof mistypes every one of them at once in a copy of the packages and runs ``mypy``: each
must be reported, on its own line or on the line of the display (tuple, set, dict) or statement
that holds it (where ``mypy`` reports a wrong element of an annotated tuple)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

from conformance.models.catalogue import CLIENT_RULES, RULES, RULES_BY_ID
from conformance.models.rule_ids import RULE_IDS, RuleId, is_rule_id

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("conformance", "models", "strategies")
_DISPLAYS = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Starred)


def test_the_type_and_the_catalogue_name_the_same_rules_in_the_same_order():
    assert list(get_args(RuleId)) == [rule.id for rule in (*RULES, *CLIENT_RULES)]
    assert set(RULES_BY_ID) == RULE_IDS
    assert is_rule_id("CLIENT-EXACTLY-ONCE") and not is_rule_id("BMU-WINDOWS")


def _written_ids(path: Path) -> list[tuple[int, int, int, set[int]]]:
    """Each rule ID ``path`` writes as a string: (line, start, end column, the lines a report of
    it may be on)."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in RULE_IDS):
            continue
        if node.lineno != node.end_lineno:
            continue
        lines = {node.lineno}
        holder = parents.get(node)
        while isinstance(holder, _DISPLAYS):
            lines.add(holder.lineno)
            holder = parents.get(holder)
        if isinstance(holder, ast.stmt):
            lines.add(holder.lineno)
        found.append((node.lineno, node.col_offset, node.end_col_offset or 0, lines))
    return found


def _copy(to: Path) -> Path:
    to.mkdir()
    shutil.copy(ROOT / "pyproject.toml", to)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, to / package, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    return to


def _unchecked(copy: Path, only: set[str] | None = None) -> tuple[int, set[str]]:
    """Mistype every rule ID written in ``copy`` (or only those at ``only``'s ``file:line``),
    run mypy: how many were mistyped, and where mypy said nothing of one."""
    written: dict[str, list[tuple[int, set[int]]]] = {}
    for package in PACKAGES:
        for path in sorted((copy / package).rglob("*.py")):
            if path.resolve() != path.absolute() or path.name == "rule_ids.py":  # via a link: seen once
                continue
            name = str(path.relative_to(copy))
            ids = [i for i in _written_ids(path) if only is None or f"{name}:{i[0]}" in only]
            if not ids:
                continue
            lines = path.read_text().splitlines(keepends=True)
            for line, start, end, _ in sorted(ids, key=lambda i: (i[0], -i[1])):
                text = lines[line - 1]
                lines[line - 1] = (
                    text[:start] + repr(ast.literal_eval(text[start:end]) + "-TYPO") + text[end:]
                )
            path.write_text("".join(lines))
            written[name] = [(line, reported) for line, _, _, reported in ids]
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(copy / ".cache")],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=540,
    )
    reported: dict[str, set[int]] = {}
    for line in checked.stdout.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and ": error:" in line:
            # mypy names models/ and strategies/ as it reached them, under conformance/
            name = parts[0]
            if name.startswith(("conformance/models/", "conformance/strategies/")):
                name = name.removeprefix("conformance/")
            reported.setdefault(name, set()).add(int(parts[1]))
    unchecked = {
        f"{name}:{line}"
        for name, ids in written.items()
        for line, lines in ids
        if not lines & reported.get(name, set())
    }
    return sum(map(len, written.values())), unchecked


def test_a_mistyped_rule_id_anywhere_fails_mypy(tmp_path):
    mistyped, unchecked = _unchecked(_copy(tmp_path / "all"))
    assert mistyped > 300  # the catalogue, the model, aims, mutants...
    if unchecked:
        # mistyped together, one comparison can make the next line unreachable, where mypy
        # checks nothing: each of those again, with every other ID as written
        _, unchecked = _unchecked(_copy(tmp_path / "again"), unchecked)
    assert not unchecked, (
        f"rule IDs mypy does not check (give their place a RuleId type): {sorted(unchecked)}"
    )
