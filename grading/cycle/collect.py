"""``nncourse collect``: submissions from a folder, an LMS zip or nbgrader's exchange into nbgrader's submitted layout.

Who submitted a file is read only from what the LMS (or the operating system) wrote, never from text the learner
chose. Four layouts are recognised, file by file:

* **Canvas** ("Download submissions"): ``<sortable name>_[LATE_]<user id>_<attachment id>_<learner's file name>``
  (Canvas's ``ContentZipper#get_filename``: the name is lower-cased with non-word characters removed; ``LATE`` is
  set when Canvas judged the submission late; anonymous grading writes ``anon_<id>`` for the name and user id).
  The learner is the Canvas user id; the learner's own file name only tells which assignment (when a collect is not
  restricted to one).
* **Moodle** ("Download all submissions"), both layouts Moodle writes (``mod_assign\\downloader``):
  one folder per submission, ``<Full Name>_<participant id>_assignsubmission_file[_]/<any file name>`` (the default
  since Moodle 3.1), and flat, ``<Full Name>_<participant id>_assignsubmission_file_<any file name>``. The learner
  is the participant id (Moodle replaces ``_`` in names by spaces, so the fields cannot be forged from the name);
  the full name is recorded for formgrader.
* **nbgrader's exchange** (the hub's inbox, ``<exchange>/<course>/inbound``): one folder per submission,
  ``<user>+<assignment>+<timestamp>+<random>``; the folder must belong to the system user it names (a learner can
  write into the inbox but cannot create a folder owned by someone else), the latest submission of a learner wins,
  and the timestamp nbgrader wrote is kept (checked against the file system: a timestamp earlier than the folder's
  change time is replaced by it).
* **A plain folder** the instructor made: ``<student>_<assignment>.ipynb`` (the name is trusted: the instructor
  named the files).

A roster (``--students``) makes the mapping explicit. It is either a text file of student ids (one per line: the
id an LMS file yields must be on it), or a CSV with a header. Columns (case-insensitive): ``student`` (the id used
in the gradebook), ``name``, ``email``, ``canvas_id``, ``moodle_id``; a Canvas gradebook export (``Student``,
``ID``, ...) and a Moodle grading worksheet (``Identifier``, ``Full name``, ``Last modified (submission)``, ...)
are read as they are. With LMS ids on the roster, a file is matched by its LMS id only; a file whose LMS id or name
matches no roster entry, or two, is reported and not placed. Without a roster the student id is the name the LMS
wrote, made into an id (``smithalice`` for Canvas, ``alice-smith`` for Moodle); two LMS users who give the same id
are both reported and not placed.

Every placed notebook is checked with nbformat at once; an invalid one is placed all the same (autograde records
it as 0 with the reason) and listed in :attr:`CollectResult.invalid` so that a resubmission can be asked for in
time. Each placed submission gets nbgrader's ``timestamp.txt`` when the LMS gave a time (the Moodle worksheet's
"Last modified (submission)", the exchange's timestamp); a Canvas ``LATE`` marker without a time is kept as
``late`` and autograde charges it one day (see :mod:`grading.cycle.late`). A second file for the same learner and
assignment is resolved by the LMS's time (the later wins, the other is reported); without times both are
reported and neither is placed. What collect learned (LMS ids, names, late markers, times, validity) is kept in
``<workdir>/collected.json`` for ``report`` (LMS grade files) and ``autograde`` (late penalties); names and the
Canvas id also go into the gradebook's student table (formgrader shows them).

nbgrader's own ``zip_collect`` handles one assignment per run from a fixed layout and reads the student with a
regular expression over the whole name, which a learner's file name can satisfy; the matching is done here.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..config import Course

__all__ = ["collect", "CollectResult", "Submission", "match_name", "read_roster", "load_ledger", "ledger_path",
           "check_notebook", "NBGRADER_TIMESTAMP"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")
# Canvas: ContentZipper#get_filename and #add_upload_submission
_CANVAS = re.compile(r"^(?:(?P<name>[^/]*?)_)?(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<att>\d+)_(?P<file>.+)$")
_CANVAS_ANON = re.compile(r"^(?:(?P<late>LATE)_)?(?P<uid>anon_[A-Za-z0-9]+)_(?P<att>\d+)_(?P<file>.+)$")
# Moodle: mod_assign\downloader::get_student_prefix and ::load_submissionplugin_filelist
_MOODLE_FLAT = re.compile(r"^(?P<name>[^_/]+)_(?P<pid>\d+)_assignsubmission_file_(?P<file>.+)$")
_MOODLE_DIR = re.compile(r"^(?P<name>[^_/]+)_(?P<pid>\d+)_assignsubmission_file_?$")
# nbgrader's exchange: ExchangeSubmit writes "{student}+{assignment}+{timestamp}+{random}"
_EXCHANGE = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(?:\+(?P<random>[^+]*))?$")
_DUPLICATE = re.compile(r"(?:-\d+| \(\d+\))$")  # LMS duplicate suffixes: "-1" (Canvas), " (2)"
NBGRADER_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f %Z"
"""The format of nbgrader's ``timestamp.txt`` (``nbgrader.utils``: ``parse_utc`` reads it)."""
_CLOCK_SLACK = 120.0  # seconds an exchange timestamp may precede the folder's change time


