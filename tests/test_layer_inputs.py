"""The last bad inputs that reached a backend in the layers (issue 11).

Each is refused with a `ValueError` naming the layer, what it expected and
what it got, before any backend op, or handled the same on every backend:
zero time steps, initial states of the wrong number, width or batch size,
masks of another batch size, another feature size than a layer was built
with, non-finite float hyperparameters, float masks, and minGRU/minLSTM
under the `mixed_float16` policy.
"""

import json
import math
import re
import zipfile

import keras
import numpy as np
import pytest
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

import keras_seqlab
from keras_seqlab import AttentionBlock
from keras_seqlab import AttentionPooling
from keras_seqlab import GRUVariant
from keras_seqlab import LNSimpleRNN
from keras_seqlab import MinGRU
from keras_seqlab import MinLSTM
from keras_seqlab import PeepholeLSTM
from keras_seqlab import PositionalEncoding
from keras_seqlab import WaveNet
from keras_seqlab import WaveNetBlock
from keras_seqlab.layers.recurrent.rnn import SeqlabRNN

# Every recurrent layer and every loop: Keras's (TensorFlow, JAX), the
# PyTorch loop of SeqlabRNN, the parallel scan of the min layers, and
# Keras's own loop over a Keras cell.
RECURRENT = {
    "PeepholeLSTM": lambda **kw: PeepholeLSTM(4, name="layer", **kw),
    "GRUVariant": lambda **kw: GRUVariant(4, name="layer", **kw),
    "LNSimpleRNN": lambda **kw: LNSimpleRNN(4, name="layer", **kw),
    "MinGRU sequential": lambda **kw: MinGRU(
        4, mode="sequential", name="layer", **kw
    ),
    "MinGRU parallel": lambda **kw: MinGRU(
        4, mode="parallel", name="layer", **kw
    ),
    "MinLSTM sequential": lambda **kw: MinLSTM(
        4, mode="sequential", name="layer", **kw
    ),
    "MinLSTM parallel": lambda **kw: MinLSTM(
        4, mode="parallel", name="layer", **kw
    ),
    "SeqlabRNN": lambda **kw: SeqlabRNN(
        keras.layers.GRUCell(4), name="layer", **kw
    ),
}
# The number of states of each (all of width 4).
STATES = {"PeepholeLSTM": 2}
WAVENET = {
    "WaveNet": lambda **kw: WaveNet(4, dilations=(1, 2), name="layer", **kw),
    "WaveNetBlock": lambda **kw: WaveNetBlock(4, name="layer", **kw),
}


def _class(name):
    return name.split()[0]


def _message(info):
    """The layer's own message (Keras wraps it with the call arguments)."""
    return str(info.value)


# 1. Zero time steps --------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("name", list(RECURRENT))
def test_recurrent_layers_refuse_zero_time_steps(name, return_sequences):
    # Keras's LSTM/GRU give an IndexError (JAX, PyTorch) or an
    # InvalidArgumentError (TensorFlow) here: no common answer to match.
    layer = RECURRENT[name](return_sequences=return_sequences)
    with pytest.raises(ValueError) as info:
        layer(np.zeros((2, 0, 3), "float32"))
    assert (
        f"{_class(name)} 'layer': needs at least one time step, got inputs "
        "of shape (2, 0, 3)." in _message(info)
    )


@pytest.mark.parametrize("name", list(RECURRENT) + list(WAVENET))
def test_zero_time_steps_refused_after_build_and_symbolically(name):
    layer = {**RECURRENT, **WAVENET}[name]()
    layer(random_sequences(timesteps=5))  # built for 5 steps of 3
    with pytest.raises(ValueError) as info:
        layer(np.zeros((3, 0, 3), "float32"), mask=np.zeros((3, 0), bool))
    assert (
        f"{_class(name)} 'layer': needs at least one time step, got inputs "
        "of shape (3, 0, 3)." in _message(info)
    )
    with pytest.raises(ValueError, match=re.escape("shape (None, 0, 3).")):
        {**RECURRENT, **WAVENET}[name]()(keras.Input((0, 3)))


