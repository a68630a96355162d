"""Common-mistake answers for 04-backpropagation (format: docs/AUTHORING.md).

The tests use non-square layers with B, d_in and d_out all different, so no transpose can hide behind a
square matrix. For ex06 the one-sided difference is caught by functions of large curvature (theta**3 with
eps = 1e-3, exp(50 theta) with the default eps) under tolerances the central difference meets with a margin
(see the comments in the test cells).
"""

# A plain two-layer backward pass; each s04 mutant changes one line of it.
MLP = '''
def two_layer_loss_and_grads(X, y, W1, b1, W2, b2):
    B = X.shape[0]
    Z1 = X @ W1.T + b1
    H1 = np.maximum(Z1, 0.0)
    Z2 = H1 @ W2.T + b2
    rows = np.arange(B)
    m = Z2.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(Z2 - m).sum(axis=1))
    loss = float(np.mean(lse - Z2[rows, y]))
    with np.errstate(all="ignore"):
        P = np.exp(Z2 - lse[:, None])
    Y = np.zeros_like(P)
    Y[rows, y] = 1.0
    dZ2 = (P - Y) / B
    dW2 = dZ2.T @ H1
    db2 = dZ2.sum(axis=0)
    dH1 = dZ2 @ W2
    dZ1 = dH1 * (Z1 > 0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''

MUTANTS = [
    # ---------------------------------------------------------------- ex05: affine_backward
    {
        "name": "dW-transposed",
        "exercise": "ex05",
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
''',
    },
    {
        "name": "db-mean-not-sum",
        "exercise": "ex05",
        "keeps_at_least": 6,
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.mean(axis=0)
''',
    },
    {
        "name": "dX-with-W-transposed",
        "exercise": "ex05",
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)
''',
    },
    {
        "name": "db-not-summed",
        "exercise": "ex05",
        "keeps_at_least": 6,
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ
''',
    },
    {
        "name": "dW-averaged-over-batch",
        "exercise": "ex05",
        "keeps_at_least": 5,
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X / X.shape[0], dZ.sum(axis=0)
''',
    },
    {
        "name": "db-summed-over-wrong-axis",
        "exercise": "ex05",
        "keeps_at_least": 6,
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.sum(axis=1)
''',
    },
    # ---------------------------------------------------------------- s04: two_layer_loss_and_grads
    {
        "name": "no-relu-gate",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 5,
        "source": MLP.replace("dZ1 = dH1 * (Z1 > 0)", "dZ1 = dH1"),
    },
    {
        "name": "gate-from-upstream-gradient",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 5,
        "source": MLP.replace("dZ1 = dH1 * (Z1 > 0)", "dZ1 = dH1 * (dH1 > 0)"),
    },
    {
        "name": "no-1-over-B",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 2,
        "source": MLP.replace("dZ2 = (P - Y) / B", "dZ2 = P - Y"),
    },
    {
        "name": "transposed-weight-gradient",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 5,
        "source": MLP.replace("dW1 = dZ1.T @ X", "dW1 = X.T @ dZ1"),
    },
    {
        "name": "output-weight-gradient-transposed",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "source": MLP.replace("dW2 = dZ2.T @ H1", "dW2 = H1.T @ dZ2"),
    },
    {
        "name": "gate-from-output-with-ge",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 5,
        "source": MLP.replace("dZ1 = dH1 * (Z1 > 0)", "dZ1 = dH1 * (H1 >= 0)"),
    },
    {
        "name": "bias-gradient-averaged",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 5,
        "source": MLP.replace("db1 = dZ1.sum(axis=0)", "db1 = dZ1.mean(axis=0)"),
    },
    {
        "name": "loss-summed-not-averaged",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 6,
        "source": MLP.replace("loss = float(np.mean(lse - Z2[rows, y]))", "loss = float(np.sum(lse - Z2[rows, y]))"),
    },
    {
        "name": "loss-from-log-of-softmax",
        "exercise": "s04",
        "cell": "s04-mlp-backward-answer",
        "keeps_at_least": 8,
        "source": MLP.replace("return loss, {", "return float(np.mean(-np.log(P[rows, y]))), {"),
    },
    # ---------------------------------------------------------------- ex06: numerical_gradient
    {
        "name": "one-sided-difference",
        "exercise": "ex06",
        "cell": "ex06-answer-numgrad",
        "source": '''
def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros(theta.shape)
    f0 = f(theta)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        theta[idx] = old + eps
        grad[idx] = (f(theta) - f0) / eps
        theta[idx] = old
    return grad
''',
    },
    {
        "name": "theta-not-restored",
        "exercise": "ex06",
        "keeps_at_least": 10,
        "cell": "ex06-answer-numgrad",
        "source": '''
def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        theta[idx] += eps
        f_plus = f(theta)
        theta[idx] -= 2 * eps
        f_minus = f(theta)
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
''',
    },
    {
        "name": "divides-by-eps-not-2eps",
        "exercise": "ex06",
        "cell": "ex06-answer-numgrad",
        "source": '''
def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        theta[idx] = old + eps
        f_plus = f(theta)
        theta[idx] = old - eps
        f_minus = f(theta)
        theta[idx] = old
        grad[idx] = (f_plus - f_minus) / eps
    return grad
''',
    },
    {
        "name": "perturbs-all-entries-at-once",
        "exercise": "ex06",
        "cell": "ex06-answer-numgrad",
        "source": '''
def numerical_gradient(f, theta, eps=1e-6):
    d = (f(theta + eps) - f(theta - eps)) / (2 * eps)
    return np.full(theta.shape, d)
''',
    },
    {
        "name": "ignores-eps-argument",
        "exercise": "ex06",
        "keeps_at_least": 10,
        "cell": "ex06-answer-numgrad",
        "source": '''
def numerical_gradient(f, theta, eps=1e-6):
    h = 1e-6
    grad = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        theta[idx] = old + h
        f_plus = f(theta)
        theta[idx] = old - h
        f_minus = f(theta)
        theta[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
''',
    },
    # ---------------------------------------------------------------- ex06: relative_error
    {
        "name": "relerr-no-floor",
        "exercise": "ex06",
        "cell": "ex06-answer-relerr",
        "source": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
''',
    },
    {
        "name": "relerr-mean-not-max",
        "exercise": "ex06",
        "cell": "ex06-answer-relerr",
        "source": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
''',
    },
    {
        "name": "relerr-abs-of-sum",
        "exercise": "ex06",
        "cell": "ex06-answer-relerr",
        "source": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))
''',
    },
    {
        "name": "relerr-max-of-ratios-by-max-abs",
        "exercise": "ex06",
        "cell": "ex06-answer-relerr",
        "source": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))))
''',
    },
    {
        "name": "relerr-ratio-of-maxima",
        "exercise": "ex06",
        "cell": "ex06-answer-relerr",
        "source": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))
''',
    },
]
