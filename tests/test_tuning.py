"""keras-tuner search spaces and time-ordered validation (tuning/)."""

import importlib.util
import re

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_seqlab import models
from keras_seqlab import tuning
from keras_seqlab.data.windows import make_windows
from keras_seqlab.data.windows import split_gap
from keras_seqlab.tuning import walk_forward_splits

kt = pytest.importorskip(
    "keras_tuner",
    reason="keras-tuner is not installed or does not import (1.4.8 also "
    "needs `six`, which it does not declare): pip install "
    '"keras-seqlab[tuning]" six',
)

# keras-tuner 1.4.8 calls threading.currentThread() in every trial.
pytestmark = pytest.mark.filterwarnings(
    "ignore:currentThread\\(\\) is deprecated:DeprecationWarning",
    "ignore:getName\\(\\) is deprecated:DeprecationWarning",
)

BACKEND = keras.backend.backend()
NO_TENSORBOARD = (
    BACKEND == "tensorflow" and importlib.util.find_spec("tensorboard") is None
)
searches = pytest.mark.skipif(
    NO_TENSORBOARD,
    reason="keras-tuner imports tensorboard in every trial on the TensorFlow "
    "backend and it is not installed (tensorflow-cpu 2.21 does not pull it)",
)
needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None
    or importlib.util.find_spec("scipy") is None,
    reason="BayesianOptimization needs scikit-learn and scipy "
    "(keras-tuner[bayesian])",
)

WINDOW = 6
SHAPE = (WINDOW, 1)


def _space(hypermodel):
    """{name: (type, config)} of the space at its defaults."""
    space = {}
    for hp in hypermodel.search_space().space:
        config = hp.get_config()
        del config["name"], config["conditions"]
        space[hp.name] = (type(hp).__name__, config)
    return space


def _int(lo, hi, default, step=1):
    return (
        "Int",
        dict(
            default=default,
            min_value=lo,
            max_value=hi,
            step=step,
            sampling="linear",
        ),
    )


def _choice(values, default, ordered=True):
    return ("Choice", dict(default=default, values=values, ordered=ordered))


RATE = (
    "Float",
    dict(
        default=0.0, min_value=0.0, max_value=0.5, step=0.1, sampling="linear"
    ),
)
TRAINING = {
    "learning_rate": (
        "Float",
        dict(
            default=1e-3,
            min_value=1e-4,
            max_value=1e-2,
            step=None,
            sampling="log",
        ),
    ),
    "batch_size": _choice([16, 32, 64, 128], 32),
}


def _row_series(n):
    """A series whose value is its row number: windows show their rows."""
    return np.arange(n, dtype="float32")


# -- the search spaces ---------------------------------------------------------


def test_every_architecture_has_a_hypermodel():
    assert tuning.names() == models.names()


@pytest.mark.parametrize("name", models.names())
def test_defaults_reproduce_the_untuned_builder(name):
    hypermodel = tuning.get_hypermodel(name, SHAPE)
    assert hypermodel.architecture == name
    space = hypermodel.search_space()
    assert [hp.name for hp in space.space] == list(
        hypermodel.hyperparameter_names
    )
    model = hypermodel.build(space)
    default = models.build(name, SHAPE)
    assert model.count_params() == default.count_params()
    assert [type(x).__name__ for x in model.layers] == [
        type(x).__name__ for x in default.layers
    ]


def test_lstm_space_defaults():
    assert _space(tuning.HyperLSTM(SHAPE)) == {
        "units": _int(8, 128, 32, step=8),
        "depth": _int(1, 3, 1),
        "dropout": RATE,
        "recurrent_dropout": RATE,
        **TRAINING,
    }


def test_stacked_and_min_rnn_space_defaults():
    stacked = _space(tuning.HyperStackedRNN(SHAPE))
    assert stacked["depth"] == _int(2, 4, 2)
    assert stacked["activation"] == _choice(
        ["tanh", "relu"], "tanh", ordered=False
    )
    # minGRU's gates see the input only: no recurrent dropout to search.
    assert _space(tuning.HyperMinGRU(SHAPE)) == {
        "units": _int(8, 128, 32, step=8),
        "depth": _int(1, 3, 1),
        "dropout": RATE,
        **TRAINING,
    }


