"""Géron, *Hands-On Machine Learning* ch. 15 (synthetic series): every
published model, written as in the book (a `keras.Sequential` of Keras
layers), against `keras_seqlab.build`: the same parameter count, and the
same outputs (within 1e-5) once the book's weights are set in ours."""

import keras
import numpy as np
import pytest
from keras import layers
from seqlab_testing import to_numpy

import keras_seqlab as ks
from keras_seqlab.models import conv_targets

TOL = 1e-5
T = 12  # the book's windows are 50 steps; 12 keeps the tests fast


def _seq(*body):
    return keras.Sequential([keras.Input((None, 1)), *body])


def _book_wavenet():
    convs = [
        layers.Conv1D(
            20,
            kernel_size=2,
            padding="causal",
            activation="relu",
            dilation_rate=rate,
        )
        for rate in (1, 2, 4, 8) * 2
    ]
    return _seq(*convs, layers.Conv1D(10, kernel_size=1))


def _rnn(cls, n=2, last_sequences=False):
    return [
        cls(20, return_sequences=last_sequences or i < n - 1) for i in range(n)
    ]


SEQ10 = dict(head="seq_to_seq", horizon=10)
VEC10 = dict(head="seq_to_vector", horizon=10)

# name: (the book's model, build(...) arguments, the book's parameter count)
BOOK = {
    "simple_rnn_1": (
        lambda: _seq(layers.SimpleRNN(1)),
        ("simple_rnn", dict(output="recurrent")),
        3,
    ),
    "deep_rnn_recurrent_output": (
        lambda: _seq(*_rnn(layers.SimpleRNN, 2, True), layers.SimpleRNN(1)),
        ("stacked_rnn", dict(units=20, depth=3, output="recurrent")),
        1282,
    ),
    "deep_rnn_dense_output": (
        lambda: _seq(*_rnn(layers.SimpleRNN), layers.Dense(1)),
        ("stacked_rnn", dict(units=20)),
        1281,
    ),
    "deep_rnn_10_ahead": (
        lambda: _seq(*_rnn(layers.SimpleRNN), layers.Dense(10)),
        ("stacked_rnn", dict(units=20, **VEC10)),
        1470,
    ),
    "rnn_seq_to_seq": (
        lambda: _seq(
            *_rnn(layers.SimpleRNN, 2, True),
            layers.TimeDistributed(layers.Dense(10)),
        ),
        ("stacked_rnn", dict(units=20, **SEQ10)),
        1470,
    ),
    "lstm_seq_to_seq": (
        lambda: _seq(
            *_rnn(layers.LSTM, 2, True),
            layers.TimeDistributed(layers.Dense(10)),
        ),
        ("stacked_lstm", dict(units=20, **SEQ10)),
        5250,
    ),
    "gru_seq_to_seq": (
        lambda: _seq(
            *_rnn(layers.GRU, 2, True),
            layers.TimeDistributed(layers.Dense(10)),
        ),
        ("stacked_gru", dict(units=20, **SEQ10)),
        4110,
    ),
    "conv_gru": (
        lambda: _seq(
            layers.Conv1D(20, kernel_size=4, strides=2, padding="valid"),
            *_rnn(layers.GRU, 2, True),
            layers.TimeDistributed(layers.Dense(10)),
        ),
        (
            "conv_gru",
            dict(units=20, depth=2, strides=2, padding="valid", **SEQ10),
        ),
        5350,
    ),
    "wavenet": (
        _book_wavenet,
        ("wavenet", dict(gated=False, units=20, **SEQ10)),
        None,
    ),
}


@pytest.mark.parametrize("case", list(BOOK))
def test_the_book_model_has_our_parameters_and_outputs(case):
    make_book, (name, kwargs), count = BOOK[case]
    book = make_book()
    ours = ks.build(name, (None, 1), **kwargs)
    assert ours.count_params() == book.count_params()
    if count is not None:
        assert book.count_params() == count
    rng = np.random.default_rng(1)  # small weights, non-zero biases
    weights = [
        rng.uniform(-0.3, 0.3, w.shape).astype("float32")
        for w in book.get_weights()
    ]
    book.set_weights(weights)
    if case == "wavenet":  # the book's Conv1D(10, kernel_size=1): a Dense
        weights[-2] = weights[-2][0]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    x = np.random.default_rng(0).normal(size=(2, T, 1)).astype("float32")
    expected = to_numpy(book(x))
    got = to_numpy(ours(x))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)


