#!/usr/bin/env bash
# Start the course's JupyterHub (as root, after deploy/hub/setup.sh), by default on http://127.0.0.1:8000.
# A trial class on this machine, with a shared password:
#   sudo NNCOURSE_HUB_INSTRUCTORS=teacher NNCOURSE_HUB_LEARNERS=ana,ben NNCOURSE_HUB_PASSWORD=try-it deploy/hub/start.sh
# Without NNCOURSE_HUB_PASSWORD every user logs in with their own system password (PAM). The other settings are
# listed at the top of deploy/hub/jupyterhub_config.py. Stop with Ctrl-C (or SIGTERM).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export NNCOURSE_HUB_PREFIX=${NNCOURSE_HUB_PREFIX:-/opt/nncourse-hub}
if [ ! -x "$NNCOURSE_HUB_PREFIX/venv/bin/jupyterhub" ]; then
  echo "start.sh: no hub in $NNCOURSE_HUB_PREFIX; run deploy/hub/setup.sh first" >&2
  exit 2
fi
export PATH="$NNCOURSE_HUB_PREFIX/node/bin:$PATH"
export NNCOURSE_HUB_STATE=${NNCOURSE_HUB_STATE:-$NNCOURSE_HUB_PREFIX/state}
mkdir -p -m 700 "$NNCOURSE_HUB_STATE"
cd "$NNCOURSE_HUB_STATE"
exec "$NNCOURSE_HUB_PREFIX/venv/bin/jupyterhub" -f "$here/jupyterhub_config.py" "$@"
