"""The grading sandbox's kernel manager, its resource limits, and whether it can run here.

:class:`SandboxKernelManager`
    A Jupyter kernel manager whose kernel is started by :mod:`grading.sandbox.launch`: ipykernel inside a
    bubblewrap sandbox, as an unprivileged uid of its own, with resource limits, no network, no view of the
    course repository (but a copy of ``helpers`` without the exercises' references, see
    :mod:`grading.checker.stubs`) or of the instructor's folder. The ZeroMQ channels use unix sockets
    (``transport = "ipc"``) because the kernel has no network. Limits are traits (``memory_mb``, ``cpu_seconds``,
    ``nproc``, ``file_mb``, ``tmp_mb``, ``wall_seconds``) with the defaults of :class:`Limits`.

The sandbox protects the machine. What protects the grade is that no test runs in this kernel
(:mod:`grading.checker`). :func:`available` says whether the sandbox can run here (bubblewrap and setpriv present,
root); tests skip with its reason when it cannot.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass

from jupyter_client.kernelspec import KernelSpec
from nbconvert.preprocessors import Preprocessor
from traitlets import Integer, Unicode, observe

from ..kernels import UnixSocketKernelManager

__all__ = ["Limits", "SandboxKernelManager", "RefuseUnsandboxed", "available", "death_reason"]


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
    helpers_dir = Unicode("", help="a copy of `helpers` to show the kernel in place of the real package "
                                   "(grading.checker.stubs); empty: the real one").tag(config=True)

    @observe("helpers_dir")
    def _forget_spec(self, change):
        self._kernel_spec = None  # the launcher's arguments changed

    @property
    def inside_ip(self) -> str:
        """The kernel's socket prefix as the kernel sees it (inside the sandbox)."""
        from .launch import INSIDE

        return f"{INSIDE}/ipc/k"

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
                *(["--helpers", self.helpers_dir] if self.helpers_dir else []),
                "-f", "{connection_file}"]

    @property
    def kernel_spec(self):
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(argv=self.launcher_argv(), display_name="Python 3 (grading sandbox)",
                                           language="python", interrupt_mode="signal", metadata={})
        return self._kernel_spec


class RefuseUnsandboxed(Preprocessor):
    """The autograde step of plain nbgrader where the sandbox cannot run (``grading.config.workdir_config``): it
    grades nothing and says why, so that formgrader's Autograde button or ``nbgrader autograde`` in the instructor
    folder never runs learners' code with the instructor's rights by accident."""

    reason = Unicode("", help="why the sandbox cannot run here").tag(config=True)

    def __call__(self, nb, resources):  # whatever `enabled` says (nbconvert's preprocessors are off by default)
        raise RuntimeError(refusal(self.reason))

    def preprocess(self, nb, resources):
        raise RuntimeError(refusal(self.reason))


def refusal(reason: str) -> str:
    """The message of :class:`RefuseUnsandboxed`."""
    return (f"refusing to autograde without the grading sandbox ({reason or 'unavailable'}): learners' code would "
            "run with your rights. Grade with `nncourse autograde` as root with bubblewrap installed "
            "(apt-get install bubblewrap; docs/SECURITY.md), or, on a disposable machine only, set "
            "NNCOURSE_SANDBOX=off (nbgrader here) or pass `nncourse autograde --sandbox off`.")


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
