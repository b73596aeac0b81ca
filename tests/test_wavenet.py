"""WaveNetBlock and WaveNet: reference, causality, masks, saving, errors."""

import dataclasses
import inspect
import itertools
import json

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from keras import ops
from seqlab_testing import BACKEND
from seqlab_testing import to_numpy

from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.wavenet import WaveNetBlock
from keras_seqlab.layers.convolutional.wavenet_stack import WaveNet
from keras_seqlab.reference import value_and_grad
from keras_seqlab.reference import wavenet as ref_wavenet
from keras_seqlab.testing import comparison
from keras_seqlab.testing import families
from keras_seqlab.testing import reference_check as check

TOL = 1e-5
BATCH = 2
STEPS = 7
# For layers whose weights a test sets itself: on JAX every random
# initializer call compiles for its shape, which costs more than the test.
FAST = {"kernel_initializer": "zeros"}


# -- helpers ------------------------------------------------------------------


def _randomize(layer, seed=0, low=-0.5, high=0.5):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.uniform(low, high, w.shape) for w in layer.get_weights()]
    )


def _inputs(channels, steps=STEPS, seed=1, batch=BATCH):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, steps, channels)).astype("float32")


def _padding_mask(side, batch=BATCH, steps=STEPS):
    """Sample 0 unpadded, sample i padded by 2i steps on `side`."""
    mask = np.ones((batch, steps), bool)
    for i in range(1, batch):
        pad = min(2 * i, steps - 1)
        if side == "left":
            mask[i, :pad] = False
        else:
            mask[i, steps - pad :] = False
    return mask


# The comparison with the reference is keras_seqlab.testing's; the cases it
# runs are declared in keras_seqlab/layers/convolutional/wavenet.py
# (REFERENCE_CASES) and run by tests/test_against_reference.py.
_params = families.wavenet_params
_reference = families.wavenet_reference
_flatten = comparison.flatten
_max_error = comparison.max_error


@dataclasses.dataclass(frozen=True)
class Case:
    """A block (dilations=None) or a stack, and the shapes it runs on."""

    gated: bool = True
    channels: int = 3
    filters: int = 4
    kernel_size: int = 2
    dilation_rate: int = 1
    dilations: tuple = None
    return_sequences: bool = True
    output_activation: str = None
    use_bias: bool = True
    mask: str = None

    def make(self):
        common = {
            "kernel_size": self.kernel_size,
            "gated": self.gated,
            "use_bias": self.use_bias,
            **FAST,
        }
        if self.dilations is None:
            layer = WaveNetBlock(
                self.filters, dilation_rate=self.dilation_rate, **common
            )
        else:
            layer = WaveNet(
                self.filters,
                dilations=self.dilations,
                return_sequences=self.return_sequences,
                output_activation=self.output_activation,
                **common,
            )
        layer.build((None, STEPS, self.channels))
        _randomize(layer)
        return layer


# -- Keras against the reference ----------------------------------------------


WAVENET_CASES = [c for c in check.CASES if c.kind == "wavenet"]


def test_reference_cases_cover_blocks_and_stacks():
    """Gated and plain blocks and stacks, masks on both sides, the last
    step only, output activations, no bias: forward and gradients."""
    layers = {
        (c.layer, c.layer_kwargs.get("gated", True)) for c in WAVENET_CASES
    }
    assert layers == {
        (cls, gated) for cls in (WaveNetBlock, WaveNet) for gated in (1, 0)
    }
    setups = [s for c in WAVENET_CASES for s, _ in check.checks(c)]
    assert {s.mask for s in setups} == {None, "left", "right"}
    gradient = [c for c in WAVENET_CASES if c.gradient_setups]
    assert {c.layer for c in gradient} == {WaveNetBlock, WaveNet}
    assert {c.layer_kwargs.get("gated", True) for c in gradient} == {1, 0}
    assert any(c.layer_kwargs.get("output_activation") for c in gradient)
    assert any(not c.layer_kwargs.get("use_bias", True) for c in WAVENET_CASES)


def test_the_reference_comparison_can_fail():
    """A perturbed weight is caught: the harness is not vacuous."""
    layer = Case(dilations=(1, 2)).make()
    x = _inputs(3)
    params = _params(layer)
    params[1]["gate_kernel"][1][0][2] += 1e-3
    expected = _reference(layer, params, x.tolist(), None)
    assert _max_error([to_numpy(layer(x))], expected) > 1e-5


