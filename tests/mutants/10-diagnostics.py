"""Common-mistake answers for 10-diagnostics (format: docs/AUTHORING.md).

Practice exercise 10: ``diagnose(log) -> set[str]``, 11 points split by label (format 1 and three seed-0 runs 2,
visible; gradients 2, dead ReLUs 1, learning rate 2, over/underfitting 2, healthy 1, hidden). Each mutant is the
solution with one plausible mistake; a mistake in one rule keeps the other rules' points (``keeps_at_least``).
"""

MUTANTS = [
    {
        # the lazy checklist: every run is fine
        "name": "always-healthy",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    return {"healthy"}
''',
    },
    {
        # confuses overfitting with underfitting
        "name": "swap-over-and-underfitting",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-k:].mean() > loss[:k].mean():
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("underfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("overfitting")

    return found if found else {"healthy"}
''',
    },
    {
        # a threshold that flags every run as exploding
        "name": "exploding-threshold-too-low",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 0.1:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-k:].mean() > loss[:k].mean():
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found if found else {"healthy"}
''',
    },
    {
        # never looks at dead units
        "name": "ignores-dead-relus",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        pass

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-k:].mean() > loss[:k].mean():
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found if found else {"healthy"}
''',
        "keeps_at_least": 10,
    },
    {
        # adds healthy to every diagnosis
        "name": "healthy-with-others",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-k:].mean() > loss[:k].mean():
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found | {"healthy"}
''',
    },
    {
        # compares last layer over first layer
        "name": "vanishing-ratio-inverted",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[-1] / g0[0] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-k:].mean() > loss[:k].mean():
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found if found else {"healthy"}
''',
        "keeps_at_least": 9,
    },
    {
        # calls any run whose final loss is above half the initial one lr_too_high
        "name": "final-vs-first-step-only",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if diverged or loss[-1] > 0.5 * loss[0]:
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found if found else {"healthy"}
''',
    },
    {
        # forgets that a loss which became nan is the clearest sign of a learning rate that is too high
        "name": "misses-nan-loss",
        "exercise": "ex10",
        "cell": "ex10-answer",
        "source": '''
def diagnose(log):
    """Labels (a set of str from the fixed vocabulary) describing the training run recorded in `log`."""
    loss = np.asarray(log.train_loss, dtype=float)
    T_steps = len(loss)
    k = max(1, T_steps // 10)
    found = set()

    grads = np.asarray(log.grad_norm, dtype=float)
    first = grads[:k]
    if np.any(~np.isfinite(first[np.isfinite(loss[:k])])) or np.nanmax(first) > 100:
        found.add("exploding_gradients")
    g0 = grads[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] / g0[-1] < 1e-3:
        found.add("vanishing_gradients")

    dead = np.asarray(log.dead_frac, dtype=float)
    if dead.shape[1] > 0 and np.max(np.nanmean(dead[-k:], axis=0)) > 0.5:
        found.add("dead_relus")

    diverged = not np.all(np.isfinite(loss))
    if loss[-k:].mean() > loss[:k].mean():          # a nan loss compares False: the diverged run is missed
        found.add("lr_too_high")

    if not diverged:
        val = np.asarray(log.val_loss, dtype=float)
        train_final = loss[-k:].mean()
        val_final = val[-k:].mean()
        if val_final > 1.5 * np.nanmin(val) and val_final > 2 * train_final:
            found.add("overfitting")
        if np.mean(np.asarray(log.train_acc, dtype=float)[-k:]) < 0.8:
            found.add("underfitting")

    return found if found else {"healthy"}
''',
        "keeps_at_least": 9,
    },
]
