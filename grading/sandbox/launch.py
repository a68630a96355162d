"""The kernel launcher of the grading sandbox: ``python -m grading.sandbox.launch [LIMITS] -f CONNECTION_FILE``.

Jupyter starts this program (as root, the grader's user) in place of ``ipykernel``; it starts ipykernel inside a
bubblewrap sandbox and stays its parent until the kernel ends. Standard library only: it must start fast and must
not import anything a submission could influence.

What the sandbox is
-------------------
* **Filesystem**: a new empty root with read-only binds of the system (``/usr``, ``/etc``, the library folders),
  the Python installation and virtual environment, and the ``helpers`` package (while grading, a copy without the
  exercises' references, given by ``--helpers``); nothing else of the course
  repository (no ``solutions/``, no ``tests/``), no instructor folder (no gradebook, no other submission). The
  kernel's working directory (the student's own autograded folder) is bound read-only. ``/tmp`` (also ``$HOME``)
  is a small private tmpfs that vanishes with the kernel; the socket folder ``/run/nncourse/ipc`` is a tmpfs too
  (``--ipc-kb``, a few hundred inodes more than it needs), mounted by this launcher on the host so that the grader
  reaches its sockets, and unmounted when the sandbox ends. Those two are the only places the kernel can write:
  nothing it writes reaches the host's disk, and what it leaves is gone however deep it nests folders.
* **Namespaces**: new network (no interface but a down loopback: no socket reaches anything), pid (the kernel
  sees only its own processes, and all of them die with it), ipc, uts and, where possible, cgroup namespaces.
* **User**: an unprivileged uid of its own (``190000`` + n, one per live kernel, taken with a lock file) with no
  capabilities and ``no_new_privs``: file permissions and ``RLIMIT_NPROC`` apply to it.
* **Limits** (``setrlimit`` on the kernel, plus a cgroup per kernel where the cgroup v1 or v2 hierarchy is
  writable): address space, CPU seconds, processes and threads, file size, no core files; the cgroup adds a
  memory limit over all the kernel's processes, a pid limit and a CPU share of one core.
* **Messages**: Jupyter's ZeroMQ channels use unix sockets (``transport="ipc"``): the sockets live in a private
  folder bound into the sandbox, and symbolic links at the paths the grader expects point to them.

Signals: SIGINT (Jupyter's interrupt) is forwarded to the kernel; SIGTERM or the death of this launcher kills
the whole sandbox (``--die-with-parent``). The exit status is the kernel's: ``128 + n`` when signal ``n`` ended
it (SIGXCPU for the CPU limit, SIGKILL for the memory cgroup, SIGSEGV for a crash).
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

UID_BASE = 190000
"""First uid given to a sandboxed kernel; kernel ``n`` (0-based, among live kernels) runs as ``UID_BASE + n``."""
UID_COUNT = 2000
INSIDE = "/run/nncourse"
"""Where the sandbox sees its private files: ``kernel.json`` and ``ipc/`` (the sockets, also the checker's)."""
PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
IPC_INODES = 4096
"""Files and folders the socket folder's tmpfs may hold (Jupyter's five sockets and the checker's folder need a
handful; the rest is the learner's, and bounded)."""
STDERR_KEEP = 8192
"""Bytes of the kernel's own stderr passed on to the grader's stderr; the rest is discarded."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m grading.sandbox.launch", description=__doc__.split("\n")[0])
    p.add_argument("-f", dest="connection_file", required=True, help="Jupyter connection file (ipc transport)")
    p.add_argument("--memory-mb", type=int, default=2048, help="address space per process, and cgroup memory")
    p.add_argument("--cpu-seconds", type=int, default=300, help="CPU seconds per process (SIGXCPU past it)")
    p.add_argument("--nproc", type=int, default=64, help="processes and threads of the kernel's uid")
    p.add_argument("--file-mb", type=int, default=16, help="largest file the kernel may write")
    p.add_argument("--tmp-mb", type=int, default=64, help="size of the private /tmp")
    p.add_argument("--ipc-kb", type=int, default=1024, help="size of the socket folder's tmpfs (/run/nncourse/ipc)")
    p.add_argument("--wall-seconds", type=int, default=1800, help="the sandbox is killed after this long")
    p.add_argument("--bwrap", default=shutil.which("bwrap") or "/usr/bin/bwrap")
    p.add_argument("--setpriv", default=shutil.which("setpriv") or "/usr/bin/setpriv")
    p.add_argument("--helpers", default=None,
                   help="a folder to show the kernel in place of the course's `helpers` package (the copy without "
                        "references that grading.checker.stubs makes); default: the real package")
    p.add_argument("--no-cgroup", action="store_true", help="do not try cgroups (rlimits only)")
    p.add_argument("--parent-pid", type=int, default=None,
                   help="the grader's pid: the sandbox is killed once this launcher is no longer its child "
                        "(default: the parent at start, which misses a grader that died while the launcher started)")
    args, extra = p.parse_known_args(argv)
    args.kernel_args = [x for x in extra if x.startswith("--") and "=" in x]  # ipykernel options only
    return args


# ---------------------------------------------------------------------------------------------- uid allocation
def allocate_uid(lockdir: str):
    """A uid no other live sandbox holds, and the open lock file that holds it (kept until exit)."""
    os.makedirs(lockdir, mode=0o700, exist_ok=True)
    start = os.getpid() % UID_COUNT
    for k in range(UID_COUNT):
        n = (start + k) % UID_COUNT
        fd = os.open(os.path.join(lockdir, f"uid-{UID_BASE + n}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return UID_BASE + n, fd
    raise RuntimeError(f"no free sandbox uid in {UID_BASE}..{UID_BASE + UID_COUNT - 1}")


# ---------------------------------------------------------------------------------------------- cgroups
class Cgroup:
    """A cgroup (v1 controllers memory, pids, cpu; or v2) made for one kernel, best effort.

    ``paths`` are the folders made; :meth:`attach` (run in the child before exec) moves a process in;
    :meth:`remove` deletes the folders once the sandbox is gone.
    """

    def __init__(self, name: str, memory_bytes: int, pids: int, cpu_cores: float = 1.0):
        self.paths = []
        self.notes = []
        try:
            self._make(name, memory_bytes, pids, cpu_cores)
        except OSError as exc:  # read-only or absent hierarchy: rlimits still apply
            self.notes.append(f"cgroup not used: {exc}")
            self.remove()

    @staticmethod
    def _own():
        own = {}
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(","):
                    own[c] = path
        return own

    @staticmethod
    def sweep(parent: str, older_than: float = 60.0) -> list:
        """Remove the empty ``nncourse-*`` cgroups in ``parent`` made over ``older_than`` seconds ago: left by a
        grader that was killed before its janitor ran (a live kernel's cgroup is not empty, and the kernel is
        put in its cgroup within a second of its making, so neither is touched). Returns the folders removed."""
        removed = []
        try:
            names = [n for n in os.listdir(parent) if n.startswith("nncourse-")]
        except OSError:
            return removed
        for n in names:
            path = os.path.join(parent, n)
            try:
                if time.time() - os.stat(path).st_mtime < older_than:
                    continue
                with open(os.path.join(path, "cgroup.procs")) as fh:
                    if fh.read().strip():
                        continue
                os.rmdir(path)  # fails (EBUSY) if a process entered it meanwhile
                removed.append(path)
            except OSError:
                pass
        return removed

    def _make(self, name, memory_bytes, pids, cpu_cores):
        own = self._own()
        root = "/sys/fs/cgroup"
        v1 = {c: os.path.join(root, c) for c in ("memory", "pids", "cpu") if os.path.isdir(os.path.join(root, c))}
        if len(v1) == 3:
            for c, mount in v1.items():
                self.sweep(os.path.join(mount, own.get(c, "/").lstrip("/")))
            settings = {
                "memory": {"memory.limit_in_bytes": memory_bytes},
                "pids": {"pids.max": pids},
                "cpu": {"cpu.cfs_period_us": 100000, "cpu.cfs_quota_us": int(100000 * cpu_cores)},
            }
            for c, mount in v1.items():
                path = os.path.join(mount, own.get(c, "/").lstrip("/"), name)
                os.mkdir(path)
                self.paths.append(path)
                for key, value in settings[c].items():
                    with open(os.path.join(path, key), "w") as fh:
                        fh.write(str(value))
                if c == "memory" and os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                    try:  # no swap beyond the memory limit
                        with open(os.path.join(path, "memory.memsw.limit_in_bytes"), "w") as fh:
                            fh.write(str(memory_bytes))
                    except OSError:
                        pass
            return
        if os.path.exists(os.path.join(root, "cgroup.controllers")):  # unified (v2) hierarchy
            self.sweep(os.path.join(root, own.get("", "/").lstrip("/")))
            path = os.path.join(root, own.get("", "/").lstrip("/"), name)
            os.mkdir(path)
            self.paths.append(path)
            for key, value in (("memory.max", memory_bytes), ("memory.swap.max", 0), ("pids.max", pids),
                               ("cpu.max", f"{int(100000 * cpu_cores)} 100000")):
                with open(os.path.join(path, key), "w") as fh:
                    fh.write(str(value))
            return
        raise OSError(errno.ENOENT, "no cgroup hierarchy with memory, pids and cpu controllers")

    def attach(self, pid: int = 0):
        for path in self.paths:
            with open(os.path.join(path, "cgroup.procs"), "w") as fh:
                fh.write(str(pid or os.getpid()))

    def remove(self):
        for path in reversed(self.paths):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.paths = []


# ---------------------------------------------------------------------------------------------- the sandbox
def _python_roots():
    """Folders the kernel's Python needs, read-only: interpreter, standard library, site-packages."""
    roots = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), os.path.realpath(sys.exec_prefix),
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    return sorted(r for r in roots if r not in ("/", "/usr") and not r.startswith("/usr/"))


