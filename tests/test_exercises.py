"""Real nbgrader autograding of every notebook that has common-mistake answers (``tests/mutants/<id>.py``).

One batch per assignment, graded as ``nncourse autograde`` grades (tests in the trusted checker, the kernel running
only the answers and what they need): the solution, the blank release, and the mutants. The solution must score
full marks on every graded cell the autograder scores, the blank release 0 on every autograded test cell, and each
mutant strictly less than full marks on its exercise, and at least ``keeps_at_least`` points when it says so (a
mistake in one requirement costs only that requirement's share).

Mutants of different exercises share a submission when neither exercise's tests nor answers read the other's
functions, so that a notebook with three exercises grades its mutants in a third of the submissions. A shared
submission whose kernel was stopped (a test that did not run or timed out) could hide a mutant that was not caught:
its mutants are graded again, alone.
"""
from __future__ import annotations

import html

import nbformat
import pytest

from conftest import NOTEBOOKS, REPO, SOLUTIONS, load_mutants, mutant_ids

from support import submissions as S
from grading.cycle.autograde import grade_submissions
from grading.config import Course
from grading.cycle.feedback import feedback
from grading.cycle.hidden_output import hidden_lines


def _autograded_test_ids(nb) -> set[str]:
    return {gid for gid, c in S.grade_cells(nb).items()
            if c.cell_type == "code" and not c.metadata["nbgrader"].get("solution")}


def _groups(mutants: list, source) -> list[list[int]]:
    """Mutants (indices) that can share a submission: one per exercise, exercises independent of each other."""
    from grading.checker.plan import free_names
    from grading.checker.stubs import defined_names

    answers = S.answer_cells(source)
    names = {}
    for gid, cell in answers.items():
        names.setdefault(S.exercise_key(gid), set()).update(defined_names([cell.source]))
    every = set().union(*names.values()) if names else set()
    reads = {}
    for gid, cell in S.grade_cells(source).items():
        if cell.cell_type == "code" and not cell.metadata["nbgrader"].get("solution"):
            reads.setdefault(S.exercise_key(gid), set()).update(free_names(cell.source) & every)
    uses = []
    for m in mutants:
        try:
            uses.append(free_names(m["source"]) & every)
        except SyntaxError:
            uses.append(every)

    def independent(i, j):
        a, b = mutants[i]["exercise"], mutants[j]["exercise"]
        ours, theirs = names.get(a, set()), names.get(b, set())
        return a != b and not (reads.get(a, set()) | uses[i]) & theirs and not (reads.get(b, set()) | uses[j]) & ours

    groups = []
    for i in range(len(mutants)):
        for group in groups:
            if all(independent(i, j) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def _stopped(course, student: str, assignment: str) -> bool:
    path = course.autograded / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return any(o.get("output_type") == "error" and o.get("ename") in ("TestNotRun", "TestTimedOut")
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def _by_exercise(scores: dict, ids) -> dict:
    out = {}
    for gid in ids:
        got, full = scores[gid]
        key = S.exercise_key(gid)
        g, f = out.get(key, (0.0, 0.0))
        out[key] = (g + got, f + full)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("assignment", mutant_ids())
def test_solution_blank_and_mutants(assignment, tmp_path, monkeypatch):
    # scores do not depend on figures: draw them without encoding PNGs (a third of a notebook's time)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    release_nb = NOTEBOOKS / assignment / f"{assignment}.ipynb"
    source_nb = SOLUTIONS / assignment / f"{assignment}.ipynb"
    assert release_nb.is_file(), f"{release_nb} is missing: run `nncourse release {assignment}`"
    mutants = load_mutants(assignment)
    source = nbformat.read(source_nb, as_version=4)
    tests = _autograded_test_ids(source)
    answers = S.answer_cells(source)
    exercises = {S.exercise_key(g) for g in tests}
    for m in mutants:
        assert m["cell"] in answers, f"mutant {m['name']!r}: no answer cell {m['cell']!r} in {assignment}"
        assert m["exercise"] in exercises, f"mutant {m['name']!r}: no autograded tests for {m['exercise']!r}"

    subs = {"solution": S.solution_submission(release_nb, source_nb), "blank": S.blank_submission(release_nb)}
    graded_in = {}  # mutant index -> the student id of the submission that carries it
    for g, group in enumerate(_groups(mutants, source)):
        pairs = [(mutants[i]["cell"], mutants[i]["source"]) for i in group]
        subs[f"mutants{g:03d}"] = S.mutant_submission(release_nb, source_nb, *pairs[0], *pairs[1:])
        graded_in.update({i: f"mutants{g:03d}" for i in group})
    course = Course.from_repo(repo=REPO, workdir=tmp_path / "work", timeout=30)
    # graded in this test worker's process (pytest-xdist already runs two sections at once on two cores):
    # no worker pool to spawn per section, no four kernels fighting over two cores
    result = grade_submissions(assignment, subs, tmp_path / "work", course=course, jobs=1)
    assert not result.failures, f"submissions nbgrader could not grade: {[str(f) for f in result.failures]}"
    shared = [s for s in set(graded_in.values()) if list(graded_in.values()).count(s) > 1]
    alone = {}
    for student in shared:
        if _stopped(course, student, assignment):
            for i in [i for i, s in graded_in.items() if s == student]:
                alone[f"mutant{i:03d}"] = S.mutant_submission(release_nb, source_nb, mutants[i]["cell"],
                                                               mutants[i]["source"])
                graded_in[i] = f"mutant{i:03d}"
    if alone:
        again = grade_submissions(assignment, alone, tmp_path / "work", course=course, jobs=1)
        assert not again.failures, f"submissions nbgrader could not grade: {[str(f) for f in again.failures]}"
        result.scores.update(again.scores)

    problems = []
    sol = result.scores["solution"]
    short = {g: sol[g] for g in tests if sol[g][0] != sol[g][1]}
    if short:
        problems.append(f"the solution loses points on {short}")
    blank = result.scores["blank"]
    nonzero = {g: blank[g] for g in tests if blank[g][0] != 0}
    if nonzero:
        problems.append(f"the blank release scores on {nonzero}")
    for i, m in enumerate(mutants):
        got, full = _by_exercise(result.scores[graded_in[i]], tests)[m["exercise"]]
        if not got < full:
            problems.append(f"mutant {m['exercise']}/{m['name']} scores full marks on {m['exercise']} ({got:g}/{full:g})")
        elif got < m.get("keeps_at_least", 0):
            problems.append(f"mutant {m['exercise']}/{m['name']} keeps only {got:g}/{full:g} on {m['exercise']}; "
                            f"missing that one requirement should cost at most {full - m['keeps_at_least']:g}")
    assert not problems, f"{assignment}:\n  " + "\n  ".join(problems)

    # feedback for failing learners never shows a hidden test line (lines that also appear in the
    # release, such as an import, are not secret)
    failing = ["blank"] + sorted(set(graded_in.values()))[:2]
    fb = feedback(course, [assignment], students=failing)
    assert not fb.failures, [str(f) for f in fb.failures]
    assert len(fb.written) == len(failing)
    release = nbformat.read(release_nb, as_version=4)
    public = {line.strip() for c in release.cells for line in c.source.splitlines()}
    secret = {line for c in source.cells for line in hidden_lines(c.source)} - public
    for path in fb.written:
        text = path.read_text()
        leaks = [line for line in secret
                 if any(form in text for form in {line, html.escape(line), html.escape(line, quote=False)})]
        assert not leaks, f"{path} shows hidden test lines: {leaks[:5]}"
