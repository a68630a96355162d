"""helpers.checks: the messages test cells show, and the identity check against the reference (the grading kernel's
stubs, tested in tests/test_checker.py, do the rest)."""
from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers import checks


def test_assert_close_passes_within_tolerance_and_names_the_worst_entry():
    checks.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), what="Z")
    with pytest.raises(AssertionError, match=r"(?s)Z is wrong at index \[1\]: got 2.5, expected 2.0.*Hint: subtract the max") as info:
        checks.assert_close(np.array([1.0, 2.5]), np.array([1.0, 2.0]), what="Z", hint="subtract the max")
    assert "1 of 2 entries differ" in str(info.value)


def test_assert_close_reports_shape_nan_and_dtype_problems():
    with pytest.raises(AssertionError, match=r"has shape \(2, 3\), expected \(3, 2\)"):
        checks.assert_close(np.zeros((2, 3)), np.zeros((3, 2)), what="Z")
    with pytest.raises(AssertionError, match="nan or inf"):
        checks.assert_close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), what="p")
    with pytest.raises(AssertionError, match="should be numbers"):
        checks.assert_close(None, np.array([0.0]), what="p")


def test_expect_and_assert_shape():
    checks.expect(True, "never shown")
    with pytest.raises(AssertionError, match="the message"):
        checks.expect(False, "the message")
    checks.assert_shape(np.zeros((2, 3)), (2, 3), "Z")
    with pytest.raises(AssertionError, match=r"Z has shape \(3,\), expected \(2, 3\)"):
        checks.assert_shape(np.zeros(3), (2, 3), "Z")


def _args():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)


def test_own_implementation_is_not_flagged():
    def affine_forward(X, W, b):
        return np.einsum("bi,oi->bo", X, W) + b

    checks.check_not_delegating(affine_forward, "affine_forward", call=lambda f: f(*_args()))


def test_the_reference_itself_is_flagged():
    with pytest.raises(AssertionError, match="reference implementation"):
        checks.check_not_delegating(helpers.affine_forward, "affine_forward")


def test_the_call_runs_the_hidden_checks():
    seen = []
    checks.check_not_delegating(lambda x: x, "relu", call=lambda f: seen.append(f(3)))
    assert seen == [3]
