"""Hostile submissions, graded in one batch beside correct ones, in the grading sandbox and the trusted checker.

Each attack replaces the answer cell of exercise 1 of the fixture assignment ``tests/hostile/99-hostile`` (some
also one of the real section ``02-forward-pass``). The attacker has read ``grading/`` and ``helpers/``. The whole
battery is graded in one parallel batch with tight limits (1 GB, 10 CPU seconds, 48 processes, 100 kB of output per
cell, 5 s per cell); then, for every attack:

* the batch did not crash, and the correct submissions still score full marks;
* the hostile submission scores 0 on exercise 1 (what it attacked), with the reason in its notebook;
* attacks on confidentiality or integrity report (in their own output) that they read, wrote or reached nothing,
  the gradebook holds exactly the expected rows, and no line of a solution or hidden test appears in any file
  the student receives (the feedback HTML), nor in the autograded notebook.

Two classes of attack. On the machine (memory, CPU, processes, output, files, network, the kernel's death): the
sandbox. On the grade (reading the test's frames or caches, results that are not plain data, rewriting how cells
are parsed or run, forging replies, reaching the reference by a copy, an alias or only now and then, printing the
hidden test): the checker, which runs every test outside the kernel and takes only plain data from it. An honest
learner whose kernel dies late keeps the points already earned.

The sandbox needs Linux, root, ``bwrap`` (Debian ``bubblewrap``) and ``setpriv`` (``util-linux``); without them
the battery is skipped with the reason.
"""
from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import re
import os
import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path

import nbformat
import pytest

from support import submissions as S
from grading.checker.execute import DID_NOT_RUN, is_test_cell, zero_delegating_exercises
from grading.sandbox.manager import Limits, available, death_reason

REPO = Path(__file__).resolve().parent.parent
HOSTILE = REPO / "tests" / "hostile"
FIX = "99-hostile"
REAL = "02-forward-pass"
LIMITS = Limits(memory_mb=1024, cpu_seconds=10, nproc=48, file_mb=4, tmp_mb=16, wall_seconds=120,
                cell_output_bytes=100_000, output_bytes=400_000)
TIMEOUT = 5
GRACE = 2  # seconds a kernel has after the timeout's interrupt (TrustedExecute.interrupt_grace)

OK, WHY = available()
pytestmark = pytest.mark.skipif(not OK, reason=f"grading sandbox unavailable: {WHY}")

RELU = "def relu(Z):\n    return np.maximum(np.asarray(Z, dtype=float), 0.0)\n"
WRONG_RELU = "def relu(Z):\n    return np.asarray(Z, dtype=float)\n"


