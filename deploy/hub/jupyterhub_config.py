# The course's JupyterHub: every user a real system account, each server started as that user from the hub's
# environment (deploy/hub/setup.sh), nbgrader's exchange shared by the class.
#
#   learners:    JupyterLab with nbgrader's Assignments panel (fetch, submit, fetch feedback) and Validate button;
#                no formgrader, no Create Assignment, no Course List (deploy/hub/jupyter/learner/).
#   instructors: JupyterLab with every nbgrader tool; formgrader and nbgrader's release/collect commands act on the
#                course working folder $NNCOURSE_HOME (default ~/nn-course/instructor, see
#                deploy/hub/jupyter/instructor/nbgrader_config.py).
#
# nbgrader knows a learner by the uid of their server's process, and the exchange checks who owns a submission:
# so the spawner must run each user as themselves (LocalProcessSpawner as root does), never everyone as one account.
# Settings come from the environment (deploy/hub/start.sh sets the defaults):
#
#   NNCOURSE_HUB_PREFIX       where setup.sh installed the hub (venv/, etc/, node/)       /opt/nncourse-hub
#   NNCOURSE_HUB_STATE        the hub's database, cookie secret, proxy pid               $PREFIX/state
#   NNCOURSE_HUB_IP / _PORT   where the hub listens                                      127.0.0.1 / 8000
#   NNCOURSE_HUB_INSTRUCTORS  system users who teach (comma-separated)                   (none)
#   NNCOURSE_HUB_LEARNERS     system users who learn (comma-separated)                   (none)
#   NNCOURSE_HUB_PASSWORD     a shared password for a trial class (JupyterHub's dummy authenticator);
#                             unset: PAM, every user's own system password
#   NNCOURSE_EXCHANGE         nbgrader's exchange                                        /srv/nbgrader/exchange
#   NNCOURSE_COURSE_ID        nbgrader's course id                                       nncourse
#   NNCOURSE_HUB_COURSE_DIR   the instructor's clone of the course, relative to home     nn-course
import os
import pwd
import shutil

c = get_config()  # noqa: F821

prefix = os.environ.get("NNCOURSE_HUB_PREFIX", "/opt/nncourse-hub")
state = os.environ.get("NNCOURSE_HUB_STATE", os.path.join(prefix, "state"))
exchange = os.environ.get("NNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
course_id = os.environ.get("NNCOURSE_COURSE_ID", "nncourse")
course_dir = os.environ.get("NNCOURSE_HUB_COURSE_DIR", "nn-course")


def _users(name):
    return {u.strip() for u in os.environ.get(name, "").split(",") if u.strip()}


instructors = _users("NNCOURSE_HUB_INSTRUCTORS")
learners = _users("NNCOURSE_HUB_LEARNERS") - instructors

os.makedirs(state, mode=0o700, exist_ok=True)
c.JupyterHub.bind_url = f"http://{os.environ.get('NNCOURSE_HUB_IP', '127.0.0.1')}:{os.environ.get('NNCOURSE_HUB_PORT', '8000')}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("NNCOURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('NNCOURSE_HUB_PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{os.path.join(state, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
chp = shutil.which("configurable-http-proxy") or os.path.join(prefix, "node", "bin", "configurable-http-proxy")
c.ConfigurableHTTPProxy.command = [chp]

# who may log in
c.Authenticator.allowed_users = instructors | learners
if os.environ.get("NNCOURSE_HUB_PASSWORD"):  # a trial class on this machine only
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["NNCOURSE_HUB_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"

# each user's server: their own uid, from the hub's environment, in JupyterLab
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(prefix, "venv", "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120


def _pre_spawn(spawner):
    """The role's Jupyter configuration and the course's settings in the user's environment."""
    name = spawner.user.name
    home = pwd.getpwnam(name).pw_dir
    role = "instructor" if name in instructors else "learner"
    env = spawner.environment
    env["JUPYTER_CONFIG_PATH"] = os.path.join(prefix, "etc", role)
    env["NNCOURSE_EXCHANGE"] = exchange
    env["NNCOURSE_COURSE_ID"] = course_id
    env["PATH"] = os.path.join(prefix, "venv", "bin") + ":/usr/local/bin:/usr/bin:/bin"
    env["MPLBACKEND"] = "Agg"
    if role == "instructor":
        env["NNCOURSE_HOME"] = os.path.join(home, course_dir, "instructor")
    spawner.log.info("nncourse: %s starts as %s", name, role)


c.Spawner.pre_spawn_hook = _pre_spawn
