"""Where things live, and the nbgrader configuration of the course.

nbgrader 0.9.6 builds every path as ``os.path.join(root, "{nbgrader_step}/{student_id}/{assignment_id}")``, and
``os.path.join`` drops ``root`` when a step is an absolute path. So the course directory is:

* ``root``: the instructor working directory (outside version control): ``submitted/``, ``autograded/``,
  ``feedback/``, ``reports/``, ``gradebook.db`` live there;
* ``source_directory``: the absolute path of the repository's ``solutions/``;
* ``release_directory``: the absolute path of the repository's ``notebooks/``.

No symlinks, nothing copied: ``nbgrader`` reads the sources in place and writes the release in place.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from traitlets.config import Config

__all__ = ["Course", "sqlalchemy_url", "find_repo", "nbgrader_config", "write_nbgrader_config", "workdir_config",
           "ENV_HOME", "ENV_SANDBOX", "DEFAULT_TIMEOUT"]

ENV_HOME = "NNCOURSE_HOME"
"""Environment variable that overrides the instructor working directory."""

ENV_SANDBOX = "NNCOURSE_SANDBOX"
"""``off`` in this environment variable lets plain nbgrader in the instructor folder grade without the sandbox
(:func:`workdir_config`); the counterpart of ``nncourse autograde --sandbox off``."""

DEFAULT_TIMEOUT = 30
"""Seconds a single cell may run during autograding before the kernel is interrupted."""


def find_repo(start: Path | None = None) -> Path:
    """The course repository: the first folder, from ``start`` (default: cwd) upwards, holding
    ``pyproject.toml`` and ``solutions/``; failing that, the folder that holds this package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "solutions").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


def sqlalchemy_url(url: str) -> str:
    """A PostgreSQL URL with a driver that is installed.

    ``postgresql://...`` (or ``postgres://...``) without a driver means psycopg2 to SQLAlchemy < 2.1 and
    psycopg 3 to SQLAlchemy >= 2.1; the course installs psycopg 3, so a bare URL is pointed at whichever
    of the two is importable (psycopg 3 first). URLs that name a driver, and other databases, are unchanged.
    """
    import importlib.util

    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            rest = url[len(bare):]
            for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
                if importlib.util.find_spec(module) is not None:
                    return f"postgresql+{driver}://{rest}"
            return f"postgresql://{rest}"
    return url


@dataclass(frozen=True)
class Course:
    """The folders of one course and the settings nbgrader needs.

    Parameters
    ----------
    source : Path
        nbgrader's source directory (the repository's ``solutions/``), one folder per assignment.
    release : Path
        nbgrader's release directory (the repository's ``notebooks/``).
    workdir : Path
        The instructor working directory: submissions, autograded copies, feedback, gradebook, reports.
    db_url : str or None
        SQLAlchemy URL of the gradebook; ``None`` means ``sqlite:///<workdir>/gradebook.db``.
    timeout : int
        Per-cell execution timeout in seconds (``Execute.timeout``).
    """

    source: Path
    release: Path
    workdir: Path
    db_url: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    course_id: str = field(default="nncourse")
    sandbox: object = None
    """``None``: kernels run as the grader (trusted notebooks only); a :class:`grading.sandbox.Limits`: autograde
    runs every kernel in the grading sandbox with those limits (see docs/SECURITY.md)."""
    late_penalty: tuple = (0.10, 0.50)
    """(fraction of the score taken per started day late, largest fraction taken): nbgrader's late-penalty plugin
    of the course (:class:`grading.cycle.late.DailyLatePenalty`); late is measured from the gradebook's due date."""

    @classmethod
    def from_repo(cls, repo: Path | str | None = None, workdir: Path | str | None = None,
                  db_url: str | None = None, timeout: int | None = None) -> "Course":
        """The course of a repository; ``workdir`` defaults to ``$NNCOURSE_HOME``, then ``<repo>/instructor``."""
        repo = Path(repo).resolve() if repo else find_repo()
        if workdir is None:
            workdir = os.environ.get(ENV_HOME) or repo / "instructor"
        return cls(source=repo / "solutions", release=repo / "notebooks", workdir=Path(workdir).resolve(),
                   db_url=db_url, timeout=DEFAULT_TIMEOUT if timeout is None else int(timeout))

    def __post_init__(self):
        for name in ("source", "release", "workdir"):
            object.__setattr__(self, name, Path(getattr(self, name)).resolve())
        if int(self.timeout) <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout!r}")

    def with_(self, **changes) -> "Course":
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def gradebook_url(self) -> str:
        """The SQLAlchemy URL of the gradebook (see :func:`sqlalchemy_url` for PostgreSQL URLs)."""
        return sqlalchemy_url(self.db_url) if self.db_url else f"sqlite:///{self.workdir / 'gradebook.db'}"

    @property
    def submitted(self) -> Path:
        return self.workdir / "submitted"

    @property
    def autograded(self) -> Path:
        return self.workdir / "autograded"

    @property
    def feedback(self) -> Path:
        return self.workdir / "feedback"

    @property
    def reports(self) -> Path:
        return self.workdir / "reports"

    def assignments(self) -> list[str]:
        """Every assignment with a source notebook ``<source>/<id>/<id>.ipynb``, sorted."""
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir()
                      if p.is_dir() and (p / f"{p.name}.ipynb").is_file())

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"