# -- the reference on its own --------------------------------------------------


def _numpy_causal_conv(x, kernel, bias, dilation):
    k = kernel.shape[0]
    pad = (k - 1) * dilation
    xp = np.concatenate([np.zeros((pad, x.shape[1])), x])
    taps = [xp[j * dilation : j * dilation + len(x)] for j in range(k)]
    return sum(t @ w for t, w in zip(taps, kernel)) + bias


@pytest.mark.parametrize("k,d", [(1, 1), (2, 1), (2, 3), (3, 2), (4, 1)])
def test_reference_conv_is_a_dilated_causal_convolution(k, d):
    rng = np.random.default_rng(k * 10 + d)
    x = rng.normal(size=(9, 3))
    kernel = rng.normal(size=(k, 3, 2))
    bias = rng.normal(size=2)
    got = ref_wavenet.causal_conv1d(
        x.tolist(), kernel.tolist(), bias.tolist(), d
    )
    np.testing.assert_allclose(
        got, _numpy_causal_conv(x, kernel, bias, d), atol=1e-12
    )


def test_reference_conv_known_values():
    # k = 2, d = 2, one channel: y_t = 10 x_{t-2} + x_t.
    ys = ref_wavenet.causal_conv1d(
        [[1.0], [2.0], [3.0], [4.0]], [[[10.0]], [[1.0]]], dilation=2
    )
    assert ys == [[1.0], [2.0], [13.0], [24.0]]


def test_reference_block_gradient_matches_finite_differences():
    layer = Case(channels=2, filters=3, kernel_size=2, dilation_rate=2).make()
    params = _params(layer)[0]
    xs = _inputs(2, steps=4)[0].astype("float64").tolist()

    def loss(p, xs):
        residual, skip = ref_wavenet.wavenet_block(p, xs, 2)
        values = _flatten(residual) + _flatten(skip)
        return sum(v * (i % 3 - 1) for i, v in enumerate(values))

    _, (_, dx) = value_and_grad(loss, params, xs)
    eps = 1e-6
    for t, c in itertools.product(range(4), range(2)):
        up = [row[:] for row in xs]
        down = [row[:] for row in xs]
        up[t][c] += eps
        down[t][c] -= eps
        numeric = (loss(params, up) - loss(params, down)) / (2 * eps)
        assert abs(numeric - dx[t][c]) < 1e-7


def test_plain_stack_is_the_textbook_conv1d_stack():
    """gated=False equals Sequential Conv1D(causal, relu) layers."""
    dilations = (1, 2, 4)
    layer = WaveNet(4, dilations=dilations, kernel_size=3, gated=False, **FAST)
    layer.build((None, STEPS, 3))
    _randomize(layer)
    textbook = keras.Sequential(
        [keras.Input((STEPS, 3))]
        + [
            keras.layers.Conv1D(
                4,
                3,
                padding="causal",
                dilation_rate=d,
                activation="relu",
                **FAST,
            )
            for d in dilations
        ]
    )
    textbook.set_weights(layer.get_weights())
    x = _inputs(3)
    np.testing.assert_allclose(
        to_numpy(layer(x)), to_numpy(textbook(x)), atol=TOL, rtol=0
    )


def test_weight_names_and_shapes():
    block = WaveNetBlock(4, kernel_size=3, **FAST)
    block.build((None, None, 2))
    assert [(w.name, tuple(w.shape)) for w in block.weights] == [
        ("filter_kernel", (3, 2, 4)),
        ("filter_bias", (4,)),
        ("gate_kernel", (3, 2, 4)),
        ("gate_bias", (4,)),
        ("residual_kernel", (1, 4, 4)),
        ("residual_bias", (4,)),
        ("skip_kernel", (1, 4, 4)),
        ("skip_bias", (4,)),
        ("input_kernel", (1, 2, 4)),
        ("input_bias", (4,)),
    ]
    same = WaveNetBlock(4, use_bias=False, **FAST)
    same.build((None, None, 4))
    assert [w.name for w in same.weights] == [
        "filter_kernel",
        "gate_kernel",
        "residual_kernel",
        "skip_kernel",
    ]
    plain = WaveNetBlock(4, kernel_size=2, gated=False, **FAST)
    plain.build((None, None, 2))
    assert [(w.name, tuple(w.shape)) for w in plain.weights] == [
        ("kernel", (2, 2, 4)),
        ("bias", (4,)),
    ]