@dataclass
class Submission:
    """One placed submission and what the LMS said about it."""

    student: str
    assignment: str
    source: str
    lms: str  # "canvas", "moodle", "exchange" or "folder"
    lms_id: str | None = None  # Canvas user id, Moodle participant id, system user
    name: str | None = None  # the learner's full name, when known
    late: bool | None = None  # the LMS's late marker (Canvas)
    timestamp: str | None = None  # UTC, ISO 8601, when the LMS gave a time
    valid: bool = True
    reason: str = ""  # why the notebook is invalid


@dataclass
class CollectResult:
    """``placed``: (student, assignment, source name); ``unplaced``: (source name, reason); ``invalid``: (student,
    assignment, source name, reason) of placed notebooks that are not valid; ``submissions``: :class:`Submission`
    records; ``notes``: lines worth showing (an older copy skipped, a replaced earlier collect, a corrected time)."""

    placed: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)
    invalid: list = field(default_factory=list)
    submissions: list = field(default_factory=list)
    notes: list = field(default_factory=list)


# --------------------------------------------------------------------------------------------- names and rosters

def slug(text: str, sep: str = "-") -> str:
    """An id from a name: ASCII letters and digits, lower case, other runs replaced by ``sep``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def _split_name(full: str | None):
    """(first, last) for nbgrader's student table: "Smith, Alice" or "Alice Smith"."""
    if not full:
        return None, None
    full = full.strip()
    if "," in full:
        last, first = (p.strip() for p in full.split(",", 1))
        return first or None, last or None
    parts = full.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


@dataclass
class _Entry:
    student: str
    name: str | None = None
    email: str | None = None
    canvas_id: str | None = None
    moodle_id: str | None = None
    submitted: str | None = None  # Moodle worksheet: "Last modified (submission)", as UTC ISO


@dataclass
class Roster:
    """Known learners; ``plain`` when the file held bare ids."""

    entries: list
    plain: bool = False

    def ids(self):
        return {e.student for e in self.entries}


def _parse_moodle_time(text: str) -> str | None:
    """A Moodle date ("Monday, 3 March 2025, 10:15 AM", as userdate writes it; the machine's time zone) as UTC ISO."""
    text = (text or "").strip()
    if not text or text == "-":
        return None
    for fmt in ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            local = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return local.astimezone().astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()
    return None


