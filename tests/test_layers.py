"""Integration: the layers and cells inside Keras's machinery."""

import inspect
import json

import keras
import numpy as np
import pytest
from seqlab_testing import BACKEND
from seqlab_testing import check_seeded_dropout_step
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

import keras_seqlab
from keras_seqlab import reference
from keras_seqlab.layers.recurrent.rnn import SeqlabRNN
from keras_seqlab.testing import reference_check as check

TOL = 1e-5

# (layer class, cell class, extra kwargs, reference step, state count)
FAMILIES = [
    (
        keras_seqlab.PeepholeLSTM,
        keras_seqlab.PeepholeLSTMCell,
        {},
        "peephole_lstm",
    ),
    (
        keras_seqlab.LNSimpleRNN,
        keras_seqlab.LNSimpleRNNCell,
        {},
        "ln_simple_rnn.textbook",
    ),
    (
        keras_seqlab.LNSimpleRNN,
        keras_seqlab.LNSimpleRNNCell,
        {"form": "addons"},
        "ln_simple_rnn.addons",
    ),
] + [
    (
        keras_seqlab.GRUVariant,
        keras_seqlab.GRUVariantCell,
        {"variant": v},
        f"gru_variant.{v}",
    )
    for v in keras_seqlab.GRU_VARIANTS
]
FAMILY_IDS = [
    f"{f[0].__name__}-{next(iter(f[2].values()), 'default')}" for f in FAMILIES
]


def _randomize(layer, seed=0):
    check.randomize_weights(layer, np.random.default_rng(seed))


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_cell_in_keras_rnn_equals_layer(family, go_backwards):
    layer_cls, cell_cls, kwargs, _ = family
    x = random_sequences()
    ours = layer_cls(
        4, return_sequences=True, go_backwards=go_backwards, **kwargs
    )
    plain = keras.layers.RNN(
        cell_cls(4, **kwargs), return_sequences=True, go_backwards=go_backwards
    )
    ours.build(x.shape)
    plain.build(x.shape)
    _randomize(ours)
    plain.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        to_numpy(ours(x)), to_numpy(plain(x)), atol=TOL, rtol=0
    )


@pytest.mark.parametrize("unroll", [True])
def test_unroll_gives_the_same_numbers(unroll):
    x = random_sequences()
    a = keras_seqlab.PeepholeLSTM(4, return_sequences=True)
    b = keras_seqlab.PeepholeLSTM(4, return_sequences=True, unroll=unroll)
    a.build(x.shape)
    b.build(x.shape)
    b.set_weights(a.get_weights())
    mask = check.padding_mask(3, 6, "right")
    np.testing.assert_allclose(
        to_numpy(a(x, mask=mask)), to_numpy(b(x, mask=mask)), atol=TOL
    )


def test_stacked_cells_equal_stacked_layers():
    x = random_sequences()
    cells = [
        keras_seqlab.PeepholeLSTMCell(4),
        keras_seqlab.GRUVariantCell(3, variant="mgu"),
        keras_seqlab.LNSimpleRNNCell(2),
    ]
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells(cells), return_sequences=True
    )
    stacked.build(x.shape)
    layers = [
        keras_seqlab.PeepholeLSTM(4, return_sequences=True),
        keras_seqlab.GRUVariant(3, variant="mgu", return_sequences=True),
        keras_seqlab.LNSimpleRNN(2, return_sequences=True),
    ]
    y = x
    for layer, cell in zip(layers, cells):
        layer.build(y.shape)
        _randomize(layer, seed=len(cell.weights))
        cell.set_weights(layer.get_weights())
        y = layer(y)
    np.testing.assert_allclose(to_numpy(stacked(x)), to_numpy(y), atol=TOL)