def test_kernels_of_one_shape_start_different():
    block = WaveNetBlock(4)
    block.build((None, None, 4))
    kernels = [block.filter_kernel, block.gate_kernel]
    kernels += [block.residual_kernel, block.skip_kernel]
    values = [to_numpy(k) for k in kernels]
    assert not np.allclose(values[0], values[1])
    assert not np.allclose(values[2], values[3])


# -- causality and receptive field ---------------------------------------------


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    gated=st.booleans(),
    kernel_size=st.integers(1, 3),
    dilations=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    t=st.integers(0, 8),
    seed=st.integers(0, 1000),
)
def test_later_inputs_never_change_earlier_outputs(
    gated, kernel_size, dilations, t, seed
):
    steps = 10
    layer = WaveNet(3, dilations, kernel_size=kernel_size, gated=gated, **FAST)
    layer.build((None, steps, 2))
    _randomize(layer, seed)
    x = _inputs(2, steps=steps, seed=seed)
    changed = x.copy()
    changed[:, t + 1 :] = _inputs(2, steps=steps, seed=seed + 1)[:, t + 1 :]
    before, after = to_numpy(layer(x)), to_numpy(layer(changed))
    np.testing.assert_array_equal(before[:, : t + 1], after[:, : t + 1])
    if gated:  # the residual path always reaches the next output
        assert np.any(before[:, t + 1 :] != after[:, t + 1 :])


def _reachable_offsets(kernel_size, dilations):
    """{Σ_i j_i d_i : 0 <= j_i < k}: how far back an output can look."""
    offsets = {0}
    for d in dilations:
        offsets = {o + j * d for o in offsets for j in range(kernel_size)}
    return offsets


@pytest.mark.parametrize(
    "gated,kernel_size,dilations,contiguous",
    [
        (True, 2, (1, 2, 4, 8), True),
        (False, 2, (1, 2, 4, 8), True),
        (True, 3, (1, 3), True),
        (False, 3, (1, 3, 9), True),
        (True, 2, (1, 4), False),
        (False, 2, (2, 2), False),
    ],
)
def test_an_impulse_reaches_exactly_the_receptive_field(
    gated, kernel_size, dilations, contiguous
):
    r = receptive_field(kernel_size, dilations)
    start, steps = 3, r + 6
    layer = WaveNet(3, dilations, kernel_size=kernel_size, gated=gated, **FAST)
    layer.build((None, steps, 2))
    # Positive weights and inputs keep every ReLU active in the plain stack.
    low = -0.5 if gated else 0.1
    _randomize(layer, low=low)
    x = np.abs(_inputs(2, steps=steps))
    impulse = x.copy()
    impulse[:, start] += 1.0
    diff = np.abs(to_numpy(layer(impulse)) - to_numpy(layer(x))).max((0, 2))
    affected = {t - start for t in np.flatnonzero(diff > 0)}
    expected = _reachable_offsets(kernel_size, dilations)
    assert affected == expected
    assert max(affected) == r - 1
    assert (affected == set(range(r))) == contiguous
    assert layer.receptive_field == r


def test_receptive_field_formula():
    assert receptive_field(2, (1, 2, 4, 8)) == 16
    assert receptive_field(2, (1, 2, 4, 8) * 2) == 31
    assert receptive_field(3, (1, 2)) == 7
    assert receptive_field(3, 4) == 9
    assert receptive_field(1, (5, 7)) == 1
    assert receptive_field(np.int64(2), [np.int32(3)]) == 4
    for k, dilations in [(2, (1, 2, 4, 8)), (3, (1, 3, 9)), (5, (2,))]:
        assert receptive_field(k, dilations) == ref_wavenet.receptive_field(
            k, dilations
        )


