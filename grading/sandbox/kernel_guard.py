"""Run by the sandboxed kernel at start (``IPKernelApp.exec_files``), before any cell of the submission.

It snapshots what the notebooks' tests rely on — the attributes of ``numpy`` (every submodule loaded),
``helpers`` (every submodule), ``math`` and ``builtins``; the code objects of their Python functions; the
``sys.modules`` entries; IPython's hooks (events, input and AST transformers, custom exception handlers) and the
methods of the shell and kernel — and installs ``builtins.__nncourse_guard__(when, token)``, which the grader
(:class:`grading.sandbox.GuardedExecute`) calls silently around cells:

* ``when="before"`` (before every cell, from an IPython ``pre_run_cell`` hook installed here, so that it costs no
  message round trip): put back everything that changed;
* ``when="after"`` (after every test cell): the same, and say what had changed, so that a test during which
  the learner's code patched the helpers scores 0.

It also remembers which names of the notebook's namespace are bound to modules (``np``, ``C``, ...) and puts a
module back when a cell rebinds the name to something that is not a module.

This is a guard against monkeypatching, not a security boundary: code written against this file can defeat it
(it runs in the same interpreter); the sandbox around the kernel is the boundary. Nothing here is left in the
notebook's namespace.
"""


def __nncourse_install_guard():
    import builtins
    import sys
    import types

    import os

    # import the real modules, not files of the same name in the student's folder (the working directory)
    saved_path = list(sys.path)
    here = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != here]
    try:
        import numpy  # noqa: F401
        import numpy.linalg  # noqa: F401
        import numpy.random  # noqa: F401
        import numpy.testing  # noqa: F401
        import math  # noqa: F401

        try:
            import helpers  # noqa: F401
        except Exception:  # noqa: BLE001 - a course without helpers still gets numpy guarded
            pass
    finally:
        sys.path[:] = saved_path

    ip = get_ipython()  # noqa: F821 - IPython's builtin in exec_files
    kernel = getattr(ip, "kernel", None)

    skip_builtins = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "dreload", "copyright",
                     "credits", "license", "help", "__nncourse_guard__", "__IPYTHON__", "__builtins__"}

    def watched_module(name):
        return name in ("builtins", "math", "numpy", "helpers") or name.startswith(("numpy.", "helpers."))

    modules = {name: mod for name, mod in list(sys.modules.items())
               if mod is not None and watched_module(name) and isinstance(mod, types.ModuleType)}

    def interesting(value):
        return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type)) \
            or callable(value)

    # (owner, name) -> value for modules and for the classes of the shell and kernel
    attrs = {}
    for mname, mod in modules.items():
        for key, value in list(vars(mod).items()):
            if mname == "builtins" and (key in skip_builtins or key.startswith("_")):
                continue
            if interesting(value):
                attrs[(mod, key)] = value
    classes = []
    for obj in (ip, kernel):
        if obj is not None:
            classes.extend(c for c in type(obj).__mro__ if c is not object)
    class_attrs = {}
    for cls in classes:
        for key, value in list(vars(cls).items()):
            if isinstance(value, (types.FunctionType, staticmethod, classmethod, property)):
                class_attrs[(cls, key)] = value

    # code objects of every Python function reachable above (numpy's dispatchers wrap an _implementation)
    codes = {}

    def add_code(fn):
        if isinstance(fn, types.FunctionType) and id(fn) not in codes:
            codes[id(fn)] = (fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__)

    for value in list(attrs.values()) + list(class_attrs.values()):
        add_code(value)
        add_code(getattr(value, "_implementation", None))
        add_code(getattr(value, "__func__", None))
        add_code(getattr(value, "__wrapped__", None))

    instance_dicts = [(obj, {k: v for k, v in vars(obj).items() if callable(v)}) for obj in (ip, kernel)
                      if obj is not None]
    def before_cell(info=None):
        try:
            guard("before", "")
        except Exception:  # noqa: BLE001 - never disturb the learner's cell; the check after the test reports
            pass

    lists = []
    if ip is not None:
        # registered before the snapshot below, so that the guard also puts itself back
        ip.events.register("pre_run_cell", before_cell)
        lists.append((ip.events.callbacks, {k: list(v) for k, v in ip.events.callbacks.items()}))
        for owner, name in ((ip, "input_transformers_post"), (ip, "ast_transformers"),
                            (ip.input_transformer_manager, "cleanup_transforms"),
                            (ip.input_transformer_manager, "line_transforms"),
                            (ip.input_transformer_manager, "token_transformers")):
            if hasattr(owner, name):
                lists.append(((owner, name), list(getattr(owner, name))))
    sys_hooks = {"excepthook": sys.excepthook, "displayhook": sys.displayhook}
    custom = (getattr(ip, "custom_exceptions", ()), getattr(ip, "CustomTB", None))
    namespace_modules = {}

    def short(owner):
        return getattr(owner, "__name__", type(owner).__name__)

    def guard(when, token):
        changed = []
        for name, mod in modules.items():
            if sys.modules.get(name) is not mod:
                changed.append(f"sys.modules[{name!r}]")
                sys.modules[name] = mod
        for (mod, key), value in attrs.items():
            d = vars(mod)
            if d.get(key, guard) is not value:
                changed.append(f"{short(mod)}.{key}")
                d[key] = value
        for (cls, key), value in class_attrs.items():
            if vars(cls).get(key, guard) is not value:
                changed.append(f"{cls.__name__}.{key}")
                setattr(cls, key, value)
        for fn, code, defaults, kwdefaults in codes.values():
            if fn.__code__ is not code or fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                changed.append(f"{getattr(fn, '__module__', '?')}.{fn.__qualname__}.__code__")
                fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults
        for obj, saved in instance_dicts:
            d = vars(obj)
            for key in [k for k, v in d.items() if callable(v) and k not in saved and hasattr(type(obj), k)]:
                changed.append(f"{type(obj).__name__}.{key}")
                del d[key]
            for key, value in saved.items():
                if d.get(key, guard) is not value:
                    changed.append(f"{type(obj).__name__}.{key}")
                    d[key] = value
        for owner, saved in lists:
            if isinstance(owner, tuple):
                obj, name = owner
                if list(getattr(obj, name)) != saved:
                    changed.append(name)
                    setattr(obj, name, list(saved))
            else:
                for key, value in saved.items():
                    if list(owner.get(key, [])) != value:
                        changed.append(f"IPython event {key}")
                        owner[key] = list(value)
        for key, value in sys_hooks.items():
            if getattr(sys, key) is not value:
                changed.append(f"sys.{key}")
                setattr(sys, key, value)
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changed.append("sys.settrace/setprofile")
            sys.settrace(None)
            sys.setprofile(None)
        if ip is not None and (ip.custom_exceptions, ip.CustomTB) != custom:
            changed.append("custom exception handler")
            ip.custom_exceptions, ip.CustomTB = custom
        if ip is not None:
            ns = ip.user_ns
            real = {id(m) for m in sys.modules.values() if m is not None}
            for name, mod in list(namespace_modules.items()):
                value = ns.get(name, guard)
                if value is mod:
                    continue
                if isinstance(value, types.ModuleType) and id(value) in real:
                    namespace_modules[name] = value  # rebound to another real module: fine
                    continue
                changed.append(f"the notebook's name {name!r}")
                ns[name] = mod
            for name, value in list(ns.items()):
                if (not name.startswith("_") and name not in namespace_modules
                        and isinstance(value, types.ModuleType) and id(value) in real):
                    namespace_modules[name] = value
        if builtins.__dict__.get("__nncourse_guard__") is not guard:
            builtins.__dict__["__nncourse_guard__"] = guard
        detail = ", ".join(sorted(set(changed))[:8]) + (" ..." if len(set(changed)) > 8 else "")
        return f"{token}:{detail if when == 'after' else ''}"

    builtins.__dict__["__nncourse_guard__"] = guard


__nncourse_install_guard()
del __nncourse_install_guard