@pytest.mark.parametrize("return_sequences", [True, False])
def test_wavenet_refuses_zero_time_steps(return_sequences):
    # Keras's causal Conv1D: an error on JAX and PyTorch, a length-1
    # output of arbitrary values on TensorFlow.
    layer = WaveNet(4, return_sequences=return_sequences, name="layer")
    with pytest.raises(ValueError) as info:
        layer(np.zeros((2, 0, 3), "float32"))
    assert (
        "WaveNet 'layer': needs at least one time step, got inputs of "
        "shape (2, 0, 3)." in _message(info)
    )


@pytest.mark.parametrize("kernel_size", [1, 2])
def test_wavenet_block_refuses_zero_time_steps(kernel_size):
    layer = WaveNetBlock(4, kernel_size=kernel_size, name="layer")
    with pytest.raises(ValueError) as info:
        layer(np.zeros((2, 0, 3), "float32"))
    assert (
        "WaveNetBlock 'layer': needs at least one time step, got inputs of "
        "shape (2, 0, 3)." in _message(info)
    )


def test_one_time_step_still_works():
    x = random_sequences(timesteps=1)
    for name, make in RECURRENT.items():
        assert make()(x).shape == (3, 4), name
    assert WaveNet(4, name="w")(x).shape == (3, 1, 4)


# 2. Initial states ---------------------------------------------------------


def _states(count, batch=3, width=4):
    return [np.full((batch, width), 0.5, "float32") for _ in range(count)]


def _expected_states(name, batch=3):
    count = STATES.get(name, 1)
    shapes = ", ".join([f"({batch}, 4)"] * count)
    return (
        f"{_class(name)} 'layer': expected `initial_state` as {count} "
        f"tensor(s) of shapes [{shapes}] (one per state, for inputs of shape "
    )


@pytest.mark.parametrize("name", list(RECURRENT))
def test_initial_state_of_the_wrong_count(name):
    count = STATES.get(name, 1)
    x = random_sequences()
    with pytest.raises(ValueError) as info:
        RECURRENT[name]()(x, initial_state=_states(count + 1))
    message = _message(info)
    assert _expected_states(name) + "(3, 6, 3)), got " in message
    shapes = ", ".join(["(3, 4)"] * (count + 1))
    assert f"got {count + 1} of shapes [{shapes}]." in message


@pytest.mark.parametrize("name", list(RECURRENT))
def test_initial_state_of_the_wrong_width(name):
    states = _states(STATES.get(name, 1))
    states[-1] = np.zeros((3, 5), "float32")
    with pytest.raises(ValueError) as info:
        RECURRENT[name]()(random_sequences(), initial_state=states)
    message = _message(info)
    assert _expected_states(name) in message
    assert "(3, 5)]." in message


@pytest.mark.parametrize("name", list(RECURRENT))
def test_initial_state_of_the_wrong_batch_size(name):
    states = _states(STATES.get(name, 1), batch=2)
    with pytest.raises(ValueError) as info:
        RECURRENT[name]()(random_sequences(), initial_state=states)
    message = _message(info)
    assert _expected_states(name) in message
    assert "(2, 4)]." in message


def test_initial_state_checked_symbolically():
    inputs = keras.Input((6, 3), batch_size=3)
    state = keras.Input((5,), batch_size=3)
    with pytest.raises(ValueError) as info:
        PeepholeLSTM(4, name="layer")(inputs, initial_state=[state, state])
    assert _expected_states("PeepholeLSTM") in _message(info)
    assert "got 2 of shapes [(3, 5), (3, 5)]." in _message(info)


def test_a_missing_state_is_refused_not_the_missing_one_zero():
    layer = PeepholeLSTM(4, name="layer")
    with pytest.raises(ValueError, match=re.escape("got 1 of shapes")):
        layer(random_sequences(), initial_state=_states(1)[0])


