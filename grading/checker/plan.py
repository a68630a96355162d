"""Which cells of a submission the learner's kernel runs while it is graded.

Test cells never run in the kernel (the checker runs them). The kernel runs every answer cell whole, and of the
other code cells only the top-level statements that may change a name that something later needs: a liveness pass
over the notebook, from the last cell back, that errs on the side of keeping. What the tests need are the names
they read (the learner's functions); what the answers need follows from their own reads. A cell that is not plain
Python (a magic, a syntax error) runs whole, and so does everything before it.

The worked examples and figures therefore do not run during grading: they cost time, and in the grading kernel the
course's references they call are stubs (:mod:`grading.checker.stubs`).
"""
from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

__all__ = ["Step", "plan", "free_names"]


@dataclass(frozen=True)
class Step:
    """What happens to one cell: ``"test"`` (the checker runs it), ``"run"`` (the kernel runs ``source``, the
    whole cell or the statements kept from it) or ``"skip"`` (nothing runs; a markdown cell, or a worked example
    no graded work needs)."""

    action: str
    source: str = ""


def free_names(source: str) -> set:
    """Global names a cell reads (at any depth) without binding them at its top level."""
    table = symtable.symtable(source, "<cell>", "exec")
    bound, read = set(), set()

    def visit(t, top):
        for s in t.get_symbols():
            if top and (s.is_assigned() or s.is_imported() or s.is_namespace()):
                bound.add(s.get_name())
            if s.is_referenced() and (top or s.is_global()):
                read.add(s.get_name())
        for child in t.get_children():
            visit(child, False)

    visit(table, True)
    return read - bound


def _binds(node):
    """Names an assignment target or import binds for certain (``a, (b, *c) = ...`` binds a, b and c)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*map(_binds, node.elts)) if node.elts else set()
    if isinstance(node, ast.Starred):
        return _binds(node.value)
    return set()


def _kills(stmt) -> set:
    """Names a top-level statement certainly rebinds, so that their earlier values are no longer needed."""
    if isinstance(stmt, ast.Assign):
        return set().union(*map(_binds, stmt.targets))
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return _binds(stmt.target)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
    return set()


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _effects(stmt, modules) -> tuple[set, set]:
    """``(changes, reads)`` of one top-level statement, over-approximated on the side of keeping it.

    Scopes come from the compiler's own symbol tables (``symtable``), so a function's parameters and locals, or a
    comprehension's variable, are not mistaken for notebook globals. ``reads``: every global name read anywhere in
    the statement, nested functions included. ``changes``: every global name it binds, and the root of every
    assigned attribute or item (``W[0] = 1`` changes ``W``) and of every method call (``rng.normal()`` advances
    ``rng``) among the global names it reads, except calls on the names in ``modules`` (``F.affine_forward(...)``
    leaves ``F`` as it was), and, for a call made for its effect (``rng.shuffle(X)``), the root of every argument
    that is a name or part of one; ``"*"`` for a star import.
    """
    binds, reads, roots = set(), set(), set()

    def visit(table, top):
        for sym in table.get_symbols():
            if top or sym.is_global():
                if sym.is_referenced():
                    reads.add(sym.get_name())
                if sym.is_assigned() or sym.is_imported() or (top and sym.is_namespace()):
                    binds.add(sym.get_name())
        for child in table.get_children():
            visit(child, False)

    visit(symtable.symtable(ast.unparse(stmt), "<statement>", "exec"), True)
    for node in ast.walk(stmt):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            binds.add("*")
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            roots.add(_root(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _root(node.func) not in modules:
            roots.add(_root(node.func))
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):  # called for its effect: on its arguments?
        call = stmt.value
        roots.update(_root(a) for a in [*call.args, *(k.value for k in call.keywords)]
                     if isinstance(a, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred)))
    return binds | (roots & reads), reads


def plan(cells, tests: dict, answers: set) -> list:
    """A :class:`Step` for every cell of ``cells`` (a notebook's cells, in order).

    Parameters
    ----------
    cells : list of NotebookNode
        The submission's cells.
    tests : dict
        ``{index: trusted source}`` of the test cells (the checker runs them; their reads count).
    answers : set of int
        Indices of the answer cells (always run whole).
    """
    trees = {}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "code":
            try:
                trees[i] = ast.parse(tests.get(i, cell.get("source", "")))
            except SyntaxError:
                trees[i] = None
    modules = {(a.asname or a.name).split(".")[0] for tree in trees.values() if tree is not None
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    live, everything = set(), False
    steps = [Step("skip")] * len(cells)
    for i in reversed(range(len(cells))):
        cell, tree = cells[i], trees.get(i)
        if cell.get("cell_type") != "code":
            continue
        if i in tests:
            steps[i] = Step("test")
            live |= free_names(tests[i]) if tree is not None else set()
            continue
        if tree is None:  # not plain Python: run it, and everything before it
            everything = True
            steps[i] = Step("run", cell.source)
            continue
        keep = []
        for stmt in reversed(tree.body):
            changes, reads = _effects(stmt, modules)
            if i in answers or everything or "*" in changes or changes & live:
                keep.append(stmt)
                live = (live - _kills(stmt)) | reads
        if i in answers or len(keep) == len(tree.body):
            steps[i] = Step("run", cell.source)
        elif keep:
            steps[i] = Step("run", _statements_source(cell.source, tree.body, keep[::-1]))
    return steps


def _statements_source(text: str, body: list, keep: list) -> str:
    """The source lines of the statements ``keep`` (with their decorators and inner comments); a statement that
    shares a line with another (``a = 1; b = 2``) is written out by ``ast.unparse`` instead."""
    lines = text.split("\n")

    def span(stmt):
        return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])]), stmt.end_lineno

    out = []
    for stmt in keep:
        first, last = span(stmt)
        shared = any(other is not stmt and span(other)[0] <= last and first <= span(other)[1] for other in body)
        out.append(ast.unparse(stmt) if shared else "\n".join(lines[first - 1:last]))
    return "\n".join(out)
