"""The grading kernel's ``helpers``: the course's package without the references an answer must not use.

While a notebook is graded, its kernel imports a copy of ``helpers`` in which every function named by the
notebook's tests (the names given to ``helpers.checks.check_not_delegating``) and every function its answer cells
define is a stub that raises ``DelegationError`` naming itself. An answer that imports the reference, keeps an
alias, a copy or a closure of it, or calls it only now and then, fails by construction: there is no reference in
that interpreter. The learner's own JupyterLab keeps the full package; the checker, outside the kernel, too.

The sandbox binds the copy where the real package is (:mod:`grading.sandbox.launch`); an unsandboxed kernel finds
it first on ``PYTHONPATH``. Copies are cached by content in a folder of the grader's own.
"""
from __future__ import annotations

import ast
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

__all__ = ["declared_references", "defined_names", "stubbed_helpers", "STUB_MESSAGE"]

STUB_MESSAGE = ("your answer calls the course's reference `{name}`; while your notebook is graded the course's "
                "references are not available: write the computation yourself")
"""Contains :data:`grading.checker.execute.DELEGATION_MARK`, so a test that meets it zeroes its exercise."""


def _parsed(sources):
    """The syntax trees of ``sources`` that parse (a learner's cell may not)."""
    for source in sources:
        try:
            yield ast.parse(source)
        except SyntaxError:
            continue


def declared_references(sources) -> set:
    """Names given as strings to ``check_not_delegating(fn, "name", ...)`` anywhere in ``sources``."""
    names = set()
    for node in (n for tree in _parsed(sources) for n in ast.walk(tree)):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if called == "check_not_delegating":
                names.update(a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return names


def defined_names(sources) -> set:
    """Names bound at the top level of ``sources`` (the functions the answer cells define)."""
    names = set()
    for stmt in (s for tree in _parsed(sources) for s in tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return names


def _stub_module(text: str, names: set) -> str | None:
    """The module's source with the functions in ``names`` replaced by stubs, or ``None`` if it defines none."""
    tree = ast.parse(text)
    hit = False
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in names:
            message = STUB_MESSAGE.format(name=stmt.name)
            body = ast.parse(f"raise __import__('helpers.checks', fromlist=['DelegationError'])"
                             f".DelegationError({message!r})").body
            doc = ast.get_docstring(stmt, clean=False)
            stmt.body = ([ast.Expr(ast.Constant(doc))] if doc else []) + body
            stmt.decorator_list = []
            hit = True
    return ast.unparse(tree) + "\n" if hit else None


def _package_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("helpers")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the course's `helpers` package is not installed")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def _cache_root() -> Path:
    """A folder only the grader can write; refuses one that another user could have planted."""
    root = Path(tempfile.gettempdir()) / f"nncourse-stubs-{os.geteuid()}"
    root.mkdir(mode=0o755, exist_ok=True)
    st = root.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise RuntimeError(f"{root} is not a folder of this user's that only it can write: remove it")
    return root


def stubbed_helpers(names, package: Path | None = None) -> Path:
    """A folder holding ``helpers/``, the course's package with the functions in ``names`` stubbed.

    The folder is readable by everyone (the sandbox's uid imports from it) and cached: the same names and the same
    package give the same folder.
    """
    package = Path(package) if package else _package_dir()
    names = sorted(set(names))
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256("\n".join(names).encode())
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    root = _cache_root()
    final = root / digest.hexdigest()[:24]
    if (final / "helpers" / "__init__.py").is_file():
        return final
    build = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        for path in files:
            rel = path.relative_to(package)
            dest = build / "helpers" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = _stub_module(path.read_text(), set(names)) if path.suffix == ".py" else None
            if text is None:
                shutil.copyfile(path, dest)
            else:
                dest.write_text(text)
        for folder, dirs, filenames in os.walk(build):
            os.chmod(folder, 0o755)
            for name in filenames:
                os.chmod(os.path.join(folder, name), 0o644)
        try:
            os.rename(build, final)
        except OSError:  # another worker built the same copy first
            shutil.rmtree(build, ignore_errors=True)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return final