def read_roster(source) -> Roster | None:
    """A :class:`Roster` from a path (text or CSV, see the module docstring) or a set of ids; ``None`` for none."""
    if source is None:
        return None
    if isinstance(source, Roster):
        return source
    if isinstance(source, (set, list, tuple, frozenset)):
        return Roster([_Entry(str(s)) for s in source], plain=True)
    text = Path(source).read_text(encoding="utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines or "," not in lines[0]:
        return Roster([_Entry(ln.strip()) for ln in lines], plain=True)
    rows = list(csv.DictReader(lines))
    head = {h.strip().lower(): h for h in (rows[0].keys() if rows else csv.reader([lines[0]]).__next__())}
    entries = []

    def get(row, *names):
        for n in names:
            if n in head and (row.get(head[n]) or "").strip():
                return row[head[n]].strip()
        return None

    for row in rows:
        if "identifier" in head:  # a Moodle grading worksheet
            ident = get(row, "identifier") or ""
            m = re.search(r"(\d+)\s*$", ident)
            name = get(row, "full name", "name")
            entries.append(_Entry(get(row, "student") or slug(name or ident), name=name,
                                  email=get(row, "email address", "email"),
                                  moodle_id=m.group(1) if m else None,
                                  submitted=_parse_moodle_time(get(row, "last modified (submission)") or "")))
        elif "id" in head and "student" in head and "canvas_id" not in head:  # a Canvas gradebook export
            name = get(row, "student")
            if not name or name.strip().lower() == "points possible" or not get(row, "id"):
                continue
            entries.append(_Entry(slug(name, sep=""), name=name, email=get(row, "sis login id"),
                                  canvas_id=get(row, "id")))
        else:
            sid = get(row, "student")
            if not sid:
                raise ValueError(f"{source}: a roster CSV needs a 'student' column (got {sorted(head)})")
            entries.append(_Entry(sid, name=get(row, "name"), email=get(row, "email"),
                                  canvas_id=get(row, "canvas_id"), moodle_id=get(row, "moodle_id")))
    return Roster(entries)


# --------------------------------------------------------------------------------------------- one file

@dataclass
class _Candidate:
    rel: str
    path: Path
    lms: str
    file_name: str  # the part the learner chose (or the whole name)
    lms_id: str | None = None
    name: str | None = None
    student: str | None = None  # given by the layout (plain folder, exchange)
    late: bool | None = None
    timestamp: str | None = None
    order: int = 0  # LMS upload order (Canvas attachment id)
    assignment: str | None = None


def _classify(rel: str, path: Path) -> _Candidate:
    parts = Path(rel).parts
    for i, part in enumerate(parts[:-1]):
        m = _MOODLE_DIR.match(part)
        if m:
            return _Candidate(rel, path, "moodle", parts[-1], lms_id=m["pid"], name=m["name"].strip())
    base = parts[-1]
    m = _MOODLE_FLAT.match(base)
    if m:
        return _Candidate(rel, path, "moodle", m["file"], lms_id=m["pid"], name=m["name"].strip())
    m = _CANVAS_ANON.match(base) or _CANVAS.match(base)
    if m:
        return _Candidate(rel, path, "canvas", m["file"], lms_id=m["uid"], name=m.groupdict().get("name") or None,
                          late=bool(m["late"]), order=int(m["att"]))
    return _Candidate(rel, path, "folder", base)


def _assignment_of(file_name: str, known, forced):
    """The assignment a learner's file is for: the one named by ``--assignment`` when there is one, else the one its
    name ends with (after an LMS duplicate suffix), else the one its name contains."""
    if forced:
        return forced, None
    if not file_name.endswith(".ipynb"):
        return None, "not a notebook (.ipynb)"
    stem = _DUPLICATE.sub("", file_name[: -len(".ipynb")])
    ordered = sorted(known, key=len, reverse=True)
    for a in ordered:
        if stem.endswith(a):
            return a, None
    for a in ordered:
        if a in stem:
            return a, None
    return None, (f"the name matches no assignment (expected <student>_<assignment>.ipynb, or give --assignment; "
                  f"assignments: {', '.join(sorted(known))})")


def _plain_student(file_name: str, assignment: str):
    stem = _DUPLICATE.sub("", file_name[: -len(".ipynb")])
    prefix = stem[: -len(assignment)].rstrip("_- ") if stem.endswith(assignment) else ""
    fields = [f for f in prefix.split("_") if f]
    if not fields:
        return None, "the name has no student id before the assignment"
    if not _STUDENT_ID.match(fields[0]):
        return None, f"{fields[0]!r} is not a usable student id (letters, digits, '.', '-')"
    return fields[0], None


def _resolve(c: _Candidate, roster: Roster | None):
    """``(student, entry or None)`` for a candidate, or ``(None, reason)``."""
    if c.lms == "folder" or c.lms == "exchange":
        if roster is not None and c.student not in roster.ids():
            return None, f"{c.student!r} is not on the roster"
        entry = next((e for e in roster.entries if e.student == c.student), None) if roster else None
        return c.student, entry
    if c.lms == "canvas":
        derived = slug(c.name, sep="") if c.name else slug(c.lms_id, sep="_")
        id_field = "canvas_id"
    else:
        blind = (c.name or "").strip().lower() in {"participant", ""}
        derived = f"participant-{c.lms_id}" if blind else slug(c.name)
        id_field = "moodle_id"
    if not derived:
        return None, "the LMS part of the name gives no usable id"
    if roster is None:
        return derived, None
    with_ids = [e for e in roster.entries if getattr(e, id_field)]
    if with_ids:
        hits = [e for e in with_ids if getattr(e, id_field) == c.lms_id]
    else:
        hits = [e for e in roster.entries
                if e.student == derived or (e.name and slug(e.name, sep="" if c.lms == "canvas" else "-") == derived)]
    what = f"{c.lms} user {c.lms_id}" if with_ids else f"{derived!r}"
    if not hits:
        return None, f"{what} is not on the roster"
    if len({e.student for e in hits}) > 1:
        return None, f"{what} matches {len(hits)} roster entries ({', '.join(sorted(e.student for e in hits))})"
    return hits[0].student, hits[0]


# --------------------------------------------------------------------------------------------- validation

def check_notebook(path: Path) -> str:
    """``""`` when ``path`` is a valid notebook, else a one-line reason a learner can act on."""
    import nbformat

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror})"
    if not raw.strip():
        return "the file is empty"
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return "the file is not text (not a notebook, or damaged)"
    except nbformat.reader.NotJSONError:
        return "the file is not valid JSON (damaged, or not a notebook)"
    except Exception as exc:  # unknown nbformat version, missing keys...
        return f"not a notebook nbformat can read ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        return f"not a valid notebook ({str(exc).splitlines()[0][:200]})"
    return ""


