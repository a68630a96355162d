"""Autograding that survives hostile submissions: a sandboxed kernel and an execute step that trusts nothing.

Two pieces, both plugged into nbgrader through its traitlets configuration (:func:`configure`):

:class:`SandboxKernelManager`
    A Jupyter kernel manager whose kernel is started by :mod:`grading.sandbox.launch`: ipykernel inside a
    bubblewrap sandbox, as an unprivileged uid of its own, with resource limits, no network, no view of the
    course repository (but ``helpers``) or of the instructor's folder. The ZeroMQ channels use unix sockets
    (``transport = "ipc"``) because the kernel has no network. Limits are traits (``memory_mb``,
    ``cpu_seconds``, ``nproc``, ``file_mb``, ``tmp_mb``, ``wall_seconds``) with the defaults of :class:`Limits`.

:class:`GuardedExecute`
    nbgrader's ``Execute`` preprocessor, hardened:

    * **A test that did not run scores 0.** When the kernel dies (``os._exit``, a segfault, a limit) or keeps
      running after a timeout and an interrupt, the kernel is stopped, nothing more is executed, and every test
      cell not yet run gets an error output that says why (nbgrader #427 gave such cells full marks). A test cell
      whose ``execute_reply`` is not ``ok`` scores 0 even if the kernel hid its traceback, and a test cell never
      earns partial credit from an ``execute_result`` (a submission could print one to fake a score).
    * **Outputs are capped** (``max_cell_output_bytes`` per cell, ``max_output_bytes`` per notebook): the rest
      is dropped as it arrives, with one line saying so, so a flood neither fills the grader's memory nor the
      stored notebook.
    * **Tests run on the real test helpers.** The kernel snapshots ``numpy``, ``helpers``, ``builtins`` and
      IPython's hooks at start (:mod:`grading.kernel_guard`). Before every cell the snapshot is restored (so a
      monkeypatch made in an answer cell is gone when the tests run); after every test cell it is checked, and a
      test during which any of it changed (a patch made by the learner's function while the test called it)
      scores 0 with the message :data:`TAMPER_MESSAGE`.

:func:`available` says whether the sandbox can run here (bubblewrap and setpriv present, user namespaces or
root); tests skip with its reason when it cannot.
"""
from __future__ import annotations

import ast
import os
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass

from jupyter_client.kernelspec import KernelSpec
from nbformat.notebooknode import NotebookNode
from traitlets import Integer, Unicode

from nbgrader.preprocessors import Execute

from ..kernels import UnixSocketKernelManager
from .launch import descendants

__all__ = ["Limits", "SandboxKernelManager", "GuardedExecute", "configure", "available", "death_reason",
           "TAMPER_MESSAGE", "DID_NOT_RUN", "is_test_cell", "sandbox_overrides", "zero_delegating_exercises",
           "stop_reasons"]

TAMPER_MESSAGE = ("the test helpers, numpy or the notebook's imports were changed while this test ran "
                  "({what}); a test that runs on modified helpers scores 0")
