"""The JSON Schemas that ship with the project: traces, reports and fixture files."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["SchemaError", "read_json", "schema", "validate"]


class SchemaError(ValueError):
    """A document that breaks its schema; the message names the first place and the problem."""


@cache
def schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (``trace``, ``report`` or ``fixtures``)."""
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _validator(name: str) -> Any:
    return jsonschema.Draft202012Validator(schema(name))


def validate(name: str, document: Any) -> None:
    """Raise :class:`SchemaError` if ``document`` breaks the schema ``name``."""
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise SchemaError(f"{where}: {error.message}")


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; a ValueError whose message says what went wrong in a few
    words (``cannot read it (No such file or directory)``, ``not JSON (... at line 3)``)."""
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