@pytest.mark.parametrize("name", list(RECURRENT))
def test_right_initial_states_in_every_form_work(name):
    # A single state as a bare tensor or a one-element list; an unknown
    # batch size in a symbolic model.
    x = random_sequences()
    states = _states(STATES.get(name, 1))
    layer = RECURRENT[name]()
    listed = to_numpy(layer(x, initial_state=states))
    if len(states) == 1:
        bare = to_numpy(layer(x, initial_state=states[0]))
        np.testing.assert_array_equal(bare, listed)
    inputs = keras.Input((6, 3))
    state_inputs = [keras.Input((4,)) for _ in states]
    model = keras.Model(
        [inputs, *state_inputs], layer(inputs, initial_state=state_inputs)
    )
    np.testing.assert_allclose(
        to_numpy(model([x, *states])), listed, rtol=1e-6, atol=1e-6
    )


def test_stacked_cells_states_are_checked_flat():
    cells = keras.layers.StackedRNNCells(
        [keras_seqlab.PeepholeLSTMCell(4), keras_seqlab.MinGRUCell(3)]
    )
    layer = SeqlabRNN(cells, name="layer")
    x = random_sequences()
    good = [_states(2), np.zeros((3, 3), "float32")]
    assert layer(x, initial_state=good).shape == (3, 3)
    with pytest.raises(ValueError) as info:
        layer(x, initial_state=[_states(2), np.zeros((3, 4), "float32")])
    assert (
        "SeqlabRNN 'layer': expected `initial_state` as 3 tensor(s) of "
        "shapes [(3, 4), (3, 4), (3, 3)]" in _message(info)
    )


# 3. Masks of another batch size ---------------------------------------------


MASKED = {
    **RECURRENT,
    **WAVENET,
    "AttentionBlock": lambda: AttentionBlock(2, 3, name="layer"),
    "AttentionPooling": lambda: AttentionPooling(3, name="layer"),
    "PositionalEncoding": lambda: PositionalEncoding(name="layer"),
}


@pytest.mark.parametrize("name", list(MASKED))
def test_mask_of_another_batch_size(name):
    with pytest.raises(ValueError) as info:
        MASKED[name]()(random_sequences(), mask=np.ones((2, 6), bool))
    assert (
        f"{_class(name)} 'layer': expected a mask of shape (3, 6) for inputs "
        "of shape (3, 6, 3), got shape (2, 6)." in _message(info)
    )


def test_mask_batch_size_unknown_is_not_compared():
    inputs = keras.Input((6, 3))
    mask = keras.Input((6,), batch_size=2, dtype="bool")
    assert MinGRU(4)(inputs, mask=mask).shape == (None, 4)


# 4. Another feature size than the layer was built with ---------------------


@pytest.mark.parametrize("name", list(RECURRENT))
def test_other_feature_size_than_built_with(name):
    layer = RECURRENT[name]()
    layer(random_sequences(features=3))
    expected = (
        f"{_class(name)} 'layer': expected inputs with 3 features (the size "
        "it was built with), got shape "
    )
    with pytest.raises(ValueError) as info:
        layer(random_sequences(features=5))
    assert expected + "(3, 6, 5)." in _message(info)
    with pytest.raises(ValueError) as info:  # symbolic
        layer(keras.Input((6, 5)))
    assert expected + "(None, 6, 5)." in _message(info)
    assert layer(random_sequences(batch=2, timesteps=4)).shape == (2, 4)


def test_other_feature_size_inside_bidirectional():
    layer = keras.layers.Bidirectional(MinGRU(4, name="layer"))
    layer(random_sequences(features=3))
    with pytest.raises(ValueError, match="expected inputs with 3 features"):
        layer(random_sequences(features=2))


# 5. and 6. Float hyperparameters: finite and positive -----------------------


NOT_FINITE_POSITIVE = [math.inf, -math.inf, math.nan, 0.0, -1e-3]
FLOAT_ARGUMENTS = {
    "LNSimpleRNN epsilon": (
        lambda v: LNSimpleRNN(4, epsilon=v),
        "LNSimpleRNNCell: `epsilon`",
    ),
    "LNSimpleRNN addons epsilon": (
        lambda v: LNSimpleRNN(4, form="addons", epsilon=v),
        "LNSimpleRNNCell: `epsilon`",
    ),
    "LayerNormSimpleRNNCell layernorm_epsilon": (
        lambda v: keras_seqlab.LayerNormSimpleRNNCell(4, layernorm_epsilon=v),
        "LayerNormSimpleRNNCell: `epsilon`",
    ),
    "AttentionBlock epsilon": (
        lambda v: AttentionBlock(2, 3, epsilon=v),
        "AttentionBlock: `epsilon`",
    ),
    "PositionalEncoding max_wavelength": (
        lambda v: PositionalEncoding(max_wavelength=v),
        "PositionalEncoding: `max_wavelength`",
    ),
}


