"""Time-ordered validation for keras-tuner searches.

A forecaster is scored on data that comes after the data it was trained
on, never on a shuffled sample of the same period (that scores it on
interpolation, with its own targets among its neighbours' inputs).

- `time_ordered_search(tuner, x, y, val=0.2, gap=0)`: one split, the later
  `val` fraction of the windows is the validation data of every trial.
- `walk_forward_splits(n, folds, ...)`: expanding-window cross-validation
  folds, as slices; `WalkForward` (a tuner mixin) and `walk_forward(cls)`
  score each trial by the mean over the folds.

`gap` drops samples between a training block and the validation block
that follows it: for the overlapping windows of `make_windows`, pass
`keras_seqlab.split_gap(window, horizon)` so that no target of a training
window is an input of a validation window.

This module does not import keras-tuner itself (`tuner_class` does).
"""

import copy
import importlib.util

import keras
import numpy as np

from keras_seqlab.data.splits import temporal_split
from keras_seqlab.utils.validation import check_fraction
from keras_seqlab.utils.validation import check_int

TUNER_KINDS = ("random", "bayesian", "hyperband")

_FIT_VALIDATION_ARGS = ("validation_data", "validation_split")


def walk_forward_splits(n, folds=3, min_train=None, gap=0, val_size=None):
    """Expanding-window (walk-forward) folds over `n` time-ordered samples.

    Fold k trains on samples `[0, s_k - gap)` and validates on
    `[s_k, s_k + val_size)`, where the validation blocks are consecutive
    and the last one ends at `n`: every training block starts at 0 and
    grows by `val_size` per fold, and always lies `gap` samples before the
    block it is scored on.

    Args:
        n: the number of samples (e.g. windows).
        folds: positive integer, the number of folds.
        min_train: the least number of training samples of the first fold;
            with `val_size` unset, the validation blocks are made as large
            as this allows.
        gap: non-negative integer, samples dropped between each training
            block and its validation block.
        val_size: samples per validation block; default
            `(n - min_train - gap) // folds`, or `n // (folds + 1)` when
            `min_train` is unset too.

    Yields:
        `(train, val)` pairs of `slice`s: `x[train]` is a view, no copy.

    Raises:
        ValueError: bad arguments, or `n` too small for them.

    Example:

    >>> [(t.stop, v.start, v.stop) for t, v in walk_forward_splits(10, 2)]
    [(4, 4, 7), (7, 7, 10)]
    """
    owner = "walk_forward_splits"
    n = check_int(owner, "n", n, 0)
    folds = check_int(owner, "folds", folds, 1)
    gap = check_int(owner, "gap", gap, 0)
    if min_train is not None:
        min_train = check_int(owner, "min_train", min_train, 1)
    if val_size is None:
        if min_train is None:
            val_size = n // (folds + 1)
        else:
            val_size = (n - min_train - gap) // folds
    else:
        val_size = check_int(owner, "val_size", val_size, 1)
    first_train = n - folds * val_size - gap
    if val_size < 1 or first_train < (min_train or 1):
        raise ValueError(
            f"{owner}: {n} samples are too few for {folds} fold(s) with "
            f"min_train={min_train}, gap={gap}, val_size={val_size}: the "
            f"first fold would train on {first_train} sample(s) and each "
            "fold must validate on at least one."
        )
    for k in range(folds):
        start = n - (folds - k) * val_size
        yield slice(0, start - gap), slice(start, start + val_size)


def _check_fit_kwargs(owner, fit_kwargs):
    given = [name for name in _FIT_VALIDATION_ARGS if name in fit_kwargs]
    if given:
        raise ValueError(
            f"{owner}: the validation data is the later part of `x`, `y`; "
            f"do not pass {', '.join(given)}."
        )


