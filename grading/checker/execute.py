"""``TrustedExecute``: nbgrader's ``Execute`` step, with every test cell run by the checker, not the kernel.

nbgrader autogrades a notebook by running it top to bottom in one kernel, test cells included, and scoring each
test cell by its outputs. Whatever a test can see there, the learner's code can see too (frames, caches, the
interpreter's hooks, the kernel's replies). Here the work is split:

* the **kernel** (sandboxed when the course says so) runs the answer cells and the statements they need
  (:mod:`grading.checker.plan`), with a ``helpers`` that has no working reference for the notebook's exercises
  (:mod:`grading.checker.stubs`);
* the **checker** (:mod:`grading.checker.harness`, a process of the grader) runs every test cell, visible and
  hidden, from its trusted source in the gradebook; the learner's functions are stand-ins that run in the kernel on
  plain data.

The checker's verdict becomes the test cell's outputs (its printed text; an error when it fails), so nbgrader's
scoring, gradebook, feedback and formgrader work unchanged. A kernel that dies or hangs fails only the tests that
need it, with the reason; tests already passed keep their points. Outputs of the kernel's cells are capped.

A test that catches a ``DelegationError`` zeroes its whole exercise (every test cell of that grade-id key).
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from traitlets import Integer

from nbgrader.preprocessors import Execute

from ..keys import exercise_key
from . import plan as P
from .stubs import declared_references, defined_names, stubbed_helpers

__all__ = ["TrustedExecute", "DID_NOT_RUN", "DELEGATION_MARK", "is_test_cell", "zero_delegating_exercises",
           "stop_reasons", "trusted_cells"]

DID_NOT_RUN = "this test did not run because {reason}; a test that did not run scores 0"
DELEGATION_MARK = "the course's reference"
"""Text of the delegation messages (``helpers.checks``, the stubs); a test failing with it zeroes its exercise."""


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    """An autograded test cell: a code cell with ``grade: true`` and ``solution: false``."""
    m = _meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def _error(ename: str, evalue: str, traceback=None) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=list(traceback) if traceback else [f"{ename}: {evalue}"])


def _size(msg: dict) -> int:
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(content.get("text", ""))
    if msg.get("msg_type") == "error":
        return sum(len(x) for x in content.get("traceback", [])) + len(content.get("evalue", ""))
    data = content.get("data", {}) or {}
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values()) + 64


def trusted_cells(db_url: str, notebook: str, assignment: str) -> dict:
    """From the gradebook: ``{"tests": {grade_id: source}, "hidden": {grade_id}, "answers": {grade_id: source}}``.

    Test cells are the grade cells that are not solution cells; their sources are the ones recorded at release
    (hidden tests included), never the submission's.
    """
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook, assignment)
        solution = {c.name for c in nb.solution_cells}
        sources = {c.name: c.source for c in nb.source_cells}
        tests = {c.name: sources.get(c.name, "") for c in nb.grade_cells if c.name not in solution}
    return {"tests": tests, "hidden": {g for g, s in tests.items() if "BEGIN HIDDEN TESTS" in s},
            "answers": {g: sources.get(g, "") for g in solution}}


class TrustedExecute(Execute):
    """nbgrader's ``Execute`` with the tests in the checker (see the module docstring)."""

    max_cell_output_bytes = Integer(1_000_000, help="output kept per cell").tag(config=True)
    max_output_bytes = Integer(4_000_000, help="output kept per notebook").tag(config=True)
    interrupt_grace = Integer(5, help="seconds a kernel has to stop after a timeout interrupt").tag(config=True)
    checker_memory_mb = Integer(4096, help="address space of the checker process, MB").tag(config=True)

    # -- the whole notebook ----------------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._stopped = ""
        self._cell_bytes, self._total_bytes, self._truncated = {}, 0, set()
        self._timed_out_unresponsive, self._left_running, self._baseline = False, 0, None
        self._checker, self._count = None, 0
        info = resources.get("nbgrader", {}) if resources else {}
        trusted = trusted_cells(info["db_url"], info["notebook"], info["assignment"])
        self._tests, self._hidden = trusted["tests"], trusted["hidden"]
        answer_names = defined_names(trusted["answers"].values())
        self._answer_names = sorted(answer_names)
        self._stub_dir = stubbed_helpers(declared_references(self._tests.values()) | answer_names)
        indices = {_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
        self._plan = P.plan(nb.cells, {indices[g]: s for g, s in self._tests.items() if g in indices},
                            {indices[g] for g in trusted["answers"] if g in indices})
        self._checker = _CheckerProcess(self.checker_memory_mb)  # starts now: it imports while the kernel starts
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._checker.close()
            zero_delegating_exercises(nb)
            for cell in nb.cells:  # a stop that happened outside preprocess_cell: the tests it left
                if is_test_cell(cell) and not cell.get("outputs") and self._stopped and not cell.get("_ran"):
                    cell.outputs = [_error("TestNotRun", DID_NOT_RUN.format(reason=self._stopped))]
            for cell in nb.cells:
                cell.pop("_ran", None)

    async def async_start_new_kernel(self, **kwargs):
        """Start the kernel with the stubbed ``helpers``: bound in place of the real one in the sandbox, first on
        ``PYTHONPATH`` otherwise."""
        if hasattr(self.km, "helpers_dir"):
            self.km.helpers_dir = str(self._stub_dir / "helpers")
        else:
            env = dict(kwargs.get("env") or os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self._stub_dir), env.get("PYTHONPATH", "")) if p)
            kwargs["env"] = env
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)  # nbclient's sync setup_kernel calls this name

    # -- one cell ----------------------------------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        step = self._plan[index] if index < len(self._plan) else P.Step("skip")
        grade_id = _meta(cell).get("grade_id")
        if step.action == "test" and grade_id in self._tests:
            cell.outputs = self._run_test(grade_id)
            self._count += 1
            cell.execution_count = self._count
            cell["_ran"] = True
            return cell, resources
        if step.action != "run" or self._stopped:
            cell.outputs = []
            cell.execution_count = None
            return cell, resources
        original = cell.source
        cell.source = step.source
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except Exception as exc:  # DeadKernelError, CellTimeoutError (iopub), zmq errors: the kernel is unusable
            self._stop(self._reason_from(exc))
        finally:
            cell.source = original
        self._count = max(self._count, cell.get("execution_count") or 0)
        if self._timeout_reason():
            self._stop(self._timeout_reason())
        return cell, resources

    def _run_test(self, grade_id: str) -> list:
        """Run one test cell in the checker, supervising the kernel meanwhile; its outputs for nbgrader."""
        checker = self._checker
        try:
            if not checker.connected and not self._stopped:
                checker.connect(self._connection(), self._answer_names)
            elif not checker.connected and not checker.told:  # the kernel died before the first test
                checker.request({"op": "answers", "answers": self._answer_names})
                checker.told = True
        except Exception as exc:  # noqa: BLE001 - the checker could not start: the test cannot run
            return [_error("TestNotRun", DID_NOT_RUN.format(reason=f"the grader's checker failed ({exc})"))]
        checker.send({"op": "run", "cell": grade_id, "source": self._tests[grade_id],
                      "hidden": grade_id in self._hidden, "kernel_dead": self._stopped})
        deadline = time.monotonic() + float(self.timeout or 30)
        interrupted_at = None
        reply = None
        while reply is None:
            reply = checker.poll(0.1)
            if reply is not None:
                break
            if not self._stopped and not self._kernel_alive():
                self._stop(self._reason_from(None))
                checker.kernel_gone()
            now = time.monotonic()
            if now > deadline and interrupted_at is None:
                interrupted_at = now
                self._interrupt_kernel()
            elif interrupted_at is not None and now > interrupted_at + self.interrupt_grace:
                if not self._stopped:
                    self._timed_out_unresponsive = True
                    self._stop(self._timeout_reason())
                    checker.kernel_gone()
                elif now > interrupted_at + self.interrupt_grace + 10:
                    checker.restart()  # the test's own code never returned: start afresh for the next tests
                    reply = {"status": "error", "ename": "TestTimedOut", "stdout": "", "traceback": [],
                             "evalue": f"the test did not finish within {self.timeout} s"}
        outputs = []
        text = str(reply.get("stdout", ""))
        if text:
            limit = self.max_cell_output_bytes
            if len(text) > limit:
                text = text[:limit] + "\n... output truncated ...\n"
            outputs.append(NotebookNode(output_type="stream", name="stdout", text=text))
        if reply.get("status") != "ok":
            ename, evalue = str(reply.get("ename", "Error")), str(reply.get("evalue", ""))
            tb = [str(t) for t in reply.get("traceback", [])][:20]
            if reply.get("kernel") == "dead" or ename == "KernelDied":
                reason = self._stopped or evalue or "the kernel died"
                ename, evalue, tb = "TestNotRun", DID_NOT_RUN.format(reason=reason), []
            elif ename in ("CallTimedOut",) or interrupted_at is not None and ename != "TestTimedOut":
                ename = "TestTimedOut"
                evalue = (f"the test ran past the {self.timeout} s limit, so your function was interrupted"
                          + (f" ({evalue})" if evalue else ""))
                tb = []
            outputs.append(_error(ename, evalue, tb))
        return outputs

    # -- the kernel ----------------------------------------------------------------------------------------------
    def _connection(self) -> dict:
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.km.get_connection_info().items()}
        inside = getattr(self.km, "inside_ip", None)
        info["kernel_ip"] = inside or info["ip"]
        return info

    def _kernel_alive(self) -> bool:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return process is None or process.poll() is None

    def _interrupt_kernel(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.km.interrupt_kernel)()
        except Exception:  # noqa: BLE001 - already dead: the next check says so
            pass

    # -- output cap ----------------------------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            size = _size(msg)
            cell_used = self._cell_bytes.get(cell_index, 0)
            room = min(self.max_cell_output_bytes - cell_used, self.max_output_bytes - self._total_bytes)
            if size > room:
                if msg.get("msg_type") == "stream" and room > 0 and cell_index not in self._truncated:
                    msg["content"]["text"] = msg["content"].get("text", "")[:room]  # keep the beginning
                    self._cell_bytes[cell_index] = cell_used + room
                    self._total_bytes += room
                    super().output(outs, msg, display_id, cell_index)
                if cell_index not in self._truncated:
                    self._truncated.add(cell_index)
                    outs.append(NotebookNode(output_type="stream", name="stdout",
                                             text=f"\n... output truncated: more than {self.max_cell_output_bytes}"
                                                  f" bytes in this cell (or {self.max_output_bytes} in the "
                                                  "notebook); the rest was dropped ...\n"))
                return None
            self._cell_bytes[cell_index] = cell_used + size
            self._total_bytes += size
        return super().output(outs, msg, display_id, cell_index)

    # -- timeouts: a kernel that ignores the interrupt is stopped -----------------------------------------------
    def _timeout_reason(self) -> str:
        """Why a timed-out cell stopped the kernel, or ``""`` if it did not."""
        if self._left_running:
            return (f"a cell before ran past the {self.timeout} s timeout and left {self._left_running} "
                    "process(es) running after the interrupt, so the kernel was stopped")
        if self._timed_out_unresponsive:
            return (f"a cell before kept running after the {self.timeout} s timeout and an interrupt, so the "
                    "kernel was stopped")
        return ""

    def on_cell_execute(self, **kwargs):
        self._last_state = "busy"
        if self._baseline is None:  # the kernel is up and has run nothing yet: its own processes
            self._baseline = len(self._kernel_processes())

    def _kernel_processes(self) -> set:
        """Host pids of every process descended from the kernel's launcher (bwrap, the kernel, what it forked)."""
        from ..sandbox.launch import descendants

        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return descendants(process.pid) if process is not None else set()

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        import asyncio

        # did the interrupt work? The kernel goes idle within the grace period if it did.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.interrupt_grace
        while loop.time() < deadline:
            if getattr(self, "_last_state", "busy") == "idle":
                # the kernel stopped, but did the cell leave processes behind (a fork bomb's children keep
                # spinning, and copies of the kernel share its sockets)? Then nothing later can be trusted.
                # Children that are exiting on the same interrupt get a second to do so.
                extra = 0
                for _ in range(10):
                    extra = len(self._kernel_processes()) - (self._baseline or 0)
                    if self._baseline is None or extra <= 0:
                        break
                    await asyncio.sleep(0.1)
                if self._baseline is not None and extra > 0:
                    self._left_running = extra
                    await self._kill_kernel()
                return reply
            await asyncio.sleep(0.1)
        self._timed_out_unresponsive = True
        await self._kill_kernel()
        return reply

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") == "status":
            self._last_state = msg["content"].get("execution_state")
        return super().process_message(msg, cell, cell_index)

    async def _kill_kernel(self):
        try:
            if self.km is not None:
                await self.km._async_kill_kernel(restart=False) if hasattr(self.km, "_async_kill_kernel") \
                    else self.km.kill_kernel()
        except Exception:  # noqa: BLE001 - already dead is fine
            pass

    def _returncode(self):
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is None:
            return None
        try:
            process.wait(timeout=2)
        except Exception:  # noqa: BLE001
            pass
        return process.returncode

    def _reason_from(self, exc) -> str:
        from ..sandbox.manager import Limits, death_reason

        limits = None
        try:
            limits = Limits(memory_mb=self.km.memory_mb, cpu_seconds=self.km.cpu_seconds)
        except Exception:  # noqa: BLE001 - not a sandbox kernel manager
            pass
        return self._timeout_reason() or death_reason(self._returncode(), limits)

    def _stop(self, reason: str):
        """Stop the kernel for good: later kernel cells do not run, later tests that call it fail with ``reason``."""
        from jupyter_core.utils import run_sync

        if not self._stopped:
            self._stopped = reason
            self.log.warning("Stopped the kernel of %s: %s", getattr(self, "_notebook_name", "notebook"), reason)
        try:
            run_sync(self._kill_kernel)()
        except Exception:  # noqa: BLE001
            pass
        if self._checker is not None:
            self._checker.kernel_gone()