def _helpers_dir():
    import importlib.util

    spec = importlib.util.find_spec("helpers")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _matplotlib_caches():
    """The grader's matplotlib font-list caches (``fontlist-v*.json``), newest version of each name."""
    import glob

    folders = [os.environ.get("MPLCONFIGDIR", ""),
               os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "matplotlib")]
    found = {}
    for folder in folders:
        if folder:
            for path in glob.glob(os.path.join(folder, "fontlist-v*.json")):
                found.setdefault(os.path.basename(path), path)
    return sorted(found.values())


def _is_within(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def bwrap_argv(args, uid: int, private: str, cwd: str, python: str) -> list:
    """The bubblewrap command line that runs ipykernel as ``uid`` in the sandbox."""
    a = [args.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
         "--unshare-cgroup-try", "--hostname", "grading-sandbox"]
    a += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            a += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            a += ["--ro-bind", top, top]
    a += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev"]
    a += ["--size", str(args.tmp_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/usr", "/etc", "/proc", "/dev", "/tmp", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

    def bind(kind, src, dest):
        # bubblewrap makes missing parent folders with mode 0700 here: make them 0755 first
        parents = []
        parent = os.path.dirname(dest)
        while parent not in made and parent != "/":
            parents.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(parents):
            a.extend(["--perms", "0755", "--dir", folder])
            made.add(folder)
        a.extend([kind, src, dest])
        made.add(dest)

    for root in _python_roots():
        bind("--ro-bind", root, root)
    helpers = _helpers_dir()
    if helpers:
        bind("--ro-bind", os.path.realpath(args.helpers) if args.helpers else helpers, helpers)
    bind("--ro-bind", os.path.join(private, "kernel.json"), f"{INSIDE}/kernel.json")
    bind("--bind", os.path.join(private, "ipc"), f"{INSIDE}/ipc")
    # matplotlib's font cache, read-only, so that every kernel does not rebuild it (seconds)
    a.extend(["--perms", "1777", "--dir", "/tmp/.matplotlib"])
    made.add("/tmp/.matplotlib")
    for cache in _matplotlib_caches():
        bind("--ro-bind", cache, f"/tmp/.matplotlib/{os.path.basename(cache)}")
    # the working directory: the student's own folder, read-only; never a folder holding the course or helpers
    chdir = "/tmp"
    if cwd and cwd != "/" and not (helpers and _is_within(helpers, cwd)) and not _is_within(cwd, private) \
            and not any(_is_within(root, cwd) for root in _python_roots()):
        bind("--ro-bind", cwd, cwd)
        chdir = cwd
    a += ["--chdir", chdir, "--clearenv"]
    env = {
        "PATH": os.pathsep.join([os.path.dirname(python), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": "/tmp", "TMPDIR": "/tmp", "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/.matplotlib", "IPYTHONDIR": "/tmp/.ipython",
        "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", ""),
        "NNCOURSE_SANDBOX": "1",
    }
    if "VIRTUAL_ENV" in os.environ:
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    for key, value in env.items():
        a += ["--setenv", key, value]
    a += ["--", args.setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
          "--bounding-set=-all", "--no-new-privs",
          python, "-P", "-m", "ipykernel_launcher", "-f", f"{INSIDE}/kernel.json",
          "--HistoryManager.enabled=False"]
    a += list(args.kernel_args)
    return a


def _limits(args):
    mem = args.memory_mb * 2**20

    def preexec(cgroup=None):
        if cgroup is not None:
            try:
                cgroup.attach()
            except OSError:
                pass
        for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_NPROC, args.nproc),
                           (resource.RLIMIT_FSIZE, args.file_mb * 2**20), (resource.RLIMIT_CORE, 0),
                           (resource.RLIMIT_NOFILE, 1024)):
            resource.setrlimit(res, (value, value))
        # CPU: SIGXCPU at the limit (so the reason can be told), SIGKILL 5 s later if that signal is ignored
        resource.setrlimit(resource.RLIMIT_CPU, (args.cpu_seconds, args.cpu_seconds + 5))

    return preexec


def _children(pid: int) -> list:
    """Direct children of ``pid``, whichever of its threads started them."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return out


def descendants(pid: int) -> set:
    """Host pids of every living (not zombie) descendant of ``pid``: processes, not threads."""
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child in found:
                continue
            try:
                with open(f"/proc/{child}/stat") as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                found.add(child)
                todo.append(child)
    return found


def _uid_processes(uid: int) -> list:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    for line in fh:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                pids.append(int(entry))
                            break
            except (OSError, ValueError):
                pass
    return pids


# ---------------------------------------------------------------------------------------------- the socket folder
MS_NOSUID, MS_NODEV, MS_NOEXEC, MNT_DETACH = 2, 4, 8, 2


def _libc():
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        import ctypes.util

        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def mount_tmpfs(path: str, size_bytes: int, gid: int, inodes: int = IPC_INODES) -> None:
    """Mount a tmpfs of ``size_bytes`` and ``inodes`` at ``path`` (host side), root's, group ``gid``, mode 01770
    (sticky: the kernel makes its sockets there and cannot remove or rename what the grader's checker makes)."""
    import ctypes

    opts = f"size={int(size_bytes)},nr_inodes={int(inodes)},mode=1770,uid=0,gid={int(gid)}"
    if _libc().mount(b"tmpfs", os.fsencode(path), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     opts.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot mount the socket folder's tmpfs at {path}: {os.strerror(err)}")


def unmount(path: str) -> bool:
    """Detach the mount at ``path`` (lazily: at once, even if busy); ``False`` if nothing was mounted there."""
    return _libc().umount2(os.fsencode(path), MNT_DETACH) == 0


def remove_tree(path: str) -> None:
    """Remove ``path`` and everything under it, however deep: iterative (no recursion limit), one directory
    descriptor open at a time, names relative to it (no path-length limit), symbolic links removed, never
    followed. ``shutil.rmtree`` gives up on trees some thousand folders deep."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            os.unlink(path)
            return
        raise
    names = []  # the folders we are in, below path
    try:
        while True:
            sub = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        sub = entry.name
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except FileNotFoundError:
                        pass
            if sub is not None:
                child = os.open(sub, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(sub)
                continue
            if not names:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(path)


def _cleanup(uid: int, links: list, cgroup, private: str, wait: float = 10.0) -> None:
    """Kill whatever still runs as the sandbox's uid, remove its cgroups, socket links and private folder (the
    socket folder's tmpfs unmounted first)."""
    # until the uid has been empty for a second: a sandbox killed while bwrap was still setting up can start its
    # kernel as the uid just after a first sweep found nothing
    deadline = time.monotonic() + wait
    quiet_since = None
    while time.monotonic() < deadline:
        pids = _uid_processes(uid)
        if pids:
            quiet_since = None
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 1.0:
            break
        time.sleep(0.05)
    for link in links:
        try:
            os.unlink(link)
        except OSError:
            pass
    if cgroup is not None:
        cgroup.remove()
    ipc = os.path.join(private, "ipc")
    for _ in range(8):  # the tmpfs (and anything stacked on it)
        if not unmount(ipc):
            break
    try:
        remove_tree(private)
    except OSError:
        shutil.rmtree(private, ignore_errors=True)


def _start_janitor(uid: int, links: list, cgroup, private: str) -> int:
    """Fork a process, in a session of its own, that waits for this launcher to end (however it ends, SIGKILL
    included) and then runs :func:`_cleanup`. It inherits the uid lock, so the uid is not reused before the
    cleanup is done. Returns the pipe end whose closing (at exit) starts the cleanup."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(w)
            os.setsid()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            while os.read(r, 1):
                pass
            _cleanup(uid, links, cgroup, private)
        finally:
            os._exit(0)
    os.close(r)
    return w


def main(argv=None) -> int:
    args = parse_args(argv)
    with open(args.connection_file) as fh:
        info = json.load(fh)
    if info.get("transport") != "ipc":
        sys.stderr.write("grading.sandbox.launch: the kernel must use transport='ipc' (the sandbox has no "
                         "network); set KernelManager.transport = 'ipc'\n")
        return 2
    if not os.path.isabs(info.get("ip", "")):
        sys.stderr.write("grading.sandbox.launch: the ipc path ('ip' in the connection file) must be absolute, "
                         f"got {info.get('ip')!r}\n")
        return 2
    for tool in (args.bwrap, args.setpriv):
        if not (tool and os.access(tool, os.X_OK)):
            sys.stderr.write(f"grading.sandbox.launch: {tool!r} not found (apt-get install bubblewrap util-linux)\n")
            return 2
    lockdir = os.path.join(tempfile.gettempdir(), "nncourse-sandbox-uids")
    uid, lockfd = allocate_uid(lockdir)
    private = tempfile.mkdtemp(prefix=f"nncourse-sbx-{uid}-")  # the uid: tests tell a leftover from a live one
    links = []
    cgroup = None
    proc = None
    janitor = None
    try:
        os.chmod(private, 0o711)
        ipc = os.path.join(private, "ipc")
        # root's, group the kernel's, sticky: the kernel makes its sockets here, and the grader's checker makes its
        # own folder (grading/checker/harness.py), which the kernel can then neither rename nor replace
        os.mkdir(ipc, 0o700)
        mount_tmpfs(ipc, args.ipc_kb * 1024, uid)  # nothing the kernel writes there reaches the disk
        os.chown(ipc, 0, uid)
        os.chmod(ipc, 0o1770)
        inside = dict(info, ip=f"{INSIDE}/ipc/k")
        path = os.path.join(private, "kernel.json")
        with open(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o400), "w") as fh:
            json.dump(inside, fh)
        os.chown(path, uid, uid)
        for key in PORTS:
            link = f"{info['ip']}-{info[key]}"
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(os.path.join(ipc, f"k-{info[key]}"), link)
            links.append(link)
        if not args.no_cgroup:
            cgroup = Cgroup(f"nncourse-{uuid.uuid4().hex[:12]}", args.memory_mb * 2**20, args.nproc)
            if not cgroup.paths:
                cgroup = None
        janitor = _start_janitor(uid, links, cgroup, private)  # cleans up even if this process is SIGKILLed
        preexec = _limits(args)
        python = sys.executable
        cmd = bwrap_argv(args, uid, private, os.getcwd(), python)
        read_info, write_info = os.pipe()
        cmd.insert(1, "--info-fd")
        cmd.insert(2, str(write_info))
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                pass_fds=(write_info,), start_new_session=True,
                                preexec_fn=lambda: preexec(cgroup))
        os.close(write_info)
        child = {}

        def read_child():
            try:
                with os.fdopen(read_info) as fh:
                    child.update(json.loads(fh.read() or "{}"))
            except (OSError, ValueError):
                pass

        reader = threading.Thread(target=read_child, daemon=True)
        reader.start()

        def drain():
            kept = 0
            for chunk in iter(lambda: proc.stderr.read(4096), b""):
                if kept < STDERR_KEEP:
                    sys.stderr.buffer.write(chunk[:STDERR_KEEP - kept])
                    sys.stderr.flush()
                    kept += len(chunk)

        threading.Thread(target=drain, daemon=True).start()

        def forward(signum, frame):
            pid = child.get("child-pid")
            for target in (_children(pid) if pid else []):
                try:
                    os.kill(target, signum)
                except OSError:
                    pass

        def terminate(signum, frame):
            proc.kill()

        parent = args.parent_pid or os.getppid()

        def watch_parent():  # the grader died without shutting the kernel down: do not outlive it
            while proc.poll() is None:
                if os.getppid() != parent:  # reparented (to init or a subreaper): the grader is gone
                    proc.kill()
                    return
                time.sleep(0.5)

        threading.Thread(target=watch_parent, daemon=True).start()
        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGHUP, terminate)
        try:
            code = proc.wait(timeout=args.wall_seconds)
        except subprocess.TimeoutExpired:
            sys.stderr.write(f"grading.sandbox.launch: wall-clock limit of {args.wall_seconds} s reached\n")
            proc.kill()
            code = 128 + signal.SIGKILL
            proc.wait()
        if code < 0:
            code = 128 - code
        return code
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if janitor is None:  # failed before the janitor started: clean up here
            _cleanup(uid, links, cgroup, private)
        else:
            os.close(janitor)
        os.close(lockfd)

if __name__ == "__main__":
    sys.exit(main())
