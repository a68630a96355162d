"""helpers.checks: the messages test cells show, and the guard against delegating to the reference."""
from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers import checks
from helpers import forward as F


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


@pytest.mark.parametrize("style", ["module attribute", "alias imported before", "import inside"])
def test_wrappers_around_the_reference_are_flagged(style):
    from helpers.forward import affine_forward as kept_alias

    if style == "module attribute":
        def affine_forward(X, W, b):
            return F.affine_forward(X, W, b)
    elif style == "alias imported before":
        def affine_forward(X, W, b):
            return kept_alias(X, W, b)
    else:
        def affine_forward(X, W, b):
            from helpers import affine_forward as ref
            return ref(X, W, b)

    with pytest.raises(AssertionError, match="calls the course's reference `affine_forward`"):
        checks.check_not_delegating(affine_forward, "affine_forward", call=lambda f: f(*_args()))


def test_reference_is_restored_after_the_check_even_on_failure():
    X, W, b = _args()
    expected = X @ W.T + b

    def wrapper(X, W, b):
        return F.affine_forward(X, W, b)

    with pytest.raises(AssertionError):
        checks.check_not_delegating(wrapper, "affine_forward", call=lambda f: f(X, W, b))
    np.testing.assert_allclose(helpers.affine_forward(X, W, b), expected)
    np.testing.assert_allclose(F.two_layer_forward(X, W.T @ W, np.zeros(3), W, b), F.two_layer_forward(X, W.T @ W, np.zeros(3), W, b))


def test_internal_uses_fail_inside_the_block():
    """Reference values must be computed before the block: inside it, even internal calls are stubbed."""
    X, W, b = _args()
    layers = [F.Layer(np.eye(3), np.zeros(3)), F.Layer(W, b)]
    with checks.reference_unavailable("affine_forward"):
        with pytest.raises(AssertionError):
            F.mlp_forward(X, layers)
    assert F.mlp_forward(X, layers)[0].shape == (4, 2)


def test_closures_in_the_package_are_replaced_too(monkeypatch):
    """A reference that is a closure cannot take the stub's code object; its module attribute is swapped instead."""
    def make():
        scale = 2.0

        def doubled(x):
            return scale * x
        return doubled

    monkeypatch.setattr(F, "doubled", make(), raising=False)
    with checks.reference_unavailable("doubled"):
        with pytest.raises(AssertionError, match="calls the course's reference `doubled`"):
            F.doubled(1.0)
    assert F.doubled(1.0) == 2.0
