"""The TensorFlow Addons cells: LayerNormLSTMCell, NASCell, ESNCell (issue 15).

Addons' golden numbers are ported from its tests (tensorflow/addons,
`tensorflow_addons/rnn/tests/layer_norm_lstm_cell_test.py`,
`nas_cell_test.py`, `esn_cell_test.py`); the configs below are literal
dicts of what Addons' `get_config` wrote (same sources, the cells'
`get_config`, and Keras 2.13+'s initializer serialization). The forward
values and gradients of every form against the pure-Python reference are
in tests/test_against_reference.py (the `REFERENCE_CASES` of
`keras_seqlab/layers/recurrent/ln_lstm.py`, `nas.py`, `esn.py`); NAS's
projection, whose two states have two widths, is compared here.
"""

import keras
import numpy as np
import pytest
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

import keras_seqlab
from keras_seqlab import reference
from keras_seqlab.testing import layer_test
from keras_seqlab.testing.comparison import max_error
from keras_seqlab.testing.comparison import padding_mask
from keras_seqlab.testing.comparison import randomize_weights
from keras_seqlab.testing.comparison import sgd_gradients
from keras_seqlab.testing.comparison import weighted_sum
from keras_seqlab.testing.reference_check import _op_by_op

TOL = 1e-5
FORMS = ("addons", "ba2016")
HALF = keras.initializers.Constant(0.5)


def _init(class_name, legacy=False, **config):
    """An initializer as Keras 2.13+ (or, legacy, Keras <= 2.12) wrote it."""
    if legacy:
        return {"class_name": class_name, "config": config}
    return {
        "module": "keras.initializers",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }


def _f32(*rows):
    return np.asarray(rows, dtype="float32")


# -- LayerNormLSTMCell: Addons' golden values ----------------------------------


def _ln_cell(**kwargs):
    return keras_seqlab.LayerNormLSTMCell(
        2,
        kernel_initializer=HALF,
        recurrent_initializer=HALF,
        bias_initializer=HALF,
        norm_epsilon=1e-12,
        **kwargs,
    )


def test_ln_lstm_addons_golden_values_stacked():
    # layer_norm_lstm_cell_test.py::test_cell_output, first part.
    x = np.ones((1, 2), "float32")
    states = (
        [0.1 * _f32([2, 3]), 0.1 * _f32([0, 1])],
        [0.1 * _f32([6, 7]), 0.1 * _f32([4, 5])],
    )
    cell = keras.layers.StackedRNNCells([_ln_cell() for _ in range(2)])
    output, (state0, state1) = cell(x, states)
    expected_h = _f32([-0.47406167, 0.47406143])
    expected_c = _f32([-1.0, 1.0])
    np.testing.assert_allclose(to_numpy(output), expected_h, rtol=1e-5)
    for h, c in (state0, state1):
        np.testing.assert_allclose(to_numpy(h), expected_h, rtol=1e-5)
        np.testing.assert_allclose(to_numpy(c), expected_c, rtol=1e-5)


def test_ln_lstm_addons_golden_values_input_size_not_units():
    # test_cell_output, second part: input size 3 != units 2.
    cell = _ln_cell()
    x = np.ones((1, 3), "float32")
    output, (h, c) = cell(x, [0.1 * _f32([2, 3]), 0.1 * _f32([0, 1])])
    expected_h = _f32([-0.47406167, 0.47406143])
    np.testing.assert_allclose(to_numpy(output), expected_h, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(h), expected_h, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(c), _f32([-1.0, 1.0]), rtol=1e-5)


def test_ln_lstm_nearly_constant_gates_normalize_to_exactly_zero():
    # The stacked golden test's second cell sees h U = 0.65 in all eight
    # columns; a plain float32 mean is an ulp off there, which ε = 1e-12
    # blew up to a 0.06 change of the output gate (0.4633 for 0.4741).
    cell = _ln_cell()
    x = np.zeros((1, 2), "float32")
    output, _ = cell(x, [0.1 * _f32([6, 7]), 0.1 * _f32([4, 5])])
    expected = 1 / (1 + np.exp(-0.5)) * np.tanh(1.0)
    np.testing.assert_allclose(
        to_numpy(output), [[-expected, expected]], rtol=1e-6
    )


