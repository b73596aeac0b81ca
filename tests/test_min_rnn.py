"""MinGRU and MinLSTM: both paths against the reference, each other, Keras.

Every comparison runs the sequential path (Keras's RNN loop over the cell)
and the parallel path (the scan over (a_t, b_t)) of the same layer.
"""

import inspect
import json

import keras
import numpy as np
import pytest
from keras import ops
from seqlab_testing import BACKEND
from seqlab_testing import check_seeded_dropout_step
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

from keras_seqlab.layers.recurrent import _scan as scan
from keras_seqlab.layers.recurrent import min_rnn
from keras_seqlab.layers.recurrent.min_rnn import MinGRU
from keras_seqlab.layers.recurrent.min_rnn import MinGRUCell
from keras_seqlab.layers.recurrent.min_rnn import MinLSTM
from keras_seqlab.layers.recurrent.min_rnn import MinLSTMCell
from keras_seqlab.layers.recurrent.rnn import SeqlabRNN
from keras_seqlab.reference import min_rnn as ref
from keras_seqlab.reference.sequence import run_sequence
from keras_seqlab.testing import reference_check as check

TOL = 1e-5
MODES = ("sequential", "parallel")

# (layer class, cell class, reference step, reference (a, b) function)
FAMILIES = [
    (MinGRU, MinGRUCell, ref.min_gru_step, ref.min_gru_coefficients),
    (MinLSTM, MinLSTMCell, ref.min_lstm_step, ref.min_lstm_coefficients),
]
FAMILY_IDS = ["MinGRU", "MinLSTM"]


def _randomize(layer, seed=0):
    check.randomize_weights(layer, np.random.default_rng(seed))


def _pair(layer_cls, units=4, x=None, **kwargs):
    """A sequential and a parallel layer with the same random weights."""
    x = random_sequences() if x is None else x
    layers = [layer_cls(units, mode=mode, **kwargs) for mode in MODES]
    for layer in layers:
        layer.build(x.shape)
    _randomize(layers[0])
    layers[1].set_weights(layers[0].get_weights())
    return layers


# -- against the reference -----------------------------------------------------
# The comparison is keras_seqlab.testing.reference_check's, its cases declared
# in keras_seqlab/layers/recurrent/min_rnn.py (REFERENCE_CASES), and
# tests/test_against_reference.py runs every one of them: both modes of both
# layers, forward with masks, initial states and go_backwards, and gradients
# with respect to x, h0 and every weight.

MIN_RNN_CASES = [
    case for case in check.CASES if case.layer in (MinGRU, MinLSTM)
]


def _gradients(fn, x, h0, layer):
    """`check.sgd_gradients(fn, [x, h0], layer)`: x, h0, then the weights."""
    return check.sgd_gradients(fn, [x, h0], layer)


def test_every_mode_of_both_layers_is_checked():
    """With initial states and masks (left and right), backwards, an odd
    T, and gradients, in both modes."""
    names = {case.name for case in MIN_RNN_CASES}
    assert names == {
        f"{layer} {mode}" for layer in FAMILY_IDS for mode in MODES
    }
    for case in MIN_RNN_CASES:
        assert case.layer_kwargs["mode"] in MODES
        assert case.step in ("min_gru", "min_lstm")
        setups = check.checks(case)
        gradient = [s for s, g in setups if g]
        assert any(s.initial_state and s.mask == "right" for s in gradient)
        assert any(
            s.initial_state and s.mask == "left" and s.go_backwards
            for s in gradient
        )
        assert any(s.timesteps % 2 for s, _ in setups)