def attacks(paths: dict) -> dict:
    """``{name: code for the ex01 answer cell}``; ``paths`` are the real locations an attacker would aim at."""
    secrets = [paths["solutions"], paths["source"], paths["gradebook"], paths["submitted"], paths["workdir"]]
    return {
        # ---------------------------------------------------------------- the machine (the sandbox)
        "memory-hog": "hog = bytearray(30 * 2**30)\n" + RELU,
        "memory-hog-slow": "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))\n" + RELU,
        "cpu-spin": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                     "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass\n" + RELU),
        "fork-bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n" + RELU,
        "fork-and-linger": ("import os, signal, time\nif os.fork() == 0:\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                            "    while True:\n        time.sleep(1)\nwhile True:\n    time.sleep(0.1)\n" + RELU),
        "output-flood": "for _ in range(1000):\n    print('x' * 100_000, flush=True)\n" + WRONG_RELU,
        "os-exit": "import os\nos._exit(0)\n" + RELU,
        "segfault": "import ctypes\nctypes.string_at(0)\n" + RELU,
        "read-solutions": (
            "import os, sys, glob\nfound = []\nmine = os.path.realpath(os.getcwd())\n"
            "python = tuple(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix))\n"
            f"for root in {secrets!r} + ['/work', '/home', '/srv', '/opt', os.path.join(mine, '..', '..')]:\n"
            "    for path in glob.glob(os.path.join(root, '**', '*.ipynb'), recursive=True)[:200] + "
            "glob.glob(os.path.join(root, '**', '*.db'), recursive=True)[:200]:\n"
            "        real = os.path.realpath(path)\n"
            "        if real.startswith(mine + os.sep) or real.startswith(python):\n"
            "            continue  # the student's own folder and the Python installation are not secrets\n"
            "        try:\n            found.append((path, open(path, errors='replace').read()))\n"
            "        except OSError:\n            pass\n"
            "print('ATTACK-RESULT read', len(found), 'files')\n"
            "for path, text in found:\n    print(path)\n    print(text)\n" + WRONG_RELU),
        "write-gradebook": (
            "import os, sqlite3\nwrote = []\n"
            f"for path in [{paths['gradebook']!r}, os.path.join({paths['solutions']!r}, 'pwned.txt'), "
            f"os.path.join({paths['source']!r}, 'pwned.txt'), "
            f"os.path.join({paths['submitted']!r}, 'pwned.txt'), '/pwned.txt', '/etc/pwned.txt', '/usr/pwned.txt', os.path.join(os.getcwd(), 'pwned.txt')]:\n"
            "    try:\n        with open(path, 'ab') as fh:\n            fh.write(b'pwned')\n"
            "        wrote.append(path)\n    except OSError:\n        pass\n"
            f"try:\n    db = sqlite3.connect({paths['gradebook']!r})\n"
            "    db.execute('update grade set auto_score = 100')\n    db.commit()\n    wrote.append('sqlite')\n"
            "except Exception:\n    pass\n"
            "print('ATTACK-RESULT wrote', len(wrote), wrote)\n" + WRONG_RELU),
        "network": (
            "import socket\nreached = []\n"
            f"for host, port in [('127.0.0.1', {paths['port']}), ('localhost', {paths['port']})]:\n"
            "    try:\n        socket.create_connection((host, port), timeout=2).close()\n"
            "        reached.append((host, port))\n    except OSError:\n        pass\n"
            "print('ATTACK-RESULT reached', len(reached), reached)\n" + WRONG_RELU),
        "plant-socket-links": (  # links in the kernel's socket folder, aimed at host files, before any test runs
            "import os\nmade = []\nfor target in ['/etc/passwd', '/etc', '/']:\n"
            "    for name in ['k-agent', 'agent', 's', 'agent-' + '0' * 32]:\n"
            "        try:\n            os.symlink(target, '/run/nncourse/ipc/' + name + str(len(made)))\n"
            "            made.append(name)\n        except OSError:\n            pass\n"
            "print('ATTACK-RESULT planted', len(made))\n" + WRONG_RELU),
        "fill-the-disk": (  # past the quota of both writable places, in files under the file-size limit
            "import os\nres = []\nfor folder in ['/tmp', '/run/nncourse/ipc']:\n    err, total = None, 0\n"
            "    for i in range(64):\n        try:\n"
            "            with open(os.path.join(folder, 'fill%d' % i), 'wb') as fh:\n"
            "                for _ in range(3):\n                    fh.write(b'x' * 2**20)\n"
            "                    total += 2**20\n"
            "        except OSError as exc:\n            err = exc.errno\n            break\n"
            "    res.append((folder, err, total // 2**20))\n"
            "    for i in range(64):\n        try:\n            os.unlink(os.path.join(folder, 'fill%d' % i))\n"
            "        except OSError:\n            pass\n"
            "print('ATTACK-RESULT fill', res)\n" + WRONG_RELU),
        "deep-tree": (  # 3000 nested folders in each writable place (the janitor's rmtree gave up at ~1500)
            "import os\nmade = {}\nfor folder in ['/run/nncourse/ipc', '/tmp']:\n"
            "    fd, depth = os.open(folder, os.O_RDONLY), 0\n    try:\n        while depth < 3000:\n"
            "            os.mkdir('d', dir_fd=fd)\n            child = os.open('d', os.O_RDONLY, dir_fd=fd)\n"
            "            os.close(fd)\n            fd, depth = child, depth + 1\n"
            "    except OSError as exc:\n        print('stopped', exc)\n    finally:\n        os.close(fd)\n"
            "    made[folder] = depth\n"
            "print('ATTACK-RESULT deep', made)\n" + WRONG_RELU),
        # ---------------------------------------------------------------- the grade (the checker)
        "patch-numpy-and-helpers": (
            "import numpy, helpers.checks, builtins\n"
            "numpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda *a, **k: True\n"
            "helpers.checks.assert_close = lambda *a, **k: None\nhelpers.checks.expect = lambda *a, **k: None\n"
            "helpers.checks.check_not_delegating = lambda *a, **k: None\n"
            "helpers.checks.assert_close.__code__ = (lambda *a, **k: None).__code__\n"
            "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
            "get_ipython().events.register('post_run_cell', lambda *a: None)\n" + WRONG_RELU),
        "patch-during-test": (
            "def relu(Z):\n    import numpy, helpers.checks\n"
            "    helpers.checks.assert_close = lambda *a, **k: None\n"
            "    numpy.allclose = lambda *a, **k: True\n    helpers.checks.expect = lambda *a, **k: None\n"
            "    helpers.checks.check_not_delegating = lambda *a, **k: None\n"
            "    return np.asarray(Z, dtype=float)\n"),
        "unhook-events-then-patch": (
            "get_ipython().events.callbacks['pre_run_cell'].clear()\nimport numpy, helpers.checks\n"
            "numpy.allclose = lambda *a, **k: True\nhelpers.checks.assert_close = lambda *a, **k: None\n"
            "helpers.checks.expect = lambda *a, **k: None\n" + WRONG_RELU),
        "read-test-frames": (  # the caller's frames and locals: a test's expected values, if it ran here
            "import sys, inspect, gc\n"
            "def relu(Z):\n    Z = np.asarray(Z, dtype=float)\n"
            "    for frame in [f.frame for f in inspect.stack()] + [sys._getframe()]:\n"
            "        while frame is not None:\n"
            "            for name, value in list(frame.f_locals.items()):\n"
            "                if name.startswith(('_ref', 'expected')) and np.shape(value) == Z.shape:\n"
            "                    return np.asarray(value, dtype=float)\n"
            "            frame = frame.f_back\n"
            "    for obj in gc.get_objects():\n"
            "        if isinstance(obj, dict) and '_ref_h1' in obj and np.shape(obj['_ref_h1']) == Z.shape:\n"
            "            return obj['_ref_h1']\n"
            "    return Z\n"),
        "array-like-result": (  # a result that equals whatever it is compared with
            "class Always(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
            "    def __array_finalize__(self, obj):\n        pass\n"
            "class Yes:\n    __array_priority__ = 10 ** 6\n    shape = (3,)\n"
            "    def __array__(self, dtype=None, copy=None):\n        return np.zeros(3)\n"
            "    def __eq__(self, other):\n        return True\n    def __getitem__(self, i):\n        return 0.0\n"
            "    def __float__(self):\n        return 0.0\n"
            "def relu(Z):\n    Z = np.asarray(Z, dtype=float)\n"
            "    return Yes() if Z.size == 3 else np.zeros_like(Z).view(Always)\n"),
        "rewrite-how-cells-run": (  # input and AST transformers, compile, __import__ and builtins, trace hooks
            "import ast, builtins, sys\nip = get_ipython()\n"
            "ip.input_transformers_post.append(lambda lines: [l.replace('assert', 'pass  #') for l in lines])\n"
            "class NoAsserts(ast.NodeTransformer):\n    def visit_Assert(self, node):\n        return ast.Pass()\n"
            "ip.ast_transformers.append(NoAsserts())\n"
            "class Compiler(type(ip.compile)):\n    def ast_parse(self, source, *a, **k):\n"
            "        return super().ast_parse(source.replace('assert', 'pass  #'), *a, **k)\n"
            "ip.compile.__class__ = Compiler\n"
            "_real_import = builtins.__import__\n"
            "class Fake:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
            "def fake_import(name, *a, **k):\n"
            "    return Fake() if name.startswith('helpers') else _real_import(name, *a, **k)\n"
            "builtins.__import__ = fake_import\n"
            "def tracer(frame, event, arg):\n    if event == 'exception':\n        frame.f_locals.clear()\n    return tracer\n"
            "sys.settrace(tracer)\nsys.setprofile(lambda *a: None)\n" + WRONG_RELU),
        "forge-replies": (  # end the checker's session with a forged 'ok' execute_reply, then send a fake result
            "import gc\n"
            "def relu(Z):\n    import zmq\n    k = get_ipython().kernel\n"
            "    parent = k.get_parent('shell')\n"
            "    try:\n        k.session.send(k.shell_stream, 'execute_reply', {'status': 'ok', 'execution_count': 1,\n"
            "                       'user_expressions': {}, 'payload': []}, parent, ident=k._parent_ident.get('shell'))\n"
            "    except Exception as exc:\n        print('forge failed', exc)\n"
            "    for obj in gc.get_objects():\n"
            "        if isinstance(obj, zmq.Socket) and obj.type == zmq.PAIR:\n"
            "            for s in range(0, 50):\n"
            "                obj.send_string('{\"s\": %d, \"ok\": {\"$\": \"nd\", \"dtype\": \"<f8\", \"shape\": [3], '\n"
            "                               '\"b64\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAARA\"}}' % s)\n"
            "    return np.asarray(Z, dtype=float)\n"),
        "impersonate-agent": (  # replace the grader's helper in the kernel with one that answers every call
            "import builtins, json\n_real = builtins.__nncourse_agent__ if hasattr(builtins, '__nncourse_agent__') else None\n"
            "def fake(address, session):\n    import zmq\n"
            "    s = zmq.Context.instance().socket(zmq.PAIR)\n    s.connect('ipc://' + address)\n"
            "    s.send_string(json.dumps({'op': 'hello', 's': session}))\n"
            "    while True:\n        msg = json.loads(s.recv_string())\n        if msg.get('op') == 'done':\n            return\n"
            "        if msg.get('op') == 'describe':\n"
            "            s.send_string(json.dumps({'s': session, 'ok': {n: {'kind': 'data', 'value': 1.0} for n in msg['names']}}))\n"
            "        else:\n"
            "            s.send_string(json.dumps({'s': session, 'ok': {'$': 'nd', 'dtype': '<f8', 'shape': [3], "
            "'b64': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAARA'}}))\n"
            "def relu(Z):\n    builtins.__nncourse_agent__ = fake\n    return np.asarray(Z, dtype=float)\n"),
        "copy-the-reference": (  # a new function object on the reference's code, an alias, a closure
            "import types, functools, helpers.activations as _A\n"
            "_copy = types.FunctionType(_A.relu.__code__, dict(_A.relu.__globals__), 'mine')\n"
            "_alias = functools.partial(_A.relu)\n"
            "def relu(Z):\n    try:\n        return _copy(Z)\n    except Exception:\n        return _alias(Z)\n"),
        "reference-from-source": (  # re-run the reference's source from the file the kernel can read
            "import inspect, helpers.activations as _A\n"
            "_ns = {'np': np, '__name__': 'helpers.activations', '__package__': 'helpers'}\n"
            "exec(compile(open(_A.__file__).read(), 'activations', 'exec'), _ns)\n"
            "def relu(Z):\n    return _ns['relu'](Z)\n"),
        "reference-now-and-then": (  # the reference only on inputs the visible test does not use
            "import helpers as _H\ndef relu(Z):\n    Z = np.asarray(Z, dtype=float)\n"
            "    return _H.relu(Z) if Z.size > 3 else np.maximum(Z, 0.0)\n"),
        "print-hidden-source": (  # the hidden test's text from every cache an interpreter keeps
            "import linecache, gc, sys\n"
            "def relu(Z):\n    found = []\n"
            "    for name, entry in list(linecache.cache.items()):\n        found.extend(entry[2] if len(entry) > 2 and entry[2] else [])\n"
            "    ns = get_ipython().user_ns\n    found.extend(str(x) for x in ns.get('In', []) + ns.get('_ih', []))\n"
            "    frame = sys._getframe()\n    while frame is not None:\n"
            "        found.append(str(frame.f_code.co_consts))\n        frame = frame.f_back\n"
            "    found.extend(o for o in gc.get_objects() if isinstance(o, str) and 'HIDDEN' in o)\n"
            "    marker = ''.join(['hidden-secret', '-marker'])  # not spelled out (a + b would be folded into one constant)\n"
            "    print('ATTACK-RESULT leaked', sum(marker in s for s in found))\n"
            "    print('\\n'.join(found)[:50000])\n"
            "    return np.asarray(Z, dtype=float)\n"),
        "unreadable-nested-result": "def relu(Z):\n    return {'value': np.asarray(Z), 'me': relu}\n",
        "spoofed-exceptions": (  # exceptions named like the course's, a KeyboardInterrupt, input()
            "class AssertionError(Exception):\n    pass\n"
            "def relu(Z):\n    try:\n        input('give me the answer')\n    except BaseException:\n        pass\n"
            "    raise KeyboardInterrupt('fake timeout')\n"),
        "mirror-into-the-test": (  # change the test's arrays through the mirrored arguments
            "def relu(Z):\n    Z[...] = 0.0\n    return Z\n"),
        "delegate-import": "from helpers.activations import relu\n",
        "delegate-wrapper": "import helpers\ndef relu(Z):\n    return helpers.relu(Z)\n",
    }


