"""``nncourse run``: execute notebooks headlessly with nbclient and time them (CI uses it)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["RunResult", "run_notebook", "run_notebooks", "error_outputs", "KERNEL_ENV"]

KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Set in every kernel this module starts. The notebooks' matrices are small, so BLAS threads buy nothing, and
with several kernels on a 2-core machine they fight each other: one training loop went from 1.7 s to 17 s."""


@dataclass(frozen=True)
class RunResult:
    """Timing and outcome of one notebook run.

    ``cell_seconds[i]`` is the time of code cell ``i`` (in notebook order, markdown skipped as 0).
    """

    path: Path
    seconds: float
    cell_seconds: tuple
    error: str | None
    notebook: object = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def slowest_index(self) -> int:
        return max(range(len(self.cell_seconds)), key=self.cell_seconds.__getitem__) if self.cell_seconds else -1

    @property
    def slowest_seconds(self) -> float:
        return max(self.cell_seconds) if self.cell_seconds else 0.0


def error_outputs(nb) -> list[tuple[int, str, str]]:
    """``(cell index, ename, evalue)`` of every error output in an executed notebook."""
    return [(i, out.get("ename", ""), out.get("evalue", ""))
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def run_notebook(path, timeout: int = 60, allow_errors: bool = False, cwd=None, kernel_name: str = "python3",
                 nb=None) -> RunResult:
    """Execute one notebook top to bottom in a fresh kernel; the file is not modified.

    Parameters
    ----------
    path : path
        The notebook (also used as the working directory unless ``cwd`` is given).
    timeout : int
        Per-cell timeout in seconds.
    allow_errors : bool
        Keep executing after a failing cell; the result's ``error`` is then ``None`` and the failing cells
        are in ``error_outputs(result.notebook)``.
    nb : NotebookNode, optional
        Execute this notebook instead of reading ``path``.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from ..kernels import UnixSocketKernelManager

    path = Path(path)
    nb = nbformat.read(path, as_version=4) if nb is None else nb
    starts, stops = {}, {}

    def on_start(cell, cell_index, **kw):
        starts[cell_index] = time.perf_counter()

    def on_done(cell, cell_index, **kw):
        stops[cell_index] = time.perf_counter()

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=allow_errors,
                            shutdown_kernel="immediate",  # all outputs are in: no graceful shutdown to wait for
                            kernel_manager_class=UnixSocketKernelManager,  # Unix sockets: no TCP port races
                            resources={"metadata": {"path": str(Path(cwd or path.parent).resolve())}},
                            on_cell_execute=on_start, on_cell_executed=on_done)
    error = None
    t0 = time.perf_counter()
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except CellTimeoutError as exc:
        error = f"cell timed out after {timeout} s: {str(exc).splitlines()[0] if str(exc) else ''}"
    except CellExecutionError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        error = lines[-1] if lines else "a cell failed"
    except DeadKernelError as exc:
        error = f"kernel died: {exc}"
    seconds = time.perf_counter() - t0
    cell_seconds = tuple(stops.get(i, starts.get(i, 0.0)) - starts.get(i, 0.0) if i in starts else 0.0
                         for i in range(len(nb.cells)))
    return RunResult(path=path, seconds=seconds, cell_seconds=cell_seconds, error=error, notebook=nb)


def run_notebooks(paths, timeout: int = 60, allow_errors: bool = False) -> list[RunResult]:
    """:func:`run_notebook` on each path, in order."""
    return [run_notebook(p, timeout=timeout, allow_errors=allow_errors) for p in paths]