def test_ln_lstm_weights_in_addons_order():
    # layer_norm_lstm_cell_test.py::test_build: 9 weights, this order.
    cell = keras_seqlab.LayerNormLSTMCell(10)
    cell(np.ones((12, 20), "float32"), cell.get_initial_state(batch_size=12))
    names = [w.name for w in cell.weights]
    assert names == [
        "kernel",
        "recurrent_kernel",
        "bias",
        "kernel_norm_gamma",
        "kernel_norm_beta",
        "recurrent_norm_gamma",
        "recurrent_norm_beta",
        "state_norm_gamma",
        "state_norm_beta",
    ]
    shapes = [tuple(w.shape) for w in cell.weights]
    assert shapes == [(20, 40), (10, 40), (40,)] + [(40,)] * 4 + [(10,)] * 2
    bias = to_numpy(cell.bias)
    np.testing.assert_array_equal(bias[10:20], np.ones(10))
    np.testing.assert_array_equal(np.delete(bias, range(10, 20)), 0.0)


def test_ln_lstm_forms_differ_only_in_the_carried_cell_state():
    x = random_sequences(batch=2, timesteps=1, features=3)[:, 0]
    states = [random_sequences(2, 1, 4, seed=s)[:, 0] for s in (1, 2)]
    cells = [keras_seqlab.LayerNormLSTMCell(4, form=f) for f in FORMS]
    for cell in cells:
        cell.build(x.shape)
    cells[1].set_weights(cells[0].get_weights())
    (h_a, (_, c_a)), (h_b, (_, c_b)) = (c(x, states) for c in cells)
    np.testing.assert_allclose(to_numpy(h_a), to_numpy(h_b), atol=1e-6)
    c_b = to_numpy(c_b)
    normed = (c_b - c_b.mean(-1, keepdims=True)) / np.sqrt(
        c_b.var(-1, keepdims=True) + 1e-3
    )
    np.testing.assert_allclose(to_numpy(c_a), normed, atol=1e-5)
    assert np.abs(to_numpy(c_a) - c_b).max() > 0.1


def addons_ln_lstm_config(legacy=False, **changes):
    """`tfa.rnn.LayerNormLSTMCell(10, name=...).get_config()` (Addons'
    test_config_layer_norm_legacy / test_config_layer_norm)."""
    config = {
        "dtype": "float32",
        "name": "layer_norm_lstm_cell_3",
        "trainable": True,
        "units": 10,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": _init("GlorotUniform", legacy, seed=None),
        "recurrent_initializer": _init(
            "Orthogonal", legacy, seed=None, gain=1.0
        ),
        "bias_initializer": _init("Zeros", legacy),
        "unit_forget_bias": True,
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "implementation": 2,
        "norm_gamma_initializer": _init("Ones", legacy),
        "norm_beta_initializer": _init("Zeros", legacy),
        "norm_epsilon": 1e-3,
    }
    return {**config, **changes}


@pytest.mark.parametrize("legacy", [False, True], ids=["k2.13+", "k2.12-"])
def test_addons_ln_lstm_config_builds_the_cell(legacy):
    config = addons_ln_lstm_config(
        legacy,
        units=2,
        kernel_initializer=_init("Constant", legacy, value=0.5),
        recurrent_initializer=_init("Constant", legacy, value=0.5),
        bias_initializer=_init("Constant", legacy, value=0.5),
        norm_epsilon=1e-12,
    )
    cell = keras_seqlab.LayerNormLSTMCell.from_config(config)
    assert (cell.form, cell.norm_epsilon, cell.units) == ("addons", 1e-12, 2)
    output, _ = cell(np.ones((1, 3), "float32"), [0.1 * _f32([2, 3])] * 2)
    np.testing.assert_allclose(
        to_numpy(output), _f32([-0.47406167, 0.47406143]), rtol=1e-5
    )


def test_addons_ln_lstm_config_keeps_its_hyperparameters():
    config = addons_ln_lstm_config(
        activation="relu",
        unit_forget_bias=False,
        dropout=0.25,
        norm_epsilon=1e-2,
        norm_gamma_initializer=_init("Constant", value=2.0),
    )
    cell = keras_seqlab.LayerNormLSTMCell.from_config(config)
    assert keras.activations.serialize(cell.activation) == "relu"
    assert (cell.unit_forget_bias, cell.dropout) == (False, 0.25)
    assert cell.name == "layer_norm_lstm_cell_3"
    cell.build((None, 3))
    np.testing.assert_array_equal(to_numpy(cell.kernel_norm_gamma), 2.0)
    np.testing.assert_array_equal(to_numpy(cell.bias), 0.0)


# -- NASCell: Addons' golden values --------------------------------------------

