"""The project files agree with each other: README commands, .ci/run, pyproject.toml and environment.yml."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            r = Requirement(dep)
            reqs[r.name.lower()] = r
    return reqs


def test_environment_yml_lists_every_dependency_with_the_same_bounds():
    """Every runtime and test dependency of pyproject.toml is in environment.yml with the same version bounds."""
    project = _pyproject()["project"]
    wanted = [Requirement(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]]
    conda = _conda_requirements()
    for req in wanted:
        name = req.name.lower()
        assert name in conda, f"environment.yml lacks {req} (it is in pyproject.toml)"
        assert conda[name].specifier == req.specifier, (
            f"{name}: environment.yml says '{conda[name].specifier}', pyproject.toml says '{req.specifier}'"
        )
    extra = set(conda) - {r.name.lower() for r in wanted}
    assert not extra, f"environment.yml has packages pyproject.toml does not: {sorted(extra)}"


def _readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_has_the_two_quickstart_commands():
    """One command sets up and opens the course; one sets up and runs the tests."""
    cmds = _readme_commands()
    assert any("nncourse lab" in c and "pip install -e ." in c for c in cmds), cmds
    assert any("pytest" in c and "[test]" in c for c in cmds), cmds


def test_ci_runs_the_readme_test_command():
    """.ci/run runs the README's test command, with only the venv folder and pip's -q changed."""
    readme = next(c for c in _readme_commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    ci_line = next(line for line in ci.splitlines() if "pytest" in line and not line.lstrip().startswith("#"))
    normalized = ci_line.replace('"$venv"', ".venv").replace("$venv/bin/activate", ".venv/bin/activate")
    normalized = normalized.replace('". .venv/bin/activate"', ". .venv/bin/activate").replace(" -q", "")
    normalized = normalized.replace('. ".venv/bin/activate"', ". .venv/bin/activate")
    assert normalized.strip() == readme.strip(), f"README: {readme!r}\n.ci/run: {ci_line!r}"


def test_ci_script_fails_on_any_error():
    """.ci/run stops at the first failing command (pytest's exit 5, no tests collected, included)."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert "|| true" not in next(line for line in ci.splitlines() if "pytest" in line)


def test_the_checklist_rubric_is_the_same_for_learners_and_graders():
    """Section 10's hand-graded checklist: the rubric the learner reads in the notebook and the one in
    docs/INSTRUCTORS.md give the same points to the same five criteria."""
    import nbformat

    def criteria(text):
        return re.findall(r"^\| (\d) \| \*\*([^*]+)\*\*", text, flags=re.M)

    nb = nbformat.read(ROOT / "solutions" / "10-diagnostics" / "10-diagnostics.ipynb", as_version=4)
    in_notebook = [c for cell in nb.cells if cell.cell_type == "markdown" for c in criteria(cell.source)]
    in_guide = criteria((ROOT / "docs" / "INSTRUCTORS.md").read_text())
    assert len(in_notebook) == 5 and in_notebook == in_guide
    points = [c.metadata.nbgrader.get("points") for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "s10-checklist"]
    assert points == [sum(int(p) for p, _ in in_guide)]
