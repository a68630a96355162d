"""Common-mistake answers for 12-infinite-width (format: docs/AUTHORING.md).

l12-nngp: the visible tests check depth 1, the orthogonal pair at depth 2 (2/pi off the diagonal, 2 on it) and a
bias; the hidden tests compare with the reference on random inputs, depths and variances, and on near-duplicate
rows built so that the rounded cosine passes 1 (an unclipped arccos returns nan there), for both ways of writing
the normalization (outer product of square roots, or the square root of the product).
l12-rf: the visible tests are one primal and one dual case computed by hand; the hidden tests compare with kernel
ridge regression on Phi Phi^T in both regimes.
"""

_NNGP = '''
def nngp_relu(X, depth, sigma_w2=2.0, sigma_b2=0.0):
    X = np.asarray(X, dtype=np.float64)
    K = sigma_w2 * X @ X.T / X.shape[1] + sigma_b2
    for _ in range(depth - 1):
        scale = np.sqrt(np.diag(K))
        norms = np.outer(scale, scale)
        cos = np.clip(K / norms, -1.0, 1.0)
        theta = np.arccos(cos)
        K = {update}
    return K
'''

_RF = '''
def random_features_ridge(X_train, y, X_test, W, lam):
    N, d = W.shape
    n = X_train.shape[0]
    Phi = np.maximum(X_train @ W.T / {sqrt_d}, 0.0) / {sqrt_N}
    Phi_test = np.maximum(X_test @ W.T / {sqrt_d}, 0.0) / {sqrt_N}
    if N < n:
        w = np.linalg.solve(Phi.T @ Phi + {ridge} * np.eye(N), Phi.T @ y)
        return Phi_test @ w
    beta = np.linalg.solve(Phi @ Phi.T + {ridge_dual} * np.eye(n), y)
    return Phi_test @ (Phi.T @ beta)
'''


def _rf(sqrt_d="np.sqrt(d)", sqrt_N="np.sqrt(N)", ridge="lam", ridge_dual=None):
    return _RF.format(sqrt_d=sqrt_d, sqrt_N=sqrt_N, ridge=ridge, ridge_dual=ridge_dual or ridge)


MUTANTS = [
    # ---------------------------------------------------------------- l12-nngp: nngp_relu
    {
        "name": "no-clip",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.replace("np.clip(K / norms, -1.0, 1.0)", "K / norms").format(
            update="sigma_w2 / (2 * np.pi) * norms * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2"),
    },
    {
        "name": "no-clip-sqrt-of-product",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": '''
def nngp_relu(X, depth, sigma_w2=2.0, sigma_b2=0.0):
    X = np.asarray(X, dtype=np.float64)
    K = sigma_w2 * X @ X.T / X.shape[1] + sigma_b2
    for _ in range(depth - 1):
        norms = np.sqrt(np.outer(np.diag(K), np.diag(K)))
        cos = K / norms
        theta = np.arccos(cos)
        K = sigma_w2 / (2 * np.pi) * norms * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2
    return K
''',
    },
    {
        "name": "cos-term-dropped",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.format(update="sigma_w2 / (2 * np.pi) * norms * np.sin(theta) + sigma_b2"),
    },
    {
        "name": "one-over-pi",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.format(
            update="sigma_w2 / np.pi * norms * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2"),
    },
    {
        "name": "degree-0-arccos",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.format(update="sigma_w2 * norms * (np.pi - theta) / (2 * np.pi) + sigma_b2"),
    },
    {
        "name": "missing-norm-factor",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.format(
            update="sigma_w2 / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2"),
    },
    {
        "name": "bias-dropped-in-recursion",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.format(update="sigma_w2 / (2 * np.pi) * norms * (np.sin(theta) + (np.pi - theta) * cos)"),
    },
    {
        "name": "one-layer-too-many",
        "exercise": "l12-nngp",
        "cell": "l12-nngp-answer",
        "source": _NNGP.replace("range(depth - 1)", "range(depth)").format(
            update="sigma_w2 / (2 * np.pi) * norms * (np.sin(theta) + (np.pi - theta) * cos) + sigma_b2"),
    },
    # ---------------------------------------------------------------- l12-rf: random_features_ridge
    {
        "name": "no-1-over-sqrt-N",
        "exercise": "l12-rf",
        "cell": "l12-rf-answer",
        "source": _rf(sqrt_N="1.0"),
    },
    {
        "name": "ridge-scaled-by-N",
        "exercise": "l12-rf",
        "cell": "l12-rf-answer",
        "source": _rf(ridge="lam * N"),
    },
    {
        "name": "sqrt-d-dropped",
        "exercise": "l12-rf",
        "cell": "l12-rf-answer",
        "source": _rf(sqrt_d="1.0"),
    },
    {
        "name": "ridge-scaled-by-n",
        "exercise": "l12-rf",
        "cell": "l12-rf-answer",
        "source": _rf(ridge="lam * n"),
    },
    {
        "name": "no-ridge-in-the-dual",
        "exercise": "l12-rf",
        "keeps_at_least": 4,   # of 10: the primal form (3) and the inputs (1) are still right
        "cell": "l12-rf-answer",
        "source": _rf(ridge_dual="1e-12"),
    },
    {
        "name": "dual-without-PhiT",
        "exercise": "l12-rf",
        "cell": "l12-rf-answer",
        "source": '''
def random_features_ridge(X_train, y, X_test, W, lam):
    N, d = W.shape
    n = X_train.shape[0]
    Phi = np.maximum(X_train @ W.T / np.sqrt(d), 0.0) / np.sqrt(N)
    Phi_test = np.maximum(X_test @ W.T / np.sqrt(d), 0.0) / np.sqrt(N)
    if N < n:
        return Phi_test @ np.linalg.solve(Phi.T @ Phi + lam * np.eye(N), Phi.T @ y)
    beta = np.linalg.solve(Phi @ Phi.T + lam * np.eye(n), y)
    return Phi_test @ np.resize(beta, N)      # the dual coefficients used as weights
''',
    },
]
