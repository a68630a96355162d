"""Common-mistake answers for 09-expressivity-generalization (format: docs/AUTHORING.md).

Section 9's own exercise: ``min_norm_fit(Phi, y) -> w``, the minimum-norm least-squares fit, 10 points split per
requirement (worked example 1, regimes 2, values 3, minimality 1, rank-deficient features 2, shape and inputs 1).
"""

MUTANTS = [
    {
        # (Phi^T Phi)^-1 is singular for P > n: raises or returns a w that does not interpolate
        "name": "normal-equations",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    Phi = np.asarray(Phi, dtype=float)
    return np.linalg.inv(Phi.T @ Phi) @ Phi.T @ np.asarray(y, dtype=float)
''',
    },
    {
        # only square systems: fails for P != n
        "name": "solve-square-only",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    return np.linalg.solve(np.asarray(Phi, dtype=float), np.asarray(y, dtype=float))
''',
    },
    {
        # ridge with a big penalty: shrinks w, no longer least squares or interpolating
        "name": "ridge-big-lambda",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    Phi = np.asarray(Phi, dtype=float)
    P = Phi.shape[1]
    return np.linalg.solve(Phi.T @ Phi + 1.0 * np.eye(P), Phi.T @ np.asarray(y, dtype=float))
''',
    },
    {
        # the right-inverse formula used for every shape: (Phi Phi^T) is singular when P < n
        "name": "right-inverse-always",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    Phi = np.asarray(Phi, dtype=float)
    return Phi.T @ np.linalg.inv(Phi @ Phi.T) @ np.asarray(y, dtype=float)
''',
    },
    {
        # the right numbers as a (P, 1) column instead of a flat (P,) vector
        "name": "column-vector",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    return np.linalg.pinv(np.asarray(Phi, dtype=float)) @ np.asarray(y, dtype=float).reshape(-1, 1)
''',
        "keeps_at_least": 8,
    },
    {
        # a truncated SVD that drops every small singular value (a loose cutoff): wrong for ill-conditioned Phi
        "name": "svd-loose-cutoff",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    U, s, Vt = np.linalg.svd(np.asarray(Phi, dtype=float), full_matrices=False)
    keep = s > 0.5 * s[0]
    return Vt[keep].T @ ((U[:, keep].T @ np.asarray(y, dtype=float)) / s[keep])
''',
    },
    {
        # an interpolant, but not the smallest: the least-squares fit of the first n features, zeros elsewhere
        "name": "first-n-features-only",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    Phi = np.asarray(Phi, dtype=float)
    n, P = Phi.shape
    w = np.zeros(P)
    k = min(n, P)
    w[:k] = np.linalg.lstsq(Phi[:, :k], np.asarray(y, dtype=float), rcond=None)[0]
    return w
''',
    },
    {
        # the pseudo-inverse without a tolerance: inverts singular values that are rounding noise
        "name": "svd-no-cutoff",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
def min_norm_fit(Phi, y):
    U, s, Vt = np.linalg.svd(np.asarray(Phi, dtype=float), full_matrices=False)
    return Vt.T @ ((U.T @ np.asarray(y, dtype=float)) / s)
''',
    },
    {
        "name": "delegates-to-reference",
        "exercise": "s09",
        "cell": "s09-answer",
        "source": '''
from helpers.generalization import min_norm_fit
''',
    },
]