def test_comparison_detects_a_wrong_weight(monkeypatch):
    """The harness can fail: a perturbed reference weight is caught."""
    original = check.reference_params

    def perturbed(layer):
        params = original(layer)
        params["bias"][-1] += 1e-3
        return params

    monkeypatch.setattr(check, "reference_params", perturbed)
    result = check.compare(
        check.CASES_BY_NAME["MinGRU parallel"],
        check.GRADIENT_SETUPS[0],
        gradients=True,
    )
    assert result.forward_error > TOL and result.gradient_error > TOL


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_reference_scan_equals_reference_steps(family):
    """linear_recurrence over (a_t, b_t) is the step function's loop."""
    _, _, step, coefficients = family
    rng = np.random.default_rng(5)
    blocks = 2 if step is ref.min_gru_step else 3
    params = {
        "kernel": rng.uniform(-1, 1, (3, blocks * 2)).tolist(),
        "bias": rng.uniform(-1, 1, (blocks * 2,)).tolist(),
    }
    xs = rng.uniform(-1, 1, (7, 3)).tolist()
    h0 = [0.3, -0.7]
    mask = [False, True, True, False, True, False, True]
    outputs, _, final = run_sequence(step, params, xs, [h0], mask=mask)
    scanned = ref.linear_recurrence(
        [coefficients(params, x) for x in xs], h0, mask=mask
    )
    assert np.allclose(scanned[-1], final[0], atol=1e-12, rtol=0)
    real = [t for t in range(7) if mask[t]]
    np.testing.assert_allclose(
        [scanned[t] for t in real], [outputs[t] for t in real], atol=1e-12
    )
    if step is ref.min_lstm_step:
        a, b = coefficients(params, xs[0])
        assert all(0.0 < v < 1.0 for v in a)


# -- the two paths agree -------------------------------------------------------


def _long_mask():
    """(4, 64): full, left padded, right padded, and with random gaps."""
    rng = np.random.default_rng(3)
    mask = np.ones((4, 64), bool)
    mask[1, :21] = False
    mask[2, 40:] = False
    mask[3] = rng.uniform(size=64) < 0.7
    return mask


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_parallel_equals_sequential_on_a_long_sequence(family):
    x = random_sequences(batch=4, timesteps=64, features=5, seed=9)
    h0 = np.random.default_rng(1).uniform(-1, 1, (4, 8)).astype("float32")
    layers = _pair(
        family[0],
        units=8,
        x=x,
        return_sequences=True,
        return_state=True,
        go_backwards=True,
    )
    # One compiled model runs both (eager JAX would compile op by op).
    inputs = [
        keras.Input((64, 5)),
        keras.Input((8,)),
        keras.Input((64,), dtype="bool"),
    ]
    outputs = [
        layer(inputs[0], initial_state=[inputs[1]], mask=inputs[2])
        for layer in layers
    ]
    model = keras.Model(inputs, outputs)
    seq, par = model.predict([x, h0, _long_mask()], verbose=0)
    for s, p in zip(seq, par, strict=True):
        np.testing.assert_allclose(p, s, atol=TOL, rtol=0)


def test_parallel_equals_sequential_gradients_on_a_long_sequence():
    """MinLSTM (the two cells share the scan; gradients of both against
    the reference are checked above on short sequences)."""
    x = random_sequences(batch=4, timesteps=64, features=3, seed=4)
    h0 = np.random.default_rng(2).uniform(-1, 1, (4, 4)).astype("float32")
    mask = ops.convert_to_tensor(_long_mask())
    grads = []
    for layer in _pair(MinLSTM, x=x, return_sequences=True):

        def total(x, h0, layer=layer):
            out = layer(x, initial_state=[h0], mask=mask)
            # A mean keeps every gradient O(1), so 1e-5 is float32 noise
            # and not 1e-7 relative error on sums in the hundreds.
            return ops.mean(out * ops.cos(ops.arange(4, dtype="float32")))

        grads.append(_gradients(total, x, h0, layer))
    for s, p in zip(*grads, strict=True):
        np.testing.assert_allclose(p, s, atol=TOL, rtol=0)


def _capture_masks(cell):
    seen = []
    clear = cell.clear_dropout_masks

    def record():
        seen.append(cell._dropout_mask)
        clear()

    cell.clear_dropout_masks = record
    return seen


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_dropout_is_one_mask_on_x_per_sequence(family, mode):
    """Training equals the reference with rows of W scaled by the mask."""
    layer_cls, _, step, _ = family
    x = random_sequences(seed=3)
    layer = layer_cls(4, mode=mode, return_sequences=True, dropout=0.4, seed=7)
    layer.build(x.shape)
    _randomize(layer)
    seen = _capture_masks(layer.cell)
    trained = to_numpy(layer(x, training=True))
    mask = to_numpy(seen[0])
    assert set(np.unique(mask)) <= {0.0, np.float32(1 / 0.6)}
    assert (mask == 0).any()
    params = check.reference_params(layer)
    for b in range(x.shape[0]):
        p = dict(params)
        p["kernel"] = (np.array(params["kernel"]) * mask[b][:, None]).tolist()
        outputs, _, _ = run_sequence(step, p, x[b].tolist(), [[0.0] * 4])
        np.testing.assert_allclose(trained[b], outputs, atol=TOL)
    layer(x, training=True)
    assert not np.array_equal(to_numpy(seen[-1]), mask)


