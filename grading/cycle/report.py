"""``nncourse report``: the grades CSV, two figures and a short summary, all from the gradebook.

``grades.csv`` has one row per student and the columns

    student, <exercise key>... (ex01, ..., s01, ...), <assignment>... (section totals),
    practice_total (the ten practice exercises, out of 100), total

A cell's score is the grader's manual score when one was given, else the autograder's, else 0; a section a
student did not submit counts 0. The maxima are in ``summary.md``.
"""
from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Course

__all__ = ["report", "gradebook_table", "Report"]


@dataclass
class Report:
    files: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    maxima: dict = field(default_factory=dict)


def _key(grade_id: str) -> str:
    from ..keys import exercise_key

    return exercise_key(grade_id)


def _key_order(k: str):
    return (0 if k.startswith("ex") else 1, k)


def gradebook_table(course: Course):
    """``(students, exercise_max, section_max, scores, pending)`` from the gradebook.

    ``scores[student][(assignment, exercise key)]`` is the student's points; maxima are per exercise key
    and per assignment; ``pending`` lists ``(student, assignment, grade_id)`` waiting for manual grading.
    """
    from nbgrader.api import Gradebook

    exercise_max, section_max, scores = {}, {}, {}
    pending = []  # (student, assignment, grade_id) waiting for a grader
    with Gradebook(course.gradebook_url, course.course_id) as gb:
        students = sorted(s.id for s in gb.students)
        for assignment in gb.assignments:
            for nb in assignment.notebooks:
                for cell in nb.grade_cells:
                    k = _key(cell.name)
                    exercise_max[k] = exercise_max.get(k, 0.0) + float(cell.max_score)
                    section_max[assignment.name] = section_max.get(assignment.name, 0.0) + float(cell.max_score)
            for sub in assignment.submissions:
                row = scores.setdefault(sub.student.id, {})
                for snb in sub.notebooks:
                    for g in snb.grades:
                        pts = g.manual_score if g.manual_score is not None else (g.auto_score or 0.0)
                        key = (assignment.name, _key(g.name))
                        row[key] = row.get(key, 0.0) + float(pts)
                        if g.needs_manual_grade and g.manual_score is None:
                            pending.append((sub.student.id, assignment.name, g.name))
    return students, exercise_max, section_max, scores, pending


def report(course: Course, out_dir: Path | None = None, pass_fraction: float = 1.0) -> Report:
    """Write ``grades.csv``, ``score_distribution.png``, ``pass_rate_per_exercise.png`` and ``summary.md``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    if not 0 < pass_fraction <= 1:
        raise ValueError(f"pass_fraction must be in (0, 1], got {pass_fraction}")
    out = Path(out_dir or course.reports)
    out.mkdir(parents=True, exist_ok=True)
    students, exercise_max, section_max, scores, pending = gradebook_table(course)
    keys = sorted(exercise_max, key=_key_order)
    sections = sorted(section_max)
    practice = [k for k in keys if k.startswith("ex")]
    columns = ["student", *keys, *sections, "practice_total", "total"]
    rows = []
    for s in students:
        got = scores.get(s, {})
        ex = {k: sum(v for (a, kk), v in got.items() if kk == k) for k in keys}
        sec = {a: sum(v for (aa, kk), v in got.items() if aa == a) for a in sections}
        rows.append({"student": s, **ex, **sec, "practice_total": sum(ex[k] for k in practice),
                     "total": sum(sec.values())})
    maxima = {**exercise_max, **section_max, "practice_total": sum(exercise_max[k] for k in practice),
              "total": sum(section_max.values())}
    rep = Report(rows=rows, columns=columns, maxima=maxima)

    csv_path = out / "grades.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r["student"]] + [f"{r[c]:g}" for c in columns[1:]])
    rep.files.append(csv_path)

    total_max = maxima["total"] or 1.0
    pct = [100.0 * r["total"] / total_max for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(pct, bins=[i * 10 for i in range(11)], color="#4477aa", edgecolor="white")
    ax.set_xlabel("total score (% of the maximum)")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"Score distribution ({len(rows)} students)")
    fig.tight_layout()
    dist_path = out / "score_distribution.png"
    fig.savefig(dist_path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    rep.files.append(dist_path)

    rates = {k: (sum(r[k] >= pass_fraction * exercise_max[k] - 1e-9 for r in rows) / len(rows) if rows else 0.0)
             for k in keys}
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(keys) + 2), 3.5))
    ax.bar(range(len(keys)), [100 * rates[k] for k in keys], color="#228833")
    ax.set_xticks(range(len(keys)), keys, rotation=45)
    ax.set_ylim(0, 100)
    ax.set_ylabel("students passing (%)")
    ax.set_title("Pass rate per exercise", fontsize=11)
    ax.set_xlabel(f"exercise (passed: at least {pass_fraction:.0%} of its points)", fontsize=9)
    fig.tight_layout()
    rate_path = out / "pass_rate_per_exercise.png"
    fig.savefig(rate_path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    rep.files.append(rate_path)

    lines = ["# Class report", "",
             f"{len(rows)} student(s), {len(sections)} section(s) in the gradebook.", ""]
    if rows:
        totals = [r["total"] for r in rows]
        lines += [f"Total: mean {statistics.mean(totals):.1f}, median {statistics.median(totals):.1f}, "
                  f"min {min(totals):g}, max {max(totals):g} (out of {total_max:g}).", ""]
    lines += ["| exercise | max | mean | pass rate |", "| --- | --- | --- | --- |"]
    for k in keys:
        mean = statistics.mean(r[k] for r in rows) if rows else 0.0
        lines.append(f"| {k} | {exercise_max[k]:g} | {mean:.2f} | {100 * rates[k]:.0f}% |")
    if pending:
        cells = sorted({g for _, _, g in pending})
        lines += ["", f"{len(pending)} answer(s) wait for manual grading (cells {', '.join(cells)}); they count 0 "
                      "until graded (`nbgrader formgrader` in the working directory)."]
    lines += ["", "Files: `grades.csv`, `score_distribution.png`, `pass_rate_per_exercise.png`.", ""]
    md_path = out / "summary.md"
    md_path.write_text("\n".join(lines))
    rep.files.append(md_path)
    return rep