def nbgrader_config(course: Course, **overrides) -> Config:
    """The traitlets ``Config`` every nbgrader app of the pipeline runs with.

    ``overrides`` are ``"Section.trait": value`` pairs applied last (used by the parallel workers to
    point ``root`` and ``db_url`` at a private copy).
    """
    from .cycle.hidden_output import HideHiddenTestOutput  # noqa: local import keeps `grading.config` light
    from .kernels import UnixSocketKernelManager
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor

    c = Config()
    c.CourseDirectory.root = str(course.workdir)
    c.CourseDirectory.source_directory = str(course.source)
    c.CourseDirectory.release_directory = str(course.release)
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = course.gradebook_url
    c.CourseDirectory.course_id = course.course_id
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
    c.Execute.timeout = int(course.timeout)
    c.Execute.interrupt_on_timeout = True
    # every output is in by the time the last cell is done: stop the kernel at once instead of asking it to shut
    # down (0.4 to 0.5 s per notebook; ipykernel 7.4 can also deadlock on a graceful shutdown, see sandbox.py)
    c.Execute.shutdown_kernel = "immediate"
    c.Execute.kernel_manager_class = UnixSocketKernelManager  # no TCP port races between kernels (kernels.py)
    c.OverwriteCells.add_missing_cells = True
    # release: each stub names its function and says what to do; test cells get the `raises-exception` tag so
    # that Run All goes past them (both inside generate_assignment, so the gradebook's checksums are the release's)
    from .cycle.release import generate_assignment_preprocessors  # noqa: local import keeps `grading.config` light

    c.ClearSolutions.code_stub = {"python": '# YOUR CODE HERE\nraise NotImplementedError("write your answer in this '
                                            'cell (replace this line), then run it and the tests below")'}
    c.GenerateAssignment.preprocessors = generate_assignment_preprocessors()
    # feedback: grades, then the guard against hidden-test leaks, then nbgrader's own hidden-test removal
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestOutput, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    # learner output is inert in every page nbconvert renders: the feedback HTML (its own exporter: sanitized
    # outputs and markdown, a Content-Security-Policy) and formgrader's submission page (formgrader builds a plain
    # HTMLExporter from this configuration: the same sanitizer and markdown filter); see grading/cycle/inert.py
    from .cycle.inert import InertFeedbackExporter, InertOutputs, markdown2html  # noqa: local import

    c.GenerateFeedback.exporter_class = InertFeedbackExporter
    c.HTMLExporter.preprocessors = [InertOutputs]
    c.HTMLExporter.filters = {"markdown2html": markdown2html}
    c.ExecutePreprocessor.kernel_name = "python3"
    # autograde: the tests run in the trusted checker (always); the kernel in the sandbox when the course says so
    from .checker.execute import configure  # noqa: local import keeps `grading.config` light

    configure(c, course.sandbox)
    # late work: a fraction of the score per started day after the due date, capped (grading/cycle/late.py)
    from .cycle.late import DailyLatePenalty  # noqa: local import keeps `grading.config` light

    c.AssignLatePenalties.plugin_class = DailyLatePenalty
    c.DailyLatePenalty.per_day, c.DailyLatePenalty.cap = (float(x) for x in course.late_penalty)
    for key, value in overrides.items():
        section, trait = key.rsplit(".", 1)
        setattr(getattr(c, section), trait, value)
    return c


def workdir_config(course: Course) -> Config:
    """The configuration of plain nbgrader in the instructor folder (its ``nbgrader_config.py``): the pipeline's,
    with every kernel in the grading sandbox (default :class:`grading.sandbox.Limits` unless ``course.sandbox``
    says otherwise), so that ``nbgrader autograde`` there and formgrader's Autograde button grade exactly as
    ``nncourse autograde`` does. Where the sandbox cannot run, autograde there refuses with the reason and points
    to ``nncourse autograde``; ``NNCOURSE_SANDBOX=off`` grades without it on purpose (tests in the checker still)."""
    import sys

    from .sandbox.manager import Limits, RefuseUnsandboxed, available

    if os.environ.get(ENV_SANDBOX, "").lower() == "off":
        print(f"nbgrader_config.py: WARNING: {ENV_SANDBOX}=off: autograde runs learners' code WITHOUT the grading "
              "sandbox, with your rights", file=sys.stderr, flush=True)
        return nbgrader_config(course.with_(sandbox=None))
    ok, why = available()
    if ok:
        return nbgrader_config(course.with_(sandbox=course.sandbox or Limits()))
    c = nbgrader_config(course.with_(sandbox=None))
    c.Autograde.autograde_preprocessors = [RefuseUnsandboxed]
    c.RefuseUnsandboxed.reason = why
    return c


CONFIG_TEMPLATE = '''\
# Written by `nncourse`: the same settings as the pipeline, for running plain nbgrader in this folder
# (for example `cd {workdir} && nbgrader autograde 02-forward-pass`, or formgrader in `jupyter lab` started here).
# Autograde here runs the tests in the trusted checker and every kernel in the grading sandbox, as
# `nncourse autograde` does; where the sandbox cannot run (no bubblewrap, not root) it refuses: use
# `nncourse autograde` (docs/SECURITY.md).
from grading.config import Course, workdir_config
c = get_config()  # noqa: F821
c.merge(workdir_config(Course(source={source!r}, release={release!r}, workdir={workdir!r},
                              db_url={db_url!r}, timeout={timeout!r})))
'''


def write_nbgrader_config(course: Course) -> Path:
    """Write ``<workdir>/nbgrader_config.py`` so that plain ``nbgrader`` commands run in the workdir
    use the pipeline's settings; returns its path."""
    course.workdir.mkdir(parents=True, exist_ok=True)
    path = course.workdir / "nbgrader_config.py"
    text = CONFIG_TEMPLATE.format(source=str(course.source), release=str(course.release),
                                  workdir=str(course.workdir), db_url=course.db_url, timeout=course.timeout)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