def test_cell_dropout_needs_seqlab_rnn():
    x = random_sequences()
    plain = keras.layers.RNN(MinLSTMCell(4, dropout=0.5))
    with pytest.raises(ValueError, match="keras_seqlab.SeqlabRNN"):
        plain(x, training=True)
    wrapped = SeqlabRNN(MinLSTMCell(4, dropout=0.5, seed=1))
    assert tuple(wrapped(x, training=True).shape) == (3, 4)


# -- which path runs -----------------------------------------------------------


def _spies(monkeypatch):
    calls = {"parallel": [], "associative_scan": [], "pairwise": []}
    parallel = min_rnn._MinRNN._parallel_loop
    associative = keras.ops.associative_scan
    pairwise = scan._pairwise_scan

    def spy_parallel(self, *args, **kwargs):
        calls["parallel"].append(self.name)
        return parallel(self, *args, **kwargs)

    def spy_associative(*args, **kwargs):
        calls["associative_scan"].append(1)
        return associative(*args, **kwargs)

    def spy_pairwise(*args, **kwargs):
        calls["pairwise"].append(1)
        return pairwise(*args, **kwargs)

    monkeypatch.setattr(min_rnn._MinRNN, "_parallel_loop", spy_parallel)
    monkeypatch.setattr(keras.ops, "associative_scan", spy_associative)
    monkeypatch.setattr(scan, "_pairwise_scan", spy_pairwise)
    return calls


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_parallel_mode_runs_the_scan(monkeypatch, family):
    calls = _spies(monkeypatch)
    family[0](4, mode="parallel", name="par")(random_sequences())
    assert calls["parallel"] == ["par"]
    # JAX: jax.lax.associative_scan; TensorFlow and PyTorch: the pairwise
    # scan (Keras's associative_scan breaks there, see linear_scan).
    if BACKEND == "jax":
        assert calls["associative_scan"] and not calls["pairwise"]
    else:
        assert calls["pairwise"] and not calls["associative_scan"]


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_sequential_mode_runs_no_scan(monkeypatch, family):
    calls = _spies(monkeypatch)
    family[0](4, mode="sequential")(random_sequences())
    assert calls == {"parallel": [], "associative_scan": [], "pairwise": []}


def test_auto_mode_follows_the_device(monkeypatch):
    layer = MinGRU(4)
    assert layer.mode == "auto"
    expected = "parallel" if min_rnn.accelerator_present() else "sequential"
    assert layer.resolved_mode == expected
    assert MinLSTM(4, mode="parallel").resolved_mode == "parallel"
    assert MinLSTM(4, mode="sequential").resolved_mode == "sequential"
    calls = _spies(monkeypatch)
    monkeypatch.setattr(min_rnn, "accelerator_present", lambda: True)
    assert layer.resolved_mode == "parallel"
    layer(random_sequences())
    assert len(calls["parallel"]) == 1
    monkeypatch.setattr(min_rnn, "accelerator_present", lambda: False)
    assert layer.resolved_mode == "sequential"
    assert MinLSTM(4, mode="parallel").resolved_mode == "parallel"


def test_resolved_mode_is_read_only():
    with pytest.raises(AttributeError):
        MinGRU(4).resolved_mode = "parallel"


def test_unknown_number_of_steps(monkeypatch):
    """T = None at trace time: TensorFlow falls back to the sequential path."""
    x = random_sequences()
    seq, par = _pair(MinGRU, x=x)
    expected = to_numpy(seq(x))
    calls = _spies(monkeypatch)
    if BACKEND == "tensorflow":
        import tensorflow as tf  # backend-guarded: KERAS_BACKEND=tensorflow

        spec = tf.TensorSpec((None, None, 3))
        out = tf.function(par, input_signature=[spec])(x)
        assert calls["parallel"] == []
    else:
        out = par(x)
        assert calls["parallel"]
    np.testing.assert_allclose(to_numpy(out), expected, atol=TOL)


