"""pytest plugin entry point (``pytest11``): per-rule conformance tests come with the engine.

Registered now so installing the distribution reserves the name; it adds nothing until a
``--conformance-target`` option exists.
"""

__all__: list[str] = []
