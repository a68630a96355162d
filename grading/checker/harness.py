"""The checker process: runs the trusted test cells, with the learner's functions as stand-ins.

Started by :class:`grading.checker.execute.TrustedExecute` as ``python -I -m grading.checker.harness``, one per
notebook being graded, as the grader's own user and outside the sandbox. It talks to the grader over its standard
input and output (one JSON object per line) and to the learner's kernel as a second Jupyter client.

From the grader it takes:

* ``{"op": "connect", "connection": {...}, "answers": [names]}``: the kernel's connection info and the names the
  notebook's answer cells define;
* ``{"op": "run", "cell": grade_id, "source": ..., "hidden": bool, "kernel_dead": reason-or-""}``: run one test
  cell (its trusted source, from the gradebook) in a fresh namespace;
* ``{"op": "stop"}``.

For each test it answers ``{"status": "ok"|"error", "stdout": ..., "ename", "evalue", "traceback", "kernel"}``.

In the namespace of a test, each answer name the cell reads is, depending on what the kernel holds under that name,
a :class:`KernelFunction` (calling it runs the learner's function in the kernel on plain data), the plain value, or
absent. Expected values, random inputs and the test's source never leave this process: the kernel receives only the
arguments of each call, and evaluates callable arguments by asking this process through its stdin channel.

SIGUSR1 from the grader means "the kernel is gone": a call waiting for it fails at once, and so does every later one.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import os
import signal
import sys
import time
import traceback

from . import wire
from .plan import free_names

AGENT = "__nncourse_agent__"


class KernelDied(RuntimeError):
    """The learner's kernel died or was stopped; the test could not call the learner's function."""


class CallTimedOut(TimeoutError):
    """The learner's function was interrupted because the test ran past its time limit."""