def _check_objective(owner, tuner):
    objective = tuner.oracle.objective
    objectives = getattr(objective, "objectives", None) or [objective]
    bad = [o.name for o in objectives if not o.name.startswith("val_")]
    if bad:
        raise ValueError(
            f"{owner}: the tuner's objective {', '.join(map(repr, bad))} is "
            "not scored on the validation data; use objective='val_loss' "
            "(or another 'val_' metric)."
        )


def check_tensorboard(owner):
    # keras-tuner (1.4.8) imports tensorboard in every trial on the
    # TensorFlow backend, even without a TensorBoard callback, and
    # tensorflow-cpu 2.21 no longer installs it: every trial would fail.
    if (
        keras.backend.backend() == "tensorflow"
        and importlib.util.find_spec("tensorboard") is None
    ):
        raise ImportError(
            f"{owner}: keras-tuner needs the `tensorboard` package on the "
            "TensorFlow backend (it imports it in every trial); install it "
            "with `pip install tensorboard`."
        )


def check_completed(owner, tuner):
    trials = getattr(tuner.oracle, "trials", None)
    if not trials:
        return
    if any(t.status == "COMPLETED" for t in trials.values()):
        return
    messages = [t.message for t in trials.values() if t.message]
    last = messages[-1].strip().splitlines()[-1] if messages else "unknown"
    raise RuntimeError(
        f"{owner}: no trial of the search completed ({len(trials)} tried); "
        f"the last error: {last}"
    )


def _arrays(owner, x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{owner}: `x` and `y` must be arrays with one sample per row "
            f"along the first axis, got shapes {x.shape} and {y.shape}."
        )
    return x, y


def time_ordered_search(tuner, x, y, val=0.2, gap=0, **fit_kwargs):
    """Runs `tuner.search`, validating on the later part of the data.

    The last `round(val * len(x))` samples are the validation data of
    every trial, the samples before them (less `gap`) the training data;
    nothing is shuffled before the split.

    Args:
        tuner: a keras-tuner `Tuner` whose objective is a validation
            metric (e.g. `"val_loss"`).
        x, y: arrays of samples in time order (e.g. `make_windows`).
        val: fraction in (0, 1) of the samples to validate on.
        gap: samples dropped between the two parts (`split_gap(...)` for
            overlapping windows).
        **fit_kwargs: passed to `tuner.search` and on to `fit` (`epochs`,
            `callbacks`, `verbose`, ...); no `validation_data` or
            `validation_split`.

    Returns:
        The tuner, after the search.

    Raises:
        ValueError: a non-validation objective, validation arguments in
            `fit_kwargs`, bad split arguments.
        RuntimeError: no trial completed (with the last trial's error).
    """
    owner = "time_ordered_search"
    _check_fit_kwargs(owner, fit_kwargs)
    _check_objective(owner, tuner)
    val = check_fraction(owner, "val", val)
    x, y = _arrays(owner, x, y)
    (x_train, y_train), (x_val, y_val), _ = temporal_split(
        (x, y), val=val, test=0.0, gap=gap
    )
    check_tensorboard(owner)
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), **fit_kwargs)
    check_completed(owner, tuner)
    return tuner


def _fresh_start(trial):
    """`trial` without Hyperband's "continue from trial T's weights".

    A Hyperband trial may resume the weights of an earlier trial; under
    walk-forward those were trained on the last fold, which contains the
    validation blocks of the earlier folds. So every fold trains from
    scratch for all of the trial's epochs.
    """
    values = trial.hyperparameters.values
    if "tuner/trial_id" not in values:
        return trial
    fold_trial = copy.copy(trial)
    fold_trial.hyperparameters = trial.hyperparameters.copy()
    fold_trial.hyperparameters.values.pop("tuner/trial_id")
    fold_trial.hyperparameters.values["tuner/initial_epoch"] = 0
    return fold_trial