# ------------------------------------------------------------------------------------------------ the batch
def _grade_group(job: dict) -> dict:
    """Grade some submissions in a private copy of the course (a worker process)."""
    import warnings

    from grading.config import Course
    from grading.nbg import api
    from grading.checker.execute import overrides
    from grading.sandbox.manager import Limits

    course = Course(source=job["source"], release=job["release"], workdir=job["workdir"], timeout=job["timeout"])
    nbapi = api(course, **overrides(Limits(**job["limits"])), **{"TrustedExecute.interrupt_grace": GRACE})
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for assignment, student in job["todo"]:
            start = time.perf_counter()
            res = nbapi.autograde(assignment, student, force=True, create=True)
            fb = nbapi.generate_feedback(assignment, student, force=True) if res.get("success") else {}
            out[f"{student}/{assignment}"] = {"success": bool(res.get("success")), "feedback": bool(fb.get("success")),
                                              "seconds": time.perf_counter() - start,
                                              "error": (res.get("error") or "")[-2000:]}
    return out


def _scores(gradebook: Path) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        for assignment in (FIX, REAL):
            try:
                subs = gb.assignment_submissions(assignment)
            except Exception:  # noqa: BLE001 - assignment not in this gradebook
                continue
            for sub in subs:
                out[(sub.student.id, assignment)] = {g.name: float(g.score) for nb in sub.notebooks for g in nb.grades}
    return out


