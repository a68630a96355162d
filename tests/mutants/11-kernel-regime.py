"""Common-mistake answers for 11-kernel-regime (format: docs/AUTHORING.md).

l11-ntk: the visible tests use a worked example where a_1 = 1 and x.x'/d = 1 (so it catches the scale and the
missing terms) and a 2 x 3 case with d = 2, readout weights other than +-1 and neurons of both signs (so it
catches a not squared, x.x' not divided by d, relu in place of relu'); the hidden tests compare with the
Jacobian product on random shapes and check duplication invariance (the 1/N).
l11-kgd: the visible worked example has n = 1, so "no 1/n" is caught by its second case (n = 2) and by the hidden
comparison with gradient descent on a linear model.
"""

MUTANTS = [
    # ---------------------------------------------------------------- l11-ntk: empirical_ntk
    {
        "name": "no-1-over-N",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    d = W.shape[1]
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a ** 2) @ (Z2 > 0).T * (X1 @ X2.T / d)
''',
    },
    {
        "name": "one-over-sqrt-N",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return (np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a ** 2) @ (Z2 > 0).T * (X1 @ X2.T / d)) / np.sqrt(N)
''',
    },
    {
        "name": "readout-term-only",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return np.maximum(Z1, 0) @ np.maximum(Z2, 0).T / N
''',
    },
    {
        "name": "inner-product-factor-missing",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return (np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a ** 2) @ (Z2 > 0).T * 1.0) / N
''',
    },
    {
        "name": "inner-product-not-divided-by-d",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return (np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a ** 2) @ (Z2 > 0).T * (X1 @ X2.T)) / N
''',
    },
    {
        "name": "a-not-squared",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    return (np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a) @ (Z2 > 0).T * (X1 @ X2.T / d)) / N
''',
    },
    {
        "name": "relu-where-relu-prime-belongs",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.sqrt(d), X2 @ W.T / np.sqrt(d)
    R1, R2 = np.maximum(Z1, 0), np.maximum(Z2, 0)
    return (R1 @ R2.T + (R1 * a ** 2) @ R2.T * (X1 @ X2.T / d)) / N
''',
    },
    {
        "name": "float32-arithmetic",
        "exercise": "l11-ntk",
        "cell": "l11-ntk-answer",
        "source": '''
def empirical_ntk(X1, X2, W, a):
    X1, X2, W, a = (np.asarray(v, dtype=np.float32) for v in (X1, X2, W, a))
    N, d = W.shape
    Z1, Z2 = X1 @ W.T / np.float32(np.sqrt(d)), X2 @ W.T / np.float32(np.sqrt(d))
    return (np.maximum(Z1, 0) @ np.maximum(Z2, 0).T + ((Z1 > 0) * a ** 2) @ (Z2 > 0).T.astype(np.float32)
            * (X1 @ X2.T / d)) / N
''',
    },
    # ---------------------------------------------------------------- l11-kgd: kernel_gd_predict
    {
        "name": "no-1-over-n",
        "exercise": "l11-kgd",
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    f, g = np.zeros(len(y)), np.zeros(len(K_test))
    for _ in range(steps):
        r = f - y
        g = g - lr * (K_test @ r)
        f = f - lr * (K_train @ r)
    return g
''',
    },
    {
        "name": "steps-minus-one",
        "exercise": "l11-kgd",
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    n = len(y)
    f, g = np.zeros(n), np.zeros(len(K_test))
    for _ in range(max(steps - 1, 0)):
        r = f - y
        g = g - lr / n * (K_test @ r)
        f = f - lr / n * (K_train @ r)
    return g
''',
    },
    {
        "name": "kernel-regression-limit",
        "exercise": "l11-kgd",
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    return np.asarray(K_test) @ np.linalg.lstsq(np.asarray(K_train), np.asarray(y), rcond=None)[0]
''',
    },
    {
        "name": "sign-flip",
        "exercise": "l11-kgd",
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    n = len(y)
    f, g = np.zeros(n), np.zeros(len(K_test))
    for _ in range(steps):
        r = y - f
        g = g - lr / n * (K_test @ r)
        f = f + lr / n * (K_train @ r)
    return g
''',
    },
    {
        "name": "test-update-uses-the-new-residual",
        "exercise": "l11-kgd",
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    n = len(y)
    f, g = np.zeros(n), np.zeros(len(K_test))
    for _ in range(steps):
        f = f - lr / n * (K_train @ (f - y))
        g = g - lr / n * (K_test @ (f - y))
    return g
''',
    },
    {
        "name": "changes-y-in-place",
        "exercise": "l11-kgd",
        "keeps_at_least": 7,   # of 10: visible (3) and values (4) are right; the properties cell (3) checks the inputs
        "cell": "l11-kgd-answer",
        "source": '''
def kernel_gd_predict(K_train, K_test, y, lr, steps):
    n = len(y)
    g = np.zeros(len(K_test))
    for _ in range(steps):
        g = g + lr / n * (K_test @ y)
        y -= lr / n * (K_train @ y)     # the residual y - f, kept in y itself
    return g
''',
    },
]