class Kernel:
    """The learner's kernel, seen from the checker: a Jupyter client, and a private socket to the agent
    (:mod:`grading.checker.agent`) on which test requests are served."""

    def __init__(self, connection: dict):
        import secrets

        from jupyter_client.blocking import BlockingKernelClient

        import zmq

        self.zmq = zmq
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection)
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        # The agent's socket lives in a new folder, with a name nobody can guess, made by this process in the folder
        # that holds the kernel's sockets (so the kernel can reach it: in the sandbox, the folder bound at
        # /run/nncourse/ipc). The folder is this process's: the kernel's uid cannot swap what is in it, so nothing
        # the kernel plants (a symbolic link, a socket of its own) can redirect what this process binds.
        host_ipc = self._host_ipc_folder(connection)
        name = f"agent-{secrets.token_hex(16)}"
        self.folder = os.path.join(host_ipc, name)
        os.mkdir(self.folder, 0o755)  # fails if anything is there already
        self.address = os.path.join(self.folder, "s")
        self.socket = zmq.Context.instance().socket(zmq.PAIR)
        self.socket.linger = 0
        # a submission cannot make this process hold more than this much of one message
        self.socket.setsockopt(zmq.MAXMSGSIZE, wire.MAX_BYTES + 2**20)
        old = os.umask(0)  # the socket file must be writable by the kernel's uid to connect
        try:
            self.socket.bind("ipc://" + self.address)
        finally:
            os.umask(old)
        kernel_ip = connection.get("kernel_ip") or connection["ip"]
        self.kernel_address = os.path.join(os.path.dirname(kernel_ip), name, "s")
        self.dead = ""
        self.installed = False
        self.session = 0
        self.serving = None

    @staticmethod
    def _host_ipc_folder(connection: dict) -> str:
        """The host folder of the kernel's sockets: where the grader's link to the shell socket points (the
        sandbox), or the folder of the socket itself (a kernel without the sandbox). Only links the grader wrote
        are read, never a path the kernel could have changed."""
        shell = f"{connection['ip']}-{connection['shell_port']}"
        try:
            target = os.readlink(shell)
        except OSError:  # not a link: the kernel's own socket, in the grader's private folder
            return os.path.dirname(shell)
        return os.path.dirname(target)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        with contextlib.suppress(Exception):
            self.socket.close(linger=0)
        with contextlib.suppress(OSError):
            os.unlink(self.address)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)

    # -- Jupyter messages ----------------------------------------------------------------------------------------
    def _shell_reply(self, msg_id: str, timeout: float):
        """The execute_reply to ``msg_id`` if it arrives within ``timeout`` seconds, else ``None``."""
        kc = self.client
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead:
                raise KernelDied(self.dead)
            if kc.shell_channel.socket.poll(int(max(0.0, min(0.2, deadline - time.monotonic())) * 1000)):
                msg = kc.shell_channel.get_msg(timeout=0)
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return msg.get("content", {})
        return None

    def install(self) -> None:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "wire.py")) as fh:
            wire_source = fh.read()
        with open(os.path.join(here, "agent.py")) as fh:
            agent_source = fh.read()
        # compiled under a name of its own, so that the learner's tracebacks leave the agent's frames out
        code = (f"exec(compile({agent_source!r}, '<nncourse agent>', 'exec'))\n"
                f"__nncourse_install_agent({wire_source!r})\ndel __nncourse_install_agent\n")
        msg_id = self.client.execute(code, silent=True, store_history=False, allow_stdin=False,
                                     stop_on_error=False)
        while True:
            reply = self._shell_reply(msg_id, 1.0)
            if reply is not None:
                break
        if reply.get("status") != "ok":
            raise KernelDied(f"the kernel could not start the grader's helper ({reply.get('ename')})")
        self.installed = True

    # -- a session: one execute in the kernel serving one test's requests ----------------------------------------
    def begin(self) -> None:
        if self.serving is not None:
            return
        if self.dead:
            raise KernelDied(self.dead)
        if not self.installed:
            self.install()
        self.session += 1
        code = f"{AGENT}({self.kernel_address!r}, {self.session})"
        self.serving = self.client.execute(code, silent=True, store_history=False, allow_stdin=False,
                                           stop_on_error=False)
        hello = self._receive()
        if hello.get("op") != "hello":
            raise wire.WireError("the grader's helper in your kernel did not answer as expected")

    def end(self) -> None:
        """Tell the agent the test is over and wait for its execute to return (if the kernel is alive)."""
        if self.serving is None:
            return
        msg_id, self.serving = self.serving, None
        if self.dead:
            return
        with contextlib.suppress(Exception):
            self._send({"op": "done"})
            self._shell_reply(msg_id, 5.0)

    def _send(self, obj: dict) -> None:
        self.socket.send_string(wire.dumps(dict(obj, s=self.session)))

    def _receive(self) -> dict:
        """The agent's next message of this session; fails if the kernel dies or the agent's execute ends."""
        while True:
            if self.dead:
                raise KernelDied(self.dead)
            if self.socket.poll(50):
                try:
                    msg = wire.loads(self.socket.recv_string())
                except (UnicodeDecodeError, wire.WireError):
                    raise wire.WireError("the kernel sent something that is not plain data") from None
                if isinstance(msg, dict) and msg.get("s") == self.session:
                    return msg
                continue
            if self.serving is not None and self.client.shell_channel.socket.poll(0):
                msg = self.client.shell_channel.get_msg(timeout=0)
                if msg.get("parent_header", {}).get("msg_id") == self.serving:
                    content = msg.get("content", {})
                    self.serving = None
                    # a reply before "done" is forged, or the agent was replaced: if the real one still serves this
                    # session, release it, so that the kernel is free for the next test
                    with contextlib.suppress(Exception):
                        self._send({"op": "done"})
                    if content.get("ename") == "KeyboardInterrupt":
                        raise CallTimedOut("your function was stopped because the test ran past its time limit")
                    raise KernelDied("the grader's helper in your kernel stopped answering "
                                     f"({content.get('ename') or 'it returned early'}): did your code replace it?")

    def request(self, payload: dict, callbacks=None) -> dict:
        """Send one request to the agent; evaluate the callbacks it asks for; return its response."""
        self.begin()
        self._send(payload)
        while True:
            msg = self._receive()
            if msg.get("op") == "callback":
                self._send(self._callback(msg, callbacks))
                continue
            return msg

    @staticmethod
    def _callback(req: dict, callbacks) -> dict:
        """Evaluate a checker function the learner's code called, on plain data; answer in plain data."""
        try:
            fn = (callbacks or [])[int(req.get("callback"))]
            args = wire.decode(req.get("args"))
            kwargs = wire.decode(req.get("kwargs"))
            if not isinstance(args, list) or not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
                raise wire.WireError("not plain data: call arguments")
            return {"ok": wire.encode(fn(*args, **kwargs))}
        except Exception as exc:  # noqa: BLE001 - the learner's code gets the error, as a built-in exception
            kind = next((c.__name__ for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c),
                        "RuntimeError")
            return {"error": {"type": kind, "message": str(exc)[:2000]}}