DID_NOT_RUN = "this test did not run because {reason}; a test that did not run scores 0"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel (every process in its sandbox).

    Parameters
    ----------
    memory_mb : int
        Address space of each process (``RLIMIT_AS``) and, where cgroups are writable, the memory of all the
        kernel's processes together. Past it, allocations raise ``MemoryError`` (or the kernel is killed).
    cpu_seconds : int
        CPU seconds of each process (``RLIMIT_CPU``): past it the kernel gets SIGXCPU and dies.
    nproc : int
        Processes and threads the kernel's uid may have (``RLIMIT_NPROC``, and a pids cgroup): a fork bomb stops.
    file_mb : int
        Largest file the kernel may write (``RLIMIT_FSIZE``).
    tmp_mb : int
        Size of the kernel's private ``/tmp`` (its only writable place).
    wall_seconds : int
        The sandbox is killed after this long, whatever it does.
    cell_output_bytes, output_bytes : int
        Output kept per cell and per notebook; the rest is dropped with a note.
    """

    memory_mb: int = 2048
    cpu_seconds: int = 300
    nproc: int = 64
    file_mb: int = 16
    tmp_mb: int = 64
    wall_seconds: int = 1800
    cell_output_bytes: int = 1_000_000
    output_bytes: int = 4_000_000

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


def available() -> tuple[bool, str]:
    """``(True, "")`` if sandboxed kernels can start here, else ``(False, reason)``."""
    if sys.platform != "linux":
        return False, "the grading sandbox needs Linux (bubblewrap, namespaces)"
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None:
            return False, f"`{tool}` not found: apt-get install {package}"
    if os.geteuid() != 0:
        return False, "the grading sandbox runs kernels as other uids, which needs root"
    try:
        subprocess.run(["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid",
                        "--unshare-net", "--die-with-parent", "true"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return False, f"bubblewrap cannot create namespaces here: {exc} {detail.decode(errors='replace')}".strip()
    return True, ""


# ------------------------------------------------------------------------------------------------ the kernel
class SandboxKernelManager(UnixSocketKernelManager):
    """An ``AsyncKernelManager`` whose kernels run in the grading sandbox (see the module docstring)."""

    memory_mb = Integer(Limits.memory_mb, help="RLIMIT_AS per process and cgroup memory, MB").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="RLIMIT_CPU per process, seconds").tag(config=True)
    nproc = Integer(Limits.nproc, help="processes and threads of the kernel's uid").tag(config=True)
    file_mb = Integer(Limits.file_mb, help="largest file the kernel may write, MB").tag(config=True)
    tmp_mb = Integer(Limits.tmp_mb, help="size of the kernel's private /tmp, MB").tag(config=True)
    wall_seconds = Integer(Limits.wall_seconds, help="the sandbox is killed after this long").tag(config=True)
    python = Unicode(sys.executable, help="Python that runs the launcher and the kernel").tag(config=True)

    _font_cache_ready = False

    def __init__(self, **kwargs):
        if not SandboxKernelManager._font_cache_ready:
            # build matplotlib's font cache once here, where it can be written: the launcher hands it to the
            # kernels read-only (each would otherwise spend seconds rebuilding it)
            try:
                import matplotlib.font_manager  # noqa: F401
            except Exception:  # noqa: BLE001 - no matplotlib: nothing to cache
                pass
            SandboxKernelManager._font_cache_ready = True
        super().__init__(**kwargs)  # Unix sockets: the sandboxed kernel has no network

    def launcher_argv(self) -> list:
        # -I: the launcher runs as root in the student's folder; nothing there may shadow a module it imports
        return [self.python, "-I", "-m", "grading.sandbox.launch", "--memory-mb", str(self.memory_mb),
                "--cpu-seconds", str(self.cpu_seconds), "--nproc", str(self.nproc), "--file-mb", str(self.file_mb),
                "--tmp-mb", str(self.tmp_mb), "--wall-seconds", str(self.wall_seconds),
                "--parent-pid", str(os.getpid()),  # this process starts the launcher (jupyter_client's Popen)
                "-f", "{connection_file}"]

    @property
    def kernel_spec(self):
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(argv=self.launcher_argv(), display_name="Python 3 (grading sandbox)",
                                           language="python", interrupt_mode="signal", metadata={})
        return self._kernel_spec


def death_reason(returncode, limits: Limits | None = None) -> str:
    """A sentence for the learner: why the kernel ended, from the launcher's exit status."""
    if returncode is None:
        return "the kernel stopped responding"
    code = int(returncode)
    sig = code - 128 if code > 128 else (-code if code < 0 else 0)
    if sig:
        name = {signal.SIGSEGV: "a segmentation fault (SIGSEGV): the code crashed the interpreter",
                signal.SIGBUS: "a bus error (SIGBUS): the code crashed the interpreter",
                signal.SIGABRT: "an abort (SIGABRT)",
                signal.SIGXCPU: "the CPU-time limit"
                + (f" of {limits.cpu_seconds} s" if limits else "") + " (SIGXCPU)",
                signal.SIGXFSZ: "the file-size limit (SIGXFSZ)",
                signal.SIGKILL: "it was killed (SIGKILL): most often the memory limit"
                + (f" of {limits.memory_mb} MB" if limits else "") + ", the CPU-time limit after SIGXCPU was "
                "ignored, or the wall-clock limit",
                signal.SIGTERM: "it was terminated (SIGTERM)"}.get(sig, f"signal {sig}")
        return f"the kernel died: {name}"
    if code == 0:
        return "the kernel exited (the code called os._exit, sys.exit in a thread, or similar)"
    return f"the kernel exited with status {code}"