def test_stacked_cells_with_dropout_train_inside_seqlab_rnn():
    cells = [
        keras_seqlab.PeepholeLSTMCell(4, dropout=0.2, recurrent_dropout=0.2),
        keras_seqlab.GRUVariantCell(3, dropout=0.3),
    ]
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            SeqlabRNN(keras.layers.StackedRNNCells(cells)),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse")
    history = model.fit(
        random_sequences(batch=16), np.ones((16, 1)), epochs=2, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("family", FAMILIES[:4], ids=FAMILY_IDS[:4])
def test_bidirectional_equals_forward_and_reversed_backward(family):
    layer_cls, _, kwargs, _ = family
    x = random_sequences()
    mask = check.padding_mask(3, 6, "right")
    bi = keras.layers.Bidirectional(
        layer_cls(4, return_sequences=True, **kwargs)
    )
    bi.build(x.shape)
    _randomize(bi)
    out = to_numpy(bi(x, mask=mask))
    fwd = to_numpy(bi.forward_layer(x, mask=mask))
    bwd = to_numpy(bi.backward_layer(x, mask=mask))[:, ::-1]
    assert bi.backward_layer.go_backwards
    assert isinstance(bi.backward_layer, layer_cls)
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], -1), atol=TOL)


@pytest.mark.parametrize("family", FAMILIES[:4], ids=FAMILY_IDS[:4])
def test_stateful_continues_where_it_stopped(family):
    layer_cls, _, kwargs, _ = family
    x = random_sequences(batch=2, timesteps=8)
    whole = layer_cls(4, return_sequences=True, **kwargs)
    parts = layer_cls(4, return_sequences=True, stateful=True, **kwargs)
    whole.build(x.shape)
    parts.build((2, 4, 3))
    _randomize(whole)
    parts.set_weights(whole.get_weights())
    expected = to_numpy(whole(x))
    first = to_numpy(parts(x[:, :4]))
    second = to_numpy(parts(x[:, 4:]))
    np.testing.assert_allclose(
        np.concatenate([first, second], 1), expected, atol=TOL
    )
    parts.reset_state()
    np.testing.assert_allclose(to_numpy(parts(x[:, :4])), first, atol=TOL)


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_return_state_values_and_order(family):
    """The returned states, in order, are the ones that continue the run.

    Output first: `states[0]` is the last output h. Run on the second half
    of a sequence from the states returned for the first half, the layer
    must give the outputs of one run over the whole sequence, which fails
    if any state (c in particular) is wrong or out of order.
    """
    layer_cls, _, kwargs, step = family
    x = random_sequences(timesteps=8)
    layer = layer_cls(5, return_state=True, return_sequences=True, **kwargs)
    outs = layer(x)
    _randomize(layer)
    whole, *final = (to_numpy(o) for o in layer(x))
    assert len(outs) == 1 + reference.state_count(step)
    assert whole.shape == (3, 8, 5)
    np.testing.assert_allclose(final[0], whole[:, -1], atol=TOL, rtol=0)
    first, *states = layer(x[:, :4])
    second, *last = layer(x[:, 4:], initial_state=list(states))
    np.testing.assert_allclose(
        np.concatenate([to_numpy(first), to_numpy(second)], 1),
        whole,
        atol=TOL,
        rtol=0,
    )
    for got, want in zip(last, final, strict=True):
        np.testing.assert_allclose(to_numpy(got), want, atol=TOL, rtol=0)
    if len(states) == 2:
        # Swapped [c, h] would feed c where h belongs: other numbers.
        swapped = layer(x[:, 4:], initial_state=list(states)[::-1])[0]
        assert not np.allclose(to_numpy(swapped), whole[:, 4:], atol=1e-3)
    symbolic = layer_cls(5, return_state=True, **kwargs)(keras.Input((None, 3)))
    assert tuple(symbolic[0].shape) == (None, 5)


# -- dropout -----------------------------------------------------------------


