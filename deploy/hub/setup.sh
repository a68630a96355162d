#!/usr/bin/env bash
# Install the course's JupyterHub on this machine (run as root; Debian or Ubuntu):
#   * a Python environment built from the system's /usr/bin/python3 (every user's server runs from it, so it must be
#     readable and runnable by all: a Python under /root, e.g. pyenv's, is not), holding JupyterHub, JupyterLab,
#     nbgrader and this course's packages (helpers, grading; installed as a copy, never as a link to this clone);
#   * configurable-http-proxy from npm (on the machine's Node.js);
#   * nbgrader's exchange (a folder everyone may write to, sticky);
#   * the per-role Jupyter configuration (learner, instructor) next to the environment.
# Usage: deploy/hub/setup.sh [--prefix DIR] [--exchange DIR]      (defaults: /opt/nncourse-hub, /srv/nbgrader/exchange)
# Idempotent: the environment is rebuilt only when the course's packages changed. Then start the hub with
# deploy/hub/start.sh (docs/INSTRUCTORS.md, "A JupyterHub for the class").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=${NNCOURSE_HUB_PREFIX:-/opt/nncourse-hub}
exchange=${NNCOURSE_EXCHANGE:-/srv/nbgrader/exchange}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --exchange) exchange=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then echo "setup.sh: run as root (the hub starts every user's server as that user)" >&2; exit 2; fi
umask 022
python=/usr/bin/python3
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi

# 1. the environment (rebuilt when pyproject.toml, helpers/ or grading/ changed)
stamp=$(cd "$repo" && { cat pyproject.toml; find helpers grading -type f -name '*.py' -o -type f -path 'helpers/_data/*' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
mkdir -p "$prefix"
if [ "$(cat "$prefix/venv/.nncourse-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "setup.sh: building $prefix/venv from $python (a few minutes)"
  rm -rf "$prefix/venv"
  "$python" -m venv "$prefix/venv"
  src=$(mktemp -d)
  cp -r "$repo/pyproject.toml" "$repo/README.md" "$repo/helpers" "$repo/grading" "$src/"
  find "$src" -name __pycache__ -prune -exec rm -rf {} +
  "$prefix/venv/bin/pip" install -q --disable-pip-version-check "$src[hub]"
  rm -rf "$src"
  echo "$stamp" > "$prefix/venv/.nncourse-stamp"  # written last: a build that stopped half-way is rebuilt
fi

# 2. configurable-http-proxy (npm)
if ! command -v configurable-http-proxy >/dev/null 2>&1 && [ ! -x "$prefix/node/bin/configurable-http-proxy" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm install --silent --prefix "$prefix/node" -g configurable-http-proxy >/dev/null
fi

# 3. nbgrader's exchange: anyone may create a course folder or a submission in it, no one may remove another's
mkdir -p "$exchange"
chmod 1777 "$exchange"

# 4. per-role Jupyter configuration
rm -rf "$prefix/etc"
mkdir -p "$prefix/etc"
cp -r "$here/jupyter/learner" "$here/jupyter/instructor" "$prefix/etc/"
chmod -R a+rX "$prefix"
echo "setup.sh: ready in $prefix (exchange $exchange); start with: deploy/hub/start.sh"
