"""``nncourse report``: the grades CSV, LMS grade files, two figures and a short summary, all from the gradebook.

Only **assigned** work counts: the assignments named with ``--assignment`` (a chosen set), else every assignment
that has a submission or whose due date has passed. ``grades.csv`` has one row per student and the columns

    student, <exercise key>... (ex01, ..., s01, ...), <assignment>... (section totals),
    practice_total (the assigned practice exercises), total, note

A cell's score is the grader's manual score when one was given, else the autograder's, else 0; a section total is
net of nbgrader's late penalty. Work that was **not submitted** is a blank cell (and counts 0 in the total, since
it was assigned); work that **could not be graded** (a damaged notebook) is 0, and ``note`` says which and why,
as it names missing and late work. The maxima are in ``summary.md``; the histogram is the total as a percentage
of the assigned maximum.

LMS files (``lms``: ``canvas``, ``moodle``; by default each LMS some student has an id of, from ``collect`` or a
roster), scores scaled to ``scale`` points per assignment when given:

* ``canvas.csv``: Canvas's gradebook import, one column per assigned assignment (``--canvas-column
  ASSIGNMENT=TITLE (ID)`` names an existing Canvas assignment; otherwise Canvas creates one named after it);
* ``moodle-<assignment>.csv``: Moodle's assignment grading worksheet ("Upload grading worksheet"), one file per
  assignment, matched on Moodle's participant identifier, with the note in "Feedback comments".

A student without the LMS's id cannot be matched by the LMS: they are left out of its file and named in
``summary.md``.
"""
from __future__ import annotations

import csv
import datetime as dt
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Course

__all__ = ["report", "gradebook_table", "Report", "CANVAS_HEADER", "MOODLE_HEADER"]

# Canvas's gradebook import reads the columns of its own export (canvas-lms, GradebookExporter / the "Import"
# page of the Gradebook; Instructure's guide "How do I import grades in the Gradebook?"): the identity columns
# below, then one column per assignment titled "<name> (<Canvas assignment id>)" (a title without an id creates a
# new assignment), and an optional second row "Points Possible". Canvas turns any other column into an assignment,
# so the notes stay out of this file.
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Moodle's assignment grading worksheet (mod/assign/feedback/offline: importgradeslib.php finds the columns by the
# English strings 'recordid' = "Identifier", core 'grade' = "Grade" and 'lastmodifiedgrade' = "Last modified
# (grade)", and the comments plugin's "Feedback comments"; the identifier is 'hiddenuser' + the participant id,
# "Participant 123", the id Moodle writes in the download's file names). Other columns are read and ignored.
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Grade", "Maximum grade", "Last modified (grade)",
                 "Feedback comments"]


@dataclass
class Report:
    files: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    maxima: dict = field(default_factory=dict)
    assigned: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    """``{student: [note, ...]}``: missing, ungradable and late work."""


def _key(grade_id: str) -> str:
    from ..keys import exercise_key

    return exercise_key(grade_id)


def _key_order(k: str):
    return (0 if k.startswith("ex") else 1, k)


def gradebook_table(course: Course):
    """``(students, exercise_max, section_max, scores, pending)`` from the gradebook.

    ``scores[student][(assignment, exercise key)]`` is the student's points; maxima are per exercise key
    and per assignment; ``pending`` lists ``(student, assignment, grade_id)`` waiting for manual grading.
    (See :func:`_class_table` for the late penalties, due dates and exercise maxima per assignment.)
    """
    t = _class_table(course)
    return t["students"], t["exercise_max"], t["section_max"], t["scores"], t["pending"]