class WalkForward:
    """Tuner mixin: score every trial by walk-forward cross-validation.

    Each trial builds and trains a fresh model per fold of
    `walk_forward_splits(len(x), folds, min_train, gap, val_size)`, on the
    fold's training block with its validation block as `validation_data`;
    the trial's score is the mean over the folds of the best epoch's
    objective (keras-tuner averages a list of results). The checkpoint kept
    for `get_best_models` is the last fold's, trained on the most data.
    Under Hyperband every fold trains from scratch (see `_fresh_start`).

    Use it before a keras-tuner class: `class T(WalkForward,
    keras_tuner.RandomSearch)`, or `walk_forward(keras_tuner.RandomSearch)`.

    Args:
        folds, min_train, gap, val_size: as in `walk_forward_splits`.
        *args, **kwargs: the tuner's own arguments.
    """

    def __init__(
        self, *args, folds=3, min_train=None, gap=0, val_size=None, **kwargs
    ):
        owner = type(self).__name__
        check_int(owner, "folds", folds, 1)
        check_int(owner, "gap", gap, 0)
        if min_train is not None:
            check_int(owner, "min_train", min_train, 1)
        if val_size is not None:
            check_int(owner, "val_size", val_size, 1)
        self.walk_forward_args = dict(
            folds=folds, min_train=min_train, gap=gap, val_size=val_size
        )
        super().__init__(*args, **kwargs)

    def splits(self, n):
        """The `(train, val)` slices of `n` samples."""
        return list(walk_forward_splits(n, **self.walk_forward_args))

    def search(self, x, y, **fit_kwargs):
        """Searches with walk-forward scores on `x`, `y` (time order)."""
        owner = f"{type(self).__name__}.search"
        _check_fit_kwargs(owner, fit_kwargs)
        _check_objective(owner, self)
        x, y = _arrays(owner, x, y)
        self.splits(len(x))
        check_tensorboard(owner)
        super().search(x, y, **fit_kwargs)
        check_completed(owner, self)

    def run_trial(self, trial, x, y, **fit_kwargs):
        results = []
        for train, val in self.splits(len(x)):
            result = super().run_trial(
                _fresh_start(trial),
                x[train],
                y[train],
                validation_data=(x[val], y[val]),
                **fit_kwargs,
            )
            results.extend(result if isinstance(result, list) else [result])
        return results


_WALK_FORWARD_CLASSES = {}


def walk_forward(tuner_cls):
    """`tuner_cls` with walk-forward scoring (`WalkForward` mixed in).

    Example:

        tuner = walk_forward(keras_tuner.BayesianOptimization)(
            hypermodel, objective="val_loss", max_trials=20, folds=4,
            gap=keras_seqlab.split_gap(window, horizon),
        )
        tuner.search(x, y, epochs=20)
    """
    return _walk_forward_class(tuner_cls)


def _walk_forward_class(tuner_cls):
    if tuner_cls not in _WALK_FORWARD_CLASSES:
        _WALK_FORWARD_CLASSES[tuner_cls] = type(
            f"WalkForward{tuner_cls.__name__}", (WalkForward, tuner_cls), {}
        )
    return _WALK_FORWARD_CLASSES[tuner_cls]


def tuner_class(kind, walk_forward=False):
    """The keras-tuner class for `kind` (one of `TUNER_KINDS`).

    Args:
        kind: `"random"` (RandomSearch), `"bayesian"`
            (BayesianOptimization, needs scikit-learn) or `"hyperband"`.
        walk_forward: whether to mix in `WalkForward`.
    """
    import keras_tuner

    classes = {
        "random": keras_tuner.RandomSearch,
        "bayesian": keras_tuner.BayesianOptimization,
        "hyperband": keras_tuner.Hyperband,
    }
    if kind not in classes:
        raise ValueError(
            f"tuner_class: unknown tuner {kind!r}; expected one of "
            f"{', '.join(map(repr, TUNER_KINDS))}."
        )
    cls = classes[kind]
    return _walk_forward_class(cls) if walk_forward else cls
