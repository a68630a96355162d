"""The grade's protection: test cells run in a trusted checker process, never in the learner's kernel.

``execute``
    :class:`~grading.checker.execute.TrustedExecute`, nbgrader's ``Execute`` step for autograde: the kernel runs
    the answers (``plan`` says which cells), the checker runs the tests, their verdicts become the test cells'
    outputs that nbgrader scores.
``harness``
    The checker process: runs each test cell's trusted source (from the gradebook) with the learner's functions as
    stand-ins that run in the kernel.
``wire``
    The only thing that crosses between the two: plain data (numbers, strings, containers, numpy arrays of plain
    dtypes, random generators' states), never an object of the learner's making.
``agent``
    The kernel side of a call (untrusted: it runs beside the learner's code and can only send plain data).
``stubs``
    The grading kernel's ``helpers``, without the references an answer must not call.
``plan``
    Which cells, and which statements of them, the kernel runs.

See docs/SECURITY.md for what this guarantees and what it does not.
"""