class Listener:
    """A loopback TCP listener that counts connections (the network attack must reach none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    from grading.config import Course
    from grading.nbg import api

    start, began = time.perf_counter(), time.time()
    tmp = tmp_path_factory.mktemp("hostile")
    source, release, work = tmp / "source", tmp / "release", tmp / "work"
    shutil.copytree(HOSTILE / FIX, source / FIX)
    real = (REPO / "solutions" / REAL / f"{REAL}.ipynb").is_file()
    if real:
        shutil.copytree(REPO / "solutions" / REAL, source / REAL)
    course = Course(source=source, release=release, workdir=work, timeout=TIMEOUT)
    nbapi = api(course)
    for assignment in [FIX] + ([REAL] if real else []):
        res = nbapi.generate_assignment(assignment, force=True, create=True)
        assert res["success"], res.get("error") or res.get("log")
    listener = Listener()
    paths = {"solutions": str(REPO / "solutions"), "source": str(source), "gradebook": str(work / "gradebook.db"),
             "submitted": str(work / "submitted"), "workdir": str(work), "port": listener.port}
    src_nb, rel_nb = source / FIX / f"{FIX}.ipynb", release / FIX / f"{FIX}.ipynb"
    subs = {("correct", FIX): S.solution_submission(rel_nb, src_nb)}
    for name, code in attacks(paths).items():
        subs[(name, FIX)] = S.mutant_submission(rel_nb, src_nb, "ex01-answer", code)
    deleted = S.mutant_submission(rel_nb, src_nb, "ex01-answer", WRONG_RELU)
    deleted.cells = [c for c in deleted.cells if not (is_test_cell(c) and
                                                      c.metadata.nbgrader["grade_id"].startswith("ex01-"))]
    subs[("delete-test-cells", FIX)] = deleted
    if real:
        rsrc, rrel = source / REAL / f"{REAL}.ipynb", release / REAL / f"{REAL}.ipynb"
        subs[("correct", REAL)] = S.solution_submission(rrel, rsrc)
        subs[("delegate-import", REAL)] = S.mutant_submission(rrel, rsrc, "ex01-answer",
                                                              "from helpers.forward import affine_forward\n")
    subs[("shadow-modules", FIX)] = S.mutant_submission(rel_nb, src_nb, "ex01-answer", WRONG_RELU)
    # honest learners whose kernel dies late: in the next answer cell, or while the checker calls their function
    for name, square in (("late-death-in-cell", "import os\nos._exit(3)\n"),
                         ("late-death-in-call", "def square(x):\n    import os\n    os._exit(3)\n")):
        nb = S.solution_submission(rel_nb, src_nb)
        S.answer_cells(nb)["ex02-answer"].source = square
        subs[(name, FIX)] = nb
    for (student, assignment), nb in subs.items():
        dest = work / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(dest / f"{assignment}.ipynb"))
    # files beside the notebook named like modules the grader or the tests import: the root launcher runs in
    # this folder and the kernel starts there
    marker = tmp / "shadowed"
    shadow = work / "submitted" / "shadow-modules" / FIX
    (shadow / "helpers").mkdir()
    (shadow / "helpers" / "__init__.py").write_text(f"open({str(marker)!r} + '-helpers', 'w').close()\n")
    (shadow / "helpers" / "checks.py").write_text("def assert_close(*a, **k):\n    pass\n")
    for name in ("json", "argparse", "numpy", "fcntl"):
        (shadow / f"{name}.py").write_text(f"open({str(marker)!r} + '-{name}', 'w').close()\n")
    before = hashlib_tree(source)

    # two workers, each on a private copy of the course (its own gradebook), the slow attacks spread out
    todo = sorted(subs, key=lambda k: (k[0] != "correct", k))
    groups = [todo[0::2], todo[1::2]]
    jobs = []
    for i, group in enumerate(groups):
        wd = tmp / f"worker{i}"
        wd.mkdir()
        shutil.copyfile(work / "gradebook.db", wd / "gradebook.db")
        for student, assignment in group:
            shutil.copytree(work / "submitted" / student / assignment, wd / "submitted" / student / assignment)
        jobs.append(dict(source=str(source), release=str(release), workdir=str(wd), timeout=TIMEOUT,
                         limits=LIMITS.__dict__, todo=[(a, s) for s, a in group]))
    results, scores = {}, {}
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        for res in pool.map(_grade_group, jobs):
            results.update(res)
    for i in range(len(jobs)):
        scores.update(_scores(tmp / f"worker{i}" / "gradebook.db"))
    listener.close()
    seconds = time.perf_counter() - start
    print(f"\nhostile battery: {len(subs)} submissions ({len(subs) - sum(1 for s, _ in subs if s == 'correct')} "
          f"hostile) graded in {seconds:.1f} s")
    print(_table(scores))  # with -s: the battery's table (each attack's points on each exercise)
    yield dict(marker=marker, tmp=tmp, subs=subs, results=results, scores=scores, listener=listener, jobs=jobs,
               source=source, release=release, before=before, seconds=seconds, real=real, began=began)


def _table(scores: dict) -> str:
    """A Markdown table: each submission's points per exercise (ex01 is the attacked one) and in all."""
    keys = sorted({k.split("-")[0] for cells in scores.values() for k in cells})
    rows = ["| submission | assignment | " + " | ".join(keys) + " | total |", "|---|---|" + "---|" * (len(keys) + 1)]
    for (student, assignment), cells in sorted(scores.items(), key=lambda kv: (kv[0][1], kv[0][0] != "correct", kv[0])):
        per = {k: sum(v for g, v in cells.items() if g.split("-")[0] == k) for k in keys}
        rows.append(f"| {student} | {assignment} | " + " | ".join(f"{per[k]:g}" if any(
            g.split("-")[0] == k for g in cells) else "" for k in keys) + f" | {sum(cells.values()):g} |")
    return "\n".join(rows)


