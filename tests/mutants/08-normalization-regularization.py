"""Common-mistake answers for 08-normalization-regularization (format: docs/AUTHORING.md).

Practice exercise 8 (ex08-answer): dropout. Practice exercise 9 (ex09-answer): layer_norm.
"""

_CHECK_P = '''
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got p = {p}")
'''

MUTANTS = [
    # ---------------------------------------------------------------- ex08: dropout
    {
        "name": "p-used-as-keep-probability",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) < p).astype(float)
    return H * mask / p, mask
''',
    },
    {
        "name": "no-inverted-scaling",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask, mask
''',
    },
    {
        "name": "multiplies-by-keep-probability",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask * (1 - p), mask
''',
    },
    {
        "name": "dropout-applied-in-eval",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "scales-in-eval",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H * (1 - p), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "one-scalar-mask",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = float(rng.random() > p) * np.ones_like(H)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "no-check-of-p",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return H * mask / (1 - p), mask
''',
    },
    # ---------------------------------------------------------------- ex09: layer_norm
    {
        "name": "normalizes-over-the-batch-axis",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''',
    },
    {
        "name": "unbiased-variance",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True, ddof=1)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''',
    },
    {
        "name": "eps-outside-the-sqrt",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / (x.std(axis=-1, keepdims=True) + eps) + beta
''',
    },
    {
        "name": "std-without-eps",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / x.std(axis=-1, keepdims=True) + beta
''',
    },
    {
        "name": "forgets-gamma-and-beta",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
''',
    },
    {
        "name": "works-only-for-one-example",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = np.mean(x)
    return gamma * (x - mu) / np.sqrt(np.mean((x - mu) ** 2) + eps) + beta
''',
    },
]