NAS_INPUTS = _f32([1.0] * 4, [2.0] * 4, [3.0] * 4)


def test_nas_addons_golden_values():
    # nas_cell_test.py::test_base (units 6, batch 3).
    cell = keras_seqlab.NASCell(
        6, kernel_initializer=HALF, recurrent_initializer=HALF
    )
    state = 0.1 * np.ones((3, 6), "float32")
    output, (m, c) = cell(NAS_INPUTS, [state, state])
    expected_m = np.repeat([[0.576751], [0.618936], [0.627393]], 6, axis=1)
    expected_c = np.repeat([[0.7157977], [0.7804162], [0.7945764]], 6, 1)
    np.testing.assert_allclose(to_numpy(output), expected_m, atol=1e-6)
    # Addons' state is [c, m]; ours is [m, c] (the output first).
    np.testing.assert_allclose(to_numpy(m), expected_m, atol=1e-6)
    np.testing.assert_allclose(to_numpy(c), expected_c, atol=1e-6)


def test_nas_addons_golden_values_with_projection():
    # nas_cell_test.py::test_projection (units 6, projection 5).
    cell = keras_seqlab.NASCell(
        6,
        projection=5,
        kernel_initializer=HALF,
        recurrent_initializer=HALF,
        projection_initializer=HALF,
    )
    assert cell.state_size == [5, 6] and cell.output_size == 5
    m0 = 0.1 * np.ones((3, 5), "float32")
    c0 = 0.1 * np.ones((3, 6), "float32")
    output, (m, c) = cell(NAS_INPUTS, [m0, c0])
    expected_m = np.repeat([[1.697418], [1.840037], [1.873985]], 5, axis=1)
    expected_c = np.repeat([[0.69855207], [0.77073824], [0.78973997]], 6, 1)
    np.testing.assert_allclose(to_numpy(output), expected_m, atol=1e-6)
    np.testing.assert_allclose(to_numpy(m), expected_m, atol=1e-6)
    np.testing.assert_allclose(to_numpy(c), expected_c, atol=1e-6)


def test_nas_weights_in_addons_order():
    cell = keras_seqlab.NASCell(6, projection=5, use_bias=True)
    cell.build((None, 4))
    assert [(w.name, tuple(w.shape)) for w in cell.weights] == [
        ("recurrent_kernel", (5, 48)),
        ("kernel", (4, 48)),
        ("bias", (48,)),
        ("projection_weights", (6, 5)),
    ]


def test_addons_nas_config_builds_the_cell():
    # nas_cell_test.py::test_config_nas: Addons stored the initializer
    # arguments as given (strings here).
    config = {
        "dtype": "float32",
        "name": "nas_cell_3",
        "trainable": True,
        "units": 10,
        "projection": 5,
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
        "recurrent_initializer": "glorot_uniform",
        "bias_initializer": "zeros",
        "projection_initializer": "glorot_uniform",
    }
    cell = keras_seqlab.NASCell.from_config(config)
    assert (cell.units, cell.projection, cell.use_bias) == (10, 5, True)
    layer = keras.layers.RNN(cell, return_state=True)
    output, m, c = layer(random_sequences(batch=2, timesteps=3, features=5))
    assert output.shape == (2, 5) and m.shape == (2, 5) and c.shape == (2, 10)
    again = keras_seqlab.NASCell.from_config(cell.get_config())
    assert again.get_config() == cell.get_config()


def _nas_reference(params, xs, states, mask):
    outputs, finals = [], []
    for b, sample in enumerate(xs):
        outs, _, final = reference.run_sequence(
            reference.nas_step,
            params,
            sample,
            [s[b] for s in states],
            mask=mask[b].tolist(),
        )
        outputs.append(outs)
        finals.append(final)
    return [outputs, [f[0] for f in finals], [f[1] for f in finals]]


def test_nas_projection_against_the_reference():
    with _op_by_op():  # JAX compiles each scan anew: slower than op by op
        _nas_projection_against_the_reference()