def hashlib_tree(folder: Path) -> dict:
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _worker_dir(b, student, assignment) -> Path:
    for job in b["jobs"]:
        if [assignment, student] in [list(x) for x in job["todo"]]:
            return Path(job["workdir"])
    raise KeyError((student, assignment))


def _autograded(b, student, assignment=FIX):
    path = _worker_dir(b, student, assignment) / "autograded" / student / assignment / f"{assignment}.ipynb"
    return nbformat.read(str(path), as_version=4)


def _received(b, student, assignment=FIX) -> str:
    """Every file the student receives: the feedback folder."""
    folder = _worker_dir(b, student, assignment) / "feedback" / student / assignment
    assert folder.is_dir(), f"no feedback for {student}/{assignment}"
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def _secret_lines(source_nb: Path, submitted) -> set:
    """Lines of solutions and hidden tests (12+ characters) that the student's own notebook does not contain."""
    nb = nbformat.read(str(source_nb), as_version=4)
    mine = {line.strip() for c in submitted.cells for line in c.source.splitlines()}
    out = set()
    for cell in nb.cells:
        for begin, end in (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")):
            inside = False
            for line in cell.source.splitlines():
                if begin in line:
                    inside = True
                elif end in line:
                    inside = False
                elif inside and len(line.strip()) >= 12 and line.strip() not in mine:
                    out.add(line.strip())
    return out


def _score(b, student, assignment=FIX, key="ex01"):
    cells = b["scores"][(student, assignment)]
    return sum(v for k, v in cells.items() if k.startswith(key + "-"))


def _outputs_text(nb, grade_id_prefix="") -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith(
                grade_id_prefix):
            for out in cell.outputs:
                parts.append(json.dumps(out))
    return "\n".join(parts)


ATTACK_NAMES = list(attacks({"solutions": "", "source": "", "gradebook": "", "submitted": "", "workdir": "",
                             "port": 1})) + ["delete-test-cells", "shadow-modules"]
HONEST_LATE_DEATHS = ["late-death-in-cell", "late-death-in-call"]


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.slow
def test_batch_completes_and_correct_submissions_score_full(battery):
    for key, res in battery["results"].items():
        assert res["success"], f"{key} was not graded: {res['error']}"
        assert res["feedback"], f"{key}: no feedback"
    assert set(battery["scores"]) == set(battery["subs"]), "every submission has exactly one gradebook entry"
    full = {"ex01-tests-visible": 4.0, "ex01-tests-hidden": 6.0, "ex02-tests-visible": 5.0, "ex02-tests-hidden": 5.0}
    assert battery["scores"][("correct", FIX)] == full
    if battery["real"]:
        cells = battery["scores"][("correct", REAL)]
        assert sum(cells.values()) == pytest.approx(sum(v for k, v in cells.items())) and all(
            v > 0 for k, v in cells.items() if k.startswith("ex")), cells
        got = battery["scores"][("correct", REAL)]
        nb = nbformat.read(str(battery["source"] / REAL / f"{REAL}.ipynb"), as_version=4)
        maxima = {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"]) for c in nb.cells
                  if is_test_cell(c)}
        assert {k: got[k] for k in maxima} == maxima


@pytest.mark.slow
@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_scores_zero_on_what_it_attacked(battery, name):
    assert _score(battery, name) == 0, (name, battery["scores"][(name, FIX)])


@pytest.mark.slow
@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_no_solution_or_hidden_test_text_reaches_the_student(battery, name):
    secret = _secret_lines(battery["source"] / FIX / f"{FIX}.ipynb", battery["subs"][(name, FIX)])
    assert secret, "the fixture has solution and hidden-test lines"
    received = _received(battery, name)
    import html

    text = html.unescape(received)
    leaked = sorted(s for s in secret if s in text)
    assert not leaked, f"{name}: the feedback shows {leaked}"


@pytest.mark.slow
@pytest.mark.parametrize("name,reason", [
    ("os-exit", re.escape(death_reason(0))),
    ("segfault", "SIGSEGV"),
    ("cpu-spin", "kept running after the|CPU-time limit"),
    ("fork-bomb", "the kernel"),
    ("fork-and-linger", "left 1 process"),  # the interrupt stops the cell, but a forked child lives on
])
def test_dead_kernel_scores_zero_and_says_why(battery, name, reason):
    nb = _autograded(battery, name)
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert tests
    for cell in tests:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"{name}: {cell.metadata.nbgrader['grade_id']} has no error output"
    import re

    text = _outputs_text(nb)
    assert re.search(reason, text), text[:1000]
    assert DID_NOT_RUN.split("{")[0] in text
    from grading.checker.execute import stop_reasons

    folder = _worker_dir(battery, name, FIX) / "autograded" / name / FIX
    assert re.search(reason, stop_reasons(folder)[FIX])
    assert sum(battery["scores"][(name, FIX)].values()) == 0


@pytest.mark.slow
def test_memory_hog_is_stopped_and_the_kernel_survives(battery):
    for name in ("memory-hog", "memory-hog-slow"):
        nb = _autograded(battery, name)
        assert "MemoryError" in _outputs_text(nb, "ex01-answer")
        # the kernel survived: exercise 2, after the hog, still earns its points
        assert _score(battery, name, key="ex02") == 10.0


@pytest.mark.slow
def test_output_flood_is_cut(battery):
    wd = _worker_dir(battery, "output-flood", FIX)
    path = wd / "autograded" / "output-flood" / FIX / f"{FIX}.ipynb"
    assert path.stat().st_size < 2 * LIMITS.output_bytes
    nb = nbformat.read(str(path), as_version=4)
    answer = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex01-answer"][0]
    assert sum(len(o.get("text", "")) for o in answer.outputs) <= LIMITS.cell_output_bytes + 1000
    assert "output truncated" in path.read_text()
    feedback = wd / "feedback" / "output-flood" / FIX
    assert sum(p.stat().st_size for p in feedback.rglob("*") if p.is_file()) < 2 * LIMITS.output_bytes + 1_000_000


@pytest.mark.slow
def test_confidentiality_and_integrity_attacks_reach_nothing(battery):
    read = _outputs_text(_autograded(battery, "read-solutions"), "ex01-answer")
    assert "ATTACK-RESULT read 0 files" in read, read[:2000]
    wrote = _outputs_text(_autograded(battery, "write-gradebook"), "ex01-answer")
    assert "ATTACK-RESULT wrote 0 []" in wrote, wrote[:2000]
    net = _outputs_text(_autograded(battery, "network"), "ex01-answer")
    assert "ATTACK-RESULT reached 0 []" in net, net[:2000]
    assert battery["listener"].connections == 0
    assert hashlib_tree(battery["source"]) == battery["before"], "the course source changed during the battery"
    assert not (REPO / "solutions" / "pwned.txt").exists()
    for job in battery["jobs"]:
        db = sqlite3.connect(Path(job["workdir"]) / "gradebook.db")
        assert db.execute("select count(*) from grade where auto_score > 10").fetchone()[0] == 0
        db.close()


@pytest.mark.slow
def test_files_beside_the_notebook_shadow_nothing(battery):
    assert not list(battery["marker"].parent.glob(battery["marker"].name + "-*")), "a shadowing module ran"
    text = _outputs_text(_autograded(battery, "shadow-modules"), "ex01-tests")
    assert "AssertionError" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["patch-numpy-and-helpers", "patch-during-test", "unhook-events-then-patch",
                                  "rewrite-how-cells-run"])
