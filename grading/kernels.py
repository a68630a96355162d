"""Kernels that talk to the grader over Unix sockets in a private folder, not over TCP ports.

jupyter_client's default TCP transport picks free ports by binding and releasing them, then starts the kernel,
which binds them again. When kernels start back to back (a parallel autograde, two test workers), another
process can take a port in between and the kernel dies at start with ``ZMQError: Address already in use``: the
submission is then not graded at all (seen once in CI, on 1 of about 300 kernels). Socket files under a fresh
random prefix cannot collide. The grading sandbox needs them anyway, since its kernels have no network.
"""
from __future__ import annotations

import os
import tempfile
import uuid

from jupyter_client.manager import AsyncKernelManager

__all__ = ["UnixSocketKernelManager", "socket_prefix"]


def socket_prefix() -> str:
    """A new absolute prefix for one kernel's socket files, in a folder only this user can enter (one per uid: on a
    shared machine, such as the course's hub, each instructor grades as themselves)."""
    folder = os.path.join(tempfile.gettempdir(), f"nncourse-ipc-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.lstat(folder)
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not os.path.isdir(folder) or os.path.islink(folder):
        raise RuntimeError(f"{folder} must be a folder of uid {os.getuid()} that only it can enter (mode 700)")
    return os.path.join(folder, uuid.uuid4().hex[:16])


class UnixSocketKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` with ``transport = "ipc"`` and a private, absolute socket prefix (the default
    prefix, ``kernel-ipc``, is relative to the current folder, which the kernel and the grader do not share)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        if self.transport != "ipc":
            raise ValueError(f"{type(self).__name__} needs transport='ipc', got {self.transport!r}")
        self.ip = socket_prefix()