def test_gru_variant_space_defaults():
    space = _space(tuning.HyperGRUVariant(SHAPE))
    assert space.pop("variant") == _choice(
        ["reset_after", "reset_before", "mgu", "gru1", "gru2", "gru3"],
        "reset_after",
        ordered=False,
    )
    assert space == _space(tuning.HyperGRU(SHAPE))


def test_wavenet_space_defaults():
    assert _space(tuning.HyperWaveNet(SHAPE)) == {
        "filters": _int(8, 128, 32, step=8),
        "kernel_size": _int(2, 4, 2),
        "dilation_cycles": _int(1, 3, 2),
        "max_dilation": _choice([4, 8, 16, 32], 8),
        "gated": ("Boolean", dict(default=True)),
        "dropout": RATE,
        **TRAINING,
    }


def test_tcn_space_defaults():
    assert _space(tuning.HyperTCN(SHAPE)) == {
        "filters": _int(8, 128, 32, step=8),
        "kernel_size": _int(2, 4, 3),
        "depth": _int(1, 3, 1),
        "max_dilation": _choice([4, 8, 16, 32], 8),
        "use_skip_connections": ("Boolean", dict(default=True)),
        "normalization": _choice(
            ["none", "batch", "layer", "weight"], "none", ordered=False
        ),
        "dropout_rate": RATE,
        "dropout": RATE,
        **TRAINING,
    }


def test_attention_space_defaults():
    assert _space(tuning.HyperAttention(SHAPE)) == {
        "units": _int(16, 128, 32, step=16),
        "depth": _int(1, 3, 1),
        "num_heads": _choice([1, 2, 4, 8], 2),
        "key_dim": _choice([8, 16, 32, 64], 16),
        "ff_dim": _choice([0, 32, 64, 128], 0),
        "dropout": RATE,
        **TRAINING,
    }


def test_dense_conv_gru_and_baseline_space_defaults():
    assert _space(tuning.HyperDense(SHAPE)) == {
        "units": _int(8, 128, 32, step=8),
        "depth": _int(1, 3, 1),
        "activation": _choice(["relu", "tanh", "gelu"], "relu", ordered=False),
        "dropout": RATE,
        **TRAINING,
    }
    conv_gru = _space(tuning.HyperConvGRU(SHAPE))
    assert conv_gru["filters"] == _int(8, 128, 32, step=8)
    assert conv_gru["kernel_size"] == _int(2, 8, 4)
    assert _space(tuning.HyperLinear(SHAPE)) == TRAINING
    # The persistence forecast has no weights: nothing to search.
    assert _space(tuning.HyperPersistence(SHAPE)) == {}


def test_a_fixed_hyperparameter_takes_effect_in_build():
    hypermodel = tuning.get_hypermodel("gru_variant", SHAPE)
    hp = kt.HyperParameters()
    hp.Fixed("units", 12)
    hp.Fixed("variant", "mgu")
    hp.Fixed("learning_rate", 0.05)
    model = hypermodel.build(hp)
    layer = model.get_layer("gru_variant_0")
    assert layer.units == 12
    assert layer.cell.variant == "mgu"
    learning_rate = keras.ops.convert_to_numpy(model.optimizer.learning_rate)
    assert float(learning_rate) == pytest.approx(0.05)


def test_overrides_fix_choose_or_reshape_a_range():
    hypermodel = tuning.get_hypermodel(
        "wavenet",
        SHAPE,
        overrides={
            "filters": 8,
            "max_dilation": [2, 4],
            "kernel_size": {"max_value": 6},
            "dropout": kt.engine.hyperparameters.Float("dropout", 0.1, 0.2),
        },
    )
    space = _space(hypermodel)
    assert space["filters"] == ("Fixed", dict(value=8))
    # The declared default (8) is not a choice any more: the first is.
    assert space["max_dilation"] == _choice([2, 4], 2)
    assert space["kernel_size"] == _int(2, 6, 2)
    assert space["dropout"][1]["min_value"] == 0.1
    model = hypermodel.build(hypermodel.search_space())
    wavenet = model.get_layer("wavenet")
    assert wavenet.filters == 8
    assert tuple(wavenet.dilations) == (1, 2, 1, 2)


def test_an_untunable_hypermodel_still_knows_its_space():
    hypermodel = tuning.HyperGRU(SHAPE, tunable=False)
    assert hypermodel.hyperparameter_names == (
        tuning.HyperGRU(SHAPE).hyperparameter_names
    )


