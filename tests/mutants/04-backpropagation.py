"""Common-mistake answers for 04-backpropagation (format: docs/AUTHORING.md).

The tests use non-square layers with B, d_in and d_out all different, so no transpose can hide behind a
square matrix. For ex06 the one-sided difference is caught by functions of large curvature (theta**3 with
eps = 1e-3, exp(50 theta) with the default eps) under tolerances the central difference meets with a margin
(see the comments in the test cells).
"""

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
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ
''',
    },
    {
        "name": "dW-averaged-over-batch",
        "exercise": "ex05",
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X / X.shape[0], dZ.sum(axis=0)
''',
    },
    {
        "name": "db-summed-over-wrong-axis",
        "exercise": "ex05",
        "cell": "ex05-answer",
        "source": '''
def affine_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.sum(axis=1)
''',
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
