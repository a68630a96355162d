r"""Finite-difference gradient checking (section 4.5), used by every backward test in this repo.

The central difference :math:`\frac{f(\theta + \epsilon e_i) - f(\theta - \epsilon e_i)}{2\epsilon}`
has error :math:`O(\epsilon^2)` (the one-sided difference has :math:`O(\epsilon)`), and rounding
adds about :math:`\varepsilon_{mach} |f| / \epsilon`; in float64 with ``eps = 1e-6`` both are near
1e-10 for well-scaled functions, so a correct backward agrees to a relative error far below 1e-7.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "GradCheckReport", "check_gradients"]


def numerical_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference estimate of :math:`\nabla f(\theta)`.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``. It is called with ``theta`` itself, perturbed in place one entry at a time.
    theta : ndarray of float64, any shape
        Restored exactly on return, even if ``f`` raises.
    eps : float
        Step size.

    Returns
    -------
    ndarray of the same shape as ``theta``
    """
    if not isinstance(theta, np.ndarray) or theta.dtype.kind != "f":
        raise TypeError(
            "numerical_gradient: theta must be a float ndarray (it is perturbed in place), "
            f"got {type(theta).__name__} of dtype {getattr(theta, 'dtype', None)}"
        )
    if not eps > 0:
        raise ValueError(f"numerical_gradient: eps must be > 0, got {eps}")
    grad = np.zeros(theta.shape, dtype=np.float64)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        try:
            theta[idx] = old + eps
            f_plus = float(f(theta))
            theta[idx] = old - eps
            f_minus = float(f(theta))
        finally:
            theta[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b) -> float:
    r"""Worst elementwise relative error :math:`\max_i |a_i - b_i| / \max(10^{-8}, |a_i| + |b_i|)`.

    The floor of 1e-8 keeps entries where both gradients are (nearly) zero from dividing by zero.
    Returns 0.0 for empty arrays.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: a has shape {a.shape} but b has shape {b.shape}; they must match")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


class GradCheckReport(NamedTuple):
    """Result of :func:`check_gradients`."""

    max_error: float  #: the worst relative error over all parameters
    worst_param: str  #: the parameter where it occurs
    worst_index: tuple  #: the entry of that parameter with the worst error
    errors: dict  #: relative error per parameter name

    def passed(self, tol: float = 1e-7) -> bool:
        return self.max_error < tol

    def __str__(self) -> str:
        lines = [f"{name:>10s}: relative error {err:.2e}" for name, err in self.errors.items()]
        lines.append(f"worst: {self.worst_param}{list(self.worst_index)} with {self.max_error:.2e}")
        return "\n".join(lines)


def check_gradients(loss: Callable[[], float], params: Mapping[str, np.ndarray],
                    grads: Mapping[str, np.ndarray], eps: float = 1e-6) -> GradCheckReport:
    """Compare analytic gradients with central differences for several named parameters.

    Parameters
    ----------
    loss : callable
        ``loss() -> float``, reading the arrays in ``params`` (which are perturbed in place).
    params : mapping from name to ndarray
    grads : mapping from name to ndarray
        The analytic gradients, same names and shapes.

    Returns
    -------
    GradCheckReport
        The worst relative error, where it is (parameter and index), and the error per parameter.
    """
    if set(params) != set(grads):
        raise ValueError(f"check_gradients: params has {sorted(params)} but grads has {sorted(grads)}")
    errors, worst = {}, (-1.0, "", ())
    for name, theta in params.items():
        g = np.asarray(grads[name], dtype=np.float64)
        if g.shape != theta.shape:
            raise ValueError(f"check_gradients: grads[{name!r}] has shape {g.shape}, expected {theta.shape}")
        num = numerical_gradient(lambda _t: loss(), theta, eps)
        per_entry = np.abs(num - g) / np.maximum(1e-8, np.abs(num) + np.abs(g))
        errors[name] = float(per_entry.max()) if per_entry.size else 0.0
        if per_entry.size and errors[name] > worst[0]:
            worst = (errors[name], name, tuple(int(i) for i in np.unravel_index(per_entry.argmax(), per_entry.shape)))
    return GradCheckReport(max(worst[0], 0.0), worst[1], worst[2], errors)