# --------------------------------------------------------------------------------------------- ledger

def ledger_path(course: Course) -> Path:
    return course.workdir / "collected.json"


def load_ledger(course: Course) -> dict:
    """``{"students": {id: {...}}, "submissions": {"<student>/<assignment>": {...}}}`` (empty when none)."""
    path = ledger_path(course)
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            data.setdefault("students", {})
            data.setdefault("submissions", {})
            return data
        except ValueError:
            pass
    return {"students": {}, "submissions": {}}


def _save_ledger(course: Course, data: dict) -> None:
    path = ledger_path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _read_timestamp(folder: Path) -> str | None:
    """The UTC ISO time of a ``timestamp.txt`` in nbgrader's format, or ``None``."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return None
    try:
        from nbgrader.utils import parse_utc

        return parse_utc(path.read_text().strip()).replace(tzinfo=None).isoformat()
    except Exception:
        return None


def _write_timestamp(folder: Path, iso: str) -> None:
    when = dt.datetime.fromisoformat(iso).replace(tzinfo=dt.timezone.utc)
    (folder / "timestamp.txt").write_text(when.strftime(NBGRADER_TIMESTAMP))


# --------------------------------------------------------------------------------------------- the exchange

def _exchange_inbound(path: Path, course_id: str) -> Path | None:
    """The inbound folder when ``path`` is nbgrader's exchange (its root, the course folder or the inbox)."""
    for cand in (path, path / "inbound", path / course_id / "inbound"):
        if cand.is_dir() and cand.name == "inbound":
            subs = [p for p in cand.iterdir() if p.is_dir()]
            if not subs or all(_EXCHANGE.match(p.name) for p in subs):
                return cand
    return None


def _exchange_candidates(inbound: Path, result: CollectResult) -> list:
    import pwd

    from nbgrader.utils import parse_utc

    out = []
    for folder in sorted(p for p in inbound.iterdir() if p.is_dir()):
        m = _EXCHANGE.match(folder.name)
        if not m:
            result.unplaced.append((folder.name, "not a submission folder of nbgrader's exchange"))
            continue
        st = folder.stat()
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            owner = str(st.st_uid)
        if owner != m["student"]:
            result.unplaced.append((folder.name, f"named for {m['student']!r} but owned by {owner!r}: not placed"))
            continue
        try:
            declared = parse_utc(m["timestamp"]).replace(tzinfo=None)
        except Exception:
            result.unplaced.append((folder.name, f"unreadable timestamp {m['timestamp']!r}"))
            continue
        changed = dt.datetime.fromtimestamp(st.st_ctime, dt.timezone.utc).replace(tzinfo=None)
        when = declared
        if (changed - declared).total_seconds() > _CLOCK_SLACK:
            result.notes.append(f"{folder.name}: the submission says {declared:%Y-%m-%d %H:%M:%S} UTC but the "
                                f"inbox received it at {changed:%Y-%m-%d %H:%M:%S} UTC; the later time is used")
            when = changed
        out.append(_Candidate(folder.name, folder, "exchange", folder.name, lms_id=owner, student=m["student"],
                              timestamp=when.isoformat(), name=_gecos(owner), assignment=m["assignment"]))
    return out