def test_options_fix_what_is_not_searched():
    hypermodel = tuning.get_hypermodel(
        "attention", SHAPE, options={"pooling": "last"}
    )
    model = hypermodel.build(hypermodel.search_space())
    assert "last_step" in [layer.name for layer in model.layers]


def test_unknown_architecture_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown architecture 'lsmt'") as e:
        tuning.get_hypermodel("lsmt", SHAPE)
    assert "lstm, stacked_lstm" in str(e.value)


def test_unknown_override_lists_the_valid_names():
    with pytest.raises(ValueError) as e:
        tuning.get_hypermodel("lstm", SHAPE, overrides={"unit": 8})
    assert str(e.value) == (
        "HyperLSTM: unknown hyperparameter(s) 'unit' in overrides; the "
        "'lstm' search space has: units, depth, dropout, recurrent_dropout, "
        "learning_rate, batch_size."
    )
    with pytest.raises(ValueError, match="'variant'.* search space has"):
        tuning.get_hypermodel("gru", SHAPE, overrides={"variant": "mgu"})


@pytest.mark.backend_free
def test_unknown_fixed_hyperparameter_of_a_tuner_is_an_error(tmp_path):
    hp = kt.HyperParameters()
    hp.Fixed("num_heads", 4)
    with pytest.raises(ValueError, match="unknown hyperparameter.*num_heads"):
        kt.RandomSearch(
            tuning.HyperLSTM(SHAPE),
            objective="val_loss",
            hyperparameters=hp,
            directory=tmp_path,
        )


@pytest.mark.backend_free
def test_override_given_twice_is_an_error(tmp_path):
    hp = kt.HyperParameters()
    hp.Fixed("units", 4)
    hypermodel = tuning.HyperLSTM(SHAPE, overrides={"units": 8})
    with pytest.raises(ValueError, match="units set both by `overrides`"):
        kt.RandomSearch(
            hypermodel,
            objective="val_loss",
            hyperparameters=hp,
            directory=tmp_path,
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"overrides": {"units": 0}}, "invalid model.*positive integer"),
        ({"overrides": {"units": {"maximum": 9}}}, "Int takes default"),
        ({"options": {"variant": "mgu"}}, "unknown option"),
        ({"options": {"horizon": 3}}, "constructor arguments"),
        ({"head": "seq_2_seq"}, "unknown head"),
    ],
)
def test_bad_hypermodel_arguments_fail_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tuning.get_hypermodel("lstm", SHAPE, **kwargs)


def test_an_option_the_space_searches_is_an_error():
    with pytest.raises(ValueError, match="'variant' are set by the search"):
        tuning.get_hypermodel("gru_variant", SHAPE, options={"variant": "mgu"})


def test_bidirectional_has_no_seq_to_seq_head():
    with pytest.raises(ValueError, match="no \\(causal\\) seq_to_seq head"):
        tuning.get_hypermodel("bidirectional", SHAPE, head="seq_to_seq")


class _Batches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1


def test_fit_trains_with_the_searched_batch_size():
    x = np.zeros((40, *SHAPE), "float32")
    y = np.zeros((40, 1), "float32")
    hypermodel = tuning.get_hypermodel("linear", SHAPE)
    for fixed, batches in ((None, 2), (16, 3)):
        hp = kt.HyperParameters()
        if fixed:
            hp.Fixed("batch_size", fixed)
        counter = _Batches()
        model = hypermodel.build(hp)
        hypermodel.fit(
            hp, model, x, y, epochs=1, verbose=0, callbacks=[counter]
        )
        assert counter.count == batches
    with pytest.raises(ValueError, match="overrides=\\{'batch_size'"):
        hypermodel.fit(hp, model, x, y, batch_size=8)


# -- walk-forward splits -------------------------------------------------------


@pytest.mark.backend_free
def test_walk_forward_splits_example():
    splits = walk_forward_splits(20, folds=3, min_train=5, gap=2)
    assert [(t.start, t.stop, v.start, v.stop) for t, v in splits] == [
        (0, 6, 8, 12),
        (0, 10, 12, 16),
        (0, 14, 16, 20),
    ]