# ------------------------------------------------------------------------------------------------ execution
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    """An autograded test cell: a code cell with ``grade: true`` and ``solution: false``."""
    m = _meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(msg: dict) -> int:
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(content.get("text", ""))
    if msg.get("msg_type") == "error":
        return sum(len(x) for x in content.get("traceback", [])) + len(content.get("evalue", ""))
    data = content.get("data", {}) or {}
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values()) + 64


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` for hostile notebooks (see the module docstring)."""

    max_cell_output_bytes = Integer(Limits.cell_output_bytes, help="output kept per cell").tag(config=True)
    max_output_bytes = Integer(Limits.output_bytes, help="output kept per notebook").tag(config=True)
    interrupt_grace = Integer(5, help="seconds a kernel has to stop after a timeout interrupt").tag(config=True)
    guard_timeout = Integer(10, help="seconds the guard's check may take").tag(config=True)

    # -- output cap ----------------------------------------------------------------------------------------
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

    # -- the whole notebook ----------------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._stopped = ""
        self._cell_bytes, self._total_bytes, self._truncated = {}, 0, set()
        self._guard_ok = True
        self._timed_out_unresponsive, self._left_running, self._baseline = False, 0, None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            zero_delegating_exercises(nb)
            for cell in nb.cells:  # anything left unexecuted after a stop is marked (preprocess may have raised)
                if self._stopped and is_test_cell(cell) and not any(
                        o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    cell.outputs = [_error("TestNotRun", DID_NOT_RUN.format(reason=self._stopped))]

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        test = is_test_cell(cell)
        if self._stopped:
            cell.outputs = [_error("TestNotRun", DID_NOT_RUN.format(reason=self._stopped))] if test else []
            return cell, resources
        from jupyter_core.utils import run_sync

        # the guard's "before" pass runs in the kernel itself, from a pre_run_cell hook (see kernel_guard.py)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except Exception as exc:  # DeadKernelError, CellTimeoutError (iopub), zmq errors: the kernel is unusable
            self._stop(self._reason_from(exc))
            if test:
                cell.outputs = list(cell.get("outputs", []))[:20] + [
                    _error("TestNotRun", DID_NOT_RUN.format(reason=self._stopped))]
            return cell, resources
        if test:
            self._check_test_cell(cell)
            if self._guard_ok and not self._stopped:
                tampered = run_sync(self._guard_after)()
                if isinstance(tampered, str) and tampered:
                    cell.outputs.insert(0, _error("TamperingDetected", TAMPER_MESSAGE.format(what=tampered)))
        if self._timeout_reason():
            self._stop(self._timeout_reason())
        return cell, resources

    def _timeout_reason(self) -> str:
        """Why a timed-out cell stopped the kernel, or ``""`` if it did not."""
        if self._left_running:
            return (f"the cell before ran past the {self.timeout} s timeout and left {self._left_running} "
                    "process(es) running after the interrupt, so the kernel was stopped")
        if self._timed_out_unresponsive:
            return (f"the cell before kept running after the {self.timeout} s timeout and an interrupt, so the "
                    "kernel was stopped")
        return ""

    _timed_out_unresponsive = False
    _left_running = 0
    _baseline = None

    def _check_test_cell(self, cell):
        """A test scores only if it really ran to the end: reply ``ok``, no partial credit from a result."""
        reply = getattr(self, "_last_reply_status", None)
        for out in cell.outputs:
            if out.get("output_type") == "execute_result":
                out["output_type"] = "display_data"
                out.pop("execution_count", None)
        if reply != "ok" and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.insert(0, _error("TestFailed", "the test did not complete (the kernel reported "
                                                        f"status {reply!r}); it scores 0"))
        elif reply != "ok":  # put the error first: nbgrader grades by the first error or result it meets
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            cell.outputs = errors[:1] + [o for o in cell.outputs if o is not errors[0]]

    def on_cell_executed(self, **kwargs):
        self._last_reply_status = kwargs["execute_reply"]["content"].get("status")
        return super().on_cell_executed(**kwargs)

    def on_cell_execute(self, **kwargs):
        self._last_reply_status = None
        self._last_state = "busy"
        if self._baseline is None:  # the kernel is up and has run nothing yet: its own processes
            self._baseline = len(self._kernel_processes())

    def _kernel_processes(self) -> set:
        """Host pids of every process descended from the kernel's launcher (bwrap, the kernel, what it forked)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return descendants(process.pid) if process is not None else set()

    # -- timeouts: a kernel that ignores the interrupt is stopped ---------------------------------------------
    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        import asyncio

        # did the interrupt work? The kernel goes idle within the grace period if it did.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.interrupt_grace
        while loop.time() < deadline:
            if not await self._kernel_busy():
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

    async def _kernel_busy(self) -> bool:
        # The control channel answers even while the shell is busy; ipykernel reports no state there, so use
        # the last iopub status seen by the output poller instead.
        return getattr(self, "_last_state", "busy") != "idle"

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
        try:
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is not None:
                try:
                    process.wait(timeout=2)
                except Exception:  # noqa: BLE001
                    pass
                return process.returncode
        except Exception:  # noqa: BLE001
            pass
        return None

    def _reason_from(self, exc) -> str:
        return self._timeout_reason() or death_reason(self._returncode(), self._limits())

    def _limits(self):
        km = self.km
        try:
            return Limits(memory_mb=km.memory_mb, cpu_seconds=km.cpu_seconds)
        except Exception:  # noqa: BLE001 - not a sandbox kernel manager
            return None

    def _stop(self, reason: str):
        if not self._stopped:
            self._stopped = reason
            self.log.warning("Stopped executing %s: %s", getattr(self, "_notebook_name", "notebook"), reason)
        from jupyter_core.utils import run_sync

        try:
            run_sync(self._kill_kernel)()
        except Exception:  # noqa: BLE001
            pass

    # -- the guard ---------------------------------------------------------------------------------------------
    async def _guard_after(self):
        """Run the kernel guard's check after a test, silently: ``""`` when all is well, a description when
        something was tampered with, ``False`` when the kernel died or hung (execution is then stopped).

        The guard is best effort against code written to defeat it (it runs in the same interpreter as the
        submission); its absence (an error, no reply) turns further guarding off and is reported as tampering
        on the next test.
        """
        import asyncio
        from queue import Empty

        token = secrets.token_hex(8)
        expr = f"__import__('builtins').__dict__['__nncourse_guard__']('after', {token!r})"
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"v": expr},
                                     allow_stdin=False, stop_on_error=False)
        except Exception:  # noqa: BLE001
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.guard_timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._guard_ok = False
                if not await self.kc.is_alive():
                    self._stop(death_reason(self._returncode(), self._limits()))
                else:
                    self._timed_out_unresponsive = True
                    self._stop("the kernel stayed busy after the previous cell ended, so it was stopped")
                return False
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(remaining, 1.0))
            except Empty:
                if not await self.kc.is_alive():
                    self._guard_ok = False
                    self._stop(death_reason(self._returncode(), self._limits()))
                    return False
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            value = msg.get("content", {}).get("user_expressions", {}).get("v", {})
            text = value.get("data", {}).get("text/plain", "") if value.get("status") == "ok" else ""
            try:
                verdict = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                verdict = None
            if not (isinstance(verdict, str) and verdict.startswith(f"{token}:")):
                self._guard_ok = False
                return "the grading guard was removed or replaced"
            detail = verdict[len(token) + 1:]
            return detail


# ------------------------------------------------------------------------------------------------ configuration
DELEGATION_MARK = "the course's reference"
"""Text of ``helpers.checks``' delegation messages; a test failing with it zeroes its whole exercise."""


def zero_delegating_exercises(nb) -> list:
    """Every exercise (``grade_id`` key) with a test that caught delegation scores 0 in all its test cells.

    Returns the keys zeroed. The visible tests alone cannot see that an answer calls the reference, so
    without this a delegating answer would keep their points.
    """
    hit = {}
    for cell in nb.cells:
        if is_test_cell(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and DELEGATION_MARK in str(out.get("evalue", "")):
                    hit.setdefault(_meta(cell)["grade_id"].split("-", 1)[0], str(out.get("evalue")))
    for cell in nb.cells:
        if is_test_cell(cell):
            key = _meta(cell)["grade_id"].split("-", 1)[0]
            if key in hit and not any(DELEGATION_MARK in str(o.get("evalue", "")) for o in cell.outputs
                                      if o.get("output_type") == "error"):
                cell.outputs.insert(0, _error("DelegationError", f"{hit[key]} (found by another test of "
                                                                 f"{key}; the whole exercise scores 0)"))
    return sorted(hit)


def sandbox_overrides(limits: Limits | None = None) -> dict:
    """``{"Section.trait": value}`` settings that make nbgrader's autograde use the sandbox.

    For ``grading.config.nbgrader_config(course, **overrides)`` / ``grading.nbg.api(course, **overrides)``.
    """
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                        SaveAutoGrades)
    from nbconvert.preprocessors import ClearMetadataPreprocessor

    limits = limits or Limits()
    return {
        "Autograde.autograde_preprocessors": [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                              SaveAutoGrades, AssignLatePenalties, CheckCellMetadata],
        "GuardedExecute.kernel_manager_class": SandboxKernelManager,
        # Kill the kernel at the end instead of asking it to stop: ipykernel 7 can deadlock on a graceful
        # shutdown (its control thread waits for an output flush that the closing iopub thread never does),
        # and jupyter_client then waits 2.5 s before SIGTERM. Measured here on 2 of 3 sandboxed shutdowns; the
        # launcher's janitor cleans up after a kill as after an exit.
        "GuardedExecute.shutdown_kernel": "immediate",
        "GuardedExecute.max_cell_output_bytes": limits.cell_output_bytes,
        "GuardedExecute.max_output_bytes": limits.output_bytes,
        "SandboxKernelManager.memory_mb": limits.memory_mb,
        "SandboxKernelManager.cpu_seconds": limits.cpu_seconds,
        "SandboxKernelManager.nproc": limits.nproc,
        "SandboxKernelManager.file_mb": limits.file_mb,
        "SandboxKernelManager.tmp_mb": limits.tmp_mb,
        "SandboxKernelManager.wall_seconds": limits.wall_seconds,
    }


def configure(config, limits: Limits | None = None):
    """Apply :func:`sandbox_overrides` to a traitlets ``Config`` in place; returns it."""
    for key, value in sandbox_overrides(limits).items():
        section, trait = key.rsplit(".", 1)
        setattr(getattr(config, section), trait, value)
    return config


def stop_reasons(folder) -> dict:
    """``{notebook name: reason}`` for the autograded notebooks in ``folder`` whose execution was stopped
    (dead kernel, unresponsive kernel): the reason given to the tests that did not run, for the batch report."""
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
