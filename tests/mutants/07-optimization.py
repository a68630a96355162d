"""Common-mistake answers for 07-optimization (format: docs/AUTHORING.md).

The section's own graded exercise s07 has two answer cells: s07-answer-adam (adam_step) and s07-answer-clip
(clip_by_global_norm). Each mutant replaces one of them; the other keeps the solution.
"""


def _adam(body):
    return '''
def adam_step(theta, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
''' + body


def _clip(body):
    return '''
def clip_by_global_norm(grads, max_norm):
''' + body


MUTANTS = [
    {
        "name": "adam-no-bias-correction",
        "exercise": "s07",
        "keeps_at_least": 5,
        "cell": "s07-answer-adam",
        "source": _adam('''
    return theta - lr * m / (np.sqrt(v) + eps), m, v
'''),
    },
    {
        "name": "adam-t-minus-one",
        "exercise": "s07",
        "keeps_at_least": 5,
        "cell": "s07-answer-adam",
        "source": _adam('''
    m_hat = m / (1 - beta1 ** (t - 1))
    v_hat = v / (1 - beta2 ** (t - 1))
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''),
    },
    {
        "name": "adam-correction-after-sqrt",
        "exercise": "s07",
        "keeps_at_least": 5,
        "cell": "s07-answer-adam",
        "source": _adam('''
    m_hat = m / (1 - beta1 ** t)
    return theta - lr * m_hat / (np.sqrt(v) / (1 - beta2 ** t) + eps), m, v
'''),
    },
    {
        "name": "adam-eps-inside-sqrt",
        "exercise": "s07",
        "keeps_at_least": 9,
        "cell": "s07-answer-adam",
        "source": _adam('''
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v
'''),
    },
    {
        "name": "adam-returns-corrected-moments",
        "exercise": "s07",
        "keeps_at_least": 6,
        "cell": "s07-answer-adam",
        "source": _adam('''
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat
'''),
    },
    {
        "name": "adam-in-place",
        "exercise": "s07",
        "keeps_at_least": 9,
        "cell": "s07-answer-adam",
        "source": '''
def adam_step(theta, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    theta -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return theta, m, v
''',
    },
    {
        "name": "clip-each-array-separately",
        "exercise": "s07",
        "keeps_at_least": 8,
        "cell": "s07-answer-clip",
        "source": _clip('''
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * min(1.0, max_norm / n) if n > 0 else g.copy())
    return out, norm
'''),
    },
    {
        "name": "clip-scales-small-gradients-up",
        "exercise": "s07",
        "keeps_at_least": 8,
        "cell": "s07-answer-clip",
        "source": _clip('''
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = max_norm / norm if norm > 0 else 1.0
    return [g * scale for g in grads], norm
'''),
    },
    {
        "name": "clip-returns-norm-after-clipping",
        "exercise": "s07",
        "keeps_at_least": 8,
        "cell": "s07-answer-clip",
        "source": _clip('''
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads], norm * scale
'''),
    },
    {
        "name": "clip-divides-by-zero-norm",
        "exercise": "s07",
        "keeps_at_least": 9,
        "cell": "s07-answer-clip",
        "source": _clip('''
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads], norm
'''),
    },
]