def test_receptive_field_properties():
    assert WaveNet(4).receptive_field == 31
    assert WaveNet(4, dilations=(1, 2, 4, 8)).receptive_field == 16
    assert WaveNet(4, dilations=(1, 3), kernel_size=3).receptive_field == 9
    assert WaveNetBlock(4, kernel_size=3, dilation_rate=4).receptive_field == 9
    assert WaveNetBlock(4, kernel_size=1, dilation_rate=4).receptive_field == 1


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5])
def test_any_kernel_size_keeps_the_length(kernel_size):
    layer = WaveNet(3, dilations=(1, 2), kernel_size=kernel_size, **FAST)
    assert tuple(layer(_inputs(2)).shape) == (BATCH, STEPS, 3)


# -- masks --------------------------------------------------------------------


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_left_padding_gives_the_unpadded_outputs(gated, return_sequences):
    layer = WaveNet(
        4,
        dilations=(1, 2, 4),
        gated=gated,
        return_sequences=return_sequences,
        **FAST,
    )
    layer.build((None, None, 3))
    _randomize(layer)
    x = _inputs(3, batch=1)
    pad = 5
    noise = np.full((1, pad, 3), 7.0, "float32")  # must not leak in
    padded = np.concatenate([noise, x], axis=1)
    mask = np.array([[False] * pad + [True] * STEPS])
    got = to_numpy(layer(padded, mask=mask))
    want = to_numpy(layer(x))
    if return_sequences:
        np.testing.assert_array_equal(got[:, :pad], 0.0)
        got = got[:, pad:]
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)


@pytest.mark.parametrize("gated", [True, False])
def test_right_padding_returns_the_last_real_step(gated):
    layer = WaveNet(
        4, dilations=(1, 2), gated=gated, return_sequences=False, **FAST
    )
    layer.build((None, None, 3))
    _randomize(layer)
    x = _inputs(3, steps=9, batch=3)
    mask = np.ones((3, 9), bool)
    mask[1, 6:] = False
    mask[2, :] = False
    got = to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(got[0], to_numpy(layer(x[:1]))[0], atol=1e-6)
    np.testing.assert_allclose(
        got[1], to_numpy(layer(x[1:2, :6]))[0], atol=1e-6
    )
    np.testing.assert_array_equal(got[2], 0.0)


def test_block_zeros_masked_steps_and_passes_the_mask():
    block = WaveNetBlock(4, dilation_rate=2, **FAST)
    block.build((None, None, 3))
    _randomize(block)
    x = _inputs(3)
    mask = _padding_mask("right")
    residual, skip = block(x, mask=mask)
    for out in (residual, skip):
        np.testing.assert_array_equal(to_numpy(out)[~mask], 0.0)
    masks = block.compute_mask(x, ops.convert_to_tensor(mask))
    assert len(masks) == 2
    for m in masks:
        np.testing.assert_array_equal(to_numpy(m), mask)
    assert block.compute_mask(x, None) is None
    stack = WaveNet(4, dilations=(1,), return_sequences=False)
    assert stack.compute_mask(x, ops.convert_to_tensor(mask)) is None


def test_mask_flows_through_a_functional_model():
    """Masking -> WaveNetBlock -> WaveNet -> masked average over time."""
    inputs = keras.Input((None, 3))
    masked = keras.layers.Masking(0.0)(inputs)
    residual, skip = WaveNetBlock(4, name="block", **FAST)(masked)
    hidden = keras.layers.Add()([residual, skip])
    sequence = WaveNet(4, dilations=(1, 2), name="stack", **FAST)(hidden)
    pooled = keras.layers.GlobalAveragePooling1D()(sequence)
    model = keras.Model(inputs, [sequence, pooled])
    _randomize(model)
    x = _inputs(3, steps=6, batch=2)
    x[1, 4:] = 0.0
    got_sequence, got_pooled = (to_numpy(o) for o in model(x))
    np.testing.assert_array_equal(got_sequence[1, 4:], 0.0)
    np.testing.assert_allclose(
        got_pooled[1], got_sequence[1, :4].mean(0), atol=1e-6
    )
    np.testing.assert_allclose(
        got_pooled[0], got_sequence[0].mean(0), atol=1e-6
    )