def _resolved_val_size(n, folds, min_train, gap, val_size):
    if val_size is not None:
        return val_size
    if min_train is None:
        return n // (folds + 1)
    return (n - min_train - gap) // folds


@pytest.mark.backend_free
@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 400),
    folds=st.integers(1, 8),
    gap=st.integers(0, 30),
    min_train=st.none() | st.integers(1, 120),
    val_size=st.none() | st.integers(1, 80),
)
def test_walk_forward_splits_never_leak(n, folds, gap, min_train, val_size):
    size = _resolved_val_size(n, folds, min_train, gap, val_size)
    first_train = n - folds * size - gap
    feasible = size >= 1 and first_train >= (min_train or 1)
    if not feasible:
        with pytest.raises(ValueError, match="too few"):
            list(walk_forward_splits(n, folds, min_train, gap, val_size))
        return
    splits = list(walk_forward_splits(n, folds, min_train, gap, val_size))
    assert len(splits) == folds
    rows = np.arange(n)
    previous = None
    for train, val in splits:
        train_rows, val_rows = rows[train], rows[val]
        assert train_rows[0] == 0 and len(train_rows) >= (min_train or 1)
        assert len(val_rows) == size
        # Every training sample lies before its validation block, and
        # exactly `gap` samples separate them.
        assert train_rows.max() + gap + 1 == val_rows.min()
        assert not set(train_rows) & set(val_rows)
        if previous is not None:
            # Expanding: the next fold trains on more, and validates on
            # the block right after the previous one.
            assert len(train_rows) == len(previous[0]) + size
            assert val_rows.min() == previous[1].max() + 1
        previous = train_rows, val_rows
    assert previous[1].max() == n - 1


@pytest.mark.backend_free
@settings(max_examples=100, deadline=None)
@given(
    window=st.integers(1, 12),
    horizon=st.integers(1, 5),
    folds=st.integers(1, 4),
    val_size=st.integers(1, 6),
    extra=st.integers(0, 40),
)
def test_walk_forward_with_split_gap_keeps_windows_apart(
    window, horizon, folds, val_size, extra
):
    gap = split_gap(window, horizon)
    n_windows = folds * val_size + gap + 1 + extra
    rows = _row_series(n_windows + window + horizon - 1)
    x, y = make_windows(rows, window, horizon=horizon)
    assert len(x) == n_windows
    splits = walk_forward_splits(len(x), folds, gap=gap, val_size=val_size)
    for train, val in splits:
        # No row that a training window uses (input or target) is an
        # input row of a validation window.
        assert y[train].max() < x[val].min()


@pytest.mark.backend_free
def test_walk_forward_splits_bad_arguments():
    for kwargs, expected in (
        ({"folds": 0}, "`folds` must be a positive integer, got 0."),
        ({"gap": -1}, "`gap` must be a non-negative integer, got -1."),
        ({"min_train": 0}, "`min_train` must be a positive integer, got 0."),
    ):
        with pytest.raises(ValueError, match=re.escape(expected)):
            list(walk_forward_splits(10, **kwargs))
    with pytest.raises(ValueError, match="10 samples are too few"):
        list(walk_forward_splits(10, folds=3, min_train=8))


# -- searches ------------------------------------------------------------------


class _Spy:
    """Records what every `fit` of the hypermodel trained on."""

    def __init__(self, *args, **kwargs):
        self.fits = []
        self.resumed = []
        super().__init__(*args, **kwargs)

    def build(self, hp):
        self.resumed.append("tuner/trial_id" in hp.values)
        return super().build(hp)

    def fit(self, hp, model, x, y, **kwargs):
        history = super().fit(hp, model, x, y, **kwargs)
        self.fits.append(
            dict(
                train=x[:, 0, 0].copy(),
                val=kwargs["validation_data"][0][:, 0, 0].copy(),
                initial_epoch=kwargs.get("initial_epoch", 0),
                best=min(history.history["val_loss"]),
            )
        )
        return history


class SpyDense(_Spy, tuning.HyperDense):
    pass


class SpyLinear(_Spy, tuning.HyperLinear):
    pass


def _data(n=48):
    # Training and validation sizes that are multiples of the batch size
    # (16) avoid compiling a second step function for a partial batch.
    """`n` one-step windows of a series whose values are row numbers."""
    x, y = make_windows(_row_series(n + WINDOW), WINDOW)
    return x / n, y / n