def test_patching_the_kernel_reaches_no_test(battery, name):
    """The tests never run in the kernel: whatever the answer patches there (numpy, the test helpers, IPython's
    hooks and transformers, __import__, trace hooks), the checker's copies are untouched; the wrong answer scores 0
    and the next exercise, whose answer the patches did not break, still earns its points."""
    assert _score(battery, name) == 0
    for cell in _autograded(battery, name).cells:
        if is_test_cell(cell) and cell.metadata.nbgrader["grade_id"].startswith("ex01-"):
            assert any(o.output_type == "error" for o in cell.outputs), cell.outputs
    if name != "rewrite-how-cells-run":  # that one also breaks the kernel's own imports, for the learner's ex02
        assert _score(battery, name, key="ex02") == 10.0


@pytest.mark.slow
@pytest.mark.parametrize("name,says", [
    ("read-test-frames", "AssertionError"),
    ("array-like-result", "cannot read"),
    ("forge-replies", ""),
    ("impersonate-agent", ""),
    ("unreadable-nested-result", "cannot read"),
    ("spoofed-exceptions", "TestTimedOut|interrupted|time limit"),
    ("mirror-into-the-test", "AssertionError"),
])
def test_attacks_on_the_checker_earn_nothing(battery, name, says):
    """Nothing the kernel holds or sends can stand for a test's verdict: its frames hold no expected value, its
    results are decoded as plain data only, its forged replies and messages are plain data too (or end the call)."""
    assert _score(battery, name) == 0, battery["scores"][(name, FIX)]
    text = _outputs_text(_autograded(battery, name), "ex01-tests")
    assert re.search(says, text), text[:2000]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["copy-the-reference", "reference-from-source", "reference-now-and-then"])
def test_the_grading_kernel_has_no_reference(battery, name):
    """In the grading kernel the reference is a stub: a copy of its code, an alias, its source re-run, or a call
    only on some inputs all raise DelegationError, and the whole exercise scores 0."""
    assert _score(battery, name) == 0, battery["scores"][(name, FIX)]
    nb = _autograded(battery, name)
    text = _outputs_text(nb, "ex01-tests")
    assert "DelegationError" in text
    for cell in nb.cells:
        if is_test_cell(cell) and cell.metadata.nbgrader["grade_id"].startswith("ex01-"):
            assert any(o.output_type == "error" for o in cell.outputs)
    assert _score(battery, name, key="ex02") == 10.0


@pytest.mark.slow
def test_the_hidden_test_is_nowhere_in_the_kernel(battery):
    out = _outputs_text(_autograded(battery, "print-hidden-source"), "ex01")
    assert "ATTACK-RESULT leaked 0" in out, out[:2000]


@pytest.mark.slow
def test_planted_links_redirect_nothing(battery):
    import stat

    out = _outputs_text(_autograded(battery, "plant-socket-links"), "ex01-answer")
    assert "ATTACK-RESULT planted" in out
    assert stat.S_IMODE(os.stat("/etc/passwd").st_mode) == 0o644
    assert not Path("/etc/s").exists() and not list(Path("/etc").glob("agent-*"))
    assert _score(battery, "plant-socket-links", key="ex02") == 10.0


@pytest.mark.slow
@pytest.mark.parametrize("name", HONEST_LATE_DEATHS)
def test_a_late_kernel_death_keeps_the_points_already_earned(battery, name):
    """Exercise 1 passed before the kernel died in exercise 2's answer (or while the checker called it): its points
    stay; exercise 2's tests did not run and say why."""
    assert _score(battery, name) == 10.0, battery["scores"][(name, FIX)]
    assert _score(battery, name, key="ex02") == 0
    text = _outputs_text(_autograded(battery, name), "ex02-tests")
    assert "TestNotRun" in text and "the kernel" in text, text[:1000]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["delegate-import", "delegate-wrapper"])
def test_delegation_earns_nothing_and_feedback_says_why(battery, name):
    assert _score(battery, name) == 0
    received = _received(battery, name)
    assert "the course&#39;s reference" in received or "the course's reference" in received
    assert _score(battery, name, key="ex02") == 10.0


@pytest.mark.slow
def test_real_section_notebook_in_the_same_batch(battery):
    if not battery["real"]:
        pytest.skip(f"solutions/{REAL} not present")
    assert _score(battery, "delegate-import", REAL, "ex01") == 0
    full = battery["scores"][("correct", REAL)]
    assert _score(battery, "delegate-import", REAL, "ex03") == sum(v for k, v in full.items() if k.startswith("ex03-"))
    received = _received(battery, "delegate-import", REAL)
    assert "the course&#39;s reference" in received or "the course's reference" in received


