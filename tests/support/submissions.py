"""Build submissions from a release, for tests and benchmarks: the solution, the blank release, mutants.

A submission is the *release* notebook (so the cell ids and nbgrader checksums are the student's) with
answer cells filled in:

* ``solution_submission``: every answer cell holds the source notebook's solution, markers removed;
* ``blank_submission``: the release as is (every answer raises ``NotImplementedError``);
* ``mutant_submission``: the solution with one answer cell (by ``grade_id``) replaced by other code;
* ``without_examples``: a submission with the worked examples left out (only what the graded cells need).

``exercise_key("ex04-tests-hidden") == "ex04"``: the key is the text before the first dash.
"""
from __future__ import annotations

import ast
import copy
import symtable
import textwrap
from pathlib import Path

import nbformat

__all__ = ["exercise_key", "answer_cells", "solution_submission", "blank_submission", "mutant_submission",
           "without_examples", "strip_solution_markers", "read_notebook", "grade_cells"]

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"


def exercise_key(grade_id: str) -> str:
    """The exercise a cell belongs to: the ``grade_id`` up to its first dash."""
    return grade_id.split("-", 1)[0]


def read_notebook(nb) -> nbformat.NotebookNode:
    """A deep copy of ``nb`` if it is a notebook node, else the notebook read from the path ``nb``."""
    if isinstance(nb, (str, Path)):
        return nbformat.read(str(nb), as_version=4)
    return copy.deepcopy(nb)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb) -> dict:
    """``{grade_id: cell}`` of the cells the learner writes (``solution: true``)."""
    return {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("solution")}


def grade_cells(nb) -> dict:
    """``{grade_id: cell}`` of the graded cells (``grade: true``)."""
    return {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("grade")}


def strip_solution_markers(source: str) -> str:
    """The source with the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines removed."""
    return "\n".join(line for line in source.split("\n") if BEGIN not in line and END not in line)


def solution_submission(release_nb, source_nb) -> nbformat.NotebookNode:
    """The release with every answer cell holding the source's solution (markers removed)."""
    nb = read_notebook(release_nb)
    source = answer_cells(read_notebook(source_nb))
    for grade_id, cell in answer_cells(nb).items():
        if grade_id not in source:
            raise ValueError(f"answer cell {grade_id!r} of the release is not in the source notebook")
        cell.source = strip_solution_markers(source[grade_id].source)
    return nb


def blank_submission(release_nb) -> nbformat.NotebookNode:
    """The release as a learner receives it."""
    return read_notebook(release_nb)


def mutant_submission(release_nb, source_nb, cell: str, code: str) -> nbformat.NotebookNode:
    """The solution submission with the answer cell ``cell`` (a ``grade_id``) replaced by ``code``."""
    nb = solution_submission(release_nb, source_nb)
    cells = answer_cells(nb)
    if cell not in cells:
        raise ValueError(f"no answer cell with grade_id {cell!r}; answer cells: {sorted(cells)}")
    cells[cell].source = textwrap.dedent(code).strip("\n")
    return nb


# ----------------------------------------------------------------------------------------- without examples

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


def without_examples(nb, source_nb) -> nbformat.NotebookNode:
    """The submission with the worked examples left out, as a learner who deleted what the exercises do not use.

    Every markdown cell, answer cell and graded cell stays. Of the other code cells, only the top-level statements
    that may change a name a later kept statement reads stay (the imports, the data a test uses): a liveness pass
    over the notebook, from the last cell back, that errs on the side of keeping. The reads of graded cells are
    taken from ``source_nb``, so hidden tests count. A cell that is not plain Python (a magic) stays whole and
    keeps everything before it; a cell left with nothing is dropped.

    nbgrader grades what remains like any submission. ``tests/test_exercises.py`` checks that the solution loses
    no point this way, so a mutant graded this way loses points for its mistake and nothing else.
    """
    nb = read_notebook(nb)
    hidden = grade_cells(read_notebook(source_nb))
    trees = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            meta = _meta(cell)
            text = hidden.get(meta.get("grade_id"), cell).source if meta.get("grade") and not meta.get("solution") \
                else cell.source
            try:
                trees[i] = ast.parse(text)
            except SyntaxError:
                trees[i] = None
    modules = {(a.asname or a.name).split(".")[0] for tree in trees.values() if tree is not None
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    live, everything = set(), False
    kept = []
    for i in reversed(range(len(nb.cells))):
        cell, tree = nb.cells[i], trees.get(i)
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        if tree is None:  # not plain Python: keep it, and everything before it
            everything = True
            kept.append(cell)
            continue
        meta = _meta(cell)
        graded = bool(meta.get("solution") or meta.get("grade"))
        keep = []
        for stmt in reversed(tree.body):
            changes, reads = _effects(stmt, modules)
            if graded or everything or "*" in changes or changes & live:
                keep.append(stmt)
                live = (live - _kills(stmt)) | reads
        if graded or len(keep) == len(tree.body):
            kept.append(cell)
        elif keep:
            cell.source = _statements_source(cell.source, tree.body, keep[::-1])
            kept.append(cell)
    nb.cells = kept[::-1]
    return nb


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
