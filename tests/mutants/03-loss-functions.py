"""Common-mistake answers for 03-loss-functions (format: docs/AUTHORING.md).

Exercise 4 has two answer cells; each mutant replaces one of them and must cost points on ex04.
"""

MUTANTS = [
    # ---------------------------------------------------------------- ex04: softmax
    {
        "name": "softmax-naive-exp",
        "exercise": "ex04",
        "keeps_at_least": 9,
        "cell": "ex04-answer-softmax",
        "source": '''
def softmax(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
''',
    },
    {
        "name": "softmax-over-columns",
        "exercise": "ex04",
        "cell": "ex04-answer-softmax",
        "source": '''
def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
''',
    },
    {
        "name": "softmax-global-max-and-sum",
        "exercise": "ex04",
        "cell": "ex04-answer-softmax",
        "source": '''
def softmax(Z):
    E = np.exp(Z - Z.max())
    return E / E.sum()
''',
    },
    {
        "name": "softmax-modifies-input",
        "exercise": "ex04",
        "keeps_at_least": 10,
        "cell": "ex04-answer-softmax",
        "source": '''
def softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z
''',
    },
    {
        "name": "softmax-global-max-underflows",
        "exercise": "ex04",
        "keeps_at_least": 10,
        "cell": "ex04-answer-softmax",
        "source": '''
def softmax(Z):
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)
''',
    },
    # ---------------------------------------------------------------- ex04: softmax_cross_entropy
    {
        "name": "ce-sum-not-mean",
        "exercise": "ex04",
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.sum(lse - logits[np.arange(len(y)), y]))
''',
    },
    {
        "name": "ce-log-of-softmax",
        "exercise": "ex04",
        "keeps_at_least": 9,
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    E = np.exp(logits - logits.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))
''',
    },
    {
        "name": "ce-naive-exp",
        "exercise": "ex04",
        "keeps_at_least": 9,
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    lse = np.log(np.exp(logits).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))
''',
    },
    {
        "name": "ce-labels-as-columns",
        "exercise": "ex04",
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    m = logits.max(axis=1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[:, y]))
''',
    },
    {
        "name": "ce-forgets-log-sum-exp",
        "exercise": "ex04",
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    return float(-np.mean(logits[np.arange(len(y)), y]))
''',
    },
    {
        "name": "ce-forgets-max-in-lse",
        "exercise": "ex04",
        "cell": "ex04-answer-ce",
        "source": '''
def softmax_cross_entropy(logits, y):
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))
''',
    },
]