def _nas_projection_against_the_reference():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 4, 3)).astype("float32")
    states = [
        rng.uniform(-1, 1, (2, width)).astype("float32") for width in (2, 4)
    ]
    mask = padding_mask(2, 4, "right")
    layer = keras_seqlab.NAS(
        4,
        projection=2,
        use_bias=True,
        return_sequences=True,
        return_state=True,
    )
    layer.build(x.shape)
    randomize_weights(layer, rng)
    params = {w.name: to_numpy(w).tolist() for w in layer.cell.weights}
    ref_states = [s.tolist() for s in states]
    expected = _nas_reference(params, x.tolist(), ref_states, mask)
    got = layer(x, initial_state=states, mask=mask)
    assert max_error([to_numpy(g) for g in got], expected) < TOL

    out_weights = [rng.uniform(-1, 1, to_numpy(g).shape) for g in got]

    def keras_loss(x, *states):
        outs = layer(x, initial_state=list(states), mask=mask)
        return sum(
            keras.ops.sum(o * keras.ops.convert_to_tensor(w, "float32"))
            for o, w in zip(outs, out_weights)
        )

    def reference_loss(params, xs, states):
        outs = _nas_reference(params, xs, states, mask)
        return sum((weighted_sum(o, w) for o, w in zip(outs, out_weights)), 0.0)

    grads = sgd_gradients(keras_loss, [x, *states], layer)
    _, (d_params, d_x, d_states) = reference.value_and_grad(
        reference_loss, params, x.tolist(), ref_states
    )
    expected = [d_x, *d_states] + [
        d_params[w.name] for w in layer.trainable_weights
    ]
    assert len(layer.trainable_weights) == 4
    assert max_error(grads, expected) < TOL


def test_nas_recurrent_dropout_with_projection_trains():
    layer = keras_seqlab.NAS(
        4, projection=2, dropout=0.3, recurrent_dropout=0.5, seed=1
    )
    x = random_sequences(batch=4, timesteps=5, features=3)
    train = to_numpy(layer(x, training=True))
    assert train.shape == (4, 2)
    np.testing.assert_allclose(
        to_numpy(layer(x)), to_numpy(layer(x)), atol=0, rtol=0
    )
    assert layer.cell._recurrent_dropout_mask is None


# -- ESNCell: Addons' golden values --------------------------------------------


def test_esn_addons_golden_values():
    # esn_cell_test.py::test_base_esn: U = 0.5 everywhere, scaled by norm 2
    # to 0.9 / 1.5 · 0.5 = 0.3; h = 4 x / 2 + 3 · 0.3 · 0.3 + 0.5.
    cell = keras_seqlab.ESNCell(
        3,
        connectivity=1,
        leaky=1,
        spectral_radius=0.9,
        use_norm2=True,
        use_bias=True,
        activation=None,
        kernel_initializer=HALF,
        recurrent_initializer=HALF,
        bias_initializer=HALF,
    )
    state = 0.3 * np.ones((3, 3), "float32")
    output, (h,) = cell(NAS_INPUTS, [state])
    expected = _f32([2.77] * 3, [4.77] * 3, [6.77] * 3)
    np.testing.assert_allclose(to_numpy(output), expected, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(h), expected, rtol=1e-5)


def _spectral_radius(cell):
    return np.abs(np.linalg.eigvals(to_numpy(cell.recurrent_kernel))).max()


@pytest.mark.parametrize("use_norm2", [False, True], ids=["eig", "norm2"])
def test_esn_echo_state_property(use_norm2):
    # esn_cell_test.py::test_esn_echo_state_property_eig / _norm2.
    cell = keras_seqlab.ESNCell(
        3, use_norm2=use_norm2, recurrent_initializer="ones", connectivity=1.0
    )
    cell.build((3, 3))
    assert cell.weights[0].name == "recurrent_kernel"
    radius = _spectral_radius(cell)
    assert radius < 1
    if use_norm2:
        # ones(3, 3) has norm 3 and spectral radius 3: 0.9 either way.
        norm = np.linalg.norm(to_numpy(cell.recurrent_kernel))
        np.testing.assert_allclose(norm, 0.9, rtol=1e-6)
    np.testing.assert_allclose(radius, 0.9, rtol=1e-5)


def test_esn_random_reservoir_has_the_spectral_radius():
    cell = keras_seqlab.ESNCell(12, connectivity=0.5, spectral_radius=0.7)
    cell.build((None, 2))
    np.testing.assert_allclose(_spectral_radius(cell), 0.7, rtol=1e-5)
    assert all(not w.trainable for w in cell.weights)
    assert [w.name for w in cell.weights] == [
        "recurrent_kernel",
        "kernel",
        "bias",
    ]


def test_esn_connectivity():
    # esn_cell_test.py::test_esn_connectivity.
    cell = keras_seqlab.ESNCell(
        1000, connectivity=0.5, use_norm2=True, recurrent_initializer="ones"
    )
    cell.build((3, 3))
    nonzero = np.count_nonzero(to_numpy(cell.recurrent_kernel))
    np.testing.assert_allclose(nonzero / 1000**2, 0.5, rtol=1e-2)


