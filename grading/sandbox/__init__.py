"""The machine's protection: learners' code runs in a bubblewrap sandbox while it is graded.

``launch`` is the kernel launcher (standard library only, started as ``python -I -m grading.sandbox.launch``);
``manager`` holds the Jupyter kernel manager that starts it, the resource :class:`Limits`, and :func:`available`.
The names below are imported lazily so that the launcher, which lives in this package, starts without them.
"""
from __future__ import annotations

_EXPORTS = {"Limits", "SandboxKernelManager", "available", "death_reason"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        from . import manager

        return getattr(manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
