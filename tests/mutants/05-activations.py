"""Common-mistake answers for 05-activations (format: docs/AUTHORING.md).

The answer cell ex02-answer defines both relu and relu_grad, so every mutant defines both: one of them wrong,
the other correct, so that the drop in score is caused by the mistake under test.
"""

_RELU_OK = '''
def relu(Z):
    return np.maximum(Z, 0.0)
'''

_GRAD_OK = '''
def relu_grad(Z):
    return (np.asarray(Z) > 0).astype(float)
'''

MUTANTS = [
    {
        "name": "grad-one-at-zero",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": _RELU_OK + '''
def relu_grad(Z):
    return (np.asarray(Z) >= 0).astype(float)
''',
    },
    {
        "name": "relu-returns-mask",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": '''
def relu(Z):
    return Z > 0
''' + _GRAD_OK,
    },
    {
        "name": "relu-in-place",
        "exercise": "ex02",
        "keeps_at_least": 5,
        "cell": "ex02-answer",
        "source": '''
def relu(Z):
    Z[Z < 0] = 0.0
    return Z
''' + _GRAD_OK,
    },
    {
        "name": "grad-returns-z-where-positive",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": _RELU_OK + '''
def relu_grad(Z):
    return np.where(Z > 0, Z, 0.0)
''',
    },
    {
        "name": "relu-np-max-reduction",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": '''
def relu(Z):
    return np.max(Z, 0)
''' + _GRAD_OK,
    },
    {
        "name": "relu-abs",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": '''
def relu(Z):
    return np.abs(Z)
''' + _GRAD_OK,
    },
    {
        "name": "grad-boolean-mask",
        "exercise": "ex02",
        "keeps_at_least": 4,
        "cell": "ex02-answer",
        "source": _RELU_OK + '''
def relu_grad(Z):
    return Z > 0
''',
    },
    {
        "name": "grad-in-place",
        "exercise": "ex02",
        "keeps_at_least": 5,
        "cell": "ex02-answer",
        "source": _RELU_OK + '''
def relu_grad(Z):
    Z[...] = Z > 0
    return Z
''',
    },
    {
        "name": "delegates-to-reference",
        "exercise": "ex02",
        "cell": "ex02-answer",
        "source": '''
from helpers.activations import relu, relu_grad
''',
    },
]
