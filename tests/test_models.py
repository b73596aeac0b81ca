"""Model builders: shapes per head, classic parameter counts, registry,
safe-mode round trips, causality, masking, autoregressive forecasting."""

import keras
import numpy as np
import pytest
from seqlab_testing import to_numpy

from keras_seqlab import models
from keras_seqlab import windows

ARCHITECTURES = (
    "persistence",
    "linear",
    "dense",
    "simple_rnn",
    "stacked_rnn",
    "lstm",
    "stacked_lstm",
    "gru",
    "stacked_gru",
    "ln_simple_rnn",
    "peephole_lstm",
    "ln_lstm",
    "nas",
    "esn",
    "gru_variant",
    "min_gru",
    "min_lstm",
    "conv_gru",
    "wavenet",
    "tcn",
    "attention",
    "bidirectional",
)
ALL = [pytest.param(name, id=name) for name in ARCHITECTURES]
T, K = 6, 2


def _kwargs(name, head, horizon, n_targets):
    kwargs = dict(head=head, horizon=horizon, units=4, n_targets=n_targets)
    if name == "persistence" and n_targets > 1:
        kwargs["target_index"] = list(range(n_targets))
    if name in ("wavenet", "tcn"):
        kwargs["dilations"] = (1, 2)
    return kwargs


def _inputs(batch=3, timesteps=T, features=K, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, timesteps, features)).astype("float32")


# -- registry ------------------------------------------------------------------


def test_names_lists_every_architecture():
    assert models.names() == ARCHITECTURES
    for name in ARCHITECTURES:
        assert models.get_builder(name).__name__ == f"build_{name}"
        assert getattr(models, f"build_{name}") is models.get_builder(name)


def test_unknown_name_raises_with_the_list():
    with pytest.raises(ValueError) as info:
        models.build("lstmm", (T, K))
    message = str(info.value)
    assert "unknown architecture 'lstmm'" in message
    assert all(name in message for name in ARCHITECTURES)


@pytest.mark.parametrize("name", ["lstm", "dense", "persistence", "wavenet"])
def test_unknown_option_names_builder_and_option(name):
    with pytest.raises(ValueError) as info:
        models.build(name, (T, K), hiden=(4,))
    message = str(info.value)
    assert f"build_{name}" in message
    assert "unknown option(s) 'hiden'" in message


def test_builder_signature_is_shared():
    import inspect

    signatures = {
        str(inspect.signature(models.get_builder(n))) for n in ARCHITECTURES
    }
    assert signatures == {
        "(input_shape, head='many_to_one', horizon=1, units=32, "
        "depth=None, dropout=0.0, recurrent_dropout=0.0, n_targets=1, "
        "quantiles=None, **options)"
    }


# -- output shapes match make_windows ------------------------------------------


def _window_targets(head, horizon, n_targets):
    series = np.arange(40.0 * K).reshape(40, K)
    targets = 0 if n_targets == 1 else list(range(n_targets))
    x, y = windows.make_windows(
        series,
        T,
        horizon,
        targets=targets,
        seq2seq=head == "seq_to_seq",
    )
    if head == "many_to_one" and n_targets > 1:
        y = y[:, 0]  # (N, 1, n) -> (N, n), as documented
    return x, y


# Builders with their own head code; the recurrent ones (conv_gru and
# bidirectional included) share `lstm`'s, and every architecture's
# seq-to-seq (or seq-to-vector) shape is checked in the next test.
OWN_HEADS = ("persistence", "linear", "dense", "lstm", "wavenet", "attention")


@pytest.mark.parametrize("name", OWN_HEADS)
def test_output_shapes_match_make_windows(name):
    for head in models.supported_heads(name):
        horizon = 1 if head == "many_to_one" else 3
        for n_targets in (1, 2):
            x, y = _window_targets(head, horizon, n_targets)
            model = models.build(
                name, (T, K), **_kwargs(name, head, horizon, n_targets)
            )
            assert model.input_shape == (None, *x.shape[1:])
            assert model.output_shape == (None, *y.shape[1:]), (head, n_targets)