# -- inside Keras's machinery --------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_cell_in_keras_rnn_equals_parallel_layer(family):
    """keras.layers.RNN steps the cell; the layer scans: same numbers."""
    layer_cls, cell_cls, _, _ = family
    x = random_sequences()
    mask = check.padding_mask(3, 6, "right")
    for go_backwards in (False, True):
        ours = layer_cls(
            4, mode="parallel", return_sequences=True, go_backwards=go_backwards
        )
        plain = keras.layers.RNN(
            cell_cls(4), return_sequences=True, go_backwards=go_backwards
        )
        ours.build(x.shape)
        plain.build(x.shape)
        _randomize(ours)
        plain.set_weights(ours.get_weights())
        np.testing.assert_allclose(
            to_numpy(ours(x, mask=mask)),
            to_numpy(plain(x, mask=mask)),
            atol=TOL,
            rtol=0,
        )


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_bidirectional_equals_forward_and_reversed_backward(family):
    mode = "parallel"  # the sequential path is SeqlabRNN's, tested there
    x = random_sequences()
    mask = check.padding_mask(3, 6, "left")
    bi = keras.layers.Bidirectional(
        family[0](4, mode=mode, return_sequences=True)
    )
    bi.build(x.shape)
    _randomize(bi)
    out = to_numpy(bi(x, mask=mask))
    fwd = to_numpy(bi.forward_layer(x, mask=mask))
    bwd = to_numpy(bi.backward_layer(x, mask=mask))[:, ::-1]
    assert bi.backward_layer.go_backwards
    assert bi.backward_layer.mode == mode
    assert isinstance(bi.backward_layer, family[0])
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], -1), atol=TOL)


