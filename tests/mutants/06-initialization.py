"""Common-mistake answers for 06-initialization (format: docs/AUTHORING.md).

The answer cell ex07-answer defines both xavier_std and he_std; each mutant gets one of them wrong (or the
validation) and the other right, so the lost points come from the mistake under test. Practice 7 is worth 6 points:
the formulas 4, the ValueError 2, so right formulas without the ValueError must keep at least 4 (``keeps_at_least``).
"""

_XAVIER_OK = '''
def xavier_std(fan_in, fan_out):
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive, got {fan_in}")
    if fan_out <= 0:
        raise ValueError(f"fan_out must be positive, got {fan_out}")
    return math.sqrt(2.0 / (fan_in + fan_out))
'''

_HE_OK = '''
def he_std(fan_in):
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive, got {fan_in}")
    return math.sqrt(2.0 / fan_in)
'''


def _xavier(expr):
    return f'''
def xavier_std(fan_in, fan_out):
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive, got {{fan_in}}")
    if fan_out <= 0:
        raise ValueError(f"fan_out must be positive, got {{fan_out}}")
    return {expr}
''' + _HE_OK


def _he(expr):
    return _XAVIER_OK + f'''
def he_std(fan_in):
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive, got {{fan_in}}")
    return {expr}
'''


MUTANTS = [
    {"name": "xavier-returns-variance", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("2.0 / (fan_in + fan_out)")},
    {"name": "he-returns-variance", "exercise": "ex07", "cell": "ex07-answer",
     "source": _he("2.0 / fan_in")},
    {"name": "he-is-lecun", "exercise": "ex07", "cell": "ex07-answer",
     "source": _he("math.sqrt(1.0 / fan_in)")},
    {"name": "xavier-product-of-fans", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("math.sqrt(2.0 / (fan_in * fan_out))")},
    {"name": "xavier-one-over-sum", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("math.sqrt(1.0 / (fan_in + fan_out))")},
    {"name": "xavier-uniform-bound", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("math.sqrt(6.0 / (fan_in + fan_out))")},
    {"name": "xavier-is-he-with-fan-out", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("math.sqrt(2.0 / fan_out)")},
    {"name": "xavier-only-fan-in", "exercise": "ex07", "cell": "ex07-answer",
     "source": _xavier("math.sqrt(1.0 / fan_in)")},
    {
        "name": "no-validation",
        "exercise": "ex07",
        "cell": "ex07-answer",
        "source": '''
def xavier_std(fan_in, fan_out):
    return (2.0 / (fan_in + fan_out)) ** 0.5


def he_std(fan_in):
    return (2.0 / fan_in) ** 0.5
''',
        "keeps_at_least": 4,
    },
    {
        "name": "assert-instead-of-valueerror",
        "exercise": "ex07",
        "cell": "ex07-answer",
        "source": '''
def xavier_std(fan_in, fan_out):
    assert fan_in > 0 and fan_out > 0, "fans must be positive"
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in):
    assert fan_in > 0, "fan_in must be positive"
    return math.sqrt(2.0 / fan_in)
''',
        "keeps_at_least": 4,
    },
    {
        "name": "rejects-only-zero",
        "exercise": "ex07",
        "cell": "ex07-answer",
        "source": '''
def xavier_std(fan_in, fan_out):
    if fan_in == 0 or fan_out == 0:
        raise ValueError("fan_in and fan_out must not be 0")
    return math.sqrt(2.0 / abs(fan_in + fan_out))


def he_std(fan_in):
    if fan_in == 0:
        raise ValueError("fan_in must not be 0")
    return math.sqrt(2.0 / abs(fan_in))
''',
        "keeps_at_least": 4,
    },
    {
        "name": "delegates-to-reference",
        "exercise": "ex07",
        "cell": "ex07-answer",
        "source": '''
from helpers.init import he_std, xavier_std
''',
    },
]
