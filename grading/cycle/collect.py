"""``nncourse collect``: submissions from a folder or an LMS zip into nbgrader's submitted layout.

A file is placed when its name ends with ``<assignment>.ipynb`` (an assignment of the course), optionally
followed by an LMS duplicate suffix (``-1``, `` (2)``), and what comes before it names the student:

* ``alice_02-forward-pass.ipynb``: student ``alice``;
* LMS exports that prefix more fields (``alice_12345_67890_02-forward-pass.ipynb`` from Canvas, or
  ``Alice Smith_12345_assignsubmission_file_alice_02-forward-pass.ipynb`` from Moodle): with a roster
  (``students``), the field that is a known student id; without one, the first field.

It goes to ``<workdir>/submitted/<student>/<assignment>/<assignment>.ipynb`` (the notebook name nbgrader
expects). Anything else (another file type, no assignment in the name, an unknown student, a second file
for the same student and assignment) is reported with the reason and not placed.

nbgrader's own ``zip_collect`` handles one assignment per run, from a fixed ``downloaded/<assignment>/``
layout, and reads the student from a regular expression; an LMS zip of this course mixes assignments and
the assignment is part of each file name, so the matching is done here, in the same spirit.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Course

__all__ = ["collect", "CollectResult", "match_name"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


@dataclass
class CollectResult:
    """``placed``: (student, assignment, source name); ``unplaced``: (source name, reason)."""

    placed: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)


def match_name(name: str, assignments, roster=None):
    """``(student, assignment)`` for a submitted file name, or ``(None, reason)``."""
    base = Path(name).name
    if not base.endswith(".ipynb"):
        return None, "not a notebook (.ipynb)"
    stem = base[: -len(".ipynb")]
    stem = re.sub(r"(?:-\d+| \(\d+\))$", "", stem)  # LMS duplicate suffixes
    for assignment in sorted(assignments, key=len, reverse=True):
        if stem.endswith(assignment):
            prefix = stem[: -len(assignment)].rstrip("_- ")
            break
    else:
        return None, f"the name matches no assignment (expected <student>_<assignment>.ipynb, " \
                     f"assignments: {', '.join(sorted(assignments))})"
    fields = [f for f in prefix.split("_") if f]
    if not fields:
        return None, "the name has no student id before the assignment"
    if roster is not None:
        known = [f for f in fields if f in roster]
        if not known:
            return None, f"no known student id in {prefix!r}"
        return (known[-1], assignment), None
    student = fields[0]
    if not _STUDENT_ID.match(student):
        return None, f"{student!r} is not a usable student id (letters, digits, '.', '-')"
    return (student, assignment), None


def _read_roster(path) -> set | None:
    if path is None:
        return None
    return {line.strip() for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith("#")}


def collect(course: Course, path: Path, assignments=None, students=None) -> CollectResult:
    """Place the notebooks of folder or zip ``path`` into ``course.submitted`` (see the module docstring).

    ``students``: a roster file (one id per line) or a set of ids; ``assignments``: restrict to these.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such folder or zip: {path}")
    known = set(assignments or course.assignments())
    if not known:
        raise ValueError(f"no assignments found under {course.source}")
    roster = set(students) if isinstance(students, (set, list, tuple)) else _read_roster(students)
    result = CollectResult()
    with tempfile.TemporaryDirectory(prefix="nncourse-collect-") as tmp:
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise ValueError(f"{path} is neither a folder nor a zip file")
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    target = (Path(tmp) / info.filename).resolve()
                    if Path(tmp).resolve() not in target.parents:
                        result.unplaced.append((info.filename, "unsafe path in the zip"))
                        continue
                    if not info.is_dir():
                        zf.extract(info, tmp)
            root = Path(tmp)
        else:
            root = path
        seen = {}
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = str(file.relative_to(root))
            if "__MACOSX" in file.parts or file.name.startswith("."):
                continue
            if file.suffix == ".zip":
                result.unplaced.append((rel, "nested zip files are not opened"))
                continue
            match, reason = match_name(file.name, known, roster)
            if match is None:
                result.unplaced.append((rel, reason))
                continue
            if match in seen:
                result.unplaced.append((rel, f"a second file for {match[0]} / {match[1]} (kept {seen[match]})"))
                continue
            seen[match] = rel
            student, assignment = match
            dest = course.submitted / student / assignment
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            shutil.copyfile(file, dest / f"{assignment}.ipynb")
            result.placed.append((student, assignment, rel))
    return result
