"""``grading.compat``: importing the pipeline does not build jsonschema's IRI grammar, and IRI checks still
give the real package's answers. Each case runs in a fresh interpreter, since the point is what gets imported."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

SAMPLES = ["http://example.com/ä?q=1#frag", "not an iri", "//host/path?q#f", "a b", "mailto:someone@example.org",
           "http://[::1]:80/", "http://exa mple.com", "", "urn:isbn:0451450523", "http://%zz"]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_CHECK = f"""
import json, sys
import jsonschema
fc = jsonschema.FormatChecker()
answers = [[fc.conforms(v, "iri"), fc.conforms(v, "iri-reference")] for v in {SAMPLES!r}]
print(json.dumps({{"answers": answers, "real": type(sys.modules["rfc3987_syntax"]).__name__}}))
"""


def test_importing_the_pipeline_and_nbformat_does_not_build_the_grammar():
    got = _run("import json, sys, grading, nbformat, nbgrader.api\n"
               "print(json.dumps({'lark': 'lark' in sys.modules,"
               " 'stand_in': type(sys.modules['rfc3987_syntax']).__name__}))")
    assert got == {"lark": False, "stand_in": "_Deferred"}


def test_iri_checks_answer_as_the_real_package_does():
    plain = _run(_CHECK)
    deferred = _run("import grading\n" + _CHECK)
    assert plain["real"] == "module" and deferred["real"] == "module"  # the real package took its place
    assert deferred["answers"] == plain["answers"]
    assert {tuple(a) for a in plain["answers"]} >= {(True, True), (False, False)}  # the samples discriminate


def test_other_names_and_submodules_still_resolve():
    got = _run("import json, grading, rfc3987_syntax, rfc3987_syntax.utils\n"
               "print(json.dumps({'parse': callable(rfc3987_syntax.parse),"
               " 'loader': callable(rfc3987_syntax.utils.load_grammar),"
               " 'valid': rfc3987_syntax.is_valid_syntax('iri', 'http://example.com/')}))")
    assert got == {"parse": True, "loader": True, "valid": True}


def test_does_nothing_when_jsonschema_is_already_imported():
    got = _run("import json, sys, jsonschema\n"
               "from grading.compat import defer_iri_grammar\n"
               "print(json.dumps({'installed': defer_iri_grammar(),"
               " 'kind': type(sys.modules['rfc3987_syntax']).__name__}))")
    assert got == {"installed": False, "kind": "module"}