@pytest.mark.parametrize("name", ALL)
def test_runs_is_causal_and_loads_in_safe_mode(name, tmp_path):
    """Every architecture runs, reloads with safe_mode=True (no Lambda), and
    its seq-to-seq output at step t ignores the steps after t."""
    head = "seq_to_seq"
    if head not in models.supported_heads(name):
        head = "seq_to_vector"
    model = models.build(name, (T, K), **_kwargs(name, head, 2, 2))
    assert not any(
        isinstance(layer, keras.layers.Lambda) for layer in model.layers
    )
    x = _inputs(batch=2)
    expected = to_numpy(model(x))
    targets = _window_targets(head, 2, 2)[1]
    assert expected.shape == (2, *targets.shape[1:])
    assert np.isfinite(expected).all()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    changed = x.copy()
    changed[:, 3:] += 5.0
    after = to_numpy(loaded(changed))
    if head == "seq_to_seq":
        np.testing.assert_allclose(after[:, :3], expected[:, :3], atol=1e-5)
        assert not np.allclose(after[:, 3:], expected[:, 3:])
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)


# -- quantile heads ------------------------------------------------------------

LEVELS = (0.1, 0.5, 0.9)


def _weighted_layers(model):
    """(class name, weight shapes) of every layer with weights but the head."""
    return sorted(
        (type(layer).__name__, [tuple(w.shape) for w in layer.weights])
        for layer in model.layers
        if layer.weights and layer.name != "head"
    )


@pytest.mark.parametrize("name", ALL)
def test_quantile_heads(name):
    """Every architecture and head: `quantiles=` adds a trailing axis of
    size Q to the head's shape; the body is unchanged and the head layer
    has Q times the outputs (`quantiles=None` keeps today's models: their
    shapes and parameter counts are pinned by the tests above and below);
    the outputs never cross (strictly increasing but for persistence, whose
    quantiles all equal its forecast); `model_quantiles` reads the levels."""
    from keras_seqlab.layers import model_quantiles

    for head in models.supported_heads(name):
        horizon = 1 if head == "many_to_one" else 3
        for n_targets in (1, 2):
            kwargs = _kwargs(name, head, horizon, n_targets)
            plain = models.build(name, (T, K), quantiles=None, **kwargs)
            quantile = models.build(name, (T, K), quantiles=LEVELS, **kwargs)
            case = (head, n_targets)
            assert model_quantiles(plain) is None
            assert model_quantiles(quantile) == LEVELS

            targets = _window_targets(head, horizon, n_targets)[1]
            assert quantile.output_shape == (None, *targets.shape[1:], 3)
            assert _weighted_layers(quantile) == _weighted_layers(plain)
            if name != "persistence":
                point_head = plain.get_layer("head").weights
                q_head = quantile.get_layer("head").weights
                for p, q in zip(point_head, q_head, strict=True):
                    assert q.shape[:-1] == p.shape[:-1], case
                    assert q.shape[-1] == 3 * p.shape[-1], case

            y = to_numpy(quantile(_inputs(batch=2)))
            assert y.shape == (2, *targets.shape[1:], 3)
            steps = np.diff(y, axis=-1)
            if name == "persistence":
                np.testing.assert_array_equal(steps, 0.0)
            else:
                assert (steps > 0).all(), case


# -- classic models: parameter counts as Keras computes them -------------------


def test_simple_rnn_16_relu_on_9_features():
    model = models.build("simple_rnn", (None, 9), units=16, activation="relu")
    units, features = 16, 9
    rnn = units * features + units * units + units
    head = units + 1
    assert rnn + head == 433
    assert model.count_params() == rnn + head
    assert model.get_layer("simple_rnn_0").activation is keras.activations.relu


def test_two_stacked_lstm_7_on_9_features():
    model = models.build("stacked_lstm", (None, 9), units=7)
    units, features = 7, 9

    def lstm(inputs):
        return 4 * (units * inputs + units * units + units)

    expected = lstm(features) + lstm(units) + units + 1
    assert model.count_params() == expected
    assert [type(layer).__name__ for layer in model.layers[1:]] == [
        "LSTM",
        "LSTM",
        "Dense",
    ]


@pytest.mark.parametrize("window", [1, 30])
def test_dense_100_50_1(window):
    model = models.build("dense", (window, 9), hidden=(100, 50))
    inputs = window * 9
    expected = (inputs * 100 + 100) + (100 * 50 + 50) + (50 * 1 + 1)
    assert model.count_params() == expected
    assert expected == {1: 6101, 30: 32201}[window]


def test_linear_is_one_dense_on_the_flattened_window():
    model = models.build("linear", (30, 9))
    assert model.count_params() == 30 * 9 + 1


def test_persistence_has_no_weights():
    model = models.build("persistence", (None, 3), target_index=2)
    assert model.count_params() == 0
    assert not model.weights