def _tiny(batch_only=False):
    """Tiny models: fixed width, one layer, a small batch."""
    hp = kt.HyperParameters()
    if not batch_only:
        hp.Fixed("units", 4)
        hp.Fixed("depth", 1)
    hp.Fixed("batch_size", 16)
    return hp


@searches
@pytest.mark.parametrize(
    "kind",
    [
        "random",
        pytest.param(
            "bayesian", marks=[needs_sklearn, pytest.mark.backend_free]
        ),
    ],
)
def test_search_completes_and_respects_fixed_values(kind, tmp_path):
    x, y = _data()
    hypermodel = SpyDense(SHAPE)
    tuner = tuning.tuner_class(kind)(
        hypermodel,
        objective="val_loss",
        max_trials=2,
        hyperparameters=_tiny(),
        seed=1,
        directory=tmp_path,
    )
    searched = tuning.time_ordered_search(
        tuner, x, y, val=1 / 3, epochs=1, verbose=0
    )
    assert searched is tuner
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == ["COMPLETED"] * 2
    for trial in trials:
        assert trial.hyperparameters.values["units"] == 4
    best = tuner.get_best_models(1)[0]
    assert best.get_layer("dense_0").units == 4
    assert best.predict(x[:3], verbose=0).shape == (3, 1)


@pytest.mark.backend_free
@searches
def test_search_scores_on_the_later_split(tmp_path):
    x, y = _data()
    rows = np.arange(len(x)) / len(x)
    hypermodel = SpyDense(SHAPE)
    tuner = kt.RandomSearch(
        hypermodel,
        objective="val_loss",
        max_trials=1,
        hyperparameters=_tiny(),
        directory=tmp_path,
    )
    tuning.time_ordered_search(tuner, x, y, val=0.25, gap=3, epochs=1)
    (fit,) = hypermodel.fits
    np.testing.assert_allclose(fit["val"], rows[-12:])
    np.testing.assert_allclose(fit["train"], rows[: 48 - 12 - 3])
    trial = tuner.oracle.get_best_trials(1)[0]
    assert trial.score == pytest.approx(fit["best"])


@pytest.mark.backend_free
@searches
def test_hyperband_search_completes(tmp_path):
    x, y = _data()
    tuner = kt.Hyperband(
        tuning.get_hypermodel("linear", SHAPE),
        objective="val_loss",
        max_epochs=2,
        factor=2,
        hyperparameters=_tiny(batch_only=True),
        seed=1,
        directory=tmp_path,
    )
    # The first bracket (two 1-epoch trials, then the better one continued
    # to 2 epochs) is enough; the second adds two more 2-epoch trials.
    tuner.oracle.max_trials = 3
    tuning.time_ordered_search(tuner, x, y, val=1 / 3, verbose=0)
    statuses = [t.status for t in tuner.oracle.trials.values()]
    assert statuses == ["COMPLETED"] * 3
    # Some trial continued an earlier one for its second epoch.
    assert any(
        "tuner/trial_id" in t.hyperparameters.values
        for t in tuner.oracle.trials.values()
    )


@pytest.mark.backend_free
@searches
def test_persistence_search_runs_its_single_trial(tmp_path):
    x, y = _data()
    tuner = kt.RandomSearch(
        tuning.get_hypermodel("persistence", SHAPE),
        objective="val_loss",
        max_trials=3,
        directory=tmp_path,
    )
    tuning.time_ordered_search(tuner, x, y, val=1 / 3, epochs=1, verbose=0)
    assert len(tuner.oracle.trials) == 1


@pytest.mark.backend_free
@searches
def test_walk_forward_scores_the_mean_over_folds(tmp_path):
    x, y = _data(50)
    rows = np.arange(len(x)) / len(x)
    hypermodel = SpyDense(SHAPE)
    tuner = tuning.walk_forward(kt.RandomSearch)(
        hypermodel,
        objective="val_loss",
        max_trials=1,
        hyperparameters=_tiny(),
        directory=tmp_path,
        folds=2,
        gap=2,
        val_size=16,
    )
    tuner.search(x, y, epochs=1, verbose=0)
    assert len(hypermodel.fits) == 2
    for fit, (train, val) in zip(hypermodel.fits, tuner.splits(len(x))):
        np.testing.assert_allclose(fit["train"], rows[train])
        np.testing.assert_allclose(fit["val"], rows[val])
    assert [f["val"].max() for f in hypermodel.fits] == pytest.approx(
        [rows[33], rows[49]]
    )
    trial = tuner.oracle.get_best_trials(1)[0]
    mean = np.mean([f["best"] for f in hypermodel.fits])
    assert trial.score == pytest.approx(mean, rel=1e-6)


