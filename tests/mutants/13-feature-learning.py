"""Common-mistake answers for 13-feature-learning (format: docs/AUTHORING.md).

l13-agop: the visible tests are a one-neuron example by hand (catches sum/mean, the scalings, the N x N Gram) and a
3-input case with neurons of both signs (catches relu in place of relu', the mean gradient); the hidden tests compare
with central differences of the network's output and check the properties (PSD, rank, batch mean).
l13-rfm: the hidden tests use random non-identity M (so a gradient without M is caught), ridges from 0.05 to 1 (so a
missing ridge is caught), repeated training points (so the own-term 0 / 0 is caught). LABS.md proposed a "kernel
gradient sign" mutant: flipping the sign of every gradient leaves M_new = mean(g g^T) unchanged, so it is not a
mistake in the returned values and no honest test can catch it; it is replaced by the mistakes below.
"""

_AGOP = '''
def agop(X, W, a):
    X, W, a = (np.asarray(v, dtype=np.float64) for v in (X, W, a))
    N, d = W.shape
    Z = X @ W.T / np.sqrt(d)
    grads = ({gate} * a) @ W / ({scale})
    return {combine}
'''


def _agop(gate="(Z > 0)", scale="N * np.sqrt(d)", combine="grads.T @ grads / X.shape[0]"):
    return _AGOP.format(gate=gate, scale=scale, combine=combine)


_RFM = '''
def rfm_step(X, y, M, bandwidth, ridge):
    X, y, M = (np.asarray(v, dtype=np.float64) for v in (X, y, M))
    n = X.shape[0]
    diff = X[:, None, :] - X[None, :, :]
    dist = np.sqrt(np.maximum(np.einsum("jik,kl,jil->ji", diff, {M_dist}, diff), 0.0))
    K = np.exp(-dist / bandwidth)
    alpha = np.linalg.solve(K + {ridge} * np.eye(n), y)
    far = dist > 0
    coef = {coef} * alpha[None, :]
    grads = -np.einsum("ji,jik->jk", coef, diff) @ {M_grad} / {L}
    return grads.T @ grads / {n_div}, alpha
'''


def _rfm(M_dist="M", ridge="ridge", coef="np.where(far, K / np.where(far, dist, 1.0), 0.0)", M_grad="M",
         L="bandwidth", n_div="n"):
    return _RFM.format(M_dist=M_dist, ridge=ridge, coef=coef, M_grad=M_grad, L=L, n_div=n_div)


MUTANTS = [
    # ---------------------------------------------------------------- l13-agop: agop
    {"name": "outer-product-of-the-mean-gradient", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(combine="np.outer(grads.mean(axis=0), grads.mean(axis=0))")},
    {"name": "agop-sum-instead-of-mean", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(combine="grads.T @ grads")},
    {"name": "relu-where-relu-prime-belongs", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(gate="np.maximum(Z, 0)")},
    {"name": "sqrt-d-missing", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(scale="N")},
    {"name": "one-over-N-missing", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(scale="np.sqrt(d)")},
    {"name": "N-by-N-gram", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(combine="W @ W.T")},
    {"name": "batch-gram", "exercise": "l13-agop", "cell": "l13-agop-answer",
     "source": _agop(combine="grads @ grads.T / X.shape[0]")},
    # ---------------------------------------------------------------- l13-rfm: rfm_step
    {"name": "own-term-not-left-out", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(coef="K / dist")},
    {"name": "M-missing-from-the-gradient", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(M_grad="np.eye(M.shape[0])")},
    {"name": "euclidean-distance-in-the-kernel", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(M_dist="np.eye(M.shape[0])")},
    {"name": "bandwidth-missing-from-the-gradient", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(L="1.0")},
    {"name": "no-division-by-the-distance", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(coef="np.where(far, K, 0.0)")},
    {"name": "ridge-missing", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(ridge="0.0")},
    {"name": "rfm-sum-instead-of-mean", "exercise": "l13-rfm", "cell": "l13-rfm-answer",
     "source": _rfm(n_div="1")},
]