def _class_table(course: Course) -> dict:
    from nbgrader.api import Gradebook

    exercise_max, section_max, scores, penalty = {}, {}, {}, {}
    keys_of, due, submitted = {}, {}, {}
    pending = []  # (student, assignment, grade_id) waiting for a grader
    with Gradebook(course.gradebook_url, course.course_id) as gb:
        students = sorted(s.id for s in gb.students)
        names = {s.id: (s.first_name, s.last_name) for s in gb.students}
        for assignment in gb.assignments:
            due[assignment.name] = assignment.duedate
            keys_of[assignment.name] = {}
            for nb in assignment.notebooks:
                for cell in nb.grade_cells:
                    k = _key(cell.name)
                    keys_of[assignment.name][k] = keys_of[assignment.name].get(k, 0.0) + float(cell.max_score)
                    section_max[assignment.name] = section_max.get(assignment.name, 0.0) + float(cell.max_score)
            for sub in assignment.submissions:
                sid = sub.student.id
                row = scores.setdefault(sid, {})
                submitted.setdefault(assignment.name, set()).add(sid)
                for snb in sub.notebooks:
                    penalty[(sid, assignment.name)] = penalty.get((sid, assignment.name), 0.0) + float(
                        snb.late_submission_penalty or 0.0)
                    for g in snb.grades:
                        pts = g.manual_score if g.manual_score is not None else (g.auto_score or 0.0)
                        key = (assignment.name, _key(g.name))
                        row[key] = row.get(key, 0.0) + float(pts)
                        if g.needs_manual_grade and g.manual_score is None:
                            pending.append((sid, assignment.name, g.name))
    for a, ks in keys_of.items():
        for k, m in ks.items():
            exercise_max[k] = exercise_max.get(k, 0.0) + m
    return dict(students=students, names=names, exercise_max=exercise_max, section_max=section_max, scores=scores,
                pending=pending, penalty=penalty, keys_of=keys_of, due=due, submitted=submitted)


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x - round(x, 2)) < 1e-9 else f"{x:.2f}"


