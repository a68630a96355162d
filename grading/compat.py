"""Defer jsonschema's IRI grammar until something checks an IRI: about 2.5 s off every ``import nbformat``.

``jsonschema._format`` (4.25, 4.26) imports ``rfc3987_syntax`` eagerly, and that package compiles some
thirty Earley parsers at import time (jsonschema issue #1428; a lazy fork, rfc3987-syntax2, was proposed in
jsonschema PR #1521 but not merged). nbformat imports jsonschema, and nbgrader imports nbformat. So every
process of the pipeline (``nncourse``, each autograde worker, each test worker) paid 2.3 to 2.7 s of CPU on
this machine before it did anything. No notebook or nbgrader schema uses the ``iri`` or ``iri-reference``
formats, which are the only users of that grammar.

:func:`defer_iri_grammar` puts a stand-in module under the name ``rfc3987_syntax``. Its
``is_valid_syntax`` (the one name jsonschema imports) and every other attribute load the real package on
first use and hand over to it. So IRI checks give the same answers, only later. Nothing else changes.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["defer_iri_grammar", "MODULE"]

MODULE = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until the first attribute that is not the stand-in's own is read."""

    def __getattr__(self, name):  # only called for names the stand-in lacks
        if name.startswith("__") and name.endswith("__"):  # the import system probing, not a user
            raise AttributeError(name)
        return getattr(_load(), name)


_real = None


def _load():
    """The real ``rfc3987_syntax``, imported (in place of the stand-in) on the first call."""
    global _real
    if _real is None:
        stand_in = sys.modules.get(MODULE)
        if isinstance(stand_in, _Deferred):
            del sys.modules[MODULE]
        try:
            _real = importlib.import_module(MODULE)
        except BaseException:
            if isinstance(stand_in, _Deferred):
                sys.modules[MODULE] = stand_in
            raise
    return _real


def _is_valid_syntax(term: str, value: str) -> bool:
    """``rfc3987_syntax.is_valid_syntax``, loading the grammar on the first call."""
    return _load().is_valid_syntax(term, value)


def defer_iri_grammar() -> bool:
    """Install the stand-in unless ``rfc3987_syntax`` or jsonschema is already imported, or the package is
    not installed. Returns whether it is in place."""
    if isinstance(sys.modules.get(MODULE), _Deferred):
        return True
    if MODULE in sys.modules or "jsonschema._format" in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    stand_in = _Deferred(MODULE, "Stand-in for rfc3987_syntax (see grading.compat): loads it on first use.")
    stand_in.__file__ = spec.origin
    if spec.submodule_search_locations is not None:  # `import rfc3987_syntax.utils` still finds the real file
        stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.is_valid_syntax = _is_valid_syntax
    sys.modules[MODULE] = stand_in
    return True