# -- the persistence baseline --------------------------------------------------


def test_persistence_values_per_head():
    x = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)
    one = models.build("persistence", (4, 3), target_index=1)
    np.testing.assert_array_equal(to_numpy(one(x)), x[:, -1, 1:2])
    vector = models.build(
        "persistence", (4, 3), head="seq_to_vector", horizon=3, target_index=1
    )
    np.testing.assert_array_equal(
        to_numpy(vector(x)), np.repeat(x[:, -1, 1:2], 3, axis=1)
    )
    seq = models.build(
        "persistence", (4, 3), head="seq_to_seq", horizon=2, target_index=-1
    )
    np.testing.assert_array_equal(
        to_numpy(seq(x)), np.repeat(x[:, :, 2:3], 2, axis=2)
    )
    several = models.build(
        "persistence", (4, 3), n_targets=2, target_index=[2, 0]
    )
    np.testing.assert_array_equal(to_numpy(several(x)), x[:, -1, [2, 0]])


def test_persistence_layer_config_round_trip():
    layer = models.Persistence(target_index=[1, 2], horizon=4)
    clone = models.Persistence.from_config(layer.get_config())
    assert clone.target_index == (1, 2) and clone.horizon == 4
    assert keras.saving.get_registered_name(models.Persistence) == (
        "keras_seqlab>Persistence"
    )


# -- options -------------------------------------------------------------------


def test_options_reach_the_layers():
    model = models.build("gru_variant", (T, K), units=4, variant="mgu")
    assert model.get_layer("gru_variant_0").variant == "mgu"
    model = models.build("conv_gru", (T, K), units=4, filters=3, strides=2)
    conv = model.get_layer("conv")
    assert conv.filters == 3 and conv.strides == (2,)
    model = models.build("wavenet", (T, K), units=4, gated=False, depth=2)
    assert model.get_layer("wavenet").dilations == (1, 2, 4, 8) * 2
    model = models.build("attention", (T, K), units=4, num_heads=2, depth=2)
    assert model.get_layer("attention_1").key_dim == 2
    model = models.build("bidirectional", (T, K), units=4, cell="gru")
    assert type(model.get_layer("bidirectional_0").forward_layer).__name__ == (
        "GRU"
    )
    model = models.build(
        "attention", (T, K), head="seq_to_vector", horizon=2, pooling="last"
    )
    assert model.get_layer("last_step").cropping == (T - 1, 0)
    assert model.output_shape == (None, 2)
    model = models.build("stacked_rnn", (T, K), units=4, depth=3)
    assert len([la for la in model.layers if "simple_rnn" in la.name]) == 3


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("lstm", dict(head="many_to_many"), "unknown head 'many_to_many'"),
        ("lstm", dict(head="seq_to_vector", horizon=0), "`horizon`"),
        ("lstm", dict(horizon=3), "the 'many_to_one' head forecasts one"),
        ("gru", dict(units=0), "`units` must be a positive integer"),
        ("gru", dict(depth=-1), "`depth` must be a positive integer, got -1"),
        ("gru", dict(n_targets=0), "`n_targets`"),
        ("gru", dict(dropout=1.5), "`dropout` must be in [0, 1)"),
        ("dense", dict(recurrent_dropout=0.2), "`recurrent_dropout` applies"),
        ("linear", dict(dropout=0.2), "no layer to apply `dropout`"),
        ("linear", dict(depth=2), "`depth` must be None or 1"),
        ("dense", dict(hidden=(), units=4), "`hidden` must be a non-empty"),
        ("dense", dict(hidden=(4,), depth=2), "either `hidden` or `depth`"),
        ("persistence", dict(n_targets=2), "names 1 column(s), n_targets"),
        ("persistence", dict(target_index="x"), "`target_index` must be"),
        ("bidirectional", dict(head="seq_to_seq"), "no (causal) seq_to_seq"),
        (
            "attention",
            dict(head="seq_to_seq", causal=False),
            "needs causal blocks",
        ),
        ("attention", dict(pooling="max"), "unknown pooling 'max'"),
        ("bidirectional", dict(cell="rnn"), "unknown cell 'rnn'"),
    ],
)
def test_bad_arguments(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        models.build(name, (T, K), **kwargs)
    assert f"build_{name}" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "shape", [(9,), (None, 30, 9), 9, (30, None), (0, 9), "ab"]
)
def test_bad_input_shape(shape):
    with pytest.raises(ValueError, match=r"build_lstm: .*input_shape"):
        models.build("lstm", shape)