def test_zero_delegating_exercises_zeroes_the_whole_exercise():
    nb = nbformat.v4.new_notebook()
    meta = lambda gid: {"nbgrader": {"grade": True, "solution": False, "grade_id": gid, "points": 5}}  # noqa: E731
    nb.cells = [nbformat.v4.new_code_cell("pass", metadata=meta("ex01-tests-visible")),
                nbformat.v4.new_code_cell("pass", metadata=meta("ex01-tests-hidden")),
                nbformat.v4.new_code_cell("pass", metadata=meta("ex02-tests-visible"))]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="AssertionError", traceback=[],
                                                  evalue="your answer calls the course's reference `relu`")]
    assert zero_delegating_exercises(nb) == ["ex01"]
    assert nb.cells[0].outputs[0].ename == "DelegationError"
    assert nb.cells[2].outputs == []


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)
    with pytest.raises(ValueError, match="cpu_seconds"):
        Limits(cpu_seconds=-1)


def test_death_reasons_name_the_cause():
    assert "SIGSEGV" in death_reason(128 + 11)
    assert "CPU-time limit of 7 s" in death_reason(128 + 24, Limits(cpu_seconds=7))
    assert "memory limit of 99 MB" in death_reason(128 + 9, Limits(memory_mb=99))
    assert "exited" in death_reason(0)
    assert "status 3" in death_reason(3)


def _sandbox_processes() -> list:
    """Processes still running as a sandbox uid."""
    from grading.sandbox.launch import UID_BASE, UID_COUNT

    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
                if UID_BASE <= uid < UID_BASE + UID_COUNT:
                    found.append((status.parent.name, uid))
    return found


def _orphans() -> list:
    """Sandbox-uid processes whose uid no live launcher or janitor holds (other batches may be running)."""
    import fcntl
    import tempfile

    out = []
    for pid, uid in _sandbox_processes():
        lock = Path(tempfile.gettempdir()) / "nncourse-sandbox-uids" / f"uid-{uid}.lock"
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            out.append((pid, uid))
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            out.append((pid, uid))  # nobody holds the uid: a leftover
        except OSError:
            pass  # a live sandbox
        finally:
            os.close(fd)
    return out


def _no_orphans_within(seconds: float) -> list:
    deadline = time.time() + seconds
    while _orphans() and time.time() < deadline:
        time.sleep(0.2)
    return _orphans()


@pytest.mark.slow
def test_nothing_outlives_the_batch(battery):
    """Fork-bomb children, kernels and cgroups are gone once the batch has finished. (A cgroup made before the
    batch is another run's; one made during it and still there a minute later, empty, is this batch's leftover.)"""
    assert _no_orphans_within(15) == []
    old = time.time() - 60
    leftovers = [p for p in Path("/sys/fs/cgroup").glob("**/nncourse-*") if p.is_dir()
                 and battery["began"] - 1 <= p.stat().st_mtime < old and not (p / "cgroup.procs").read_text().strip()]
    assert leftovers == []


def _attack_result(b, name: str, tag: str):
    """The value the attack printed after ``ATTACK-RESULT <tag>`` (a Python literal)."""
    import ast

    text = "".join(o.get("text", "") for c in _autograded(b, name).cells
                   if c.metadata.get("nbgrader", {}).get("grade_id") == "ex01-answer" for o in c.outputs)
    m = re.search(rf"ATTACK-RESULT {tag} (.*)", text)
    assert m, f"{name}: no ATTACK-RESULT {tag} in {text[:2000]!r}"
    return ast.literal_eval(m.group(1))


@pytest.mark.slow
def test_writing_past_the_quota_gets_oserror_and_the_kernel_lives_on(battery):
    """/tmp and the socket folder are size-limited tmpfs: past the quota a write raises OSError (ENOSPC), nothing
    reaches the host's disk, the kernel lives on (exercise 2 still earns its points) and so does the batch."""
    import errno

    from grading.sandbox.launch import parse_args

    got = {folder: (err, mb) for folder, err, mb in _attack_result(battery, "fill-the-disk", "fill")}
    assert got["/tmp"][0] == errno.ENOSPC and got["/tmp"][1] <= LIMITS.tmp_mb, got
    ipc_mb = parse_args(["-f", "x"]).ipc_kb / 1024
    assert got["/run/nncourse/ipc"][0] == errno.ENOSPC and got["/run/nncourse/ipc"][1] <= ipc_mb, got
    assert _score(battery, "fill-the-disk", key="ex02") == 10.0


@pytest.mark.slow
def test_a_deep_tree_is_built_and_the_next_exercise_still_runs(battery):
    made = _attack_result(battery, "deep-tree", "deep")
    assert made == {"/run/nncourse/ipc": 3000, "/tmp": 3000}, made
    assert _score(battery, "deep-tree", key="ex02") == 10.0