# -- saving, configs, training ------------------------------------------------


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    inputs = keras.Input((8, 3))
    residual, skip = WaveNetBlock(
        5, kernel_size=3, dilation_rate=2, bias_constraint="non_neg", **FAST
    )(inputs)
    stack = WaveNet(
        4,
        dilations=(1, 2),
        return_sequences=False,
        output_activation="relu",
        kernel_regularizer="l2",
        **FAST,
    )
    plain = WaveNet(3, dilations=(2, 1), gated=False, kernel_size=3, **FAST)
    outputs = keras.layers.Concatenate()(
        [stack(residual), keras.layers.Flatten()(plain(skip))]
    )
    model = keras.Model(inputs, keras.layers.Dense(2)(outputs))
    _randomize(model)
    x = _inputs(3, steps=8)
    path = tmp_path / "wavenet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(model(x)), to_numpy(loaded(x)))
    for layer in model.layers:
        if isinstance(layer, (WaveNet, WaveNetBlock)):
            twin = loaded.get_layer(layer.name)
            assert type(twin) is type(layer)
            assert json.dumps(twin.get_config(), sort_keys=True) == (
                json.dumps(layer.get_config(), sort_keys=True)
            )


CONFIGURED = [
    (
        WaveNetBlock,
        {
            "filters": 3,
            "kernel_size": 4,
            "dilation_rate": 5,
            "gated": False,
        },
    ),
    (
        WaveNet,
        {
            "filters": 3,
            "dilations": [3, 1],
            "kernel_size": 3,
            "gated": False,
            "return_sequences": False,
            "output_activation": "relu",
        },
    ),
]
WEIGHT_ARGUMENTS = {
    "use_bias": False,
    "kernel_initializer": "he_normal",
    "bias_initializer": "ones",
    "kernel_regularizer": "l2",
    "bias_regularizer": "l1",
    "kernel_constraint": "max_norm",
    "bias_constraint": "non_neg",
}


@pytest.mark.parametrize("cls_kwargs", CONFIGURED, ids=lambda p: p[0].__name__)
def test_get_config_holds_every_constructor_argument(cls_kwargs):
    cls, kwargs = cls_kwargs
    layer = cls(**kwargs, **WEIGHT_ARGUMENTS)
    config = layer.get_config()
    params = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    assert sorted(params) == sorted({**kwargs, **WEIGHT_ARGUMENTS})
    assert [p for p in params if p not in config] == []
    for name, value in kwargs.items():
        assert config[name] == value
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert type(clone.kernel_initializer).__name__ == "HeNormal"
    assert keras.saving.get_registered_name(cls) == (
        f"keras_seqlab>{cls.__name__}"
    )


def _forecast_data(n=64, steps=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, steps, 1)).astype("float32")
    y = x[:, -1] - 0.5 * x[:, -3] + 0.25 * x[:, -6]
    return x, y