@pytest.mark.slow
@pytest.mark.backend_free
@searches
def test_walk_forward_hyperband_trains_every_fold_from_scratch(tmp_path):
    x, y = _data()
    hypermodel = SpyLinear(SHAPE)
    tuner = tuning.tuner_class("hyperband", walk_forward=True)(
        hypermodel,
        objective="val_loss",
        max_epochs=2,
        factor=2,
        hyperparameters=_tiny(batch_only=True),
        seed=1,
        directory=tmp_path,
        folds=2,
        val_size=16,
    )
    tuner.oracle.max_trials = 3  # the first bracket, as above
    tuner.search(x, y, verbose=0)
    continued = [
        t
        for t in tuner.oracle.trials.values()
        if "tuner/trial_id" in t.hyperparameters.values
    ]
    assert continued, "expected Hyperband to continue some trial"
    # Weights of an earlier trial come from its last fold, which saw the
    # earlier folds' validation blocks: never loaded under walk-forward.
    assert not any(hypermodel.resumed)
    assert {f["initial_epoch"] for f in hypermodel.fits} == {0}


@pytest.mark.backend_free
def test_time_ordered_search_refuses_training_scores(tmp_path):
    x, y = _data()
    tuner = kt.RandomSearch(
        tuning.get_hypermodel("linear", SHAPE),
        objective="loss",
        max_trials=1,
        directory=tmp_path,
    )
    with pytest.raises(ValueError, match="'loss' is not scored on the valid"):
        tuning.time_ordered_search(tuner, x, y)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"validation_split": 0.2}, "do not pass validation_split"),
        ({"validation_data": None}, "do not pass validation_data"),
        ({"val": 0.0}, "`val` must be in \\(0, 1\\)"),
        ({"gap": 100}, "leave no training rows"),
    ],
)
def test_time_ordered_search_bad_arguments(kwargs, match, tmp_path):
    x, y = _data()
    tuner = kt.RandomSearch(
        tuning.get_hypermodel("linear", SHAPE),
        objective="val_loss",
        max_trials=1,
        directory=tmp_path,
    )
    with pytest.raises(ValueError, match=match):
        tuning.time_ordered_search(tuner, x, y, **kwargs)
    assert not tuner.oracle.trials


class _Broken(tuning.HyperLinear):
    def fit(self, hp, model, *args, **kwargs):
        raise ValueError("boom")


@pytest.mark.backend_free
@searches
def test_a_search_without_a_completed_trial_is_an_error(tmp_path):
    x, y = _data()
    tuner = kt.RandomSearch(
        _Broken(SHAPE), objective="val_loss", max_trials=1, directory=tmp_path
    )
    with pytest.raises(RuntimeError, match="no trial.*completed.*boom"):
        tuning.time_ordered_search(tuner, x, y, val=1 / 3, epochs=1)


@pytest.mark.backend_free
def test_walk_forward_arguments_are_checked_at_construction(tmp_path):
    with pytest.raises(ValueError, match="`folds` must be a positive integer"):
        tuning.walk_forward(kt.RandomSearch)(
            tuning.HyperLinear(SHAPE),
            objective="val_loss",
            directory=tmp_path,
            folds=0,
        )


@pytest.mark.backend_free
def test_unknown_tuner_kind():
    with pytest.raises(ValueError, match="unknown tuner 'grid'.*'hyperband'"):
        tuning.tuner_class("grid")


@pytest.mark.skipif(
    not NO_TENSORBOARD,
    reason="tensorboard is installed (or this is not the TensorFlow backend)",
)
def test_tensorflow_without_tensorboard_is_a_clear_error(tmp_path):
    x, y = _data()
    tuner = kt.RandomSearch(
        tuning.get_hypermodel("linear", SHAPE),
        objective="val_loss",
        max_trials=1,
        directory=tmp_path,
    )
    with pytest.raises(ImportError, match="pip install tensorboard"):
        tuning.time_ordered_search(tuner, x, y)
