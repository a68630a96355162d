"""Common-mistake answers for 15-curvature-and-scaling (format: docs/AUTHORING.md).

Exercise l15-hvp (l15-hvp-answer): hvp_fd, 10 points (visible 3, values 4, inputs unchanged 3).
Exercise l15-eig (l15-eig-answer): top_eigenpair, 10 points (visible 3, values 4, properties 3).
While the two exercises share the exercise key ``l15`` (the text before the first dash of their grade ids), a
mutant's score is counted over both (20 points); ``keeps_at_least`` is still met when counted that way.
The one-sided difference is caught by the worked example (2.001 against 2 at eps = 1e-3) and by cubic losses at the
default eps (relative error about 1e-5 against rtol 1e-6); too few iterations by a second eigenvalue at 0.8 of the
first; a fixed start by a matrix whose top eigenvector is orthogonal to (1, ..., 1).
"""

MUTANTS = [
    # ---------------------------------------------------------------- l15-hvp: hvp_fd
    {
        "name": "forward-difference",
        "exercise": "l15-hvp",
        "cell": "l15-hvp-answer",
        "source": '''
def hvp_fd(grad_fn, theta, v, eps=1e-5):
    theta = np.asarray(theta, dtype=float)
    v = np.asarray(v, dtype=float)
    return (np.asarray(grad_fn(theta + eps * v)) - np.asarray(grad_fn(theta))) / eps
''',
    },
    {
        "name": "divides-by-eps-not-2-eps",
        "exercise": "l15-hvp",
        "cell": "l15-hvp-answer",
        "source": '''
def hvp_fd(grad_fn, theta, v, eps=1e-5):
    theta = np.asarray(theta, dtype=float)
    v = np.asarray(v, dtype=float)
    return (np.asarray(grad_fn(theta + eps * v)) - np.asarray(grad_fn(theta - eps * v))) / eps
''',
    },
    {
        "name": "normalizes-v",
        "exercise": "l15-hvp",
        "cell": "l15-hvp-answer",
        "source": '''
def hvp_fd(grad_fn, theta, v, eps=1e-5):
    theta = np.asarray(theta, dtype=float)
    v = np.asarray(v, dtype=float)
    u = v / np.linalg.norm(v)
    return (np.asarray(grad_fn(theta + eps * u)) - np.asarray(grad_fn(theta - eps * u))) / (2 * eps)
''',
    },
    {
        "name": "perturbs-theta-in-place",  # right values, but the caller's theta ends at theta - eps v
        "exercise": "l15-hvp",
        "cell": "l15-hvp-answer",
        "keeps_at_least": 7,  # of hvp_fd's 10 (3 + 4: only the inputs-unchanged test fails)
        "source": '''
def hvp_fd(grad_fn, theta, v, eps=1e-5):
    theta += eps * v
    g_plus = np.array(grad_fn(theta), dtype=float)
    theta -= 2 * eps * v
    g_minus = np.array(grad_fn(theta), dtype=float)
    return (g_plus - g_minus) / (2 * eps)
''',
    },
    {
        "name": "ignores-eps",
        "exercise": "l15-hvp",
        "cell": "l15-hvp-answer",
        "source": '''
def hvp_fd(grad_fn, theta, v, eps=1e-5):
    theta = np.asarray(theta, dtype=float)
    v = np.asarray(v, dtype=float)
    h = 1e-5
    return (np.asarray(grad_fn(theta + h * v)) - np.asarray(grad_fn(theta - h * v))) / (2 * h)
''',
    },
    # ---------------------------------------------------------------- l15-eig: top_eigenpair
    {
        "name": "norm-of-Hv-instead-of-rayleigh-quotient",
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = rng.standard_normal(dim)
    v = v / np.linalg.norm(v)
    lam = 0.0
    for _ in range(iters):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = float(np.linalg.norm(w))
        v = w / np.linalg.norm(w)
    return lam, v
''',
    },
    {
        "name": "three-iterations",
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = rng.standard_normal(dim)
    v = v / np.linalg.norm(v)
    lam = 0.0
    for _ in range(3):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = float(v @ w)
        v = w / np.linalg.norm(w)
    return lam, v
''',
    },
    {
        "name": "no-normalization",
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = rng.standard_normal(dim)
    lam = 0.0
    for _ in range(iters):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = float(v @ w)
        v = w
    return lam, v
''',
    },
    {
        "name": "fixed-start-of-ones",
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = np.ones(dim) / np.sqrt(dim)
    lam = 0.0
    for _ in range(iters):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = float(v @ w)
        v = w / np.linalg.norm(w)
    return lam, v
''',
    },
    {
        "name": "absolute-value-of-rayleigh-quotient",
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = rng.standard_normal(dim)
    v = v / np.linalg.norm(v)
    lam = 0.0
    for _ in range(iters):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = abs(float(v @ w))
        v = w / np.linalg.norm(w)
    return lam, v
''',
    },
    {
        "name": "ignores-iters",  # always 100 products: right values, wrong cost
        "exercise": "l15-eig",
        "cell": "l15-eig-answer",
        "source": '''
def top_eigenpair(hvp_fn, dim, rng, iters=200):
    v = rng.standard_normal(dim)
    v = v / np.linalg.norm(v)
    lam = 0.0
    for _ in range(100):
        w = np.asarray(hvp_fn(v), dtype=float)
        lam = float(v @ w)
        v = w / np.linalg.norm(w)
    return lam, v
''',
    },
]