def test_stacked_cells_equal_stacked_layers():
    x = random_sequences()
    cells = [MinGRUCell(4), MinLSTMCell(4)]
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells(cells), return_sequences=True
    )
    stacked.build(x.shape)
    layers = [
        MinGRU(4, mode="parallel", return_sequences=True),
        MinLSTM(4, mode="parallel", return_sequences=True),
    ]
    y = x
    for k, (layer, cell) in enumerate(zip(layers, cells)):
        layer.build(y.shape)
        _randomize(layer, seed=k)
        cell.set_weights(layer.get_weights())
        y = layer(y)
    np.testing.assert_allclose(to_numpy(stacked(x)), to_numpy(y), atol=TOL)


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_stateful_continues_where_it_stopped(family):
    mode = "parallel"  # the sequential path is SeqlabRNN's, tested there
    x = random_sequences()  # (3, 6, 3): shapes the other tests use
    whole = family[0](4, mode=mode, return_sequences=True)
    parts = family[0](4, mode=mode, return_sequences=True, stateful=True)
    whole.build(x.shape)
    parts.build((3, 3, 3))
    _randomize(whole)
    parts.set_weights(whole.get_weights())
    expected = to_numpy(whole(x))
    first = to_numpy(parts(x[:, :3]))
    second = to_numpy(parts(x[:, 3:]))
    np.testing.assert_allclose(
        np.concatenate([first, second], 1), expected, atol=TOL
    )
    parts.reset_state()
    np.testing.assert_allclose(to_numpy(parts(x[:, :3])), first, atol=TOL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_symbolic_shapes_with_return_state(family, mode):
    """(compare() above runs every layer eagerly with return_state.)"""
    layer = family[0](5, mode=mode, return_state=True, return_sequences=True)
    out, h = layer(keras.Input((None, 3)))
    assert tuple(out.shape) == (None, None, 5) and tuple(h.shape) == (None, 5)


def test_single_time_step():
    x = random_sequences(timesteps=1)
    seq, par = _pair(MinLSTM, x=x, return_sequences=True)
    np.testing.assert_allclose(to_numpy(par(x)), to_numpy(seq(x)), atol=TOL)


def test_zero_output_for_mask():
    x = random_sequences()
    mask = check.padding_mask(3, 6, "right")
    seq, par = _pair(MinGRU, x=x, return_sequences=True)
    seq.zero_output_for_mask = par.zero_output_for_mask = True
    out = to_numpy(par(x, mask=mask))
    np.testing.assert_allclose(out, to_numpy(seq(x, mask=mask)), atol=TOL)
    assert (out[~mask] == 0).all()


# -- configs, saving -----------------------------------------------------------

PUBLIC_CLASSES = [MinGRUCell, MinLSTMCell, MinGRU, MinLSTM]


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_get_config_holds_every_constructor_argument(cls):
    kwargs = {} if cls.__name__.endswith("Cell") else {"mode": "parallel"}
    obj = cls(3, dropout=0.25, seed=11, kernel_regularizer="l2", **kwargs)
    config = obj.get_config()
    params = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    assert [p for p in params if p not in config] == []
    assert "activation" not in config and "recurrent_initializer" not in config
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert config["dropout"] == 0.25 and config["seed"] == 11
    assert config.get("mode", "parallel") == "parallel"
    registered = keras.saving.get_registered_name(cls)
    assert registered == f"keras_seqlab>{cls.__name__}"


def test_weights_and_column_order():
    gru, lstm = MinGRUCell(4), MinLSTMCell(4)
    gru.build((None, 3))
    lstm.build((None, 3))
    assert [(w.name, tuple(w.shape)) for w in gru.weights] == [
        ("kernel", (3, 8)),
        ("bias", (8,)),
    ]
    assert [tuple(w.shape) for w in lstm.weights] == [(3, 12), (12,)]
    no_bias = MinGRUCell(4, use_bias=False)
    no_bias.build((None, 3))
    assert [w.name for w in no_bias.weights] == ["kernel"]


def _models_to_save():
    yield (
        "gru_parallel",
        MinGRU(
            4,
            mode="parallel",
            return_sequences=True,
            dropout=0.1,
            seed=3,
            kernel_regularizer="l2",
            bias_constraint="non_neg",
        ),
    )
    yield (
        "bi",
        keras.layers.Bidirectional(MinLSTM(3, use_bias=False, mode="auto")),
    )
    yield (
        "cells",
        keras.layers.RNN(
            keras.layers.StackedRNNCells([MinGRUCell(3), MinLSTMCell(2)])
        ),
    )


@pytest.mark.parametrize(
    "name_layer", list(_models_to_save()), ids=lambda p: p[0]
)
def test_keras_file_round_trip_in_safe_mode(tmp_path, name_layer):
    _, layer = name_layer
    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    _randomize(model)
    x = random_sequences()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(model(x)), to_numpy(loaded(x)))
    assert type(loaded.layers[1]) is type(layer)
    assert json.dumps(loaded.layers[1].get_config(), sort_keys=True) == (
        json.dumps(layer.get_config(), sort_keys=True)
    )


# -- training ------------------------------------------------------------------


def _regression_data(n=64, t=10):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, t, 2)).astype("float32")
    y = x[:, :, :1].mean(axis=1) + 0.5 * x[:, -1, 1:]
    return x, y


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_a_compiled_training_step_with_dropout_is_seeded(family, mode):
    """Dropout in a compiled training step, both modes
    (`check_seeded_dropout_step`); the gradients are the reference's."""
    x, y = _regression_data(n=16)
    check_seeded_dropout_step(
        family[0](8, mode=mode, dropout=0.1, seed=1), x, y
    )


