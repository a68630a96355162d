"""``nncourse release``: nbgrader ``generate_assignment`` from ``solutions/`` into ``notebooks/``, reproducibly.

nbgrader writes the release through nbconvert, which may differ from run to run in the notebook-level
metadata it copies and in JSON layout. After generating, every released notebook is rewritten in one
canonical form (nbformat 4, keys sorted, one-space indent, a final newline, no execution counts or
outputs), so that releasing twice gives byte-identical files and ``tests/test_release_drift.py`` can
compare the committed ``notebooks/`` with a fresh release.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat

from ..config import Course
from ..nbg import api, check

__all__ = ["release", "canonical_json", "normalize_notebook_file"]


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