@pytest.mark.parametrize("value", NOT_FINITE_POSITIVE, ids=repr)
@pytest.mark.parametrize("name", list(FLOAT_ARGUMENTS))
def test_float_hyperparameters_must_be_finite_and_positive(name, value):
    make, owner = FLOAT_ARGUMENTS[name]
    with pytest.raises(ValueError) as info:
        make(value)
    assert (
        f"{owner} must be a positive number, got {value!r} (expected a "
        "finite number > 0)." in str(info.value)
    )


@pytest.mark.parametrize("value", [math.inf, math.nan], ids=repr)
def test_non_finite_forecast_spec_frequency(value):
    with pytest.raises(ValueError) as info:
        keras_seqlab.ForecastSpec(["a"], "a", 5, 1, "seq_to_vector", freq=value)
    assert f"ForecastSpec: `freq` must be a finite number, got {value!r}" in (
        str(info.value)
    )


@pytest.mark.parametrize(
    "layer, key",
    [
        (LNSimpleRNN(4, name="layer"), "epsilon"),
        (PositionalEncoding(name="layer"), "max_wavelength"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_a_crafted_keras_file_with_inf_is_refused(tmp_path, layer, key):
    model = keras.Sequential([keras.Input((6, 3)), layer])
    path = tmp_path / "model.keras"
    model.save(path)
    crafted = tmp_path / "crafted.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(crafted, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                layer_config = config["config"]["layers"][-1]["config"]
                assert key in layer_config
                layer_config[key] = math.inf
                data = json.dumps(config).encode()
            out.writestr(item, data)
    with pytest.raises((ValueError, TypeError)) as info:
        keras.saving.load_model(crafted, safe_mode=True)
    assert f"`{key}` must be a positive number, got inf" in str(info.value)


def test_finite_values_still_accepted():
    assert LNSimpleRNN(4, epsilon=np.float32(1e-6)).epsilon == pytest.approx(
        1e-6
    )
    assert PositionalEncoding(max_wavelength=1e30).max_wavelength == 1e30


# 7. Float masks: any non-zero value is a real step --------------------------


def _padded_mask():
    """Left padding, right padding and a hole, as booleans."""
    mask = np.ones((3, 6), bool)
    mask[0, :2] = False
    mask[1, -2:] = False
    mask[2, 3] = False
    return mask


FLOAT_MASKED = {
    "PeepholeLSTM": lambda: PeepholeLSTM(4, return_sequences=True),
    "GRUVariant last": lambda: GRUVariant(4),
    "LNSimpleRNN backwards": lambda: LNSimpleRNN(
        4, return_sequences=True, go_backwards=True
    ),
    "LNSimpleRNN unrolled": lambda: LNSimpleRNN(
        4, return_sequences=True, unroll=True
    ),
    "MinGRU sequential": lambda: MinGRU(
        4, mode="sequential", return_sequences=True
    ),
    "MinGRU parallel": lambda: MinGRU(
        4, mode="parallel", return_sequences=True
    ),
    "MinLSTM parallel zero output": lambda: MinLSTM(
        4, mode="parallel", return_sequences=True, zero_output_for_mask=True
    ),
    "MinLSTM parallel last": lambda: MinLSTM(4, mode="parallel"),
    "SeqlabRNN Keras cell": lambda: SeqlabRNN(
        keras.layers.GRUCell(4), return_sequences=True
    ),
    "SeqlabRNN stacked": lambda: SeqlabRNN(
        keras.layers.StackedRNNCells(
            [keras_seqlab.PeepholeLSTMCell(4), keras_seqlab.MinGRUCell(3)]
        ),
        return_sequences=True,
    ),
    "AttentionBlock": lambda: AttentionBlock(2, 3, ff_dim=4),
    "AttentionBlock causal": lambda: AttentionBlock(2, 3, causal=True),
    "AttentionPooling": lambda: AttentionPooling(3),
    "WaveNet": lambda: WaveNet(4, dilations=(1, 2)),
    "WaveNet last": lambda: WaveNet(
        4, dilations=(1, 2), return_sequences=False
    ),
    "WaveNetBlock": lambda: WaveNetBlock(4),
    "WaveNetBlock plain": lambda: WaveNetBlock(4, gated=False),
}


def _outputs(result):
    if isinstance(result, (list, tuple)):
        return [to_numpy(r) for r in result]
    return [to_numpy(result)]


@pytest.mark.parametrize("weight", [0.5, 3], ids=["float 0.5", "int 3"])
@pytest.mark.parametrize("name", list(FLOAT_MASKED))
def test_a_mask_of_nonzero_numbers_means_true(name, weight):
    layer = FLOAT_MASKED[name]()
    x = random_sequences(features=4)
    mask = _padded_mask()
    numbers = np.where(mask, weight, 0).astype(
        "float32" if isinstance(weight, float) else "int32"
    )
    reference = _outputs(layer(x, mask=mask))
    for got, want in zip(_outputs(layer(x, mask=numbers)), reference):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # The mask matters here: ignoring it would give other numbers.
    unmasked = _outputs(layer(x))
    assert any(
        not np.allclose(a, b, atol=1e-4) for a, b in zip(unmasked, reference)
    )


# 8. minGRU / minLSTM under mixed_float16 -------------------------------------

FLOAT16_MAX = 65504.0


def _float16_runs():
    try:
        x = keras.ops.ones((2, 2), "float16")
        return np.isfinite(to_numpy(keras.ops.matmul(x, x))).all()
    except Exception:  # any backend error: no float16 on this device
        return False


def _model(cls, mode, policy):
    keras.config.set_dtype_policy(policy)
    try:
        inputs = keras.Input((8, 3))
        hidden = cls(4, mode=mode)(inputs)
        return keras.Model(inputs, keras.layers.Dense(1)(hidden))
    finally:
        keras.config.set_dtype_policy("float32")


def _largest_gradient(model, x, y):
    """max |dL/dw| over the weights, in float32: one SGD step of rate 1."""
    before = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    model.train_on_batch(x, y)
    return max(
        float(np.abs(a - b).max()) for a, b in zip(before, model.get_weights())
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sequential", "parallel"])
@pytest.mark.parametrize("cls", [MinGRU, MinLSTM], ids=lambda c: c.__name__)
def test_min_rnn_trains_under_mixed_float16_on_large_inputs(cls, mode):
    """Inputs of scale 100: the gradients are large (the state is linear in
    the inputs), so the LossScaleOptimizer lowers its scale from 2^15,
    skipping those steps, until scale x gradient fits in float16. Nothing
    inside the layer may overflow earlier: by the step where the scale is
    2^(k-1), k = floor(log2(65504 / max|gradient|)), steps are applied,
    the weights change and every loss is finite."""
    if not _float16_runs():
        pytest.skip(f"no float16 matmul on {keras.backend.backend()}'s CPU")
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(16, 8, 3)) * 100).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    try:
        model = _model(cls, mode, "mixed_float16")
        twin = _model(cls, mode, "float32")
        twin.set_weights(model.get_weights())
        bound = math.floor(
            math.log2(FLOAT16_MAX / _largest_gradient(twin, x, y))
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        start = [w.copy() for w in model.get_weights()]
        # Step i runs at scale 2^(15 - i) until the first applied step.
        fits = max(0, 16 - bound)
        losses, applied = [], []
        for _ in range(fits + 3):
            losses.append(float(model.train_on_batch(x, y)))
            applied.append(int(to_numpy(model.optimizer.iterations)))
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(math.isfinite(loss) for loss in losses), losses
    assert applied[fits] >= 1, (bound, applied)
    assert applied[-1] >= 3, (bound, applied)
    assert all(
        not np.array_equal(a, b) for a, b in zip(start, model.get_weights())
    )
