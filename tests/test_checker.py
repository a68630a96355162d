"""The trusted checker's parts: the plain-data wire, the kernel plan, the stubbed helpers, and the checker process
against a real (unsandboxed) kernel. The whole design under attack is ``tests/test_hostile.py``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell

from grading.checker import plan as P
from grading.checker import wire
from grading.checker.stubs import declared_references, defined_names, stubbed_helpers


# ------------------------------------------------------------------------------------------------ wire
def _roundtrip(obj):
    return wire.decode(wire.loads(wire.dumps(wire.encode(obj))))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, np.generic):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, float):
        return type(b) is float and (a == b or (a != a and b != b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                    st.complex_numbers(allow_nan=False), st.binary(max_size=20))
dtypes = st.sampled_from(["f8", "f4", "i8", "i2", "u1", "?", "c16", "U3"])
arrays = st.builds(lambda d, shape, seed: np.random.default_rng(seed).normal(size=shape).astype(d)
                   if d[0] != "U" else np.full(shape, "ab", dtype=d),
                   dtypes, st.lists(st.integers(0, 4), max_size=3).map(tuple), st.integers(0, 10))
values = st.recursive(st.one_of(scalars, arrays),
                      lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                                              st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                      max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(values)
def test_plain_values_cross_unchanged(obj):
    assert _same(obj, _roundtrip(obj))


def test_sets_records_scalars_and_generators_cross():
    from helpers.training import TrainLog

    assert _roundtrip({"a", "b"}) == {"a", "b"} and type(_roundtrip(frozenset([1, 2]))) is frozenset
    s = _roundtrip(np.float32(1.5))
    assert type(s) is np.float32 and s == 1.5
    assert type(_roundtrip(np.str_("x"))) is np.str_
    assert _roundtrip(2**80) == 2**80 and _roundtrip(float("-inf")) == float("-inf")
    log = TrainLog(*[np.arange(3.0)] * len(TrainLog._fields))
    back = _roundtrip(log)
    assert back._fields == TrainLog._fields and np.array_equal(back.train_loss, np.arange(3.0))
    rng = np.random.default_rng(7)
    rng.normal()
    twin = _roundtrip(rng)
    assert isinstance(twin, np.random.Generator) and twin.normal() == rng.normal()


class Sneaky(float):
    def __eq__(self, other):
        return True


class ArrayLike:
    __array_priority__ = 1000

    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("obj,why", [
    (ArrayLike(), "cannot be sent"),
    (np.array([object()]), "dtype object"),
    (np.zeros(2, dtype=[("a", "f8")]), "cannot be sent"),
    (lambda x: x, "cannot be sent"),
    (iter([1, 2]), "cannot be sent"),
])
def test_objects_that_are_not_plain_data_cannot_be_sent(obj, why):
    with pytest.raises(wire.WireError, match=why):
        wire.encode(obj)


def test_subclasses_of_plain_types_arrive_as_the_plain_type():
    back = _roundtrip(Sneaky(2.0))
    assert type(back) is float and back == 2.0 and not back == 3.0


def _nd(**kw):
    base = {"$": "nd", "dtype": "<f8", "shape": [2], "b64": "AAAAAAAA8D8AAAAAAAAAQA=="}
    base.update(kw)
    return base


@pytest.mark.parametrize("tree", [
    {"$": "pickle", "v": "gASV"},                       # an unknown tag
    {"x": 1},                                           # an untagged object
    _nd(dtype="|O"),                                    # object arrays
    _nd(dtype="[('a', 'O')]"),
    _nd(dtype="|V8"),
    _nd(shape=[3]),                                     # the bytes do not fill the shape
    _nd(shape=[-1]),
    {"$": "callback", "id": 0},                         # no resolver on this side
    {"$": "learner", "name": "relu"},
    {"$": "record", "type": "x.Y", "fields": ["__class__"], "v": [1]},
    {"$": "record", "type": "x.Y", "fields": ["a", "a"], "v": [1, 2]},
    {"$": "rng", "state": {"$": "dict", "k": ["bit_generator"], "v": ["os.system"]}},
    {"$": "set", "v": [{"$": "list", "v": []}]},        # unhashable members
])
def test_decode_refuses_what_is_not_plain_data(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree)


def test_decode_bounds_depth_and_size():
    deep = 1.0
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"$": "list", "v": [deep]}
    with pytest.raises(wire.WireError, match="nested"):
        wire.decode(deep)
    with pytest.raises(wire.WireError, match="too large"):
        wire.loads("x" * (wire.MAX_BYTES + 1))
    with pytest.raises(wire.WireError, match="values"):
        wire.decode({"$": "list", "v": [0] * (wire.MAX_NODES + 1)})


# ------------------------------------------------------------------------------------------------ plan
def _cells(*specs):
    out = []
    for kind, source in specs:
        out.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    return out


def _plan(cells, tests, answers):
    return [(s.action, s.source) for s in P.plan(cells, tests, answers)]


def test_plan_runs_answers_and_what_they_need_and_leaves_tests_to_the_checker():
    cells = _cells(("code", "import numpy as np\nimport matplotlib.pyplot as plt\nfrom helpers import forward as F"),
                   ("md", "## 1.1"),
                   ("code", "X = np.ones((2, 3))\nfig, ax = plt.subplots()\nax.plot(F.relu(X))\nplt.show()"),
                   ("code", "SCALE = 2.0\nunused = 3"),
                   ("code", "def f(Z):\n    return SCALE * np.maximum(Z, 0)"),
                   ("code", "print(f(X))"),
                   ("code", "assert f(X).shape == (2, 3)"))
    steps = _plan(cells, {6: "import numpy as np\nassert f(np.ones(2)).shape == (2,)"}, {4})
    assert steps == [("run", "import numpy as np"), ("skip", ""), ("skip", ""), ("run", "SCALE = 2.0"),
                     ("run", "def f(Z):\n    return SCALE * np.maximum(Z, 0)"), ("skip", ""), ("test", "")]


def test_plan_reads_the_trusted_test_source_and_scopes_changes():
    cells = _cells(("code", "import numpy as np\nrng = np.random.default_rng(0)\nX = rng.normal(size=3)\n"
                            "rng.shuffle(X)\nZ = 5; W = 6\nprint(np.mean(X))"),
                   ("code", "def g(Z, rng=None):\n    return Z + X + W"),
                   ("code", "pass  # the submission's copy of the test: never read"))
    steps = _plan(cells, {2: "assert g(1).shape == (3,)"}, {1})
    # g reads X and W; rng.shuffle(X) changes X (kept); Z is g's parameter; Z = 5; W = 6 share a line
    assert steps[0] == ("run", "import numpy as np\nrng = np.random.default_rng(0)\nX = rng.normal(size=3)\n"
                               "rng.shuffle(X)\nW = 6")
    assert steps[2] == ("test", "")


def test_plan_runs_whatever_precedes_a_cell_it_cannot_read():
    cells = _cells(("code", "import numpy as np\nunused = 1"), ("code", "%matplotlib inline"),
                   ("code", "print(2)"), ("code", "def f():\n    return np.pi"), ("code", "t"))
    steps = _plan(cells, {4: "assert f() > 3"}, {3})
    assert steps[:3] == [("run", "import numpy as np\nunused = 1"), ("run", "%matplotlib inline"), ("skip", "")]


def test_free_names_of_a_test():
    src = "import numpy as np\ndef h(x):\n    return helper(x) + np.pi\nassert h(affine_forward(1)) > 0\n"
    assert P.free_names(src) == {"helper", "affine_forward"}


# ------------------------------------------------------------------------------------------------ stubs
def test_declared_references_and_defined_names():
    tests = ['CK.check_not_delegating(relu, "relu", "relu_grad", call=_run)',
             'from helpers.checks import check_not_delegating\ncheck_not_delegating(f, "affine_forward")',
             'this is not python (']
    assert declared_references(tests) == {"relu", "relu_grad", "affine_forward"}
    assert defined_names(["def relu(Z):\n    raise NotImplementedError()\n", "x = 1\nclass K: pass"]) == {
        "relu", "x", "K"}


_DELEGATIONS = {
    "module attribute": "import helpers.forward as F\nF.affine_forward(*ARGS)",
    "top-level name": "import helpers\nhelpers.affine_forward(*ARGS)",
    "alias imported first": "from helpers.forward import affine_forward as mine\nmine(*ARGS)",
    "a copy of its code": ("import types, helpers.forward as F\n"
                           "types.FunctionType(F.affine_forward.__code__, F.affine_forward.__globals__)(*ARGS)"),
    "a partial": "import functools, helpers.forward as F\nfunctools.partial(F.affine_forward)(*ARGS)",
    "its source re-run": ("import helpers.forward as F, numpy\nns = {'__name__': 'helpers.forward', '__package__': 'helpers'}\n"
                          "exec(open(F.__file__).read(), ns)\nns['affine_forward'](*ARGS)"),
    "a function that uses it": "import helpers.forward as F\nF.mlp_forward(ARGS[0], [F.Layer(ARGS[1], ARGS[2])])",
}


@pytest.mark.parametrize("style", sorted(_DELEGATIONS))
def test_stubbed_helpers_have_no_reference(tmp_path, style):
    folder = stubbed_helpers({"affine_forward", "relu"})
    assert stubbed_helpers({"relu", "affine_forward"}) == folder, "cached by content"
    code = textwrap.dedent("""
        import numpy as np, helpers
        from helpers.checks import DelegationError
        assert helpers.__file__.startswith(%r)
        ARGS = (np.ones((1, 2)), np.ones((3, 2)), np.ones(3))
        try:
            exec(%r)
        except DelegationError as exc:
            assert "the course's reference" in str(exc)
        else:
            raise SystemExit("a reference still works")
        import helpers.activations as A
        assert A.sigmoid(np.zeros(1))[0] == 0.5          # what was not declared still works
        print("ok")
    """ % (str(folder), _DELEGATIONS[style]))
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(folder)),
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
    assert not (os.stat(folder).st_mode & 0o022)


# ------------------------------------------------------------------------------------------------ the process
@pytest.fixture(scope="module")
def kernel_and_checker():
    """A plain kernel holding learner functions, and a checker connected to it."""
    from jupyter_client.manager import KernelManager

    from grading.kernels import socket_prefix

    km = KernelManager(transport="ipc", kernel_name="python3")
    km.ip = socket_prefix()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(60)
    kc.execute_interactive(textwrap.dedent("""
        import numpy as np
        def affine_forward(X, W, b):
            return np.asarray(X) @ np.asarray(W).T + b
        def scale_in_place(A, k):
            A *= k
            return None
        def numgrad(f, theta, eps=1e-6):
            g = np.zeros_like(theta)
            for i in np.ndindex(theta.shape):
                old = theta[i]; theta[i] = old + eps; fp = f(theta); theta[i] = old - eps; fm = f(theta)
                theta[i] = old
                g[i] = (fp - fm) / (2 * eps)
            return g
        def draw(rng, n):
            return rng.normal(size=n)
        class ShapeError(ValueError):
            pass
        def picky(x):
            raise ShapeError(f"bad x {x}")
        def sneaky():
            class Always:
                def __eq__(self, other):
                    return True
            return Always()
        CONSTANT = [1, 2.5, "three"]
    """), timeout=60)
    info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in km.get_connection_info().items()}
    proc = subprocess.Popen([sys.executable, "-I", "-m", "grading.checker.harness"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def ask(req):
        proc.stdin.write(json.dumps(req) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    names = ["affine_forward", "scale_in_place", "numgrad", "draw", "picky", "sneaky", "CONSTANT", "missing"]
    assert ask({"op": "connect", "connection": info, "answers": names})["status"] == "ok"
    yield ask
    proc.stdin.write(json.dumps({"op": "stop"}) + "\n")
    proc.stdin.flush()
    proc.wait(10)
    km.shutdown_kernel(now=True)


def _run(ask, source, hidden=False):
    return ask({"op": "run", "cell": "t", "source": textwrap.dedent(source), "hidden": hidden})


@pytest.mark.slow
def test_checker_calls_learner_functions_on_plain_data(kernel_and_checker):
    r = _run(kernel_and_checker, """
        import numpy as np
        from helpers.checks import assert_close
        X, W, b = np.ones((2, 3)), np.arange(12.0).reshape(4, 3), np.zeros(4)
        assert_close(affine_forward(X, W, b), X @ W.T + b, what="Z")
        A = np.ones(3)
        scale_in_place(A, 2.0)
        assert np.array_equal(A, [2.0, 2.0, 2.0]), A          # the in-place change is mirrored
        theta = np.array([1.0, -2.0])
        g = numgrad(lambda t: float(np.sum(t ** 3)), theta)   # the callable stays here: called back
        assert np.allclose(g, 3 * theta ** 2) and np.array_equal(theta, [1.0, -2.0])
        rng = np.random.default_rng(3)
        first = draw(rng, 2)
        assert not np.array_equal(first, draw(rng, 2)), "the generator's new state came back"
        assert CONSTANT == [1, 2.5, "three"]
        print("all good")
    """)
    assert r["status"] == "ok", r
    assert r["stdout"] == "all good\n"


@pytest.mark.slow
def test_checker_reports_exceptions_as_builtins_and_refuses_objects(kernel_and_checker):
    r = _run(kernel_and_checker, """
        try:
            picky(3)
        except ValueError as exc:
            assert "bad x 3" in str(exc)
        sneaky() == 1
    """)
    assert r["status"] == "error" and r["ename"] == "TypeError", r
    assert "cannot read" in r["evalue"]
    r = _run(kernel_and_checker, "picky(1)\n")
    assert r["ename"] == "ValueError" and any("Your code raised it here" in t and "ShapeError" in t
                                              for t in r["traceback"]), r


@pytest.mark.slow
def test_hidden_test_failures_show_no_test_line(kernel_and_checker):
    src = "import numpy as np\nsecret_expected = 7.0\nassert affine_forward([[1.0]], [[1.0]], 0)[0, 0] == secret_expected, 'wrong'\n"
    visible = _run(kernel_and_checker, src)
    hidden = _run(kernel_and_checker, src, hidden=True)
    assert any("== secret_expected" in t for t in visible["traceback"])
    assert hidden["traceback"] == ["AssertionError: wrong"]
    missing = _run(kernel_and_checker, "missing(1)\n")
    assert missing["ename"] == "NameError"