def test_the_book_wavenet_parameter_count():
    # 8 dilated convs of 20 filters (the first on 1 channel) and a 1x1
    # Conv1D(10): 60 + 7 * 820 + 210.
    book = _book_wavenet()
    ours = ks.build("wavenet", (None, 1), gated=False, units=20, **SEQ10)
    assert book.count_params() == ours.count_params() == 6010
    assert ours.get_layer("wavenet").dilations == (1, 2, 4, 8) * 2
    assert ks.build("wavenet", (None, 1)).get_layer("wavenet").dilations == (
        ks.WaveNet(4).dilations
    )


@pytest.mark.parametrize(
    "padding, strides, kernel", [("valid", 2, 4), ("causal", 2, 4)]
)
@pytest.mark.parametrize("steps", [12, 13])
def test_conv_targets_match_the_model_output_steps(
    padding, strides, kernel, steps
):
    model = ks.build(
        "conv_gru",
        (steps, 1),
        units=3,
        kernel_size=kernel,
        strides=strides,
        padding=padding,
        **SEQ10,
    )
    y = np.arange(4 * steps * 10, dtype="float32").reshape(4, steps, 10)
    cut = conv_targets(y, kernel, strides, padding)
    assert cut.shape[1:] == model.output_shape[1:]
    if padding == "valid":  # the book's Y[:, 3::2]
        np.testing.assert_array_equal(cut, y[:, 3::2])


RECURRENT = [
    n
    for n in ks.models.names()
    if n
    not in ("persistence", "linear", "dense", "wavenet", "tcn", "attention")
    and n not in ("bidirectional", "esn")
]


@pytest.mark.parametrize("name", RECURRENT)
def test_a_recurrent_output_layer_has_the_dense_heads_shapes(name):
    kwargs = dict(units=3, n_targets=2, horizon=2, head="seq_to_seq")
    if name in ("min_gru", "min_lstm"):
        kwargs["block"] = "bare"
    dense = ks.build(name, (5, 2), **kwargs)
    ours = ks.build(name, (5, 2), output="recurrent", **kwargs)
    assert ours.output_shape == dense.output_shape == (None, 5, 2, 2)
    assert "head" not in [layer.name for layer in ours.layers]


@pytest.mark.parametrize("head", ["many_to_one", "seq_to_vector"])
def test_recurrent_output_vector_heads_and_quantiles(head):
    horizon = 1 if head == "many_to_one" else 3
    for quantiles in (None, (0.1, 0.5, 0.9)):
        kwargs = dict(
            units=3, n_targets=2, head=head, horizon=horizon,
            quantiles=quantiles, depth=2,
        )  # fmt: skip
        dense = ks.build("gru", (5, 2), **kwargs)
        ours = ks.build("gru", (5, 2), output="recurrent", **kwargs)
        assert ours.output_shape == dense.output_shape


@pytest.mark.parametrize("head", ["seq_to_seq", "seq_to_vector"])
def test_min_gru_paper_blocks_save_and_load_in_safe_mode(tmp_path, head):
    model = ks.build("min_lstm", (6, 3), units=4, depth=2, head=head)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"LayerNormalization", "Add", "MinLSTM"} <= kinds
    assert "input_projection" in [layer.name for layer in model.layers]
    bare = ks.build("min_lstm", (6, 3), units=4, depth=2, block="bare")
    assert "Add" not in {type(layer).__name__ for layer in bare.layers}
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype("float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        to_numpy(loaded(x)), to_numpy(model(x)), atol=TOL, rtol=0
    )


@pytest.mark.parametrize(
    "name, kwargs, text",
    [
        ("esn", dict(output="recurrent"), "expected output='dense'"),
        ("lstm", dict(output="rnn"), "unknown output 'rnn'"),
        ("min_gru", dict(depth=2, output="recurrent"), "block='paper'"),
        ("min_gru", dict(block="deep"), "unknown block 'deep'"),
        ("conv_gru", dict(padding="full"), "unknown padding 'full'"),
        (
            "conv_gru",
            dict(padding="same", head="seq_to_seq"),
            "got 'same'",
        ),
    ],
)
def test_bad_options_name_the_builder(name, kwargs, text):
    with pytest.raises(ValueError, match=f"build_{name}") as e:
        ks.build(name, (6, 1), **kwargs)
    assert text in str(e.value)


def test_conv_targets_refuses_same_padding():
    with pytest.raises(ValueError, match="conv_targets.*padding 'same'"):
        conv_targets(np.zeros((2, 6, 1)), 4, 2, "same")
