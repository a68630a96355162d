r"""Lab 13: what linearized networks cannot learn, and how trained networks learn features.

The network is the two-layer one of :mod:`helpers.kernels`, :math:`f(x) = s\,a^\top\mathrm{relu}(Wx/\sqrt d)` with
``X (B, d)``, ``W (N, d)``, ``a (N,)``; here the default output scale is the **mean-field** one, :math:`s = 1/N`.

* The average gradient outer product (AGOP) of a predictor, :math:`G = \frac1n\sum_i \nabla_x f(x_i)\nabla_x f(x_i)^\top`
  (:func:`input_gradients`, :func:`agop`), and the neural feature ansatz :math:`W^\top W \propto G^{\alpha}`,
  measured with the traceless cosine (:func:`traceless_cosine`, :func:`psd_power`).
* The recursive feature machine (Radhakrishnan et al. 2024): kernel ridge regression with the Laplace kernel
  :math:`k_M(x, x') = \exp(-\lVert x - x'\rVert_M/L)`, then :math:`M \leftarrow G(\hat f)`
  (:func:`mahalanobis_distances`, :func:`laplace_kernel`, :func:`kernel_predictor_gradients`, :func:`rfm_step`,
  :func:`rfm_predict`).
* The reproductions: a kernel against a trained network on a single-index target (:func:`kernel_vs_network`),
  mean-field against NTK parameterization (:func:`mf_vs_ntk_experiment`), the feature ansatz
  (:func:`nfa_experiment`) and the RFM (:func:`rfm_experiment`).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_int, check_same_columns
from .kernels import (_check_net, _check_targets, init_two_layer, kernel_ridge_predict,
                      loglog_slope, ntk_relu_infinite, random_features_ridge, train_two_layer, two_layer_output)

__all__ = ["single_index_target", "product_target", "nmse", "input_gradients", "agop", "traceless_cosine",
           "psd_power", "top_alignment", "mahalanobis_distances", "laplace_kernel", "kernel_predictor_gradients",
           "rfm_step", "rfm_predict", "KernelVsNetwork", "kernel_vs_network", "MFvsNTK", "mf_vs_ntk_experiment",
           "NFA", "nfa_experiment", "RFMRun", "rfm_experiment"]


def single_index_target(X, u) -> np.ndarray:
    r""":math:`y = |u\cdot x| - \sqrt{2/\pi}`: even, centred for Gaussian ``x`` and unit ``u``, with no linear part.

    Returns
    -------
    ndarray of shape (n,)
    """
    X = as_float_array(X, "X", "single_index_target", ndim=2)
    u = as_float_array(u, "u", "single_index_target", ndim=1)
    if u.shape != (X.shape[1],):
        raise ValueError(f"single_index_target: u has shape {u.shape}, expected (d,) = ({X.shape[1]},)")
    return np.abs(X @ u) - math.sqrt(2 / math.pi)


def product_target(X) -> np.ndarray:
    r""":math:`y = x_1 x_2`, whose AGOP is :math:`E[\nabla y\nabla y^\top] = \mathrm{diag}(1, 1, 0, \dots, 0)` for Gaussian ``x``."""
    X = as_float_array(X, "X", "product_target", ndim=2)
    if X.shape[1] < 2:
        raise ValueError(f"product_target: X needs at least 2 columns, got shape {X.shape}")
    return X[:, 0] * X[:, 1]


def nmse(pred, y) -> float:
    r"""Normalized mean squared error :math:`\mathrm{mean}((\hat y - y)^2)/\mathrm{var}(y)`: 1 for predicting the mean."""
    pred = as_float_array(pred, "pred", "nmse", ndim=1)
    y = as_float_array(y, "y", "nmse", ndim=1)
    if pred.shape != y.shape:
        raise ValueError(f"nmse: pred has shape {pred.shape} but y has shape {y.shape}; they must match")
    return float(np.mean((pred - y) ** 2) / np.var(y))


def _mf_scale(scale, N: int, fn: str) -> float:
    return 1.0 / N if scale is None else check_positive(scale, "scale", fn)


def input_gradients(X, W, a, scale=None) -> np.ndarray:
    r"""The gradient of the network's output with respect to its input, one row per input.

    .. math::
        \nabla_x f(x) = \frac{s}{\sqrt d}\,W^\top\big(a \odot \mathrm{relu}'(Wx/\sqrt d)\big)

    (relu' taken as 0 at 0).

    Parameters
    ----------
    X : ndarray of shape (B, d)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    scale : float, optional
        Output scale :math:`s`; default :math:`1/N` (mean-field).

    Returns
    -------
    ndarray of shape (B, d)
    """
    X, W, a = _check_net(X, W, a, "input_gradients")
    s = _mf_scale(scale, W.shape[0], "input_gradients")
    d = X.shape[1]
    return ((X @ W.T > 0) * (s / math.sqrt(d) * a)) @ W


def agop(X, W, a, scale=None) -> np.ndarray:
    r"""The average gradient outer product :math:`G = \frac1B\sum_i \nabla_x f(x_i)\nabla_x f(x_i)^\top` of the network.

    Parameters
    ----------
    X : ndarray of shape (B, d)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    scale : float, optional
        Output scale :math:`s`; default :math:`1/N`.

    Returns
    -------
    ndarray of shape (d, d)
        Symmetric positive semi-definite, of rank at most ``min(B, N)``.
    """
    J = input_gradients(X, W, a, scale)
    return J.T @ J / J.shape[0]


def _check_square(A, name: str, fn: str, d: int | None = None) -> np.ndarray:
    A = as_float_array(A, name, fn, ndim=2)
    if A.shape[0] != A.shape[1] or (d is not None and A.shape[0] != d):
        want = f"({d}, {d})" if d is not None else "square"
        raise ValueError(f"{fn}: {name} has shape {A.shape}, expected {want}")
    return A


def traceless_cosine(A, B) -> float:
    r"""Cosine between the traceless parts: :math:`\mathrm{tcos}(A, B) = \langle\bar A, \bar B\rangle_F/(\lVert\bar A\rVert_F\lVert\bar B\rVert_F)`, :math:`\bar A = A - \frac{\mathrm{tr}A}{d}I`.

    It ignores the multiple of the identity that every near-isotropic matrix shares, so two unrelated
    near-isotropic matrices score about 0, where the Pearson correlation of their raw entries would be large.
    A matrix with no traceless part (a multiple of :math:`I`) gives 0.
    """
    A = _check_square(A, "A", "traceless_cosine")
    B = _check_square(B, "B", "traceless_cosine", A.shape[0])
    eye = np.eye(A.shape[0])
    A0 = A - np.trace(A) / A.shape[0] * eye
    B0 = B - np.trace(B) / B.shape[0] * eye
    den = np.linalg.norm(A0) * np.linalg.norm(B0)
    return float(np.sum(A0 * B0) / den) if den > 0 else 0.0


def psd_power(G, p: float) -> np.ndarray:
    r""":math:`G^p` for a symmetric positive semi-definite ``G`` (eigenvalues below 0, from rounding, are set to 0).

    Returns
    -------
    ndarray of shape (d, d)
    """
    G = _check_square(G, "G", "psd_power")
    ev, V = np.linalg.eigh((G + G.T) / 2)
    return (V * np.maximum(ev, 0.0) ** p) @ V.T


def top_alignment(A, U) -> float:
    r"""How much of the span of ``U``'s rows the top ``k = len(U)`` eigenvectors of the symmetric ``A`` capture.

    :math:`\frac1k\lVert U V_k\rVert_F^2` with orthonormal rows of ``U`` and the top eigenvectors :math:`V_k`:
    1 when the two subspaces coincide, about :math:`k/d` for a random subspace. For one direction ``u`` it is
    :math:`(v_1\cdot u)^2`.
    """
    A = _check_square(A, "A", "top_alignment")
    U = as_float_array(U, "U", "top_alignment", ndim=(1, 2))
    U = U[None, :] if U.ndim == 1 else U
    if U.shape[1] != A.shape[0] or U.shape[0] > A.shape[0]:
        raise ValueError(f"top_alignment: U has shape {U.shape}, expected (k, {A.shape[0]}) with k <= {A.shape[0]}")
    V = np.linalg.eigh((A + A.T) / 2)[1][:, ::-1][:, :U.shape[0]]
    return float(np.sum((U @ V) ** 2) / U.shape[0])


# ---------------------------------------------------------------------------------------------
# the recursive feature machine


def _check_pair(X1, X2, M, fn: str):
    X1 = as_float_array(X1, "X1", fn, ndim=2)
    X2 = as_float_array(X2, "X2", fn, ndim=2)
    check_same_columns(X1, X2, "X1", "X2", fn)
    M = _check_square(M, "M", fn, X1.shape[1])
    return X1, X2, (M + M.T) / 2


def mahalanobis_distances(X1, X2, M) -> np.ndarray:
    r""":math:`D_{ij} = \lVert x_i - x'_j\rVert_M = \sqrt{(x_i - x'_j)^\top M (x_i - x'_j)}` for a PSD ``M``.

    Computed as :math:`\sqrt{x^\top Mx + x'^\top Mx' - 2x^\top Mx'}` (one matrix product for all pairs), except
    for pairs closer than :math:`10^{-3}` of their size, where that difference of large numbers loses its digits:
    those are recomputed from :math:`x - x'`, so equal points get exactly 0.

    Returns
    -------
    ndarray of shape (B1, B2)
    """
    X1, X2, M = _check_pair(X1, X2, M, "mahalanobis_distances")
    return np.sqrt(_squared_distances(X1, X2, M))


def _squared_distances(X1, X2, M):
    XM = X1 @ M
    q1 = np.einsum("ij,ij->i", XM, X1)
    q2 = np.einsum("ij,ij->i", X2 @ M, X2)
    D2 = q1[:, None] + q2[None, :] - 2.0 * XM @ X2.T
    # the expansion loses digits when x is close to x' (for x = x' it leaves about 1e-16 |x|^2, whose square
    # root 1e-8 would be the distance): recompute those few pairs from their difference vectors
    i, j = np.nonzero(D2 < 1e-6 * (q1[:, None] + q2[None, :]))
    if i.size:
        diff = X1[i] - X2[j]
        D2[i, j] = np.einsum("ij,jk,ik->i", diff, M, diff)
    return np.maximum(D2, 0.0)


def laplace_kernel(X1, X2, M, bandwidth: float) -> np.ndarray:
    r"""The Laplace kernel with a feature matrix, :math:`k_M(x, x') = \exp(-\lVert x - x'\rVert_M/L)`.

    Returns
    -------
    ndarray of shape (B1, B2)
    """
    L = check_positive(bandwidth, "bandwidth", "laplace_kernel")
    return np.exp(-mahalanobis_distances(X1, X2, M) / L)


def kernel_predictor_gradients(X_eval, X_train, alpha, M, bandwidth: float) -> np.ndarray:
    r"""Input gradients of :math:`\hat f(x) = \sum_i \alpha_i k_M(x, x_i)` at the rows of ``X_eval``.

    .. math::
        \nabla\hat f(x) = -\frac1L\sum_i \alpha_i\,k_M(x, x_i)\,\frac{M(x - x_i)}{\lVert x - x_i\rVert_M}.

    A term with :math:`\lVert x - x_i\rVert_M = 0` (the point's own training term, or a difference in the null
    space of ``M``) has no derivative (the norm has a kink at 0): its symmetric derivative is 0, and it is left
    out instead of dividing 0 by 0.

    Parameters
    ----------
    X_eval : ndarray of shape (B, d)
    X_train : ndarray of shape (n, d)
    alpha : ndarray of shape (n,)
    M : ndarray of shape (d, d)
        Symmetric positive semi-definite (only its symmetric part is used).
    bandwidth : float
        :math:`L > 0`.

    Returns
    -------
    ndarray of shape (B, d)
    """
    fn = "kernel_predictor_gradients"
    X_eval, X_train, M = _check_pair(X_eval, X_train, M, fn)
    alpha = as_float_array(alpha, "alpha", fn, ndim=1)
    if alpha.shape != (X_train.shape[0],):
        raise ValueError(f"{fn}: alpha has shape {alpha.shape}, expected (n,) = ({X_train.shape[0]},)")
    L = check_positive(bandwidth, "bandwidth", fn)
    return _predictor_gradients(X_eval, X_train, alpha, M, L)


def _predictor_gradients(X_eval, X_train, alpha, M, L):
    D2 = _squared_distances(X_eval, X_train, M)
    far = D2 > 0
    D = np.sqrt(D2)
    C = np.where(far, np.exp(-D / L) / np.where(far, D, 1.0), 0.0) * alpha  # (B, n)
    # sum_i C_bi (x_b - x_i) = x_b * sum_i C_bi - C @ X_train
    S = X_eval * C.sum(axis=1, keepdims=True) - C @ X_train
    return -(S @ M) / L


def rfm_step(X, y, M, bandwidth: float, ridge: float):
    r"""One step of the recursive feature machine: fit kernel ridge regression with :math:`k_M`, return its AGOP.

    :math:`\alpha = (K_M + \lambda I)^{-1}y` with :math:`(K_M)_{ij} = k_M(x_i, x_j)`, then
    :math:`M_{\rm new} = \frac1n\sum_j \nabla\hat f(x_j)\nabla\hat f(x_j)^\top` with the gradients of
    :func:`kernel_predictor_gradients` at the training points (each point's own term left out).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    M : ndarray of shape (d, d)
        Current feature matrix (symmetric PSD; the identity for a plain Laplace kernel).
    bandwidth : float
        :math:`L > 0`.
    ridge : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    M_new : ndarray of shape (d, d)
        Symmetric positive semi-definite.
    alpha : ndarray of shape (n,)
        The fitted coefficients, so that :math:`\hat f(x) = \sum_i\alpha_i k_M(x, x_i)`.
    """
    fn = "rfm_step"
    X, _, M = _check_pair(X, X, M, fn)
    y = _check_targets(y, X.shape[0], fn)
    L = check_positive(bandwidth, "bandwidth", fn)
    ridge = check_positive(ridge, "ridge", fn, allow_zero=True)
    K = np.exp(-np.sqrt(_squared_distances(X, X, M)) / L)
    alpha = np.linalg.solve(K + ridge * np.eye(X.shape[0]), y)
    J = _predictor_gradients(X, X, alpha, M, L)
    return J.T @ J / X.shape[0], alpha


def rfm_predict(X_test, X, alpha, M, bandwidth: float) -> np.ndarray:
    r""":math:`\hat f(x) = \sum_i \alpha_i k_M(x, x_i)` at the rows of ``X_test``; shape ``(B_test,)``."""
    alpha = as_float_array(alpha, "alpha", "rfm_predict", ndim=1)
    K = laplace_kernel(X_test, X, M, bandwidth)
    if alpha.shape != (K.shape[1],):
        raise ValueError(f"rfm_predict: alpha has shape {alpha.shape}, expected (n,) = ({K.shape[1]},)")
    return K @ alpha


# ---------------------------------------------------------------------------------------------
# experiments


class KernelVsNetwork(NamedTuple):
    """Result of :func:`kernel_vs_network`."""

    krr_nmse: float  #: test NMSE of KRR with the ReLU NTK, best of the ridges
    rf_nmse: float  #: test NMSE of ReLU random features (N features), best of the ridges
    ntk_net_nmse: float  #: test NMSE of the network in NTK scaling
    mf_net_nmse: float  #: test NMSE of the network in mean-field scaling
    ntk_alignment: float  #: |v_1(W^T W) . u| for the NTK-scaled network
    mf_alignment: float  #: |v_1(W^T W) . u| for the mean-field network
    krr_train_nmse: float  #: training NMSE of that KRR (near 0: it interpolates)
    u: np.ndarray  #: (d,) the target direction
    W0: np.ndarray  #: (N, d) first layer at init
    W_mf: np.ndarray  #: (N, d) first layer of the trained mean-field network


def kernel_vs_network(seed: int, d: int = 20, n: int = 400, N: int = 128, steps: int = 1000, n_test: int = 2000,
                      ridges: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0), ntk_lr: float = 2.0) -> KernelVsNetwork:
    r"""The single-index target :math:`|u\cdot x| - \sqrt{2/\pi}` in :math:`d = 20` with :math:`n = 400 = d^2` points.

    KRR with the infinite-width ReLU NTK and ReLU random features (best of ``ridges`` on the test set, which
    flatters them), against the same network trained by ``steps`` steps of full-batch GD from the same init,
    once in NTK scaling (step ``ntk_lr``) and once in mean-field scaling (step :math:`2N`).
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    X, X_test = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    y, y_test = single_index_target(X, u), single_index_target(X_test, u)
    K, K_test = ntk_relu_infinite(X, X), ntk_relu_infinite(X_test, X)
    scores = [(nmse(kernel_ridge_predict(K, K_test, y, lam), y_test), lam) for lam in ridges]
    krr, lam = min(scores)
    krr_train = nmse(kernel_ridge_predict(K, K, y, lam), y)
    W_rf = rng.standard_normal((N, d))
    rf = min(nmse(random_features_ridge(X, y, X_test, W_rf, lam), y_test) for lam in ridges)
    W0, a0 = init_two_layer(d, N, rng)
    ntk = train_two_layer(X, y, W0, a0, ntk_lr, steps)
    mf = train_two_layer(X, y, W0, a0, 2.0 * N, steps, scale=1.0 / N)
    return KernelVsNetwork(
        krr, rf, nmse(two_layer_output(X_test, ntk.W, ntk.a), y_test),
        nmse(two_layer_output(X_test, mf.W, mf.a, 1.0 / N), y_test),
        math.sqrt(top_alignment(ntk.W.T @ ntk.W, u)), math.sqrt(top_alignment(mf.W.T @ mf.W, u)), krr_train,
        u, W0, mf.W)


class MFvsNTK(NamedTuple):
    """Result of :func:`mf_vs_ntk_experiment`."""

    widths: np.ndarray  #: (K,) widths
    ntk_change: np.ndarray  #: (K,) ||W_T - W_0|| / ||W_0|| in NTK scaling
    mf_change: np.ndarray  #: (K,) the same in mean-field scaling
    ntk_slope: float  #: log-log slope of ntk_change against width
    mf_slope: float  #: log-log slope of mf_change against width


def mf_vs_ntk_experiment(seed: int, widths: Sequence[int] = (64, 256, 1024), d: int = 20, n: int = 200,
                         steps: int = 100, lr: float = 2.0) -> MFvsNTK:
    r"""How far the first layer moves in NTK (:math:`\gamma = 1/2`) and mean-field (:math:`\gamma = 1`) scaling.

    :math:`f = N^{-\gamma}\sum_j a_j\,\mathrm{relu}(w_j\cdot x/\sqrt d)` trained with step
    :math:`\mathrm{lr}\cdot N^{2\gamma - 1}` (so that the function moves at the same speed at every width) on the
    single-index target, both parameterizations from the same init.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    X = rng.standard_normal((n, d))
    y = single_index_target(X, u)
    ntk, mf = [], []
    for N in widths:
        W, a = init_two_layer(d, N, rng)
        for gamma, out in ((0.5, ntk), (1.0, mf)):
            res = train_two_layer(X, y, W, a, lr * N ** (2 * gamma - 1), steps, scale=N ** -gamma)
            out.append(np.linalg.norm(res.W - W) / np.linalg.norm(W))
    widths = np.asarray(widths, dtype=np.float64)
    ntk, mf = np.array(ntk), np.array(mf)
    return MFvsNTK(widths, ntk, mf, loglog_slope(widths, ntk), loglog_slope(widths, mf))


class NFA(NamedTuple):
    """Result of :func:`nfa_experiment`."""

    tcos_init: float  #: tcos(W_0^T W_0, G_0)
    raw_corr_init: float  #: Pearson correlation of the entries of W_0^T W_0 and G_0^(1/2)
    tcos_G: float  #: tcos(W^T W, G) after training
    tcos_sqrtG: float  #: tcos(W^T W, G^(1/2)) after training
    span: float  #: top_alignment(W^T W, [e_1; e_2])
    test_nmse: float  #: of the trained network
    F0: np.ndarray  #: (d, d) W_0^T W_0
    G0: np.ndarray  #: (d, d) AGOP at init
    F: np.ndarray  #: (d, d) W^T W after training
    G: np.ndarray  #: (d, d) AGOP after training


def nfa_experiment(seed: int, d: int = 20, n: int = 400, N: int = 128, steps: int = 1000,
                   n_test: int = 2000) -> NFA:
    r"""The neural feature ansatz on :math:`y = x_1x_2`: a mean-field network (step :math:`2N`), its
    :math:`W^\top W` against its AGOP before and after training."""
    rng = np.random.default_rng(seed)
    X, X_test = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    y = product_target(X)
    W0, a0 = init_two_layer(d, N, rng)
    F0, G0 = W0.T @ W0, agop(X, W0, a0)
    raw = float(np.corrcoef(F0.ravel(), psd_power(G0, 0.5).ravel())[0, 1])
    out = train_two_layer(X, y, W0, a0, 2.0 * N, steps, scale=1.0 / N)
    F, G = out.W.T @ out.W, agop(X, out.W, out.a)
    return NFA(traceless_cosine(F0, G0), raw, traceless_cosine(F, G), traceless_cosine(F, psd_power(G, 0.5)),
               top_alignment(F, np.eye(d)[:2]),
               nmse(two_layer_output(X_test, out.W, out.a, 1.0 / N), product_target(X_test)), F0, G0, F, G)


class RFMRun(NamedTuple):
    """Result of :func:`rfm_experiment`."""

    test_nmse: np.ndarray  #: (iters + 1,) test NMSE with M_0 = I, M_1, ..., M_iters
    Ms: list  #: the iters + 1 feature matrices, each (d, d)
    diag_fraction: float  #: (M_11 + M_22) / tr M of the last M


def rfm_experiment(seed: int, d: int = 20, n: int = 400, iters: int = 3, bandwidth: float = 10.0,
                   ridge: float = 1e-3, n_test: int = 2000) -> RFMRun:
    r"""The recursive feature machine on :math:`y = x_1x_2`, from the plain Laplace kernel (:math:`M = I`)."""
    iters = check_positive_int(iters, "iters", "rfm_experiment")
    rng = np.random.default_rng(seed)
    X, X_test = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    y, y_test = product_target(X), product_target(X_test)
    M, Ms, scores = np.eye(d), [], []
    for t in range(iters + 1):
        M_new, alpha = rfm_step(X, y, M, bandwidth, ridge)
        scores.append(nmse(rfm_predict(X_test, X, alpha, M, bandwidth), y_test))
        Ms.append(M)
        M = M_new
    last = Ms[-1]
    return RFMRun(np.array(scores), Ms, float((last[0, 0] + last[1, 1]) / np.trace(last)))