def report(course: Course, out_dir: Path | None = None, pass_fraction: float = 1.0, assignments=None,
           scale: float | None = None, lms=None, canvas_columns: dict | None = None) -> Report:
    """Write ``grades.csv``, the LMS files, ``score_distribution.png``, ``pass_rate_per_exercise.png`` and
    ``summary.md`` (see the module docstring).

    Parameters
    ----------
    assignments : list of str, optional
        The assigned work to report (default: every assignment with a submission or a past due date).
    scale : float, optional
        The LMS files give each assignment out of this many points (default: the assignment's own points).
    lms : iterable of {"canvas", "moodle"}, optional
        Which LMS files to write (default: those some student has an id for).
    canvas_columns : dict, optional
        ``{assignment: Canvas column title}``, e.g. ``{"02-forward-pass": "Forward pass (48213)"}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from .autograde import load_graded
    from .collect import load_ledger

    if not 0 < pass_fraction <= 1:
        raise ValueError(f"pass_fraction must be in (0, 1], got {pass_fraction}")
    if scale is not None and not scale > 0:
        raise ValueError(f"scale must be a positive number of points, got {scale}")
    out = Path(out_dir or course.reports)
    out.mkdir(parents=True, exist_ok=True)
    t = _class_table(course)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if assignments:
        unknown = sorted(set(assignments) - set(t["section_max"]))
        if unknown:
            raise ValueError(f"assignment(s) {unknown} are not in the gradebook (released: {sorted(t['section_max'])})")
        assigned = sorted(set(assignments))
    else:
        assigned = sorted(a for a in t["section_max"]
                          if t["submitted"].get(a) or (t["due"].get(a) is not None and t["due"][a] <= now))
    graded = load_graded(course)
    collected = load_ledger(course)
    exercise_max = {}
    for a in assigned:
        for k, m in t["keys_of"].get(a, {}).items():
            exercise_max[k] = exercise_max.get(k, 0.0) + m
    keys = sorted(exercise_max, key=_key_order)
    practice = [k for k in keys if k.startswith("ex")]
    section_max = {a: t["section_max"][a] for a in assigned}
    columns = ["student", *keys, *assigned, "practice_total", "total", "note"]
    rows, notes, status = [], {}, {}
    for s in t["students"]:
        got = t["scores"].get(s, {})
        row = {"student": s}
        note = []
        for k in keys:
            subs = [a for a in assigned if k in t["keys_of"].get(a, {}) and s in t["submitted"].get(a, ())]
            row[k] = sum(got.get((a, k), 0.0) for a in subs) if subs else None
        for a in assigned:
            if s not in t["submitted"].get(a, ()):
                row[a] = None
                status[(s, a)] = "missing"
                note.append(f"{a}: not submitted")
                continue
            pen = t["penalty"].get((s, a), 0.0)
            row[a] = sum(v for (aa, _), v in got.items() if aa == a) - pen
            info = graded.get(f"{s}/{a}") or {}
            if info.get("status") in ("invalid", "failed"):
                status[(s, a)] = "failed"
                note.append(f"{a}: could not be graded, 0 ({info.get('reason', 'see autograde')})")
            else:
                status[(s, a)] = "graded"
            if pen:
                late = (collected["submissions"].get(f"{s}/{a}") or {})
                note.append(f"{a}: late, -{_fmt(pen)} point(s)" + (" (Canvas LATE)" if late.get("late") else ""))
        row["practice_total"] = sum(row[k] or 0.0 for k in practice)
        row["total"] = sum(row[a] or 0.0 for a in assigned)
        row["note"] = "; ".join(note)
        notes[s] = note
        rows.append(row)
    maxima = {**exercise_max, **section_max, "practice_total": sum(exercise_max[k] for k in practice),
              "total": sum(section_max.values())}
    rep = Report(rows=rows, columns=columns, maxima=maxima, assigned=assigned, notes=notes)

    csv_path = out / "grades.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r["student"]] + ["" if r[c] is None else _fmt(r[c]) for c in columns[1:-1]] + [r["note"]])
    rep.files.append(csv_path)

    # ------------------------------------------------------------------------------------------ LMS files
    students_info = collected["students"]
    sub_info = collected["submissions"]
    if lms is None:
        lms = [name for name, present in (
            ("canvas", any(i.get("canvas_id") for i in students_info.values())),
            ("moodle", any(i.get("moodle_id") for i in sub_info.values()))) if present]
    lms = [x.strip().lower() for x in lms]
    bad = sorted(set(lms) - {"canvas", "moodle"})
    if bad:
        raise ValueError(f"unknown LMS {bad} (canvas, moodle)")

    def lms_score(r, a):
        if r[a] is None:
            return ""
        pts = r[a] if scale is None else r[a] * scale / (section_max[a] or 1.0)
        return _fmt(round(pts, 2))

    left_out = {}
    by_student = {r["student"]: r for r in rows}
    if "canvas" in lms:
        titles = {a: (canvas_columns or {}).get(a, a) for a in assigned}
        path = out / "canvas.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CANVAS_HEADER + [titles[a] for a in assigned])
            w.writerow(["Points Possible", "", "", "", ""] + [_fmt(scale if scale is not None else section_max[a])
                                                               for a in assigned])
            for s in t["students"]:
                info = students_info.get(s, {})
                if not info.get("canvas_id"):
                    left_out.setdefault("canvas", []).append(s)
                    continue
                first, last = t["names"].get(s, (None, None))
                name = info.get("name") or (f"{last}, {first}" if last and first else s)
                w.writerow([name, info["canvas_id"], "", info.get("email") or "", ""]
                           + [lms_score(by_student[s], a) for a in assigned])
        rep.files.append(path)
    if "moodle" in lms:
        stamp = dt.datetime.now().strftime("%A, %d %B %Y, %I:%M %p")
        for a in assigned:
            path = out / f"moodle-{a}.csv"
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(MOODLE_HEADER)
                for s in t["students"]:
                    pid = (sub_info.get(f"{s}/{a}") or {}).get("moodle_id")
                    if not pid:
                        if s in t["submitted"].get(a, ()):
                            left_out.setdefault(f"moodle ({a})", []).append(s)
                        continue
                    info = students_info.get(s, {})
                    note = "; ".join(n.split(": ", 1)[1] for n in notes[s] if n.startswith(f"{a}: "))
                    w.writerow([f"Participant {pid}", info.get("name") or s, info.get("email") or "",
                                lms_score(by_student[s], a),
                                _fmt(scale if scale is not None else section_max[a]), stamp, note])
            rep.files.append(path)

    # ------------------------------------------------------------------------------------------ figures
    total_max = maxima["total"] or 1.0
    pct = [100.0 * r["total"] / total_max for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(pct, bins=[i * 10 for i in range(11)], color="#4477aa", edgecolor="white")
    ax.set_xlabel(f"total score (% of the {total_max:g} points assigned)")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"Score distribution ({len(rows)} students, {len(assigned)} assignment(s))")
    fig.tight_layout()
    dist_path = out / "score_distribution.png"
    fig.savefig(dist_path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    rep.files.append(dist_path)

    def took(k):  # rows of students who submitted an assignment holding exercise k
        return [r for r in rows if r[k] is not None]

    rates = {k: (sum(r[k] >= pass_fraction * exercise_max[k] - 1e-9 for r in took(k)) / len(took(k))
                 if took(k) else 0.0) for k in keys}
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(keys) + 2), 3.5))
    ax.bar(range(len(keys)), [100 * rates[k] for k in keys], color="#228833")
    ax.set_xticks(range(len(keys)), keys, rotation=45)
    ax.set_ylim(0, 100)
    ax.set_ylabel("submitters passing (%)")
    ax.set_title("Pass rate per exercise", fontsize=11)
    ax.set_xlabel(f"exercise (passed: at least {pass_fraction:.0%} of its points)", fontsize=9)
    fig.tight_layout()
    rate_path = out / "pass_rate_per_exercise.png"
    fig.savefig(rate_path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    rep.files.append(rate_path)

    # ------------------------------------------------------------------------------------------ summary
    unassigned = sorted(set(t["section_max"]) - set(assigned))
    lines = ["# Class report", "",
             f"{len(rows)} student(s); {len(assigned)} assignment(s) assigned: {', '.join(assigned) or 'none'}"
             + (f" (not counted: {len(unassigned)} without a submission or a past due date)" if unassigned else "")
             + ".", ""]
    if rows:
        totals = [r["total"] for r in rows]
        lines += [f"Total: mean {statistics.mean(totals):.1f}, median {statistics.median(totals):.1f}, "
                  f"min {_fmt(min(totals))}, max {_fmt(max(totals))} (out of {total_max:g}).", ""]
    lines += ["| assignment | max | submitted | missing | could not be graded | late |",
              "| --- | --- | --- | --- | --- | --- |"]
    for a in assigned:
        n = {x: sum(1 for (s, aa), v in status.items() if aa == a and v == x) for x in ("graded", "failed", "missing")}
        late = sum(1 for (s, aa), p in t["penalty"].items() if aa == a and p)
        lines.append(f"| {a} | {section_max[a]:g} | {n['graded'] + n['failed']} | {n['missing']} | {n['failed']} | "
                     f"{late} |")
    lines += ["", "| exercise | max | mean (submitters) | pass rate |", "| --- | --- | --- | --- |"]
    for k in keys:
        mean = statistics.mean(r[k] for r in took(k)) if took(k) else 0.0
        lines.append(f"| {k} | {exercise_max[k]:g} | {mean:.2f} | {100 * rates[k]:.0f}% |")
    failed = [(s, a) for (s, a), v in sorted(status.items()) if v == "failed"]
    if failed:
        lines += ["", "Could not be graded (recorded as 0; ask for a resubmission):", ""]
        for s, a in failed:
            lines.append(f"- {s} / {a}: {(graded.get(f'{s}/{a}') or {}).get('reason', 'see autograde')}")
    pending = [p for p in t["pending"] if p[1] in assigned]
    if pending:
        cells = sorted({g for _, _, g in pending})
        lines += ["", f"{len(pending)} answer(s) wait for manual grading (cells {', '.join(cells)}); they count 0 "
                      "until graded (formgrader: `jupyter lab` in the working folder, then Nbgrader > Formgrader)."]
    for which, who in sorted(left_out.items()):
        lines += ["", f"Not in the {which} file (no id from that LMS: collect their work from its download, or "
                      f"give a roster with the id): {', '.join(who)}."]
    names = ", ".join(f"`{p.name}`" for p in rep.files)
    lines += ["", f"Files: {names}.", ""]
    md_path = out / "summary.md"
    md_path.write_text("\n".join(lines))
    rep.files.append(md_path)
    return rep