def test_esn_zero_connectivity_gives_a_zero_reservoir():
    cell = keras_seqlab.ESNCell(4, connectivity=0.0)
    cell.build((None, 2))
    np.testing.assert_array_equal(to_numpy(cell.recurrent_kernel), 0.0)


def test_esn_seed_fixes_the_reservoir_and_calls_draw_nothing():
    x = random_sequences(features=2)
    layers = [
        keras_seqlab.ESN(5, seed=7, recurrent_initializer="ones")
        for _ in range(2)
    ]
    for layer in layers:
        layer.build(x.shape)
    a, b = (to_numpy(layer.cell.recurrent_kernel) for layer in layers)
    np.testing.assert_array_equal(a, b)
    layers[1].cell.kernel.assign(layers[0].cell.kernel)
    first = to_numpy(layers[0](x, training=True))
    np.testing.assert_array_equal(first, to_numpy(layers[0](x)))
    np.testing.assert_array_equal(first, to_numpy(layers[1](x)))


def test_addons_esn_config_builds_the_cell():
    # esn_cell_test.py::test_esn_config (tf.keras 2.13+ serialization).
    config = {
        "name": "esn_cell_3",
        "trainable": True,
        "dtype": "float32",
        "units": 3,
        "connectivity": 1,
        "leaky": 1,
        "spectral_radius": 0.9,
        "use_norm2": False,
        "use_bias": True,
        "activation": "tanh",
        "kernel_initializer": _init("GlorotUniform", seed=None),
        "recurrent_initializer": _init("GlorotUniform", seed=None),
        "bias_initializer": _init("GlorotUniform", seed=None),
    }
    cell = keras_seqlab.ESNCell.from_config(config)
    assert (cell.connectivity, cell.leaky, cell.spectral_radius) == (1, 1, 0.9)
    cell.build((None, 4))
    assert np.abs(to_numpy(cell.bias)).max() > 0  # glorot, not zeros
    np.testing.assert_allclose(_spectral_radius(cell), 0.9, rtol=1e-5)
    again = keras_seqlab.ESNCell.from_config(cell.get_config())
    assert again.get_config() == cell.get_config()


def test_esn_model_trains_only_its_readout():
    model = keras_seqlab.build("esn", (6, 2), units=8, seed=3)
    esn = model.get_layer("esn_0")
    assert esn.trainable_weights == [] and len(esn.weights) == 3
    before = [to_numpy(w) for w in esn.weights]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = random_sequences(batch=4, features=2)
    model.fit(x, np.ones((4, 1)), epochs=2, verbose=0)
    for w, b in zip(esn.weights, before):
        np.testing.assert_array_equal(to_numpy(w), b)


# -- Addons' registered names --------------------------------------------------


@pytest.mark.parametrize(
    "name, config",
    [
        ("LayerNormLSTMCell", addons_ln_lstm_config()),
        ("NASCell", {"units": 4, "projection": None, "use_bias": False}),
        ("ESNCell", {"units": 4, "connectivity": 0.5}),
    ],
)
def test_addons_registered_names_map_to_ours(name, config):
    serialized = {
        "module": "tensorflow_addons.rnn",
        "class_name": name,
        "config": config,
        "registered_name": f"Addons>{name}",
    }
    cls = getattr(keras_seqlab, name)
    cell = keras.saving.deserialize_keras_object(
        serialized, custom_objects={f"Addons>{name}": cls}
    )
    assert type(cell) is cls and cell.units == config["units"]


# -- the layer harness: config, .keras round trip, training, mixed precision ---

SEQ = (3, 5, 2)
HARNESS = [
    (
        keras_seqlab.LayerNormLSTM,
        {"units": 3, "form": "ba2016", "return_state": True},
        {},
    ),
    (
        keras_seqlab.NAS,
        {"units": 3, "projection": 2, "use_bias": True, "return_state": True},
        {},
    ),
    # No trainable weight: nothing for a training step to change.
    (keras_seqlab.ESN, {"units": 3, "connectivity": 0.5}, {"training": False}),
]


def _harness_id(entry):
    cls, kwargs, _ = entry
    extra = [f"{k}={v}" for k, v in kwargs.items() if k != "units"]
    return "-".join([cls.__name__, *extra])