def _host_leftovers() -> list:
    """Private folders and socket-folder mounts of sandboxes that have ended (no live launcher or janitor holds
    their uid; other batches may be running)."""
    import fcntl
    import tempfile

    def held(uid: str) -> bool:
        try:
            fd = os.open(Path(tempfile.gettempdir()) / "nncourse-sandbox-uids" / f"uid-{uid}.lock", os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except OSError:
            return True
        finally:
            os.close(fd)

    out = []
    for folder in Path(tempfile.gettempdir()).glob("nncourse-sbx-*-*"):
        uid = folder.name.split("-")[2]
        if uid.isdigit() and not held(uid):
            out.append(str(folder))
    for line in Path("/proc/mounts").read_text().splitlines():
        mountpoint = line.split()[1]
        if "/nncourse-sbx-" in mountpoint:
            uid = mountpoint.split("/nncourse-sbx-")[1].split("-")[0]
            if not (uid.isdigit() and held(uid)):
                out.append(f"mount {mountpoint}")
    return out


@pytest.mark.slow
def test_nothing_of_the_sandboxes_stays_on_the_host(battery):
    """After the batch (the full disks, the 3000-deep trees, every other attack): no sandbox's private folder or
    socket-folder mount is left on the host."""
    deadline = time.time() + 20
    while _host_leftovers() and time.time() < deadline:
        time.sleep(0.2)
    assert _host_leftovers() == []


# ------------------------------------------------------------------------------------------------ resume
def _resume_course(tmp: Path, students: dict) -> tuple[Path, Path]:
    """A throwaway repository holding the fixture assignment, released, with ``students`` submitted twice
    (two instructor folders: one for the interrupted run, one for the uninterrupted one)."""
    from grading.config import Course
    from grading.nbg import api

    repo = tmp / "repo"
    shutil.copytree(HOSTILE / FIX, repo / "solutions" / FIX)
    (repo / "pyproject.toml").write_text("[project]\nname = 'resume-fixture'\n")
    course = Course.from_repo(repo=repo, workdir=tmp / "release-work")
    res = api(course).generate_assignment(FIX, force=True, create=True)
    assert res["success"], res.get("error")
    src_nb, rel_nb = repo / "solutions" / FIX / f"{FIX}.ipynb", repo / "notebooks" / FIX / f"{FIX}.ipynb"
    works = []
    for name in ("interrupted", "straight"):
        S.write_class(tmp / name, FIX, students, rel_nb, src_nb)
        works.append(tmp / name)
    return repo, works


def _autograde_cmd(repo: Path, work: Path) -> list:
    import sys

    return [sys.executable, "-m", "grading", "autograde", FIX, "--repo", str(repo), "--workdir", str(work),
            "--no-progress", "-j", "2", "--timeout", "30"]


def _gradebook_rows(work: Path) -> dict:
    db = sqlite3.connect(work / "gradebook.db")
    try:
        subs = db.execute("select student.id, count(*) from submitted_assignment join student on "
                          "student.id = submitted_assignment.student_id group by student.id").fetchall()
    finally:
        db.close()
    return dict(subs)


@pytest.mark.slow
def test_autograde_killed_mid_batch_then_rerun_matches_an_uninterrupted_run(tmp_path):
    """SIGKILL ``nncourse autograde`` once some submissions are graded, run it again: every submission is graded
    exactly once in the gradebook, with the scores of an uninterrupted run, and every autograded notebook is whole."""
    import signal
    import subprocess

    slow = "import time\ntime.sleep(1)\n"
    students = {"s-correct": None, "s-wrong": slow + WRONG_RELU, "s-blank": "raise NotImplementedError()",
                "s-slow": slow + RELU, "s-delegate": "from helpers.activations import relu\n"}
    repo, (interrupted, straight) = _resume_course(tmp_path, students)
    env = dict(os.environ, PYTHONPATH=str(REPO))

    proc = subprocess.Popen(_autograde_cmd(repo, interrupted), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    killed_after = None
    while time.time() < deadline and proc.poll() is None:
        done = list((interrupted / "autograded").glob(f"*/{FIX}/{FIX}.ipynb"))
        if 1 <= len(done) < len(students):
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes, mid-batch
            killed_after = len(done)
            break
        time.sleep(0.05)
    proc.wait()
    assert killed_after is not None, "the batch finished before it could be killed; make the submissions slower"

    rerun = subprocess.run(_autograde_cmd(repo, interrupted), env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    ok = subprocess.run(_autograde_cmd(repo, straight), env=env, capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    from grading.cycle.autograde import read_scores
    from grading.config import Course

    got = read_scores(Course.from_repo(repo=repo, workdir=interrupted), FIX)
    want = read_scores(Course.from_repo(repo=repo, workdir=straight), FIX)
    assert set(got) == set(students)
    assert got == want
    assert _gradebook_rows(interrupted) == {s: 1 for s in students}
    for student in students:
        path = interrupted / "autograded" / student / FIX / f"{FIX}.ipynb"
        nb = nbformat.read(str(path), as_version=4)  # whole, valid JSON
        assert all(c.get("execution_count") for c in nb.cells if is_test_cell(c)), f"{student}: not executed"
    assert sum(want["s-correct"][k][0] for k in want["s-correct"]) == 20.0


def test_output_cap_keeps_the_beginning_and_says_so():
    """TrustedExecute.output: a cell's stream output stops at the cap, with one note; other cells still print."""
    from grading.checker.execute import TrustedExecute

    ex = TrustedExecute(max_cell_output_bytes=1000, max_output_bytes=2500)
    ex._cell_bytes, ex._total_bytes, ex._truncated = {}, 0, set()
    ex.output_hook_stack = __import__("collections").defaultdict(list)
    ex.clear_before_next_output = False
    ex._display_id_map = {}

    def stream(text):
        return {"msg_type": "stream", "header": {"msg_type": "stream"}, "parent_header": {"msg_id": "m"},
                "content": {"name": "stdout", "text": text}}

    outs = []
    for _ in range(5):
        ex.output(outs, stream("x" * 400), None, 0)
    text = "".join(o.get("text", "") for o in outs)
    assert text.count("x") == 1000
    assert text.count("output truncated") == 1
    other = []
    ex.output(other, stream("y" * 900), None, 1)
    assert "".join(o.text for o in other) == "y" * 900
    third = []
    ex.output(third, stream("z" * 900), None, 2)  # the notebook's 2500 bytes run out first
    assert "".join(o.text for o in third).count("z") == 600


def test_launcher_does_not_outlive_a_grader_that_died_while_it_started(tmp_path):
    """The grader can die between starting the launcher and the launcher's first look at its parent (the resume
    test kills it mid-batch): the launcher is told the grader's pid, so it still notices, and kills the kernel."""
    import subprocess
    import sys

    from jupyter_client.connect import write_connection_file

    from grading.kernels import socket_prefix

    gone = subprocess.Popen(["true"])
    gone.wait()                                          # a pid that no longer runs
    conn, _ = write_connection_file(str(tmp_path / "kernel.json"), transport="ipc", ip=socket_prefix())
    start = time.monotonic()
    launcher = subprocess.run([sys.executable, "-I", "-m", "grading.sandbox.launch", "--wall-seconds", "60",
                               "--parent-pid", str(gone.pid), "-f", conn], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    took = time.monotonic() - start
    assert launcher.returncode == 128 + 9, f"exit {launcher.returncode}: {launcher.stderr[-2000:]}"  # killed it
    assert took < 45, f"the launcher ran {took:.0f} s after its grader was gone (its wall limit: 60 s)"
    # killed while bwrap was still setting up, the kernel may start after the first sweep: none may survive
    time.sleep(3)
    assert _no_orphans_within(15) == []