@pytest.mark.skipif(
    BACKEND != "tensorflow",
    reason="jit_compile=True is XLA on TensorFlow only: JAX always jits "
    "(every other training test here runs under XLA there) and PyTorch "
    "would run torch.compile (dynamo), not XLA",
)
@pytest.mark.parametrize(
    "family, mode",
    [
        (FAMILIES[0], "sequential"),
        (FAMILIES[0], "parallel"),
        (FAMILIES[1], "parallel"),
    ],
    ids=["MinGRU-sequential", "MinGRU-parallel", "MinLSTM-parallel"],
)
def test_fit_with_jit_compile(family, mode):
    x, y = _regression_data(n=32)
    mask_zero = keras.layers.Masking(mask_value=0.0)
    x[1, :3] = 0.0
    model = keras.Sequential(
        [
            keras.Input((10, 2)),
            mask_zero,
            family[0](4, mode=mode, dropout=0.1, go_backwards=True),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse", jit_compile=True)
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model.jit_compile is True
    assert np.isfinite(history.history["loss"]).all()


def test_mixed_bfloat16_trains_in_parallel_mode():
    """MinLSTM: its coefficients are the more delicate (log σ in bf16)."""
    keras.config.set_dtype_policy("mixed_bfloat16")
    x, y = _regression_data(n=32)
    layer = MinLSTM(4, mode="parallel", return_sequences=True, dropout=0.1)
    model = keras.Sequential(
        [keras.Input((10, 2)), layer, keras.layers.Dense(1, dtype="float32")]
    )
    assert layer.compute_dtype == "bfloat16"
    assert layer.cell.kernel.dtype == "float32"
    model.compile("adam", "mse")
    history = model.fit(x, y[:, None].repeat(10, 1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_parallel_path_keeps_float64():
    """PyTorch's associative_scan would return float32 here."""
    dtype = "float64"
    if BACKEND == "jax":
        import jax  # backend-guarded: only reached with KERAS_BACKEND=jax

        if not jax.config.jax_enable_x64:
            pytest.skip("JAX computes float64 as float32 without x64 mode")
    x = random_sequences(timesteps=16).astype(dtype)
    seq, par = (
        MinLSTM(4, mode=mode, return_sequences=True, dtype=dtype)
        for mode in MODES
    )
    seq.build(x.shape)
    par.build(x.shape)
    _randomize(seq)
    par.set_weights(seq.get_weights())
    out = par(x)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    np.testing.assert_allclose(to_numpy(out), to_numpy(seq(x)), atol=1e-12)


# -- bad input -----------------------------------------------------------------


@pytest.mark.parametrize("units", [0, -3, 2.5, None])
@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_units_must_be_a_positive_integer(cls, units):
    with pytest.raises(ValueError) as info:
        cls(units)
    message = str(info.value)
    assert f"{cls.__name__}: `units` must be a positive integer" in message
    assert repr(units) in message


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM], ids=lambda c: c.__name__)
def test_unknown_mode(cls):
    with pytest.raises(ValueError) as info:
        cls(4, mode="fast")
    assert f"{cls.__name__}: unknown mode 'fast'; expected one of " in str(
        info.value
    )
    assert "'auto', 'sequential', 'parallel'" in str(info.value)


@pytest.mark.parametrize("value", [1.0, -0.1])
@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_dropout_outside_zero_one(cls, value):
    with pytest.raises(ValueError) as info:
        cls(4, dropout=value)
    assert f"{cls.__name__}: `dropout` must be in [0, 1), got {value!r}" in (
        str(info.value)
    )


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_recurrent_dropout_is_refused(cls):
    with pytest.raises(ValueError) as info:
        cls(4, recurrent_dropout=0.2)
    message = str(info.value)
    assert f"{cls.__name__}: `recurrent_dropout` must be 0, got 0.2" in message
    assert "no recurrent matmul" in message and "Use `dropout`" in message
    assert cls(4, recurrent_dropout=0.0).get_config()["recurrent_dropout"] == 0


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4, 5)])
def test_wrong_rank(shape):
    layer = MinGRU(4, mode="parallel", name="my_min_gru")
    with pytest.raises(ValueError) as info:
        layer(np.zeros(shape, "float32"))
    message = str(info.value)
    assert "MinGRU 'my_min_gru': expected inputs of rank 3" in message
    assert f"got shape {shape} (rank {len(shape)})" in message


def test_undefined_feature_dimension():
    with pytest.raises(ValueError) as info:
        MinLSTM(4, name="m")(keras.Input((None, None)))
    message = str(info.value)
    assert "MinLSTM 'm': the feature dimension (last axis) must be" in message
    assert "(None, None, None)" in message


@pytest.mark.parametrize("mode", MODES)
def test_mask_of_the_wrong_length(mode):
    layer = MinLSTM(4, mode=mode, name="ml")
    with pytest.raises(ValueError) as info:
        layer(random_sequences(timesteps=6), mask=np.ones((3, 5), bool))
    message = str(info.value)
    assert "MinLSTM 'ml': expected a mask of shape (batch, 6)" in message
    assert "got shape (3, 5)" in message


def test_unknown_keyword_is_not_swallowed():
    with pytest.raises(ValueError, match="MinGRUCell.*recurrent_initializer"):
        MinGRU(4, recurrent_initializer="orthogonal")