@pytest.mark.parametrize("entry", HARNESS, ids=_harness_id)
def test_layer_harness(entry):
    cls, kwargs, options = entry
    layer_test.run_layer_test(cls, kwargs, SEQ, **options)


@pytest.mark.parametrize(
    "cell",
    [
        lambda: keras_seqlab.LayerNormLSTMCell(3, form="ba2016"),
        lambda: keras_seqlab.NASCell(3, projection=2, use_bias=True),
        lambda: keras_seqlab.ESNCell(3, leaky=0.5, seed=2),
    ],
    ids=["ln_lstm", "nas", "esn"],
)
def test_cell_in_keras_rnn_round_trips_in_safe_mode(cell, tmp_path):
    inputs = keras.Input((6, 2))
    outputs = keras.layers.RNN(cell(), return_sequences=True)(inputs)
    model = keras.Model(inputs, outputs)
    x = random_sequences(features=2)
    expected = to_numpy(model(x))
    model.save(tmp_path / "cell.keras")
    loaded = keras.saving.load_model(tmp_path / "cell.keras", safe_mode=True)
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=TOL)
    for a, b in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


# -- bad arguments and inputs --------------------------------------------------

BAD_ARGUMENTS = [
    (keras_seqlab.LayerNormLSTMCell, {"form": "ba"}, ValueError, "form"),
    (keras_seqlab.LayerNormLSTMCell, {"norm_epsilon": 0.0}, ValueError, "eps"),
    (keras_seqlab.LayerNormLSTMCell, {"dropout": 1.0}, ValueError, "dropout"),
    (keras_seqlab.NASCell, {"projection": 0}, ValueError, "projection"),
    (keras_seqlab.NASCell, {"projection": 2.5}, ValueError, "projection"),
    (keras_seqlab.ESNCell, {"connectivity": 1.5}, ValueError, "connectivity"),
    (keras_seqlab.ESNCell, {"connectivity": "a"}, TypeError, "connectivity"),
    (keras_seqlab.ESNCell, {"leaky": 0.0}, ValueError, "leaky"),
    (keras_seqlab.ESNCell, {"leaky": True}, TypeError, "leaky"),
    (keras_seqlab.ESNCell, {"spectral_radius": -1}, ValueError, "spectral"),
    (keras_seqlab.ESNCell, {"time_major": True}, ValueError, "time_major"),
    (keras_seqlab.ESN, {"kernel_regularizer": "l2"}, TypeError, "regular"),
]


@pytest.mark.parametrize(
    "cls, kwargs, error, word",
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{next(iter(k))}" for c, k, _, _ in BAD_ARGUMENTS],
)
def test_bad_arguments_name_the_class(cls, kwargs, error, word):
    with pytest.raises(error) as info:
        cls(3, **kwargs)
    message = str(info.value)
    assert word in message
    owner = "ESNCell" if cls is keras_seqlab.ESN else cls.__name__
    ((key, value),) = kwargs.items()
    assert owner in message and key in message
    assert repr(value) in message or "expected no regularizer" in message


@pytest.mark.parametrize(
    "cls", [keras_seqlab.LayerNormLSTM, keras_seqlab.NAS, keras_seqlab.ESN]
)
def test_non_positive_units(cls):
    with pytest.raises(ValueError, match="must be a positive integer, got 0"):
        cls(0)


@pytest.mark.parametrize(
    "cls, states",
    [
        (keras_seqlab.LayerNormLSTM, 2),
        (keras_seqlab.NAS, 2),
        (keras_seqlab.ESN, 1),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_bad_inputs_name_the_layer(cls, states):
    layer = cls(4, name="layer")
    with pytest.raises(ValueError) as info:
        layer(np.zeros((3, 2), "float32"))
    assert f"{cls.__name__} 'layer': expected inputs of rank 3" in str(
        info.value
    )
    x = random_sequences()
    with pytest.raises(ValueError) as info:
        layer(x, initial_state=[np.zeros((3, 4), "float32")] * (states + 1))
    assert f"expected `initial_state` as {states} tensor(s)" in str(info.value)


def test_nas_projection_initial_state_widths_are_checked():
    layer = keras_seqlab.NAS(4, projection=2, name="layer")
    x = random_sequences()
    with pytest.raises(ValueError, match=r"\[\(3, 2\), \(3, 4\)\]"):
        layer(x, initial_state=[np.zeros((3, 4), "float32")] * 2)
    states = [np.zeros((3, 2), "float32"), np.zeros((3, 4), "float32")]
    assert layer(x, initial_state=states).shape == (3, 2)
