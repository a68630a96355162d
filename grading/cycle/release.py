"""``nncourse release``: nbgrader ``generate_assignment`` from ``solutions/`` into ``notebooks/``, reproducibly.

nbgrader writes the release through nbconvert, which may differ from run to run in the notebook-level
metadata it copies and in JSON layout. After generating, every released notebook is rewritten in one
canonical form (nbformat 4, keys sorted, one-space indent, a final newline, no execution counts or
outputs), so that releasing twice gives byte-identical files and ``tests/test_release_drift.py`` can
compare the committed ``notebooks/`` with a fresh release.

Two preprocessors of the course run inside nbgrader's ``generate_assignment`` (``grading.config`` puts them in
``GenerateAssignment.preprocessors``), so the gradebook's checksums are those of the release:

* :class:`NamedClearSolutions` replaces each solution region with a stub that names its function
  (``raise NotImplementedError("write the body of affine_forward above ...")``) instead of nbgrader's one
  fixed ``raise NotImplementedError()``;
* :class:`TagTestCells` gives every autograded test cell the ``raises-exception`` tag, so that JupyterLab's
  Run All (and nbclient) goes on past a test that fails on the blank answer. nbgrader's checksums and grades
  ignore tags (``nbgrader.utils.compute_checksum``; ``tests/test_release_runall.py`` grades with and without).
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor
from traitlets import Dict

from ..config import Course
from ..nbg import api, check

__all__ = ["release", "canonical_json", "normalize_notebook_file", "NamedClearSolutions", "TagTestCells",
           "RUN_ALL_TAG"]


RUN_ALL_TAG = "raises-exception"
"""The cell tag JupyterLab's Run All and nbclient honour: an error in such a cell does not stop the run."""