def test_dense_needs_a_fixed_window():
    with pytest.raises(ValueError, match="build_dense: needs a fixed window"):
        models.build("dense", (None, 3))
    assert models.build("lstm", (None, 3)).input_shape == (None, None, 3)


def test_min_gru_without_recurrent_dropout():
    with pytest.raises(ValueError, match="`recurrent_dropout` must be 0"):
        models.build("min_gru", (T, K), recurrent_dropout=0.1)


# -- sequence classification ---------------------------------------------------


CLASSIFIER_CELLS = ["lstm", "peephole_lstm", "min_gru"]


@pytest.mark.parametrize("cell", CLASSIFIER_CELLS)
def test_classifier_padding_does_not_change_the_prediction(cell):
    model = models.build_classifier(
        20, 2, cell=cell, units=4, depth=2, embed_dim=3
    )
    assert model.output_shape == (None, 1)
    tokens = np.array([[3, 7, 1, 9]], dtype="int32")
    padded = np.array([[3, 7, 1, 9, 0, 0], [0, 0, 3, 7, 1, 9]], dtype="int32")
    expected = to_numpy(model(tokens))
    assert 0.0 < expected[0, 0] < 1.0
    got = to_numpy(model(padded))
    np.testing.assert_allclose(got, np.repeat(expected, 2, axis=0), atol=1e-5)


def test_classifier_softmax_and_bidirectional():
    model = models.build_classifier(
        20, 4, cell="gru_variant", variant="mgu", units=3, bidirectional=True
    )
    assert model.output_shape == (None, 4)
    tokens = np.array([[1, 2, 3, 0], [4, 0, 0, 0]], dtype="int32")
    probabilities = to_numpy(model(tokens))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    embedding = model.get_layer("embed")
    assert embedding.mask_zero and embedding.input_dim == 20


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_classes=1), "`n_classes` must be an integer >= 2, got 1."),
        (dict(cell="cnn"), "unknown cell 'cnn'"),
        (dict(vocab_size=0), "`vocab_size`"),
    ],
)
def test_classifier_bad_arguments(kwargs, message):
    arguments = {"vocab_size": 10, "n_classes": 2, **kwargs}
    with pytest.raises(ValueError, match="build_classifier") as info:
        models.build_classifier(**arguments)
    assert message in str(info.value)


# -- autoregressive forecasting ------------------------------------------------


def _linear_one_step(window, weights, bias):
    model = models.build("linear", (window, 1))
    model.get_layer("head").set_weights(
        [np.asarray(weights, "float32")[:, None], np.array([bias], "float32")]
    )
    return model


def test_autoregressive_feeds_predictions_back():
    weights, bias = [0.1, 0.2, 0.7], 0.5
    model = _linear_one_step(3, weights, bias)
    history = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 1.0, 2.0]])
    got = models.forecast_autoregressive(model, history, steps=4)
    expected = []
    for row in history:
        window = list(row[-3:])
        out = []
        for _ in range(4):
            value = float(np.dot(weights, window) + bias)
            out.append(value)
            window = window[1:] + [value]
        expected.append(out)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_autoregressive_multivariate_needs_future_inputs():
    model = models.build("persistence", (3, 2), target_index=1)
    history = np.arange(12.0).reshape(2, 3, 2)
    with pytest.raises(ValueError, match="the others' future values"):
        models.forecast_autoregressive(model, history, 2, target_index=1)
    future = np.full((2, 2, 2), 99.0)
    got = models.forecast_autoregressive(
        model, history, 2, target_index=1, future_inputs=future
    )
    np.testing.assert_array_equal(got, history[:, -1, 1:2].repeat(2, 1))
    calls = []

    def supply(step, window):
        calls.append(window.shape)
        return np.zeros((2, 2))

    models.forecast_autoregressive(
        model, history, 3, target_index=1, future_inputs=supply
    )
    # The last forecast is not fed back: no row is asked for it.
    assert calls == [(2, 3, 2)] * 2


def test_autoregressive_rejects_a_multi_step_model():
    model = models.build("persistence", (3, 1), head="seq_to_vector", horizon=2)
    with pytest.raises(ValueError, match="needs a one-step model"):
        models.forecast_autoregressive(model, np.ones((2, 3, 1)), 2)
    with pytest.raises(ValueError, match="windows of 3 steps"):
        models.forecast_autoregressive(
            models.build("persistence", (3, 1)), np.ones((2, 2, 1)), 2
        )
