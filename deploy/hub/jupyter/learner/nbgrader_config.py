# A learner's nbgrader on the course's hub: the course and its exchange (set by deploy/hub/jupyterhub_config.py).
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ.get("NNCOURSE_COURSE_ID", "nncourse")
c.Exchange.root = os.environ.get("NNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