def _capture_masks(cell):
    """Records the masks a call drew, before the layer clears them."""
    seen = []
    clear = cell.clear_dropout_masks

    def record():
        seen.append((cell._dropout_mask, cell._recurrent_dropout_mask))
        clear()

    cell.clear_dropout_masks = record
    return seen


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_dropout_uses_one_mask_per_sequence(family):
    """Training output equals the reference run with masked kernels.

    A mask m applied to x_t (or h_{t-1}) at every step is the same as the
    kernel diag(m) W (or diag(m) U); so if the layer used one mask per
    sequence, the reference with those kernels reproduces it exactly.
    """
    layer_cls, _, kwargs, step = family
    x = random_sequences(seed=3)
    layer = layer_cls(
        4,
        return_sequences=True,
        dropout=0.4,
        recurrent_dropout=0.3,
        seed=7,
        **kwargs,
    )
    layer.build(x.shape)
    _randomize(layer)
    seen = _capture_masks(layer.cell)
    trained = to_numpy(layer(x, training=True))
    input_mask, recurrent_mask = (to_numpy(m) for m in seen[0])
    assert set(np.unique(input_mask)) <= {0.0, np.float32(1 / 0.6)}
    assert (input_mask == 0).any() and (recurrent_mask == 0).any()
    params = check.reference_params(layer)
    for b in range(x.shape[0]):
        p = dict(params)
        p["kernel"] = np.array(params["kernel"]) * input_mask[b][:, None]
        p["recurrent_kernel"] = (
            np.array(params["recurrent_kernel"]) * recurrent_mask[b][:, None]
        )
        p = {
            k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in p.items()
        }
        n = reference.state_count(step)
        outputs, _, _ = reference.run_sequence(
            reference.STEPS[step], p, x[b].tolist(), [[0.0] * 4] * n
        )
        np.testing.assert_allclose(trained[b], outputs, atol=TOL)
    # Inference ignores dropout; a second training call draws new masks.
    plain = layer_cls(4, return_sequences=True, **kwargs)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        to_numpy(layer(x, training=False)), to_numpy(plain(x)), atol=TOL
    )
    layer(x, training=True)
    assert not np.array_equal(to_numpy(seen[-1][0]), input_mask)


def test_dropout_masks_are_drawn_once_per_call(monkeypatch):
    calls = []
    original = keras.random.dropout

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(keras.random, "dropout", counting)
    layer = keras_seqlab.PeepholeLSTM(4, dropout=0.2, recurrent_dropout=0.2)
    layer(random_sequences(timesteps=12), training=True)
    assert len(calls) == 2


def test_cell_dropout_in_plain_keras_rnn_is_refused_clearly():
    layer = keras.layers.RNN(keras_seqlab.PeepholeLSTMCell(4, dropout=0.5))
    with pytest.raises(ValueError, match="keras_seqlab.SeqlabRNN"):
        layer(random_sequences(), training=True)
    # Inference needs no mask and works.
    assert tuple(layer(random_sequences()).shape) == (3, 4)


# -- training, saving, precision ----------------------------------------------


def _regression_data(n=64, t=10):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, t, 2)).astype("float32")
    y = x[:, :, :1].mean(axis=1) + 0.5 * x[:, -1, 1:]
    return x, y


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_a_compiled_training_step_with_dropout_is_seeded(family):
    """Dropout and recurrent dropout inside a compiled training step
    (`check_seeded_dropout_step`); the gradients themselves are the
    reference's (test_against_reference)."""
    layer_cls, _, kwargs, _ = family
    x, y = _regression_data(n=16)
    layer = layer_cls(4, dropout=0.3, recurrent_dropout=0.3, seed=1, **kwargs)
    check_seeded_dropout_step(layer, x, y)


def _models_to_save():
    yield (
        "peephole",
        keras_seqlab.PeepholeLSTM(
            4,
            return_sequences=True,
            dropout=0.1,
            seed=3,
            kernel_regularizer="l2",
            peephole_constraint="non_neg",
        ),
    )
    yield (
        "gru2",
        keras_seqlab.GRUVariant(
            4, variant="gru2", recurrent_activation="hard_sigmoid"
        ),
    )
    yield "ln", keras_seqlab.LNSimpleRNN(4, form="addons", epsilon=1e-4)
    yield (
        "bi",
        keras.layers.Bidirectional(
            keras_seqlab.GRUVariant(3, variant="mgu", return_sequences=True)
        ),
    )
    yield (
        "cells",
        keras.layers.RNN(
            keras.layers.StackedRNNCells(
                [
                    keras_seqlab.LayerNormSimpleRNNCell(3),
                    keras_seqlab.PeepholeLSTMCell(2),
                ]
            )
        ),
    )
    yield (
        "seqlab_rnn",
        SeqlabRNN(keras_seqlab.GRUVariantCell(3, variant="gru3", dropout=0.2)),
    )