@pytest.mark.skipif(
    BACKEND == "torch",
    reason="jit_compile=True means torch.compile (dynamo) on PyTorch, "
    "not XLA; the XLA requirement is about TensorFlow (and JAX always jits)",
)
def test_fit_with_jit_compile_and_a_mask():
    x, y = _forecast_data(n=32)
    x[::2, -4:] = 0.0
    model = keras.Sequential(
        [
            keras.Input((16, 1)),
            keras.layers.Masking(0.0),
            WaveNet(4, dilations=(1, 2), return_sequences=False),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse", jit_compile=True)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_mixed_precision_runs_in_the_compute_dtype():
    keras.config.set_dtype_policy("mixed_bfloat16")
    layer = WaveNet(4, dilations=(1, 2), **FAST)
    out = layer(_inputs(3))
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    assert layer.blocks[0].filter_kernel.dtype == "float32"
    assert np.isfinite(to_numpy(ops.cast(out, "float32"))).all()


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize("filters", [0, -2, 2.5, True, "8", None])
@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_filters_must_be_a_positive_integer(cls, filters):
    with pytest.raises(ValueError) as info:
        cls(filters, name="w")
    assert str(info.value) == (
        f"{cls.__name__} 'w': `filters` must be a positive integer, "
        f"got {filters!r}."
    )


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
@pytest.mark.parametrize("kernel_size", [0, -1, 1.5])
def test_kernel_size_must_be_positive(cls, kernel_size):
    with pytest.raises(
        ValueError,
        match=rf"{cls.__name__} 'w': `kernel_size` must be a positive "
        rf"integer, got {kernel_size!r}",
    ):
        cls(4, kernel_size=kernel_size, name="w")


@pytest.mark.parametrize("dilation_rate", [0, -4, 2.0])
def test_block_dilation_must_be_positive(dilation_rate):
    with pytest.raises(
        ValueError,
        match=rf"WaveNetBlock 'b': `dilation_rate` must be a positive "
        rf"integer, got {dilation_rate!r}",
    ):
        WaveNetBlock(4, dilation_rate=dilation_rate, name="b")


@pytest.mark.parametrize(
    "dilations,match",
    [
        ((), r"`dilations` must be a non-empty sequence .*got \(\)"),
        ([], r"`dilations` must be a non-empty sequence .*got \(\)"),
        (4, r"`dilations` must be a non-empty sequence .*got 4\."),
        ("124", r"`dilations` must be a non-empty sequence .*got '124'"),
        (None, r"`dilations` must be a non-empty sequence .*got None"),
        ((1, 0, 2), r"`dilations\[1\]` must be a positive integer, got 0"),
        ((1, -2), r"`dilations\[1\]` must be a positive integer, got -2"),
    ],
)
def test_bad_dilations(dilations, match):
    with pytest.raises(ValueError, match=r"WaveNet 'net': " + match):
        WaveNet(4, dilations=dilations, name="net")


@pytest.mark.parametrize(
    "kernel_size,dilations,match",
    [
        (0, (1,), r"`kernel_size` must be a positive integer, got 0"),
        (2, (), r"`dilations` must be a non-empty sequence"),
        (2, (1, 0), r"`dilations\[1\]` must be a positive integer, got 0"),
    ],
)
def test_receptive_field_rejects_bad_arguments(kernel_size, dilations, match):
    with pytest.raises(ValueError, match="receptive_field: " + match):
        receptive_field(kernel_size, dilations)


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_gated_must_be_a_bool(cls):
    with pytest.raises(
        ValueError, match=rf"{cls.__name__} 'w': `gated` must be True or "
    ):
        cls(4, gated="no", name="w")


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4, 5)])
def test_wrong_rank(cls, shape):
    layer = cls(4, name="w")
    with pytest.raises(ValueError) as info:
        layer(np.zeros(shape, "float32"))
    message = str(info.value)
    assert f"{cls.__name__} 'w': expected inputs of rank 3" in message
    assert f"got shape {shape} (rank {len(shape)})" in message


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_undefined_channel_dimension(cls):
    layer = cls(4, name="w")
    with pytest.raises(
        ValueError,
        match=rf"{cls.__name__} 'w': the feature dimension \(last axis\) "
        r"must be defined, got shape \(None, None, None\)",
    ):
        layer(keras.Input((None, None)))


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_other_channel_count_than_built_for(cls):
    layer = cls(4, name="w", **FAST)
    layer(_inputs(3))
    with pytest.raises(
        ValueError,
        match=rf"{cls.__name__} 'w': expected inputs with 3 channels .* "
        r"got shape \(2, 7, 5\)",
    ):
        layer(_inputs(5))


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_mask_of_the_wrong_length(cls):
    layer = cls(4, name="w", **FAST)
    with pytest.raises(
        ValueError,
        match=rf"{cls.__name__} 'w': expected a mask of shape \(batch, 7\) "
        r"for inputs of shape \(2, 7, 3\), got shape \(2, 5\)",
    ):
        layer(_inputs(3), mask=np.ones((2, 5), bool))


def test_unknown_output_activation():
    with pytest.raises(ValueError, match="swishy"):
        WaveNet(4, output_activation="swishy")


def test_unknown_keyword_is_not_swallowed():
    with pytest.raises((TypeError, ValueError), match="dilation_rates"):
        WaveNet(4, dilation_rates=(1, 2))


@pytest.mark.parametrize(
    "cls", [WaveNetBlock, WaveNet], ids=lambda c: c.__name__
)
def test_symbolic_call_with_another_channel_count(cls):
    layer = cls(4, name="w", **FAST)
    layer(keras.Input((None, 3)))
    with pytest.raises(ValueError, match=rf"{cls.__name__} 'w': expected "):
        layer(keras.Input((None, 2)))