def _builtin_exception(names, message):
    """The first built-in exception class among ``names`` (an MRO sent by the kernel), as an instance."""
    from helpers.checks import DelegationError

    for name in names if isinstance(names, list) else []:
        if name == "DelegationError":
            return DelegationError(message)
        if name == "KeyboardInterrupt":
            return CallTimedOut("your function was stopped because the test ran past its time limit")
        cls = getattr(builtins, str(name), None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls(message)
    return RuntimeError(message)


class KernelFunction:
    """Stands for the learner's function ``name``: a call runs it in the kernel on plain data."""

    def __init__(self, kernel: Kernel, name: str, printed: list):
        self._kernel, self.__name__, self.__qualname__ = kernel, name, name
        self.__module__ = "__main__"
        self._printed = printed
        self.__runs_in_learner_kernel__ = True

    def __repr__(self):
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        callbacks, found = [], []

        def on_callable(fn):
            if isinstance(fn, KernelFunction):
                return {"$": "learner", "name": fn.__name__}
            callbacks.append(fn)
            return {"$": "callback", "id": len(callbacks) - 1, "name": getattr(fn, "__name__", "f")}

        def on_array(path, obj):
            found.append((path, obj))

        payload = {"op": "call", "name": self.__name__,
                   "args": wire.encode(list(args), on_callable, lambda p, o: on_array(("a",) + p, o)),
                   "kwargs": wire.encode(dict(kwargs), on_callable, lambda p, o: on_array(("k",) + p, o))}
        response = self._kernel.request(payload, callbacks)
        if response.get("printed"):
            self._printed.append(str(response["printed"]))
        if "error" in response:
            err = response["error"] if isinstance(response["error"], dict) else {}
            exc = _builtin_exception(err.get("mro"), str(err.get("message", "")))
            tb = str(err.get("traceback", ""))
            if tb and not isinstance(exc, CallTimedOut):
                exc.learner_traceback = tb
            raise exc
        result = wire.decode(response.get("ok"))
        self._mirror(found, response.get("changed", []))
        return result

    @staticmethod
    def _mirror(found, changed):
        """Write the kernel's in-place changes of array and generator arguments into the checker's objects."""
        import numpy as np

        by_path = dict(found)
        for entry in changed if isinstance(changed, list) else []:
            target = by_path.get(tuple(entry.get("path", []))) if isinstance(entry, dict) else None
            if target is None:
                continue
            value = wire.decode(entry.get("value"))
            if isinstance(target, np.random.Generator):
                if isinstance(value, np.random.Generator):
                    target.bit_generator.state = value.bit_generator.state
            elif isinstance(value, np.ndarray) and value.shape == target.shape:
                np.copyto(target, value.astype(target.dtype, copy=False), casting="unsafe")
            else:  # resized or retyped in place: the checker's copy can only show that it changed
                target[...] = np.nan if target.dtype.kind in "fc" else ~target if target.dtype.kind == "b" else 0


class Checker:
    """Runs test cells for one notebook (see the module docstring)."""

    def __init__(self):
        self.kernel = None
        self.answers = set()
        self.gone = ""

    def connect(self, connection: dict, answers) -> None:
        self.answers = set(answers)
        self.kernel = Kernel(connection)

    def namespace(self, source: str, printed: list) -> dict:
        ns = {"__name__": "__main__", "__builtins__": builtins}
        wanted = sorted(free_names(source) & self.answers)
        if wanted and self.kernel is None:  # the kernel died before the first test: calling it fails
            for name in wanted:
                ns[name] = _Gone(name, self.gone or "the kernel died")
        elif wanted:
            described = self.kernel.request({"op": "describe", "names": wanted}).get("ok", {})
            for name in wanted:
                info = described.get(name) if isinstance(described, dict) else None
                kind = info.get("kind") if isinstance(info, dict) else None
                if kind == "function":
                    ns[name] = KernelFunction(self.kernel, name, printed)
                elif kind == "data":
                    ns[name] = wire.decode(info.get("value"))
                elif kind == "other":
                    ns[name] = _Unreadable(name, str(info.get("type", "?")))
        return ns

    def run(self, cell: str, source: str, hidden: bool, kernel_dead: str = "") -> dict:
        if kernel_dead:
            self.gone = kernel_dead
            if self.kernel is not None:
                self.kernel.dead = self.kernel.dead or kernel_dead
        filename = f"<test {cell}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        out, printed = io.StringIO(), []
        status = {"status": "ok", "kernel": "ok"}
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                ns = self.namespace(source, printed)
                code = compile(source, filename, "exec")
                try:
                    exec(code, ns)
                finally:
                    if self.kernel is not None:
                        self.kernel.end()
                    for text in printed:
                        out.write(text if text.endswith("\n") else text + "\n")
        except BaseException as exc:  # noqa: BLE001 - a failing test, reported as nbgrader expects
            if isinstance(exc, SystemExit):
                exc = RuntimeError("the test called sys.exit")
            status = {"status": "error", "kernel": "dead" if isinstance(exc, KernelDied) else "ok",
                      "ename": type(exc).__name__, "evalue": str(exc),
                      "traceback": _traceback(exc, filename, hidden)}
        status["stdout"] = out.getvalue()
        return status


class _Gone:
    """A learner's function whose kernel is gone: calling it fails the test with the reason."""

    def __init__(self, name, reason):
        self.__name__, self._reason = name, reason

    def __call__(self, *a, **k):
        raise KernelDied(self._reason)


class _Unreadable:
    """A notebook value the checker cannot read (not plain data): using it fails the test with a clear message."""

    def __init__(self, name, kind):
        self._what = f"`{name}` in your notebook is a {kind}, which the grader cannot read"

    def __getattr__(self, item):
        raise TypeError(self._what)

    def __call__(self, *a, **k):
        raise TypeError(self._what)


def _traceback(exc, filename: str, hidden: bool) -> list:
    """What the learner sees: for a visible test, the test's line that failed; never a line of a hidden test or of
    the course's check helpers; then the message; then the traceback of the learner's own code, if it raised."""
    lines = []
    if not hidden:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        if frames:
            f = frames[-1]
            lines.append(f"In the test, line {f.lineno}:\n    {(f.line or '').strip()}")
    lines.append(f"{type(exc).__name__}: {exc}")
    learner = getattr(exc, "learner_traceback", "")
    if learner:
        lines.append("Your code raised it here:\n" + learner.rstrip())
    return lines


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    checker = Checker()

    def kernel_gone(signum, frame):
        if checker.kernel is not None:
            checker.kernel.dead = checker.kernel.dead or "the kernel died"

    signal.signal(signal.SIGUSR1, kernel_gone)
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        op = req.get("op")
        if op == "stop":
            break
        try:
            if op == "answers":  # no kernel to connect to (it died before the first test)
                checker.answers = set(req.get("answers", []))
                reply = {"status": "ok"}
            elif op == "connect":
                checker.connect(req["connection"], req.get("answers", []))
                reply = {"status": "ok"}
            elif op == "run":
                start = time.perf_counter()
                reply = checker.run(req["cell"], req["source"], bool(req.get("hidden")), req.get("kernel_dead", ""))
                reply["seconds"] = time.perf_counter() - start
            else:
                reply = {"status": "error", "ename": "ValueError", "evalue": f"unknown op {op!r}", "traceback": []}
        except Exception as exc:  # noqa: BLE001 - the grader must always get an answer
            reply = {"status": "error", "ename": type(exc).__name__, "evalue": str(exc), "traceback": [],
                     "stdout": ""}
        proto.write(json.dumps(reply) + "\n")
    if checker.kernel is not None:
        checker.kernel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
