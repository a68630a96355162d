"""The kernel side of the trusted checks: run a learner's function on plain data and send plain data back.

The checker (:mod:`grading.checker.harness`) installs this agent in the learner's kernel with one silent execute:
the source of :mod:`grading.checker.wire` followed by this file, wrapped in a function so that nothing but
``builtins.__nncourse_agent__`` is left behind. For each test cell the checker then sends one silent execute,
``__nncourse_agent__(address, session)``, which serves the test's requests in the kernel's main thread over a
private ZeroMQ socket (a Jupyter execute costs milliseconds; a message on that socket, a tenth of one) until the
checker says ``done``.

Nothing here is trusted. The learner's code runs in the same interpreter and may replace or patch every part of it;
the only thing that can come of that is some JSON text, which the checker decodes with
:func:`grading.checker.wire.decode` into plain values, exactly as if the learner's function had returned them.

Requests (each message carries the session number; others are dropped):

* ``{"op": "describe", "names": [...]}``: for each name of the notebook, ``"function"`` (callable), ``"missing"``,
  or ``"data"`` with the value (if it is plain data);
* ``{"op": "call", "name": ..., "args": ..., "kwargs": ...}``: call the learner's function. Callable arguments are
  stand-ins that ask the checker to evaluate the real callable (``{"op": "callback"}`` on the same socket). The
  response carries the result, the arrays and generators among the arguments that the call changed (to mirror them
  in the checker), and what the call printed; or the exception, as ``{"type", "mro", "message", "traceback"}``;
* ``{"op": "done"}``: return from the execute.
"""


def __nncourse_install_agent(wire_source):  # noqa: C901 - one closure so that nothing leaks into the notebook
    import builtins
    import io
    import sys
    import traceback

    wire = {"__name__": "nncourse_wire"}
    exec(compile(wire_source, "<nncourse wire>", "exec"), wire)
    encode, decode, dumps, loads = wire["encode"], wire["decode"], wire["dumps"], wire["loads"]
    np = wire["np"]
    ip = get_ipython()  # noqa: F821 - IPython's builtin
    link = {"socket": None, "address": None, "session": None}

    def send(obj):
        link["socket"].send_string(dumps(dict(obj, s=link["session"])))

    def receive():
        sock = link["socket"]
        while True:
            if sock.poll(100):
                msg = loads(sock.recv_string())
                if isinstance(msg, dict) and msg.get("s") == link["session"]:
                    return msg

    def error_of(exc, tb_skip=1):
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        # drop the agent's own frames: the learner sees their code, not ours
        lines = [lines[0]] + [ln for ln in lines[1:] if "<nncourse" not in ln]
        return {"type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
                "message": str(exc)[:4000], "traceback": "".join(lines)[-8000:]}

    def callback(tag):
        ident, name = tag.get("id"), str(tag.get("name", "f"))

        def call_checker(*args, **kwargs):
            send({"op": "callback", "callback": ident, "args": encode(list(args)), "kwargs": encode(kwargs)})
            reply = receive()
            if "error" in reply:
                err = reply["error"]
                cls = getattr(builtins, str(err.get("type", "")), None)
                if not (isinstance(cls, type) and issubclass(cls, Exception)):
                    cls = RuntimeError
                raise cls(str(err.get("message", "")))
            return decode(reply["ok"])

        call_checker.__name__ = call_checker.__qualname__ = name
        return call_checker

    def resolve(tag):
        if tag["$"] == "callback":
            return callback(tag)
        if tag["$"] == "record":  # a course type (helpers.training.TrainLog): build the real class if it is one
            module, _, name = str(tag.get("type", "")).rpartition(".")
            if module == "helpers" or module.startswith("helpers."):
                try:
                    import importlib

                    return getattr(importlib.import_module(module), name, None)
                except Exception:  # noqa: BLE001 - a plain named tuple will do
                    return None
            return None
        value = ip.user_ns.get(str(tag.get("name")))
        if not callable(value):
            raise NameError(f"name {tag.get('name')!r} is not defined in the notebook")
        return value

    def describe(names):
        out = {}
        for name in names:
            value = ip.user_ns.get(name, describe)
            if value is describe:
                out[name] = {"kind": "missing"}
            elif callable(value) and not isinstance(value, (np.ndarray, np.generic, type)):
                out[name] = {"kind": "function"}
            else:
                try:
                    out[name] = {"kind": "data", "value": encode(value)}
                except Exception as exc:  # noqa: BLE001 - not plain data: the checker reports it
                    out[name] = {"kind": "other", "type": type(value).__name__, "why": str(exc)[:300]}
        return out

    def call(request):
        fn = ip.user_ns.get(str(request.get("name")))
        if not callable(fn):
            return {"error": {"type": "NameError", "mro": ["NameError", "Exception"],
                              "message": f"name {request.get('name')!r} is not defined", "traceback": ""}}
        arrays = []

        def remember(path, obj):
            arrays.append((path, obj, obj.copy() if isinstance(obj, np.ndarray) else dict(obj.bit_generator.state)))

        args = decode(request.get("args"), resolve, lambda path, obj: remember(("a",) + path, obj))
        kwargs = decode(request.get("kwargs"), resolve, lambda path, obj: remember(("k",) + path, obj))
        out, saved = io.StringIO(), (sys.stdout, sys.stderr)
        sys.stdout = sys.stderr = out
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure is the learner's, and is reported
            return {"error": error_of(exc), "printed": out.getvalue()[:20000]}
        finally:
            sys.stdout, sys.stderr = saved
        try:
            encoded = encode(result)
        except Exception as exc:  # noqa: BLE001 - not plain data
            return {"error": {"type": "TypeError", "mro": ["TypeError", "Exception"], "traceback": "",
                              "message": f"{request.get('name')} returned a value the grader cannot read: {exc}"}}
        changed = []
        for path, obj, before in arrays:
            if isinstance(obj, np.ndarray):
                same = obj.shape == before.shape and obj.dtype == before.dtype and np.array_equal(
                    obj, before, equal_nan=obj.dtype.kind in "fc")
                if not same:
                    changed.append({"path": list(path), "value": encode(obj)})
            elif obj.bit_generator.state != before:
                changed.append({"path": list(path), "value": encode(obj)})
        return {"ok": encoded, "changed": changed, "printed": out.getvalue()[:20000]}

    def serve(address, session):
        import zmq

        if link["address"] != address:
            if link["socket"] is not None:
                link["socket"].close(linger=0)
            sock = zmq.Context.instance().socket(zmq.PAIR)
            sock.linger = 0
            sock.connect("ipc://" + address)
            link.update(socket=sock, address=address)
        link["session"] = session
        send({"op": "hello"})
        while True:
            request = receive()
            op = request.get("op")
            if op == "done":
                return "done"
            try:
                if op == "describe":
                    response = {"ok": describe([str(n) for n in request.get("names", [])])}
                elif op == "call":
                    response = call(request)
                else:
                    response = {"error": {"type": "ValueError", "mro": [], "message": "unknown request",
                                          "traceback": ""}}
            except Exception as exc:  # noqa: BLE001 - a request that could not even be read
                response = {"error": error_of(exc)}
            send(response)

    builtins.__dict__["__nncourse_agent__"] = serve