class _CheckerProcess:
    """The checker (``python -I -m grading.checker.harness``), one per notebook, with JSON lines both ways."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        self.connected = self.told = False
        self._start()

    def _start(self):
        import resource

        limit = self.memory_mb * 2**20

        def limits():
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
        self.proc = subprocess.Popen([sys.executable, "-I", "-m", "grading.checker.harness"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, preexec_fn=limits, cwd=os.path.dirname(os.path.dirname(__file__)))
        self._buffer = b""

    def send(self, obj: dict) -> None:
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def poll(self, timeout: float):
        """The next reply if one arrives within ``timeout`` seconds, else ``None``; an error reply if the checker
        died."""
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                return {"status": "error", "ename": "TestNotRun", "stdout": "", "traceback": [],
                        "evalue": DID_NOT_RUN.format(reason="the grader's checker stopped")}
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def request(self, obj: dict, timeout: float = 60.0) -> dict:
        self.send(obj)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.poll(0.2)
            if reply is not None:
                return reply
        raise TimeoutError("the grader's checker did not answer")

    def connect(self, connection: dict, answers) -> None:
        reply = self.request({"op": "connect", "connection": connection, "answers": list(answers)})
        if reply.get("status") != "ok":
            raise RuntimeError(f"{reply.get('ename')}: {reply.get('evalue')}")
        self.connected = True

    def kernel_gone(self) -> None:
        """Tell a connected checker that the kernel is gone (SIGUSR1): its waiting call fails at once."""
        if self.connected and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGUSR1)
            except OSError:
                pass

    def restart(self) -> None:
        self.close()
        self.connected = self.told = False
        self._start()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"op": "stop"})
                self.proc.wait(timeout=2)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()


def zero_delegating_exercises(nb) -> list:
    """Every exercise (``grade_id`` key) with a test that caught delegation scores 0 in all its test cells.

    Returns the keys zeroed. An answer that calls a reference only on some inputs would otherwise keep the points of
    the tests that did not meet those inputs.
    """
    hit = {}
    for cell in nb.cells:
        if is_test_cell(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and DELEGATION_MARK in str(out.get("evalue", "")):
                    hit.setdefault(exercise_key(_meta(cell)["grade_id"]), str(out.get("evalue")))
    for cell in nb.cells:
        if is_test_cell(cell):
            key = exercise_key(_meta(cell)["grade_id"])
            if key in hit and not any(DELEGATION_MARK in str(o.get("evalue", "")) for o in cell.outputs
                                      if o.get("output_type") == "error"):
                cell.outputs.insert(0, _error("DelegationError", f"{hit[key]} (found by another test of "
                                                                 f"{key}; the whole exercise scores 0)"))
    return sorted(hit)


def stop_reasons(folder) -> dict:
    """``{notebook name: reason}`` for the autograded notebooks in ``folder`` whose kernel was stopped (dead,
    unresponsive): the reason given to the tests that could not run, for the batch report."""
    from pathlib import Path

    import nbformat

    prefix, suffix = DID_NOT_RUN.split("{reason}")
    out = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001 - unreadable: not ours to report
            continue
        for cell in nb.cells:
            for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                value = str(o.get("evalue", ""))
                if o.get("output_type") == "error" and o.get("ename") == "TestNotRun" and value.startswith(prefix):
                    out.setdefault(path.stem, value[len(prefix):-len(suffix) or None])
    return out


def configure(config, limits=None):
    """Make nbgrader's autograde use :class:`TrustedExecute` (always) and the grading sandbox (when ``limits`` is a
    :class:`grading.sandbox.Limits`) in a traitlets ``Config``; returns it."""
    for key, value in overrides(limits).items():
        section, trait = key.rsplit(".", 1)
        setattr(getattr(config, section), trait, value)
    return config


def overrides(limits=None) -> dict:
    """``{"Section.trait": value}`` settings behind :func:`configure`."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                        SaveAutoGrades)

    from ..cycle.inert import InertOutputs

    out = {
        # the autograded notebook is stored inert (formgrader, feedback and any other viewer read it): learner output
        # is sanitized right after the step that produced it (grading/cycle/inert.py)
        "Autograde.autograde_preprocessors": [TrustedExecute, InertOutputs, IgnorePattern, ClearMetadataPreprocessor,
                                              LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata],
        # every output is in once the last cell is done: stop the kernel at once (ipykernel 7 can deadlock on a
        # graceful shutdown, see grading/sandbox/manager.py)
        "TrustedExecute.shutdown_kernel": "immediate",
    }
    if limits is None:
        from ..kernels import UnixSocketKernelManager

        out["TrustedExecute.kernel_manager_class"] = UnixSocketKernelManager
        return out
    from ..sandbox.manager import SandboxKernelManager

    out.update({
        "TrustedExecute.kernel_manager_class": SandboxKernelManager,
        "TrustedExecute.max_cell_output_bytes": limits.cell_output_bytes,
        "TrustedExecute.max_output_bytes": limits.output_bytes,
        "SandboxKernelManager.memory_mb": limits.memory_mb,
        "SandboxKernelManager.cpu_seconds": limits.cpu_seconds,
        "SandboxKernelManager.nproc": limits.nproc,
        "SandboxKernelManager.file_mb": limits.file_mb,
        "SandboxKernelManager.tmp_mb": limits.tmp_mb,
        "SandboxKernelManager.wall_seconds": limits.wall_seconds,
    })
    return out