_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(")


class NamedClearSolutions(ClearSolutions):
    """nbgrader's ``ClearSolutions`` whose stub names the function it stands in.

    A solution region (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) inside ``def NAME(...)`` becomes
    ``named_code_stub[language]`` with ``{name}`` replaced by ``NAME``; a region outside any function, and a
    solution cell without a region, get nbgrader's ``code_stub`` as before. Markdown answers get ``text_stub``.
    Everything else (nesting checks, indentation, metadata checks) is nbgrader's.
    """

    named_code_stub = Dict(
        dict(python='# YOUR CODE HERE\nraise NotImplementedError("write the body of {name} above (replace this '
                    'line), then run this cell and the tests below")'),
        help="The stub of a solution region inside a function; {name} is the function's name",
    ).tag(config=True)

    @staticmethod
    def enclosing_function(lines: list, index: int) -> str | None:
        """The name of the innermost ``def`` that encloses ``lines[index]`` (by indentation), or ``None``."""
        threshold = len(lines[index]) - len(lines[index].lstrip())
        for line in reversed(lines[:index]):
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            if not stripped or stripped.startswith(("#", ")", "]", "}")) or indent >= threshold:
                continue
            match = _DEF.match(line)
            if match:
                return match.group(2)
            threshold = indent  # an enclosing block that is not a function (if, for, with, class)
            if threshold == 0:
                return None
        return None

    def _stub_lines(self, cell, language: str, lines: list, index: int) -> list:
        if cell.cell_type != "code":
            return self.text_stub.split("\n")
        name = self.enclosing_function(lines, index)
        if name is None or language not in self.named_code_stub:
            return self.code_stub[language].split("\n")
        return self.named_code_stub[language].replace("{name}", name).split("\n")

    def _replace_solution_region(self, cell, language: str) -> bool:
        # nbgrader 0.9.6's loop, with the stub chosen per region
        lines = cell.source.split("\n")
        new_lines = []
        in_solution = False
        replaced_solution = False
        for index, line in enumerate(lines):
            if self.begin_solution_delimeter in line:
                if in_solution:
                    self.log.error("Encountered nested begin solution statements. Cell contents are: \n%s",
                                   cell.source)
                    raise RuntimeError("encountered nested begin solution statements")
                in_solution = True
                replaced_solution = True
                indent = re.match(r"\s*", line).group(0)
                for stub_line in self._stub_lines(cell, language, lines, index):
                    new_lines.append(indent + stub_line)
            elif self.end_solution_delimeter in line:
                in_solution = False
            elif not in_solution:
                new_lines.append(line)
        if in_solution:
            self.log.error("No end solution statement found. Cell contents are: \n%s", cell.source)
            raise RuntimeError("no end solution statement found")
        cell.source = "\n".join(new_lines)
        return replaced_solution


class TagTestCells(NbGraderPreprocessor):
    """Give every autograded test cell (a code cell with ``grade: true, solution: false``) the
    ``raises-exception`` tag, so that a failing test does not stop JupyterLab's Run All."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and nbgrader_utils.is_grade(cell) and not nbgrader_utils.is_solution(cell):
            tags = list(cell.metadata.get("tags", []))
            if RUN_ALL_TAG not in tags:
                cell.metadata["tags"] = tags + [RUN_ALL_TAG]
        return cell, resources


def generate_assignment_preprocessors() -> list:
    """nbgrader's ``GenerateAssignment.preprocessors`` with :class:`NamedClearSolutions` in place of
    ``ClearSolutions`` and :class:`TagTestCells` after it (before the checksums are computed)."""
    from nbgrader.converters import GenerateAssignment

    out = []
    for pp in GenerateAssignment.class_traits()["preprocessors"].default():
        if pp is ClearSolutions:
            out += [NamedClearSolutions, TagTestCells]
        else:
            out.append(pp)
    return out


def canonical_json(nb) -> str:
    """The canonical text of a notebook (a ``NotebookNode`` or dict)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def normalize_notebook_file(path: Path) -> None:
    """Rewrite a notebook file in canonical form (see :func:`canonical_json`)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    text = canonical_json(nb)
    if path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def release(course: Course, assignments: list[str] | None = None) -> list[Path]:
    """Generate the student release of ``assignments`` (default: all under ``course.source``).

    Writes ``<course.release>/<id>/`` for each and records the assignment in the gradebook.
    Returns the released notebook paths. Raises ``ValueError`` for an unknown assignment and
    :class:`grading.nbg.NbGraderFailure` when nbgrader fails.
    """
    known = course.assignments()
    if assignments is None or len(assignments) == 0:
        assignments = known
    unknown = [a for a in assignments if a not in known]
    if unknown:
        raise ValueError(f"assignment(s) {unknown} have no source notebook under {course.source} "
                         f"(found: {known or 'none'})")
    course.release.mkdir(parents=True, exist_ok=True)
    nbapi = api(course)
    written = []
    for assignment in assignments:
        check(nbapi.generate_assignment(assignment, force=True, create=True), f"release of {assignment}")
        for path in sorted((course.release / assignment).rglob("*.ipynb")):
            normalize_notebook_file(path)
            written.append(path)
    return written


def register_assignments(course: Course, assignments: list[str]) -> None:
    """Record ``assignments`` (notebooks, cells, checksums) in ``course``'s gradebook, exactly as
    ``release`` does, without touching ``course.release`` (the release goes to a throwaway folder)."""
    with tempfile.TemporaryDirectory(prefix="nncourse-register-") as tmp:
        release(course.with_(release=Path(tmp) / "release"), list(assignments))
        shutil.rmtree(Path(tmp) / "release", ignore_errors=True)


def drift(course: Course, assignment: str, fresh_dir: Path) -> list[str]:
    """Files of ``<course.release>/<assignment>`` that differ from a fresh release written into ``fresh_dir``
    (missing, extra or changed), as relative paths; empty when the committed release is up to date."""
    import filecmp

    release(course.with_(release=Path(fresh_dir)), [assignment])
    fresh, committed = Path(fresh_dir) / assignment, course.release / assignment

    def files(folder):
        if not folder.is_dir():
            return set()
        return {str(p.relative_to(folder)) for p in folder.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}

    a, b = files(fresh), files(committed)
    changed = {p for p in a & b if not filecmp.cmp(fresh / p, committed / p, shallow=False)}
    return sorted((a ^ b) | changed)
