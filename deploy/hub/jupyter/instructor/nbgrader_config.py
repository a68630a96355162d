# An instructor's nbgrader on the course's hub: the course, its exchange, and the settings `nncourse release` wrote
# into the working folder ($NNCOURSE_HOME/nbgrader_config.py: source, release, gradebook, grading), so that
# formgrader and plain `nbgrader release_assignment` / `release_feedback` act on the same course as `nncourse`.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ.get("NNCOURSE_COURSE_ID", "nncourse")
c.Exchange.root = os.environ.get("NNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
_workdir_config = os.path.join(os.environ.get("NNCOURSE_HOME", ""), "nbgrader_config.py")
if os.environ.get("NNCOURSE_HOME") and os.path.isfile(_workdir_config):
    with open(_workdir_config) as _fh:
        exec(compile(_fh.read(), _workdir_config, "exec"), {"get_config": lambda: c})
    c.CourseDirectory.course_id = os.environ.get("NNCOURSE_COURSE_ID", "nncourse")
    c.Exchange.root = os.environ.get("NNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
