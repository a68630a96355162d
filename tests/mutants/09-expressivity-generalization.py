"""Common-mistake answers for 09-expressivity-generalization (format: docs/AUTHORING.md).

Section 9's own exercise: ``min_norm_fit(Phi, y) -> w``, the minimum-norm least-squares fit.
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
]
