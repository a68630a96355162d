"""The sandbox's janitor removes any tree however deep, and the socket folder is a size-limited tmpfs.

``shutil.rmtree`` gives up on a tree some thousand folders deep (``RecursionError``, swallowed with
``ignore_errors``): the launcher's :func:`grading.sandbox.launch.remove_tree` is iterative and descriptor-relative.
The socket folder's tmpfs (mounted on the host, root only) takes no write past its quota and is gone, deep trees
and all, once :func:`grading.sandbox.launch._cleanup` has run. The whole path, inside real sandboxes beside honest
submissions, is in tests/test_hostile.py (``fill-the-disk``, ``deep-tree``).
"""
from __future__ import annotations

import errno
import os
import shutil
import sys

import pytest

from grading.sandbox import launch as L

DEPTH = 3000


def _deep_tree(top: str, depth: int = DEPTH, outside: str | None = None) -> None:
    """``depth`` nested folders ``d`` under ``top``, each with a file and, if given, a link to ``outside``
    (built relative to descriptors: the full path is longer than PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
            if outside:
                os.symlink(outside, "l", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


def test_remove_tree_removes_a_tree_rmtree_cannot(tmp_path):
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "precious").write_text("x")
    top = tmp_path / "tree"
    top.mkdir()
    try:
        _deep_tree(str(top), outside=str(outside))
        if sys.version_info < (3, 12):  # what the janitor used: recursive, it stops before the bottom
            with pytest.raises(RecursionError):
                shutil.rmtree(top, ignore_errors=True)
            assert top.exists()
        L.remove_tree(str(top))
        assert not top.exists()
        assert (outside / "precious").read_text() == "x"  # links are removed, never followed
    finally:
        L.remove_tree(str(top))  # never leave pytest a tree its own cleanup cannot remove


def test_remove_tree_takes_files_links_and_missing_paths(tmp_path):
    (tmp_path / "file").write_text("x")
    L.remove_tree(str(tmp_path / "file"))
    os.symlink(tmp_path, tmp_path / "link")
    L.remove_tree(str(tmp_path / "link"))
    assert tmp_path.exists() and not os.path.lexists(tmp_path / "link")
    L.remove_tree(str(tmp_path / "missing"))


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_the_socket_folder_is_a_tmpfs_with_a_quota_and_cleanup_unmounts_it(tmp_path):
    private = tmp_path / "nncourse-sbx-test"
    ipc = private / "ipc"
    ipc.mkdir(parents=True)
    uid = 199_999
    L.mount_tmpfs(str(ipc), 256 * 1024, uid, inodes=2 * DEPTH + 100)  # a folder and a file a level
    try:
        st = os.stat(ipc)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, uid, 0o1770)
        assert str(ipc) in open("/proc/mounts").read()
        with pytest.raises(OSError) as exc:
            with open(ipc / "big", "wb") as fh:
                fh.write(b"x" * (512 * 1024))
        assert exc.value.errno == errno.ENOSPC
        _deep_tree(str(ipc))
    except BaseException:
        L.unmount(str(ipc))
        raise
    try:
        L._cleanup(uid, [], None, str(private), wait=0.0)
        assert not private.exists()
        assert str(ipc) not in open("/proc/mounts").read()
    finally:
        L.unmount(str(ipc))
        L.remove_tree(str(private))


def _cgroup_parent():
    """A cgroup folder this process may make children in (v1 pids, or v2), or None."""
    for c in ("pids", ""):
        own = L.Cgroup._own().get(c)
        if own is None:
            continue
        parent = os.path.join("/sys/fs/cgroup", c, own.lstrip("/"))
        probe = os.path.join(parent, f"nncourse-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
            os.rmdir(probe)
            return parent
        except OSError:
            continue
    return None


def test_a_killed_graders_cgroups_are_swept_by_the_next_sandbox():
    """A grader killed before its janitor ran leaves empty cgroups; the next sandbox's start removes those over a
    minute old, and leaves alone a fresh one (its kernel may not be in it yet) and one with a process in it."""
    import subprocess
    import time

    parent = _cgroup_parent()
    if parent is None:
        pytest.skip("no writable cgroup hierarchy here")
    tag = f"nncourse-sweeptest-{os.getpid()}"
    old, fresh, busy = (os.path.join(parent, f"{tag}-{n}") for n in ("old", "fresh", "busy"))
    sleeper = None
    try:
        for p in (old, fresh, busy):
            os.mkdir(p)
        sleeper = subprocess.Popen(["sleep", "60"])
        with open(os.path.join(busy, "cgroup.procs"), "w") as fh:
            fh.write(str(sleeper.pid))
        for p in (old, busy):
            os.utime(p, (time.time() - 600, time.time() - 600))
        removed = L.Cgroup.sweep(parent)
        assert old in removed and not os.path.exists(old)
        assert os.path.isdir(fresh) and os.path.isdir(busy)
        assert fresh not in removed and busy not in removed
    finally:
        if sleeper is not None:
            sleeper.kill()
            sleeper.wait()
        for p in (old, fresh, busy):
            for _ in range(100):
                try:
                    os.rmdir(p)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
