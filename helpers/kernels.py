r"""Labs 11 and 12: the kernel regime, and what happens at infinite width.

The two-layer network of both labs is

.. math::
    f(x) = s\,a^\top \phi(Wx/\sqrt d), \qquad s = N^{-1/2}\ \text{(NTK scaling)}\ \text{or}\ s = N^{-1}\
    \text{(mean-field scaling)},

with inputs ``X`` of shape ``(B, d)``, first-layer weights ``W`` of shape ``(N, d)`` and readout ``a`` of shape
``(N,)``; ``phi`` is ReLU unless an ``activation`` argument says ``"tanh"``. Training minimizes
:math:`L = \frac{1}{2n}\sum_i (\alpha f(x_i) - y_i)^2` by full-batch gradient descent on ``W`` and ``a``
(``alpha = 1`` except in Chizat's lazy-versus-rich experiment).

Lab 11 (the kernel regime):

* the empirical neural tangent kernel :math:`\Theta(x, x') = \nabla_\theta f(x)^\top \nabla_\theta f(x')`
  (:func:`ntk_jacobian`, :func:`empirical_ntk`) and its infinite-width limit (:func:`ntk_relu_infinite`, built
  from the arc-cosine kernels of :func:`arccos_kernel`);
* function-space gradient descent with a fixed kernel (:func:`kernel_gd_predict`) and kernel ridge regression
  (:func:`kernel_ridge_predict`);
* the reproductions: how far wide networks move (:func:`movement_experiment`), a wide network against its
  linearization and against kernel gradient descent (:func:`linearization_experiment`), and the output scale
  :math:`\alpha` switching between lazy and rich training (:func:`lazy_rich_experiment`).

Lab 12 (infinite width):

* El Karoui's linearization of an inner-product kernel in high dimension (:func:`el_karoui_kernel`,
  :func:`el_karoui_experiment`);
* the polynomial staircase of kernel ridge regression, measured with normalized Hermite polynomials
  (:func:`hermite`, :func:`hermite_coefficients`, :func:`staircase_experiment`);
* random features converging to kernel ridge regression (:func:`relu_random_features`,
  :func:`random_features_ridge`, :func:`rf_vs_krr_experiment`);
* the ReLU NNGP recursion of Cho and Saul (:func:`nngp_relu`) against finite networks sampled exactly
  (:func:`nngp_monte_carlo`, :func:`nngp_experiment`);
* the depth-to-width law :math:`\mathrm{Var}\log\lVert h_L\rVert^2 \approx 5L/N` (:func:`log_norm_samples`,
  :func:`depth_width_experiment`).

Every experiment takes a ``seed`` and builds its own ``numpy.random.default_rng(seed)``; the notebooks assert its
claims on seed 0 and ``tests/test_labs.py`` on seeds 0 to 4.
"""
from __future__ import annotations

import math
from numbers import Integral
from typing import Callable, NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_int, check_rng, check_same_columns

__all__ = ["ACTIVATIONS", "init_two_layer", "two_layer_output", "two_layer_loss_grads", "Trained",
           "train_two_layer", "ntk_jacobian", "empirical_ntk", "arccos_kernel", "ntk_relu_infinite",
           "kernel_gd_predict", "kernel_ridge_predict", "loglog_slope", "relative_rms", "sphere_points",
           "circle_inputs", "Movement", "movement_experiment", "Linearization", "linearization_experiment",
           "LazyRich", "lazy_rich_experiment", "el_karoui_kernel", "ElKaroui", "el_karoui_experiment", "hermite",
           "staircase_target", "hermite_coefficients", "Staircase", "staircase_experiment",
           "relu_random_features", "random_features_ridge", "RFvsKRR", "rf_vs_krr_experiment", "nngp_relu",
           "nngp_monte_carlo", "NNGPCheck", "nngp_experiment", "log_norm_samples", "DepthWidth",
           "depth_width_experiment"]


# ---------------------------------------------------------------------------------------------
# the two-layer network


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_grad(z):
    return (z > 0).astype(np.float64)


def _tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {"relu": (_relu, _relu_grad), "tanh": (np.tanh, _tanh_grad)}
"""``name -> (phi, phi')``; ReLU's derivative is taken as 0 at 0."""


def _activation(name, fn: str) -> tuple[Callable, Callable]:
    if name not in ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def _check_net(X, W, a, fn: str, xname: str = "X"):
    """Validate ``X (B, d)``, ``W (N, d)``, ``a (N,)`` and return them as float64 arrays."""
    X = as_float_array(X, xname, fn, ndim=2)
    W = as_float_array(W, "W", fn, ndim=2)
    a = as_float_array(a, "a", fn, ndim=1)
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"{fn}: W has shape {W.shape} but {xname} has shape {X.shape}; W must be (N, d) with "
                         f"d = {X.shape[1]}")
    if a.shape != (W.shape[0],):
        raise ValueError(f"{fn}: a has shape {a.shape}, expected (N,) = ({W.shape[0]},) to match W {W.shape}")
    return X, W, a


def _scale(scale, N: int, fn: str) -> float:
    if scale is None:
        return 1.0 / math.sqrt(N)
    return check_positive(scale, "scale", fn)