def _gecos(user: str) -> str | None:
    import pwd

    try:
        name = pwd.getpwnam(user).pw_gecos.split(",")[0].strip()
    except KeyError:
        return None
    return name or None


# --------------------------------------------------------------------------------------------- collect

def _skip(rel_parts, name: str) -> bool:
    return ("__MACOSX" in rel_parts or name.startswith(".") or ".ipynb_checkpoints" in rel_parts
            or name.endswith("-checkpoint.ipynb"))


def collect(course: Course, path: Path, assignments=None, students=None, record_gradebook: bool = True
            ) -> CollectResult:
    """Place the notebooks of a folder, a zip or nbgrader's exchange ``path`` into ``course.submitted``.

    ``students``: a roster (a path or a set of ids, see the module docstring); ``assignments``: restrict to these
    (exactly one: every notebook of the source is for it, whatever its name). See the module docstring for the
    layouts and the rules.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such folder or zip: {path}")
    known = set(assignments or course.assignments())
    if not known:
        raise ValueError(f"no assignments found under {course.source}")
    unknown = sorted(set(assignments or []) - set(course.assignments())) if assignments else []
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown} (found under {course.source}: {course.assignments()})")
    forced = next(iter(known)) if assignments and len(known) == 1 else None
    roster = read_roster(students)
    result = CollectResult()
    with tempfile.TemporaryDirectory(prefix="nncourse-collect-") as tmp:
        inbound = _exchange_inbound(path, course.course_id) if path.is_dir() else None
        candidates = []
        if inbound is not None:
            for c in _exchange_candidates(inbound, result):
                if c.assignment not in known:
                    result.unplaced.append((c.rel, f"assignment {c.assignment!r} is not collected here"))
                    continue
                candidates.append(c)
        else:
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
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = str(file.relative_to(root))
                if _skip(Path(rel).parts, file.name):
                    continue
                if file.suffix == ".zip":
                    result.unplaced.append((rel, "nested zip files are not opened"))
                    continue
                c = _classify(rel, file)
                if not c.file_name.endswith(".ipynb"):
                    result.unplaced.append((rel, "not a notebook (.ipynb)"))
                    continue
                a, reason = _assignment_of(c.file_name, known, forced)
                if a is None:
                    result.unplaced.append((rel, reason))
                    continue
                c.assignment = a
                if c.lms == "folder":
                    c.student, reason = _plain_student(c.file_name, a)
                    if c.student is None:
                        result.unplaced.append((rel, reason))
                        continue
                candidates.append(c)
        _place(course, candidates, roster, result)
    if record_gradebook and result.submissions:
        _record_students(course, result)
    return result


def _place(course: Course, candidates: list, roster: Roster | None, result: CollectResult) -> None:
    resolved = []  # (candidate, student, roster entry)
    for c in candidates:
        student, entry = _resolve(c, roster)
        if student is None:
            result.unplaced.append((c.rel, entry))
            continue
        resolved.append((c, student, entry))
    # one student id must come from one LMS user
    owners = {}
    for c, student, _ in resolved:
        owners.setdefault(student, set()).add((c.lms, c.lms_id))
    clash = {s for s, who in owners.items() if len({i for lms, i in who if lms in ("canvas", "moodle")}) > 1}
    groups = {}
    for c, student, entry in resolved:
        if student in clash:
            ids = sorted(i for _, i in owners[student])
            result.unplaced.append((c.rel, f"{student!r} is given by {len(ids)} LMS users (ids {', '.join(ids)}): "
                                           f"not placed; use a roster with LMS ids (--students)"))
            continue
        if entry is not None and entry.submitted and c.timestamp is None:
            c.timestamp = entry.submitted
        groups.setdefault((student, c.assignment), []).append((c, entry))
    ledger = load_ledger(course)
    for (student, assignment), items in sorted(groups.items()):
        if len(items) > 1:
            times = [c.timestamp for c, _ in items]
            if all(times) and len(set(times)) == len(times):
                items.sort(key=lambda it: it[0].timestamp)
                for c, _ in items[:-1]:
                    result.notes.append(f"{c.rel}: an earlier submission of {student} / {assignment} "
                                        f"(kept {items[-1][0].rel}, submitted later)")
                items = items[-1:]
            else:
                names = ", ".join(c.rel for c, _ in items)
                for c, _ in items:
                    result.unplaced.append((c.rel, f"{len(items)} files for {student} / {assignment} and no LMS "
                                                   f"time tells which is the submission ({names}): none placed"))
                continue
        c, entry = items[0]
        dest = course.submitted / student / assignment
        previous = ledger["submissions"].get(f"{student}/{assignment}", {})
        if dest.exists():
            before = previous.get("timestamp") or _read_timestamp(dest)
            if before and c.timestamp and c.timestamp < before:
                result.unplaced.append((c.rel, f"older than the copy of {student} / {assignment} collected before "
                                               f"({c.timestamp} < {before} UTC): not placed"))
                continue
            if previous.get("source") and previous.get("source") != c.rel:
                result.notes.append(f"{c.rel}: replaces the copy of {student} / {assignment} collected before "
                                    f"({previous.get('source')})")
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        if c.lms == "exchange":
            for item in sorted(c.path.rglob("*")):
                rel = item.relative_to(c.path)
                if item.is_dir() or _skip(rel.parts, item.name):
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(item, dest / rel)
            nb_path = dest / f"{assignment}.ipynb"
            if _read_timestamp(dest) != c.timestamp:
                _write_timestamp(dest, c.timestamp)
        else:
            nb_path = dest / f"{assignment}.ipynb"
            shutil.copyfile(c.path, nb_path)
            if c.timestamp:
                _write_timestamp(dest, c.timestamp)
        reason = check_notebook(nb_path) if nb_path.is_file() else f"no {assignment}.ipynb in the submission"
        name = (entry.name if entry is not None and entry.name else None) or c.name
        if c.lms == "moodle" and name and name.strip().lower() == "participant":
            name = None
        sub = Submission(student, assignment, c.rel, c.lms, lms_id=c.lms_id, name=name, late=c.late,
                         timestamp=c.timestamp, valid=not reason, reason=reason)
        result.submissions.append(sub)
        result.placed.append((student, assignment, c.rel))
        if reason:
            result.invalid.append((student, assignment, c.rel, reason))
        info = ledger["students"].setdefault(student, {})
        if name:
            info["name"] = name
        if entry is not None and entry.email:
            info["email"] = entry.email
        if c.lms == "canvas" or (entry is not None and entry.canvas_id):
            info["canvas_id"] = entry.canvas_id if entry is not None and entry.canvas_id else c.lms_id
        if c.lms == "exchange":
            info["user"] = c.lms_id
        record = {k: v for k, v in asdict(sub).items() if k not in ("student", "assignment")}
        if c.lms == "moodle":
            record["moodle_id"] = c.lms_id
        elif entry is not None and entry.moodle_id:
            record["moodle_id"] = entry.moodle_id
        record["collected_at"] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
        ledger["submissions"][f"{student}/{assignment}"] = record
    _save_ledger(course, ledger)


def _record_students(course: Course, result: CollectResult) -> None:
    """Names, e-mail and the Canvas id into nbgrader's student table (formgrader shows "Last, First")."""
    import warnings

    from nbgrader.api import Gradebook

    ledger = load_ledger(course)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        with Gradebook(course.gradebook_url, course.course_id) as gb:
            for student in sorted({s.student for s in result.submissions}):
                info = ledger["students"].get(student, {})
                first, last = _split_name(info.get("name"))
                kw = {k: v for k, v in (("first_name", first), ("last_name", last), ("email", info.get("email")),
                                         ("lms_user_id", info.get("canvas_id"))) if v}
                gb.update_or_create_student(student, **kw)


def match_name(name: str, assignments, roster=None):
    """``(student, assignment)`` for one submitted file name (see the module docstring), or ``(None, reason)``."""
    c = _classify(name, Path(name))
    if not c.file_name.endswith(".ipynb"):
        return None, "not a notebook (.ipynb)"
    a, reason = _assignment_of(c.file_name, set(assignments), None)
    if a is None:
        return None, reason
    c.assignment = a
    if c.lms == "folder":
        c.student, reason = _plain_student(c.file_name, a)
        if c.student is None:
            return None, reason
    student, entry = _resolve(c, read_roster(roster))
    if student is None:
        return None, entry
    return (student, a), None