@pytest.mark.parametrize(
    "name_layer", list(_models_to_save()), ids=lambda p: p[0]
)
def test_keras_file_round_trip_in_safe_mode(tmp_path, name_layer):
    _, layer = name_layer
    inputs = keras.Input((6, 3))
    outputs = keras.layers.Dense(2)(layer(inputs))
    model = keras.Model(inputs, outputs)
    _randomize(model)
    x = random_sequences()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(model(x)), to_numpy(loaded(x)))
    assert type(loaded.layers[1]) is type(layer)
    # Through JSON, as in the file: tuples there come back as lists.
    assert json.dumps(loaded.layers[1].get_config(), sort_keys=True) == (
        json.dumps(layer.get_config(), sort_keys=True)
    )


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("family", FAMILIES[:4], ids=FAMILY_IDS[:4])
def test_mixed_precision_trains(policy, family):
    layer_cls, _, kwargs, _ = family
    keras.config.set_dtype_policy(policy)
    x, y = _regression_data(n=32)
    layer = layer_cls(4, return_sequences=True, dropout=0.1, **kwargs)
    model = keras.Sequential(
        [keras.Input((10, 2)), layer, keras.layers.Dense(1, dtype="float32")]
    )
    assert layer.compute_dtype == policy.split("_")[1]
    assert layer.cell.kernel.dtype == "float32"
    model.compile("adam", "mse")
    history = model.fit(x, y[:, None].repeat(10, 1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    out = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == layer.compute_dtype


# -- the PyTorch path ---------------------------------------------------------


def _spy_loop(monkeypatch):
    calls = []
    from keras_seqlab.layers.recurrent import _loop as loop

    original = loop.torch_loop

    def spy(layer, *args, **kwargs):
        calls.append(layer.name)
        return original(layer, *args, **kwargs)

    monkeypatch.setattr(loop, "torch_loop", spy)
    return calls


@pytest.mark.skipif(
    BACKEND != "torch", reason="the unstacked loop is the PyTorch path only"
)
def test_torch_runs_the_unstacked_loop(monkeypatch):
    calls = _spy_loop(monkeypatch)
    layer = keras_seqlab.GRUVariant(4, name="spied")
    layer(random_sequences())
    assert calls == ["spied"]


def _torch_outputs_and_gradients(layer, x, mask):
    import torch

    for variable in layer.trainable_variables:
        variable.value.grad = None
    out = layer(x, mask=mask, training=True)
    (out**2).sum().backward()
    grads = [v.value.grad.clone() for v in layer.trainable_variables]
    return to_numpy(out.detach()), [to_numpy(g) for g in grads], torch


@pytest.mark.skipif(
    BACKEND != "torch", reason="the chunked projection is the PyTorch path"
)
@pytest.mark.parametrize(
    "family",
    [FAMILIES[0], FAMILIES[2], FAMILIES[3]],
    ids=[FAMILY_IDS[0], FAMILY_IDS[2], FAMILY_IDS[3]],
)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("chunk_steps", [1, 4])
def test_torch_chunked_projection_changes_nothing(
    monkeypatch, family, go_backwards, chunk_steps
):
    """x W + b projected in chunks of time: same outputs and gradients."""
    from keras_seqlab.layers.recurrent import _loop as loop

    layer_cls, _, kwargs, _ = family
    x = random_sequences(batch=3, timesteps=7, features=2)
    mask = np.ones((3, 7), dtype=bool)
    mask[1, 5:] = False
    mask[2, :2] = False
    layer = layer_cls(
        4, return_sequences=True, go_backwards=go_backwards, **kwargs
    )
    layer(x)
    _randomize(layer)
    whole, whole_grads, _ = _torch_outputs_and_gradients(layer, x, mask)
    width = layer.cell.kernel.shape[-1]
    monkeypatch.setattr(loop, "CHUNK_BYTES", chunk_steps * 3 * width * 4)
    assert len(loop.time_chunks(x, layer.cell)) == -(-7 // chunk_steps)
    chunked, chunked_grads, _ = _torch_outputs_and_gradients(layer, x, mask)
    np.testing.assert_allclose(chunked, whole, atol=TOL, rtol=TOL)
    for got, want in zip(chunked_grads, whole_grads, strict=True):
        np.testing.assert_allclose(got, want, atol=TOL, rtol=TOL)


@pytest.mark.skipif(
    BACKEND != "torch", reason="flush-to-zero is for the PyTorch loop only"
)
@pytest.mark.parametrize("user_setting", [False, True])
def test_torch_backward_flushes_subnormals_and_restores(
    monkeypatch, user_setting
):
    """FTZ is on during the loop's backward pass, then as it was before."""
    import torch

    from keras_seqlab.layers.recurrent import _torch_denormal as torch_denormal

    calls = []
    original = torch.set_flush_denormal

    def spy(mode):
        calls.append(mode)
        return original(mode)

    original(user_setting)
    try:
        monkeypatch.setattr(torch, "set_flush_denormal", spy)
        layer = keras_seqlab.PeepholeLSTM(4, return_sequences=True)
        x = random_sequences()
        layer(x)
        seen = []
        step = layer.cell.recurrent_step

        def watched_step(*args, **kwargs):
            h, states = step(*args, **kwargs)
            h.register_hook(lambda g: seen.append(torch_denormal._flushing()))
            return h, states

        monkeypatch.setattr(layer.cell, "recurrent_step", watched_step)
        (layer(x) ** 2).sum().backward()
        assert seen == [True] * x.shape[1]
        assert torch_denormal._flushing() == user_setting
        assert calls == ([] if user_setting else [True, False])
    finally:
        original(False)


@pytest.mark.skipif(
    BACKEND != "torch", reason="flush-to-zero is for the PyTorch loop only"
)
def test_torch_failed_backward_does_not_leave_flush_to_zero_on():
    import torch

    from keras_seqlab.layers.recurrent import _torch_denormal as torch_denormal

    try:
        torch_denormal._switch_on()  # as if a backward pass had raised
        assert torch_denormal._flushing()
        layer = keras_seqlab.GRUVariant(4)
        layer(random_sequences())
        assert not torch_denormal._flushing()
    finally:
        torch.set_flush_denormal(False)


@pytest.mark.skipif(
    BACKEND == "torch", reason="on PyTorch the unstacked loop is the point"
)
def test_other_backends_use_the_generic_loop(monkeypatch):
    calls = _spy_loop(monkeypatch)
    keras_seqlab.GRUVariant(4)(random_sequences())
    assert calls == []


# -- configs ------------------------------------------------------------------

PUBLIC_CLASSES = [
    (keras_seqlab.PeepholeLSTMCell, {}),
    (keras_seqlab.PeepholeLSTM, {}),
    (keras_seqlab.GRUVariantCell, {"variant": "mgu"}),
    (keras_seqlab.GRUVariant, {"variant": "gru1"}),
    (keras_seqlab.LNSimpleRNNCell, {"form": "addons"}),
    (keras_seqlab.LNSimpleRNN, {}),
    (keras_seqlab.LayerNormSimpleRNNCell, {}),
]


@pytest.mark.parametrize(
    "cls_kwargs", PUBLIC_CLASSES, ids=lambda p: p[0].__name__
)
def test_get_config_holds_every_constructor_argument(cls_kwargs):
    cls, kwargs = cls_kwargs
    obj = cls(3, dropout=0.25, seed=11, **kwargs)
    config = obj.get_config()
    params = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    missing = [p.name for p in params if p.name not in config]
    assert not missing
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert config["dropout"] == 0.25 and config["seed"] == 11
    registered = keras.saving.get_registered_name(cls)
    assert registered == f"keras_seqlab>{cls.__name__}"


def test_peephole_vectors_start_different():
    cell = keras_seqlab.PeepholeLSTMCell(6)
    cell.build((2, 3))
    p_i, p_f, p_o = (to_numpy(w) for w in cell.weights[3:])
    assert not np.array_equal(p_i, p_f) and not np.array_equal(p_f, p_o)


def test_layer_norm_simple_rnn_cell_is_the_addons_form():
    cell = keras_seqlab.LayerNormSimpleRNNCell(3, layernorm_epsilon=1e-4)
    assert cell.form == "addons" and cell.epsilon == 1e-4
    cell.build((2, 5))
    assert [w.name for w in cell.weights] == [
        "kernel",
        "recurrent_kernel",
        "bias",
        "gamma",
    ]
    assert "layernorm_epsilon" in cell.get_config()