def init_two_layer(d: int, N: int, rng: np.random.Generator, symmetric: bool = False):
    r"""Standard normal weights ``W (N, d)`` and readout ``a (N,)``.

    With ``symmetric=True`` the second half of the neurons copies the first half with the readout's sign
    flipped (``W = [W'; W']``, ``a = [a'; -a']``), so :math:`f(x; \theta_0) = 0` for every input while the
    kernel is that of a random network. ``N`` must then be even.

    Returns
    -------
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    """
    d = check_positive_int(d, "d", "init_two_layer")
    N = check_positive_int(N, "N", "init_two_layer")
    rng = check_rng(rng, "init_two_layer")
    if not symmetric:
        return rng.standard_normal((N, d)), rng.standard_normal(N)
    if N % 2:
        raise ValueError(f"init_two_layer: a symmetric init needs an even width N, got {N}")
    W0, a0 = rng.standard_normal((N // 2, d)), rng.standard_normal(N // 2)
    return np.vstack([W0, W0]), np.concatenate([a0, -a0])


def two_layer_output(X, W, a, scale=None, activation: str = "relu") -> np.ndarray:
    r""":math:`f(x) = s\,a^\top\phi(Wx/\sqrt d)` for every row of ``X``.

    Parameters
    ----------
    X : ndarray of shape (B, d)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    scale : float, optional
        The output scale :math:`s`; default :math:`N^{-1/2}` (NTK scaling). Pass ``1 / N`` for mean-field scaling.
    activation : {"relu", "tanh"}

    Returns
    -------
    ndarray of shape (B,)
    """
    X, W, a = _check_net(X, W, a, "two_layer_output")
    s = _scale(scale, W.shape[0], "two_layer_output")
    phi, _ = _activation(activation, "two_layer_output")
    return s * (phi(X @ W.T / math.sqrt(X.shape[1])) @ a)


def two_layer_loss_grads(X, y, W, a, scale=None, activation: str = "relu", alpha: float = 1.0):
    r"""Loss :math:`L = \frac{1}{2n}\sum_i(\alpha f(x_i) - y_i)^2` and its gradients with respect to ``W`` and ``a``.

    With :math:`r_i = (\alpha f(x_i) - y_i)/n` and :math:`z = Wx/\sqrt d`:
    :math:`\partial L/\partial a = \alpha s\,\phi(Z)^\top r` and
    :math:`\partial L/\partial W = \alpha s\,[(r a^\top)\odot\phi'(Z)]^\top X/\sqrt d`.

    Returns
    -------
    loss : float
    dW : ndarray of shape (N, d)
    da : ndarray of shape (N,)
    """
    X, W, a = _check_net(X, W, a, "two_layer_loss_grads")
    y = _check_targets(y, X.shape[0], "two_layer_loss_grads")
    s = _scale(scale, W.shape[0], "two_layer_loss_grads")
    phi, dphi = _activation(activation, "two_layer_loss_grads")
    c = float(alpha) * s
    Xs = X / math.sqrt(X.shape[1])
    Z = Xs @ W.T
    H = phi(Z)
    f = c * (H @ a)
    r = (f - y) / X.shape[0]
    da = c * (H.T @ r)
    dW = (np.outer(r, c * a) * dphi(Z)).T @ Xs
    return float(0.5 * np.mean((f - y) ** 2)), dW, da


def _check_targets(y, n: int, fn: str) -> np.ndarray:
    y = as_float_array(y, "y", fn, ndim=1)
    if y.shape != (n,):
        raise ValueError(f"{fn}: y has shape {y.shape}, expected (n,) = ({n},) to match the inputs")
    return y


class Trained(NamedTuple):
    """Result of :func:`train_two_layer`."""

    W: np.ndarray  #: (N, d) first-layer weights after training
    a: np.ndarray  #: (N,) readout after training
    losses: np.ndarray  #: (steps + 1,) the loss before each step and after the last


def train_two_layer(X, y, W, a, lr: float, steps: int, scale=None, activation: str = "relu",
                    alpha: float = 1.0) -> Trained:
    r"""Full-batch gradient descent on :math:`L = \frac{1}{2n}\sum_i(\alpha f(x_i) - y_i)^2`, both layers.

    ``W`` and ``a`` are copied, never changed in place. The loop is the one of :func:`two_layer_loss_grads`
    with the input scaling and the activation pattern computed once per step.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    lr : float
        Step size (> 0).
    steps : int
        Number of steps (>= 0).
    scale : float, optional
        Output scale :math:`s` (default :math:`N^{-1/2}`).
    activation : {"relu", "tanh"}
    alpha : float
        Output multiplier (Chizat's :math:`\alpha`); with a symmetric init the model is
        :math:`\alpha(f(x;\theta) - f(x;\theta_0))`.

    Returns
    -------
    Trained
    """
    X, W, a = _check_net(X, W, a, "train_two_layer")
    y = _check_targets(y, X.shape[0], "train_two_layer")
    lr = check_positive(lr, "lr", "train_two_layer")
    steps = _check_steps(steps, "train_two_layer")
    c = float(alpha) * _scale(scale, W.shape[0], "train_two_layer")
    phi, dphi = _activation(activation, "train_two_layer")
    relu = activation == "relu"
    n = X.shape[0]
    Xs = X / math.sqrt(X.shape[1])
    W, a = W.copy(), a.copy()
    losses = np.empty(steps + 1)
    for t in range(steps + 1):
        Z = Xs @ W.T
        H = np.maximum(Z, 0.0) if relu else phi(Z)
        res = c * (H @ a) - y
        losses[t] = 0.5 * float(res @ res) / n
        if t == steps:
            break
        r = res * (c / n)
        da = H.T @ r
        # dW_jk = a_j sum_i r_i phi'(z_ij) x_ik / sqrt(d): the readout factor comes out of the sum
        G = (Z > 0) * r[:, None] if relu else dphi(Z) * r[:, None]
        dW = (G.T @ Xs) * a[:, None]
        W -= lr * dW
        a -= lr * da
    return Trained(W, a, losses)


def _check_steps(steps, fn: str) -> int:
    if isinstance(steps, bool) or not isinstance(steps, Integral):
        raise TypeError(f"{fn}: steps must be a non-negative integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"{fn}: steps must be >= 0, got {steps}")
    return int(steps)


# ---------------------------------------------------------------------------------------------
# the neural tangent kernel


def ntk_jacobian(X, W, a, scale=None, activation: str = "relu") -> np.ndarray:
    r"""The Jacobian of the outputs with respect to all parameters, one row per input.

    Columns are :math:`\partial f/\partial W` flattened row by row (``N * d`` columns, neuron ``j`` first), then
    :math:`\partial f/\partial a` (``N`` columns):
    :math:`\partial f/\partial W_{jk} = s\,a_j\phi'(z_j)\,x_k/\sqrt d` and :math:`\partial f/\partial a_j = s\,\phi(z_j)`.

    Returns
    -------
    ndarray of shape (B, N * d + N)
    """
    X, W, a = _check_net(X, W, a, "ntk_jacobian")
    s = _scale(scale, W.shape[0], "ntk_jacobian")
    phi, dphi = _activation(activation, "ntk_jacobian")
    B, d = X.shape
    Z = X @ W.T / math.sqrt(d)
    JW = (s * a * dphi(Z))[:, :, None] * (X[:, None, :] / math.sqrt(d))  # (B, N, d)
    return np.concatenate([JW.reshape(B, -1), s * phi(Z)], axis=1)


def empirical_ntk(X1, X2, W, a, scale=None, activation: str = "relu") -> np.ndarray:
    r"""The empirical NTK :math:`\Theta = J_1 J_2^\top` without forming the Jacobians.

    .. math::
        \Theta(x, x') = s^2\sum_{j=1}^N\Big[\phi(z_j)\phi(z'_j) + a_j^2\,\phi'(z_j)\phi'(z'_j)\,\frac{x\cdot x'}{d}\Big],
        \qquad z = Wx/\sqrt d,

    the first term from the readout, the second from the first layer. With the default
    :math:`s = N^{-1/2}` it is an average over neurons, so it has a limit as :math:`N \to \infty`.

    Parameters
    ----------
    X1 : ndarray of shape (B1, d)
    X2 : ndarray of shape (B2, d)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    scale : float, optional
        Output scale :math:`s` (default :math:`N^{-1/2}`).
    activation : {"relu", "tanh"}

    Returns
    -------
    ndarray of shape (B1, B2)
    """
    X1, W, a = _check_net(X1, W, a, "empirical_ntk", "X1")
    X2, _, _ = _check_net(X2, W, a, "empirical_ntk", "X2")
    s = _scale(scale, W.shape[0], "empirical_ntk")
    phi, dphi = _activation(activation, "empirical_ntk")
    d = X1.shape[1]
    Z1, Z2 = X1 @ W.T / math.sqrt(d), X2 @ W.T / math.sqrt(d)
    readout = phi(Z1) @ phi(Z2).T
    first = ((dphi(Z1) * a ** 2) @ dphi(Z2).T) * (X1 @ X2.T / d)
    return s ** 2 * (readout + first)


def _cosines(K12, q1, q2):
    """``(sqrt(q1 q2'), cos)`` with the cosine clipped to [-1, 1] (rounding can push it past 1) and set to 0
    where a norm is 0."""
    norms = np.sqrt(np.multiply.outer(q1, q2))
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(norms > 0, K12 / np.where(norms > 0, norms, 1.0), 0.0)
    return norms, np.clip(cos, -1.0, 1.0)


def arccos_kernel(X1, X2, degree: int = 1) -> np.ndarray:
    r"""Cho and Saul's arc-cosine kernels for :math:`z = w\cdot x/\sqrt d`, :math:`w \sim N(0, I_d)`.

    With :math:`q = \lVert x\rVert^2/d` and the angle :math:`\theta` between :math:`x` and :math:`x'`:

    * ``degree=1``: :math:`E[\mathrm{relu}(z)\,\mathrm{relu}(z')] = \sqrt{qq'}\,\kappa_1(\theta)`,
      :math:`\kappa_1 = \frac{\sin\theta + (\pi - \theta)\cos\theta}{2\pi}`;
    * ``degree=0``: :math:`E[\mathrm{relu}'(z)\,\mathrm{relu}'(z')] = \kappa_0(\theta) = \frac{\pi-\theta}{2\pi}`.

    The cosine is clipped to [-1, 1] before ``arccos``: for two equal rows rounding can give 1 + 1e-16, whose
    arccos is nan. A zero row gives 0 in both kernels (relu'(0) is taken as 0).

    Returns
    -------
    ndarray of shape (B1, B2)
    """
    X1 = as_float_array(X1, "X1", "arccos_kernel", ndim=2)
    X2 = as_float_array(X2, "X2", "arccos_kernel", ndim=2)
    check_same_columns(X1, X2, "X1", "X2", 'arccos_kernel')
    if degree not in (0, 1):
        raise ValueError(f"arccos_kernel: degree must be 0 or 1, got {degree!r}")
    d = X1.shape[1]
    q1, q2 = np.sum(X1 ** 2, axis=1) / d, np.sum(X2 ** 2, axis=1) / d
    norms, cos = _cosines(X1 @ X2.T / d, q1, q2)
    theta = np.arccos(cos)
    if degree == 0:
        return np.where(norms > 0, (np.pi - theta) / (2 * np.pi), 0.0)
    return norms * (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)


def ntk_relu_infinite(X1, X2) -> np.ndarray:
    r"""The NTK of the ReLU network of :func:`empirical_ntk` as :math:`N \to \infty` (``W``, ``a`` standard normal).

    .. math::
        \Theta_\infty(x, x') = \sqrt{qq'}\,\kappa_1(\theta) + \kappa_0(\theta)\,\frac{x\cdot x'}{d}

    (the readout term, then the first-layer term, using :math:`E[a_j^2] = 1`). For inputs with
    :math:`\lVert x\rVert^2 = d`: 1 on the diagonal, :math:`1/2\pi` for orthogonal inputs.

    Returns
    -------
    ndarray of shape (B1, B2)
    """
    X1 = as_float_array(X1, "X1", "ntk_relu_infinite", ndim=2)
    X2 = as_float_array(X2, "X2", "ntk_relu_infinite", ndim=2)
    check_same_columns(X1, X2, "X1", "X2", 'ntk_relu_infinite')
    return arccos_kernel(X1, X2, 1) + arccos_kernel(X1, X2, 0) * (X1 @ X2.T / X1.shape[1])


def _check_kernels(K_train, K_test, y, fn: str):
    K_train = as_float_array(K_train, "K_train", fn, ndim=2)
    K_test = as_float_array(K_test, "K_test", fn, ndim=2)
    y = as_float_array(y, "y", fn, ndim=1)
    n = y.shape[0]
    if K_train.shape != (n, n):
        raise ValueError(f"{fn}: K_train has shape {K_train.shape}, expected (n, n) = ({n}, {n}) for y of shape "
                         f"{y.shape}")
    if K_test.shape[1] != n:
        raise ValueError(f"{fn}: K_test has shape {K_test.shape}, expected (B_test, n) = (?, {n})")
    return K_train, K_test, y


def kernel_gd_predict(K_train, K_test, y, lr: float, steps: int) -> np.ndarray:
    r"""Gradient descent in function space with a fixed kernel, from :math:`f_0 = 0`; the test predictions.

    On the training points, :math:`f_{t+1} = f_t - \frac{\eta}{n} K (f_t - y)`; on the test points,
    :math:`g_{t+1} = g_t - \frac{\eta}{n} K_{\rm test}(f_t - y)`, both with the residual of step ``t``. This is
    what gradient descent with step :math:`\eta` on :math:`\frac1{2n}\lVert\Phi w - y\rVert^2` does to the
    predictions of a linear model with features :math:`\Phi` and :math:`K = \Phi\Phi^\top`. Nothing is inverted,
    so a singular kernel is fine.

    Parameters
    ----------
    K_train : ndarray of shape (n, n)
    K_test : ndarray of shape (B_test, n)
        Kernel between test and training points.
    y : ndarray of shape (n,)
    lr : float
        Step size :math:`\eta` (> 0). The iteration is stable when :math:`\eta\lambda_{\max}(K)/n < 2`.
    steps : int
        Number of steps (>= 0).

    Returns
    -------
    ndarray of shape (B_test,)
    """
    K_train, K_test, y = _check_kernels(K_train, K_test, y, "kernel_gd_predict")
    lr = check_positive(lr, "lr", "kernel_gd_predict")
    steps = _check_steps(steps, "kernel_gd_predict")
    c = lr / y.shape[0]
    f = np.zeros_like(y)
    g = np.zeros(K_test.shape[0])
    for _ in range(steps):
        r = f - y
        g = g - c * (K_test @ r)
        f = f - c * (K_train @ r)
    return g


def kernel_ridge_predict(K_train, K_test, y, ridge: float) -> np.ndarray:
    r"""Kernel ridge regression :math:`K_{\rm test}(K + \lambda I)^{-1}y` (``ridge`` :math:`= \lambda \ge 0`).

    With ``ridge=0`` this is the interpolant (``K`` must then be invertible), the :math:`t \to \infty` limit of
    :func:`kernel_gd_predict`.

    Returns
    -------
    ndarray of shape (B_test,)
    """
    K_train, K_test, y = _check_kernels(K_train, K_test, y, "kernel_ridge_predict")
    ridge = check_positive(ridge, "ridge", "kernel_ridge_predict", allow_zero=True)
    return K_test @ np.linalg.solve(K_train + ridge * np.eye(y.shape[0]), y)


# ---------------------------------------------------------------------------------------------
# small measurement tools


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (both 1-D, positive, same length >= 2)."""
    x = as_float_array(x, "x", "loglog_slope", ndim=1)
    y = as_float_array(y, "y", "loglog_slope", ndim=1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"loglog_slope: x and y need the same shape with at least 2 entries, got {x.shape} and "
                         f"{y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("loglog_slope: x and y must be positive")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def relative_rms(f, ref) -> float:
    r""":math:`\sqrt{\mathrm{mean}((f - \mathrm{ref})^2)/\mathrm{mean}(\mathrm{ref}^2)}`, for arrays of one shape."""
    f = as_float_array(f, "f", "relative_rms")
    ref = as_float_array(ref, "ref", "relative_rms")
    if f.shape != ref.shape:
        raise ValueError(f"relative_rms: f has shape {f.shape} but ref has shape {ref.shape}; they must match")
    return float(np.sqrt(np.mean((f - ref) ** 2) / np.mean(ref ** 2)))


def sphere_points(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    r"""``n`` points uniform on the sphere of radius :math:`\sqrt d` in :math:`\mathbb R^d` (so :math:`\lVert x\rVert^2/d = 1`).

    Returns
    -------
    ndarray of shape (n, d)
    """
    n = check_positive_int(n, "n", "sphere_points")
    d = check_positive_int(d, "d", "sphere_points")
    X = check_rng(rng, "sphere_points").standard_normal((n, d))
    return X * (math.sqrt(d) / np.linalg.norm(X, axis=1, keepdims=True))


def circle_inputs(t) -> np.ndarray:
    r"""Inputs :math:`\sqrt{1.5}(\cos t, \sin t, 1)` on a circle of the sphere :math:`\lVert x\rVert^2 = 3`.

    Returns
    -------
    ndarray of shape (len(t), 3)
    """
    t = as_float_array(t, "t", "circle_inputs", ndim=1)
    return math.sqrt(1.5) * np.stack([np.cos(t), np.sin(t), np.ones_like(t)], axis=1)


# ---------------------------------------------------------------------------------------------
# lab 11 experiments


class Movement(NamedTuple):
    """Result of :func:`movement_experiment`."""

    widths: np.ndarray  #: (K,) widths N
    weight_change: np.ndarray  #: (K,) mean over inits of ||theta_T - theta_0|| / ||theta_0||
    ntk_change: np.ndarray  #: (K,) mean over inits of ||Theta_T - Theta_0||_F / ||Theta_0||_F
    weight_slope: float  #: log-log slope of weight_change against width
    ntk_slope: float  #: log-log slope of ntk_change against width


def movement_experiment(seed: int, activation: str = "relu", widths: Sequence[int] = (64, 256, 1024, 4096),
                        inits: int = 2, n: int = 16, d: int = 8, steps: int = 100, lr: float = 1.0) -> Movement:
    r"""How far the weights and the NTK move during training, against width (Lee et al. 2019).

    ``n`` points on the sphere :math:`\lVert x\rVert^2 = d`, target :math:`y = \tanh(2x_1)`; for each width, ``inits``
    networks in NTK scaling, each trained by ``steps`` steps of full-batch GD with step ``lr``.
    """
    rng = np.random.default_rng(seed)
    X = sphere_points(n, d, rng)
    y = np.tanh(2.0 * X[:, 0])
    weight, kernel = [], []
    for N in widths:
        dw, dk = [], []
        for _ in range(inits):
            W, a = init_two_layer(d, N, rng)
            out = train_two_layer(X, y, W, a, lr, steps, activation=activation)
            dw.append(math.sqrt(np.sum((out.W - W) ** 2) + np.sum((out.a - a) ** 2))
                      / math.sqrt(np.sum(W ** 2) + np.sum(a ** 2)))
            K0 = empirical_ntk(X, X, W, a, activation=activation)
            K1 = empirical_ntk(X, X, out.W, out.a, activation=activation)
            dk.append(np.linalg.norm(K1 - K0) / np.linalg.norm(K0))
        weight.append(np.mean(dw))
        kernel.append(np.mean(dk))
    widths = np.asarray(widths, dtype=np.float64)
    weight, kernel = np.array(weight), np.array(kernel)
    return Movement(widths, weight, kernel, loglog_slope(widths, weight), loglog_slope(widths, kernel))


def _circle_problem(n: int):
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    y = np.sin(2 * t) + 0.5 * np.cos(t) + 0.3 * np.sin(3 * t)
    return t, circle_inputs(t), y


class Linearization(NamedTuple):
    """Result of :func:`linearization_experiment`."""

    t_train: np.ndarray  #: (n,) angles of the training points
    y: np.ndarray  #: (n,) targets
    t_test: np.ndarray  #: (B_test,) angles of the test points
    kernel_gd: np.ndarray  #: (B_test,) kernel GD with the infinite-width NTK
    net: dict  #: width -> (B_test,) the trained network
    linearized: dict  #: width -> (B_test,) its linearization (kernel GD with the network's own NTK at init)
    err_linearized: dict  #: width -> relative RMS(net - linearized)
    err_kernel: dict  #: width -> relative RMS(net - kernel_gd)


def linearization_experiment(seed: int, widths: Sequence[int] = (256, 4096), n: int = 12, steps: int = 500,
                             lr: float = 1.0, n_test: int = 200) -> Linearization:
    r"""A wide network against its linearization and against kernel GD with :math:`\Theta_\infty` (Lee et al.).

    Training inputs :math:`\sqrt{1.5}(\cos t, \sin t, 1)` at ``n`` equally spaced angles, target
    :math:`\sin 2t + 0.5\cos t + 0.3\sin 3t`, symmetric init (so :math:`f_0 = 0` and the linearized model is
    kernel GD with the network's NTK at init), ReLU in NTK scaling, ``steps`` steps of GD with step ``lr``.
    Errors are measured on ``n_test`` angles around the circle.
    """
    rng = np.random.default_rng(seed)
    t, X, y = _circle_problem(n)
    t_test = np.linspace(0.0, 2 * np.pi, n_test)
    X_test = circle_inputs(t_test)
    kgd = kernel_gd_predict(ntk_relu_infinite(X, X), ntk_relu_infinite(X_test, X), y, lr, steps)
    net, lin, e_lin, e_ker = {}, {}, {}, {}
    for N in widths:
        W, a = init_two_layer(3, N, rng, symmetric=True)
        out = train_two_layer(X, y, W, a, lr, steps)
        net[N] = two_layer_output(X_test, out.W, out.a)
        lin[N] = kernel_gd_predict(empirical_ntk(X, X, W, a), empirical_ntk(X_test, X, W, a), y, lr, steps)
        e_lin[N] = relative_rms(net[N], lin[N])
        e_ker[N] = relative_rms(net[N], kgd)
    return Linearization(t, y, t_test, kgd, net, lin, e_lin, e_ker)


class LazyRich(NamedTuple):
    """Result of :func:`lazy_rich_experiment`."""

    alphas: np.ndarray  #: (K,) output scales
    movement: np.ndarray  #: (K,) ||theta_T - theta_0|| / ||theta_0||
    test_nmse: np.ndarray  #: (K,) test MSE / test variance of the target
    train_nmse: np.ndarray  #: (K,) the same on the training set
    alignment: np.ndarray  #: (K,) |top eigenvector of W^T W . u|
    u: np.ndarray  #: (d,) the target direction
    W0: np.ndarray  #: (N, d) first layer at init (the same for every alpha)
    W: dict  #: alpha -> (N, d) first layer after training


def lazy_rich_experiment(seed: int, alphas: Sequence[float] = (1.0, 10.0, 100.0), N: int = 128, d: int = 10,
                         n: int = 200, steps: int = 1000, n_test: int = 2000) -> LazyRich:
    r"""Chizat, Oyallon and Bach's output scale :math:`\alpha`: lazy training at large :math:`\alpha`.

    Gaussian inputs in :math:`\mathbb R^d`, target :math:`|u\cdot x| - \sqrt{2/\pi}` (no linear part),
    mean-field scaling :math:`s = 1/N`, symmetric init so the model :math:`\alpha f` starts at 0, loss
    :math:`\frac1{2n}\sum(\alpha f - y)^2` and step :math:`2N/\alpha^2` (the same function-space speed for every
    :math:`\alpha`, since the NTK of :math:`\alpha f` grows like :math:`\alpha^2`), ``steps`` steps from the same init.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    X = rng.standard_normal((n, d))
    X_test = rng.standard_normal((n_test, d))
    y, y_test = np.abs(X @ u) - math.sqrt(2 / math.pi), np.abs(X_test @ u) - math.sqrt(2 / math.pi)
    W0, a0 = init_two_layer(d, N, rng, symmetric=True)
    norm0 = math.sqrt(np.sum(W0 ** 2) + np.sum(a0 ** 2))
    mv, te, tr, al, Ws = [], [], [], [], {}
    for alpha in alphas:
        out = train_two_layer(X, y, W0, a0, 2 * N / alpha ** 2, steps, scale=1.0 / N, alpha=alpha)
        mv.append(math.sqrt(np.sum((out.W - W0) ** 2) + np.sum((out.a - a0) ** 2)) / norm0)
        te.append(np.mean((alpha * two_layer_output(X_test, out.W, out.a, 1.0 / N) - y_test) ** 2) / np.var(y_test))
        tr.append(2 * out.losses[-1] / np.var(y))
        al.append(abs(np.linalg.eigh(out.W.T @ out.W)[1][:, -1] @ u))
        Ws[alpha] = out.W
    return LazyRich(np.asarray(alphas, dtype=np.float64), np.array(mv), np.array(te), np.array(tr), np.array(al),
                    u, W0, Ws)


# ---------------------------------------------------------------------------------------------
# lab 12: El Karoui


def el_karoui_kernel(X, h0: float, h1: float, h2: float, h_diag: float, identity: bool = True) -> np.ndarray:
    r"""El Karoui's linearization of the kernel :math:`K_{ij} = h(x_i\cdot x_j/d)` for points with :math:`\lVert x\rVert^2 = d`.

    .. math::
        K \approx \Big(h(0) + \frac{h''(0)}{2d}\Big)\mathbf 1\mathbf 1^\top + h'(0)\frac{XX^\top}{d}
        + \big(h(1) - h(0) - h'(0)\big) I.

    Off the diagonal the inner products are :math:`O(d^{-1/2})`, so a Taylor expansion at 0 holds entrywise
    (its second-order term contributes the mean :math:`h''(0)/2d`); the diagonal sits at :math:`h(1)`, and the
    last term puts it back: an implicit ridge.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    h0, h1, h2 : float
        :math:`h(0)`, :math:`h'(0)`, :math:`h''(0)`.
    h_diag : float
        :math:`h(1)`, the kernel's value on the diagonal.
    identity : bool
        Include the :math:`I` term (``False`` shows what is lost without it).

    Returns
    -------
    ndarray of shape (n, n)
    """
    X = as_float_array(X, "X", "el_karoui_kernel", ndim=2)
    n, d = X.shape
    K = (h0 + h2 / (2 * d)) * np.ones((n, n)) + h1 * (X @ X.T / d)
    if identity:
        K += (h_diag - h0 - h1) * np.eye(n)
    return K


class ElKaroui(NamedTuple):
    """Result of :func:`el_karoui_experiment`."""

    dims: np.ndarray  #: (K,) dimensions d (with n = d points)
    error: np.ndarray  #: (K,) ||K - K_lin||_op / ||K - 11^T||_op
    error_without_identity: np.ndarray  #: (K,) the same without the I term
    slope: float  #: log-log slope of error against d


def el_karoui_experiment(seed: int, dims: Sequence[int] = (50, 100, 200, 400)) -> ElKaroui:
    r"""The exponential kernel :math:`e^{x\cdot x'/d}` on ``n = d`` points of the sphere, against its linearization."""
    rng = np.random.default_rng(seed)
    err, err0 = [], []
    for d in dims:
        X = sphere_points(d, d, rng)
        K = np.exp(X @ X.T / d)
        den = np.linalg.norm(K - 1.0, 2)
        err.append(np.linalg.norm(K - el_karoui_kernel(X, 1.0, 1.0, 1.0, math.e), 2) / den)
        err0.append(np.linalg.norm(K - el_karoui_kernel(X, 1.0, 1.0, 1.0, math.e, identity=False), 2) / den)
    dims = np.asarray(dims, dtype=np.float64)
    return ElKaroui(dims, np.array(err), np.array(err0), loglog_slope(dims, np.array(err)))


# ---------------------------------------------------------------------------------------------
# lab 12: the staircase


def hermite(z, k: int, normalized: bool = True) -> np.ndarray:
    r"""Probabilists' Hermite polynomial :math:`\mathrm{He}_k(z)`, divided by :math:`\sqrt{k!}` when ``normalized``.

    :math:`\mathrm{He}_0 = 1`, :math:`\mathrm{He}_1 = z`, :math:`\mathrm{He}_{k+1} = z\,\mathrm{He}_k - k\,\mathrm{He}_{k-1}`;
    for :math:`z \sim N(0, 1)`, :math:`E[\mathrm{He}_j\mathrm{He}_k] = k!\,\delta_{jk}`, so the normalized ones are
    orthonormal.

    Returns
    -------
    ndarray of the shape of ``z``
    """
    z = as_float_array(z, "z", "hermite")
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 0:
        raise ValueError(f"hermite: k must be a non-negative integer, got {k!r}")
    prev, cur = np.zeros_like(z), np.ones_like(z)
    for j in range(k):
        prev, cur = cur, z * cur - j * prev
    return cur / math.sqrt(math.factorial(k)) if normalized else cur


def _check_directions(X, U, fn: str):
    X = as_float_array(X, "X", fn, ndim=2)
    U = as_float_array(U, "U", fn, ndim=2)
    if U.shape[1] != X.shape[1]:
        raise ValueError(f"{fn}: U has shape {U.shape}, expected (K, d) with d = {X.shape[1]} to match X {X.shape}")
    return X, U


def staircase_target(X, U) -> np.ndarray:
    r""":math:`y = \sum_{k=1}^{K} h_k(u_k\cdot x)` with the normalized Hermite polynomials :math:`h_k` of :func:`hermite`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    U : ndarray of shape (K, d)
        Orthonormal rows :math:`u_1, \dots, u_K`.

    Returns
    -------
    ndarray of shape (n,)
    """
    X, U = _check_directions(X, U, "staircase_target")
    Z = X @ U.T
    return sum(hermite(Z[:, k], k + 1) for k in range(U.shape[0]))


def hermite_coefficients(f, X, U) -> np.ndarray:
    r"""The coefficients :math:`c_k` of :math:`h_k(u_k\cdot x)` in ``f``, by least squares on the points ``X``.

    ``f`` is regressed on a constant and the :math:`K` features :math:`h_k(u_k\cdot x)`; for Gaussian ``X`` these
    are orthonormal, so :math:`c_k \approx E[f\,h_k(u_k\cdot x)]`, but the regression does not pay the Monte Carlo
    noise of the other components (a plain average over 2000 points wobbles by about 0.05).

    Returns
    -------
    ndarray of shape (K,)
    """
    X, U = _check_directions(X, U, "hermite_coefficients")
    f = _check_targets(f, X.shape[0], "hermite_coefficients")
    Z = X @ U.T
    A = np.column_stack([np.ones(X.shape[0])] + [hermite(Z[:, k], k + 1) for k in range(U.shape[0])])
    return np.linalg.lstsq(A, f, rcond=None)[0][1:]


class Staircase(NamedTuple):
    """Result of :func:`staircase_experiment`."""

    ns: np.ndarray  #: (K,) training-set sizes
    coefficients: np.ndarray  #: (K, 3) learned c_1, c_2, c_3 for each n
    d: int


def staircase_experiment(seed: int, ns: Sequence[int] = (160, 1600), d: int = 40, ridge: float = 1e-2,
                         n_test: int = 2000) -> Staircase:
    r"""Kernel ridge regression with :math:`e^{x\cdot x'/d}` on :math:`y = h_1(u_1\cdot x) + h_2(u_2\cdot x) + h_3(u_3\cdot x)`.

    Gaussian inputs in :math:`\mathbb R^d`; the training sets are nested (the first ``n`` of ``max(ns)`` points,
    so a longer list of sizes leaves the results for the others unchanged); the learned coefficients :math:`c_k`
    are measured by :func:`hermite_coefficients` on ``n_test`` fresh points.
    """
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((d, 3)))[0].T
    X_test = rng.standard_normal((n_test, d))
    X_all = rng.standard_normal((max(ns), d))
    coef = []
    for n in ns:
        X = X_all[:n]
        y = staircase_target(X, U)
        f = kernel_ridge_predict(np.exp(X @ X.T / d), np.exp(X_test @ X.T / d), y, ridge)
        coef.append(hermite_coefficients(f, X_test, U))
    return Staircase(np.asarray(ns), np.array(coef), d)


# ---------------------------------------------------------------------------------------------
# lab 12: random features


def relu_random_features(X, W) -> np.ndarray:
    r"""ReLU random features :math:`\Phi = \mathrm{relu}(XW^\top/\sqrt d)/\sqrt N`, so :math:`\Phi\Phi^\top \to` :func:`arccos_kernel` (degree 1).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    W : ndarray of shape (N, d)

    Returns
    -------
    ndarray of shape (n, N)
    """
    X = as_float_array(X, "X", "relu_random_features", ndim=2)
    W = as_float_array(W, "W", "relu_random_features", ndim=2)
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"relu_random_features: W has shape {W.shape} but X has shape {X.shape}; W must be (N, d) "
                         f"with d = {X.shape[1]}")
    return np.maximum(X @ W.T / math.sqrt(X.shape[1]), 0.0) / math.sqrt(W.shape[0])


def random_features_ridge(X_train, y, X_test, W, lam: float) -> np.ndarray:
    r"""Ridge regression on ReLU random features; the test predictions.

    With :math:`\Phi` from :func:`relu_random_features`, minimize :math:`\lVert\Phi w - y\rVert^2 + \lambda\lVert w\rVert^2`:

    * primal (``N < n``): :math:`w = (\Phi^\top\Phi + \lambda I_N)^{-1}\Phi^\top y`, predictions :math:`\Phi_{\rm test}w`;
    * dual (``N >= n``): :math:`\beta = (\Phi\Phi^\top + \lambda I_n)^{-1}y`, predictions
      :math:`\Phi_{\rm test}\Phi^\top\beta`, i.e. kernel ridge regression with :math:`\hat K_N = \Phi\Phi^\top`.

    The two are the same function (push-through identity); each solves the smaller of the two systems.

    Parameters
    ----------
    X_train : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    X_test : ndarray of shape (B_test, d)
    W : ndarray of shape (N, d)
    lam : float
        Ridge (> 0).

    Returns
    -------
    ndarray of shape (B_test,)
    """
    fn = "random_features_ridge"
    X_train = as_float_array(X_train, "X_train", fn, ndim=2)
    X_test = as_float_array(X_test, "X_test", fn, ndim=2)
    y = _check_targets(y, X_train.shape[0], fn)
    check_same_columns(X_test, X_train, "X_test", "X_train", fn)
    lam = check_positive(lam, "lam", fn)
    P, P_test = relu_random_features(X_train, W), relu_random_features(X_test, W)
    n, N = P.shape
    if N < n:
        return P_test @ np.linalg.solve(P.T @ P + lam * np.eye(N), P.T @ y)
    return P_test @ (P.T @ np.linalg.solve(P @ P.T + lam * np.eye(n), y))


class RFvsKRR(NamedTuple):
    """Result of :func:`rf_vs_krr_experiment`."""

    widths: np.ndarray  #: (K,) numbers of random features N
    coefficients: np.ndarray  #: (K, 3) learned c_1, c_2, c_3 of random features
    distance: np.ndarray  #: (K,) relative RMS distance of the RF predictions to KRR's
    test_nmse: np.ndarray  #: (K,) test MSE / variance of random features
    krr_coefficients: np.ndarray  #: (3,) the same coefficients for KRR with the limit kernel
    krr_nmse: float
    kernel_error: np.ndarray  #: (K,) ||Phi Phi^T - K||_F / ||K||_F on the first 300 training points


def rf_vs_krr_experiment(seed: int, widths: Sequence[int] = (120, 900, 3600), d: int = 30, n: int = 1800,
                         lam: float = 1e-2, n_test: int = 2000) -> RFvsKRR:
    r"""ReLU random-features ridge regression against KRR with its limit kernel (:func:`arccos_kernel`, degree 1).

    The staircase target of :func:`staircase_experiment` in :math:`d` dimensions with ``n`` Gaussian training points.
    The ReLU kernel has no :math:`h_3` component (ReLU's odd Hermite coefficients above 1 vanish), so
    :math:`c_3 \approx 0` whatever the width. The feature sets are nested (the first ``N`` rows of one
    ``(max(widths), d)`` draw), so adding widths leaves the results for the others unchanged.
    """
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((d, 3)))[0].T
    X, X_test = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    y, y_test = staircase_target(X, U), staircase_target(X_test, U)
    f_krr = kernel_ridge_predict(arccos_kernel(X, X), arccos_kernel(X_test, X), y, lam)
    W_all = rng.standard_normal((max(widths), d))
    K_sub = arccos_kernel(X[:300], X[:300])
    coef, dist, nmse, kerr = [], [], [], []
    for N in widths:
        f = random_features_ridge(X, y, X_test, W_all[:N], lam)
        coef.append(hermite_coefficients(f, X_test, U))
        dist.append(relative_rms(f, f_krr))
        nmse.append(np.mean((f - y_test) ** 2) / np.var(y_test))
        P = relu_random_features(X[:300], W_all[:N])
        kerr.append(np.linalg.norm(P @ P.T - K_sub) / np.linalg.norm(K_sub))
    return RFvsKRR(np.asarray(widths), np.array(coef), np.array(dist), np.array(nmse),
                   hermite_coefficients(f_krr, X_test, U), float(np.mean((f_krr - y_test) ** 2) / np.var(y_test)),
                   np.array(kerr))


# ---------------------------------------------------------------------------------------------
# lab 12: NNGP and depth over width


def _relu_layer_kernel(K, sigma_w2: float, sigma_b2: float):
    r"""One step of the ReLU NNGP recursion on a square kernel ``K``."""
    q = np.diag(K).copy()
    norms, cos = _cosines(K, q, q)
    theta = np.arccos(cos)
    return sigma_w2 / (2 * np.pi) * norms * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2


def nngp_relu(X, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> np.ndarray:
    r"""The NNGP kernel of a deep ReLU network: the covariance of the pre-activations of layer ``depth``.

    Layer 1: :math:`K^1 = \sigma_w^2 XX^\top/d + \sigma_b^2`. Then, for :math:`\ell = 1, \dots, \text{depth}-1`,

    .. math::
        K^{\ell+1}_{xx'} = \frac{\sigma_w^2}{2\pi}\sqrt{K^\ell_{xx}K^\ell_{x'x'}}\,\big(\sin\theta + (\pi - \theta)\cos\theta\big)
        + \sigma_b^2, \qquad \cos\theta = K^\ell_{xx'}/\sqrt{K^\ell_{xx}K^\ell_{x'x'}},

    which is :math:`\sigma_w^2 E[\mathrm{relu}(u)\mathrm{relu}(v)] + \sigma_b^2` for :math:`(u, v)` Gaussian with
    covariance :math:`K^\ell` (Cho and Saul's arc-cosine kernel of degree 1). The cosine is clipped to [-1, 1]: for
    two (nearly) equal inputs rounding gives a cosine above 1 and ``arccos`` would return nan. With He init
    (:math:`\sigma_w^2 = 2`, :math:`\sigma_b^2 = 0`) the diagonal is the same at every depth.

    Parameters
    ----------
    X : ndarray of shape (B, d)
    depth : int
        >= 1.
    sigma_w2, sigma_b2 : float
        Weight and bias variances (weights :math:`N(0, \sigma_w^2/\text{fan-in})`).

    Returns
    -------
    ndarray of shape (B, B)
    """
    X = as_float_array(X, "X", "nngp_relu", ndim=2)
    depth = check_positive_int(depth, "depth", "nngp_relu")
    sigma_w2 = check_positive(sigma_w2, "sigma_w2", "nngp_relu")
    sigma_b2 = check_positive(sigma_b2, "sigma_b2", "nngp_relu", allow_zero=True)
    K = sigma_w2 * (X @ X.T) / X.shape[1] + sigma_b2
    for _ in range(depth - 1):
        K = _relu_layer_kernel(K, sigma_w2, sigma_b2)
    return K


def nngp_monte_carlo(X, depth: int, width: int, n_nets: int, rng: np.random.Generator, sigma_w2: float = 2.0,
                     sigma_b2: float = 0.0) -> np.ndarray:
    r"""Empirical kernels :math:`Z_L Z_L^\top/N` of ``n_nets`` random ReLU networks, sampled exactly and cheaply.

    Layer 1 is :math:`Z_1 = XW_1^\top + b_1` with :math:`W_1 \sim N(0, \sigma_w^2/d)`. A hidden layer only sees
    its input through :math:`H W^\top` with :math:`H = \mathrm{relu}(Z)` of shape ``(B, N)`` and rank at most
    ``B``: writing :math:`H^\top = QR` (``Q`` of shape ``(N, B)`` with orthonormal columns),
    :math:`HW^\top = R^\top (WQ)^\top`, and :math:`WQ` has independent :math:`N(0, \sigma_w^2/N)` entries because
    the Gaussian law is rotation invariant. So each layer draws an ``(N, B)`` matrix instead of ``(N, N)``.

    Returns
    -------
    ndarray of shape (n_nets, B, B)
    """
    X = as_float_array(X, "X", "nngp_monte_carlo", ndim=2)
    depth = check_positive_int(depth, "depth", "nngp_monte_carlo")
    N = check_positive_int(width, "width", "nngp_monte_carlo")
    n_nets = check_positive_int(n_nets, "n_nets", "nngp_monte_carlo")
    rng = check_rng(rng, "nngp_monte_carlo")
    B, d = X.shape
    if N < B:
        raise ValueError(f"nngp_monte_carlo: width must be at least the number of inputs B = {B}, got {N}")
    sw, sb = math.sqrt(check_positive(sigma_w2, "sigma_w2", "nngp_monte_carlo")), \
        math.sqrt(check_positive(sigma_b2, "sigma_b2", "nngp_monte_carlo", allow_zero=True))
    Z = np.einsum("bd,mdn->mbn", X, rng.standard_normal((n_nets, d, N)) * (sw / math.sqrt(d)))
    Z += sb * rng.standard_normal((n_nets, 1, N))
    for _ in range(depth - 1):
        H = np.maximum(Z, 0.0)  # (m, B, N)
        _, R = np.linalg.qr(np.swapaxes(H, 1, 2))  # H^T = Q R, R (m, B, B)
        G = rng.standard_normal((n_nets, N, B)) * (sw / math.sqrt(N))  # W Q
        Z = np.swapaxes(R, 1, 2) @ np.swapaxes(G, 1, 2) + sb * rng.standard_normal((n_nets, 1, N))
    return Z @ np.swapaxes(Z, 1, 2) / N


class NNGPCheck(NamedTuple):
    """Result of :func:`nngp_experiment`."""

    widths: np.ndarray  #: (K,) widths
    rms: np.ndarray  #: (K,) relative RMS error of one network's kernel against the recursion
    slope: float  #: log-log slope of rms against width
    K: np.ndarray  #: (B, B) the recursion
    example: np.ndarray  #: (B, B) the empirical kernel of one network of the largest width


def nngp_experiment(seed: int, widths: Sequence[int] = (64, 256, 1024), n_nets: int = 100, depth: int = 6,
                    sigma_w2: float = 2.0, sigma_b2: float = 0.1) -> NNGPCheck:
    r"""Finite ReLU networks against the NNGP recursion: inputs :math:`\sqrt2(\cos\varphi, \sin\varphi)` at angles 0, 0.5, 1, 2, 3."""
    rng = np.random.default_rng(seed)
    phi = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    X = math.sqrt(2.0) * np.stack([np.cos(phi), np.sin(phi)], axis=1)
    K = nngp_relu(X, depth, sigma_w2, sigma_b2)
    rms, example = [], None
    for N in widths:
        E = nngp_monte_carlo(X, depth, N, n_nets, rng, sigma_w2, sigma_b2)
        rms.append(math.sqrt(np.mean((E - K) ** 2) / np.mean(K ** 2)))
        example = E[0]
    widths = np.asarray(widths, dtype=np.float64)
    return NNGPCheck(widths, np.array(rms), loglog_slope(widths, np.array(rms)), K, example)


def log_norm_samples(N: int, L: int, n_nets: int, rng: np.random.Generator) -> np.ndarray:
    r""":math:`\log(\lVert h_L\rVert^2/\lVert h_0\rVert^2)` for ``n_nets`` random He-initialized ReLU networks, one input.

    Given :math:`h_{\ell-1}`, the pre-activations :math:`W_\ell h_{\ell-1}` (:math:`W_\ell \sim N(0, 2/N)`) are
    independent :math:`N(0, 2\lVert h_{\ell-1}\rVert^2/N)`, so the norm is multiplied at each layer by
    :math:`\frac2N\sum_{j=1}^N\mathrm{relu}(g_j)^2` with fresh standard normal :math:`g`. That sum only counts the
    positive :math:`g_j`: their number is :math:`k \sim \mathrm{Binomial}(N, 1/2)`, and given :math:`k` the sum of
    their squares is :math:`\chi^2_k`. Sampling ``k`` and then :math:`\chi^2_k = 2\,\mathrm{Gamma}(k/2)` is exact
    and costs two draws per layer instead of a matrix product (or ``N`` normals). A layer with every unit off
    (probability :math:`2^{-N}`) sends the norm to 0 and the logarithm to ``-inf``, as the network would.

    Returns
    -------
    ndarray of shape (n_nets,)
    """
    N = check_positive_int(N, "N", "log_norm_samples")
    L = check_positive_int(L, "L", "log_norm_samples")
    n_nets = check_positive_int(n_nets, "n_nets", "log_norm_samples")
    rng = check_rng(rng, "log_norm_samples")
    k = rng.binomial(N, 0.5, size=(n_nets, L))
    chi2 = 2.0 * rng.standard_gamma(k / 2.0)  # standard_gamma(0) is 0
    with np.errstate(divide="ignore"):
        return np.sum(np.log(2.0 / N * chi2), axis=1)


class DepthWidth(NamedTuple):
    """Result of :func:`depth_width_experiment`."""

    configs: tuple  #: ((N, L), ...)
    ratio: np.ndarray  #: (K,) Var log ||h_L||^2 / (5 L / N)
    samples: dict  #: (N, L) -> (n_nets,) samples of log ||h_L||^2 / ||h_0||^2


def depth_width_experiment(seed: int, configs: Sequence[tuple] = ((32, 8), (64, 16), (128, 32), (64, 64)),
                           n_nets: int = 2000) -> DepthWidth:
    r"""The depth-to-width law :math:`\mathrm{Var}\log\lVert h_L\rVert^2 \approx 5L/N` (Hanin and Nica)."""
    rng = np.random.default_rng(seed)
    samples = {(N, L): log_norm_samples(N, L, n_nets, rng) for N, L in configs}
    ratio = np.array([np.var(samples[(N, L)]) / (5 * L / N) for N, L in configs])
    return DepthWidth(tuple(tuple(c) for c in configs), ratio, samples)
