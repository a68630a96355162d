"""Common-mistake answers for 14-normalization-at-depth (format: docs/AUTHORING.md).

Exercise l14-bnchain (l14-bnchain-answer): bn_random_chain, 10 points (visible 3, reference 3, properties 3,
errors 1). The visible and reference tests compare values to rtol 1e-9, so every mistake in the layer rule (axis,
variance, order, weights, eps) is caught there; a mutant that only skips the input checks keeps 9 points.
"""

_HEAD = '''
def bn_random_chain(X, depth, width, rng, recenter=True, rescale=True, activation="relu", eps=1e-5):
    if activation not in ("relu", "identity"):
        raise ValueError(f"activation must be 'relu' or 'identity', got {activation!r}")
    H = np.asarray(X, dtype=np.float64)
    if H.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {H.shape}")
    for _ in range(depth):
        fan_in = H.shape[1]
'''


def _chain(body):
    """A bn_random_chain with the right checks whose per-layer body is ``body`` (indented 8 spaces)."""
    return _HEAD + body + "    return H\n"


_RIGHT_W = '''        W = rng.standard_normal((width, fan_in)) / np.sqrt(fan_in)
        Z = H @ W.T
'''
_RELU = '''        H = np.maximum(Z, 0.0) if activation == "relu" else Z
'''

MUTANTS = [
    {
        "name": "per-example-normalization",  # LayerNorm's axis instead of BatchNorm's
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        if recenter:
            Z = Z - Z.mean(axis=1, keepdims=True)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=1, keepdims=True) + eps)
''' + _RELU),
    },
    {
        "name": "rescale-by-uncentered-moment-after-recentering",
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        second = (Z * Z).mean(axis=0)
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt(second + eps)
''' + _RELU),
    },
    {
        "name": "activation-before-normalization",
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        if activation == "relu":
            Z = np.maximum(Z, 0.0)
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
        H = Z
'''),
    },
    {
        "name": "unbiased-variance-ddof-1",
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).sum(axis=0) / (Z.shape[0] - 1) + eps)
''' + _RELU),
    },
    {
        "name": "weights-scaled-by-1-over-fan-in",  # hidden by RS, caught when RS is off
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain('''        W = rng.standard_normal((width, fan_in)) / fan_in
        Z = H @ W.T
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
''' + _RELU),
    },
    {
        "name": "weights-drawn-transposed",  # another draw order: the same law, other numbers
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "keeps_at_least": 4,  # the properties (3) and the errors (1) hold for any draw order
        "source": _chain('''        W = rng.standard_normal((fan_in, width)).T / np.sqrt(fan_in)
        Z = H @ W.T
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
''' + _RELU),
    },
    {
        "name": "no-eps-in-the-square-root",
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0))
''' + _RELU),
    },
    {
        "name": "rescale-ignores-the-switch",
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "source": _chain(_RIGHT_W + '''        if recenter:
            Z = Z - Z.mean(axis=0)
        Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
''' + _RELU),
    },
    {
        "name": "no-input-checks",  # misses only the ValueError requirement
        "exercise": "l14-bnchain",
        "cell": "l14-bnchain-answer",
        "keeps_at_least": 9,
        "source": '''
def bn_random_chain(X, depth, width, rng, recenter=True, rescale=True, activation="relu", eps=1e-5):
    H = np.asarray(X, dtype=np.float64)
    for _ in range(depth):
        fan_in = H.shape[-1]
        W = rng.standard_normal((width, fan_in)) / np.sqrt(fan_in)
        Z = H @ W.T
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
        H = np.maximum(Z, 0.0) if activation == "relu" else Z
    return H
''',
    },
]
