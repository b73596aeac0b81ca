"""Reference comparisons of the layers that are not recurrent cells.

WaveNetBlock and WaveNet against `reference.wavenet_block` and
`reference.wavenet_stack`; AttentionBlock against
`reference.attention_block`; AttentionPooling against
`reference.additive_pooling`; TCNBlock and TCN against
`reference.tcn.tcn_block` and `reference.tcn.tcn_stack` (in training
mode where the case's `step_options` say `training`). Each
`compare_*(case, setup, gradients)` returns a `Result`: the largest
absolute forward and gradient errors (inputs and every trainable weight).
"""

import keras
import numpy as np
from keras import ops

from keras_seqlab import reference
from keras_seqlab.layers.convolutional.tcn_stack import TCN
from keras_seqlab.layers.convolutional.wavenet_stack import WaveNet
from keras_seqlab.reference import tcn as ref_tcn
from keras_seqlab.testing.comparison import Result
from keras_seqlab.testing.comparison import cheap_initializers
from keras_seqlab.testing.comparison import max_error
from keras_seqlab.testing.comparison import padding_mask
from keras_seqlab.testing.comparison import randomize_weights
from keras_seqlab.testing.comparison import sgd_gradients
from keras_seqlab.testing.comparison import to_numpy
from keras_seqlab.testing.comparison import weighted_sum

WEIGHT_SCALE = 0.5


def _inputs(setup):
    rng = np.random.default_rng(setup.seed)
    shape = (setup.batch, setup.timesteps, setup.input_dim)
    x = rng.uniform(-1.0, 1.0, shape).astype("float32")
    mask = None
    if setup.mask:
        mask = padding_mask(setup.batch, setup.timesteps, setup.mask)
    return rng, x, mask


def _mask_row(mask, b):
    return None if mask is None else mask[b].tolist()


def _call(layer, x, mask, **kwargs):
    mask = None if mask is None else ops.convert_to_tensor(mask)
    return layer(ops.convert_to_tensor(x), mask=mask, **kwargs)


# WaveNet ---------------------------------------------------------------------


def wavenet_blocks(layer):
    """The WaveNetBlocks of a WaveNet, or [the block itself]."""
    return layer.blocks if isinstance(layer, WaveNet) else [layer]


def wavenet_params(layer):
    """Per block, its weights as the reference's dict of nested lists."""
    return [
        {w.name: to_numpy(w).astype("float64").tolist() for w in b.weights}
        for b in wavenet_blocks(layer)
    ]


def wavenet_reference(layer, params, xs, mask):
    """[residual, skip] (a block) or [output] (a stack), batched lists."""
    outs = []
    for b, sample in enumerate(xs):
        m = _mask_row(mask, b)
        if isinstance(layer, WaveNet):
            activation = keras.activations.serialize(layer.output_activation)
            y = reference.wavenet_stack(
                params,
                sample,
                layer.dilations,
                gated=layer.gated,
                return_sequences=layer.return_sequences,
                output_activation=activation,
                mask=m,
            )
            outs.append([y])
        else:
            outs.append(
                list(
                    reference.wavenet_block(
                        params[0], sample, layer.dilation_rate, layer.gated, m
                    )
                )
            )
    return [[sample[k] for sample in outs] for k in range(len(outs[0]))]


def _wavenet_outputs(layer, x, mask):
    out = _call(layer, x, mask)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def make_wavenet(case, setup, rng):
    kwargs = {**cheap_initializers(case.layer), **case.layer_kwargs}
    layer = case.layer(setup.units, **kwargs)
    layer.build((None, setup.timesteps, setup.input_dim))
    randomize_weights(layer, rng, scale=WEIGHT_SCALE)
    return layer


def compare_wavenet(case, setup, gradients=True):
    rng, x, mask = _inputs(setup)
    layer = make_wavenet(case, setup, rng)
    params = wavenet_params(layer)
    expected = wavenet_reference(layer, params, x.tolist(), mask)
    got = [to_numpy(o) for o in _wavenet_outputs(layer, x, mask)]
    result = Result(max_error(got, expected))
    if not gradients:
        return result
    out_weights = [rng.uniform(-1, 1, o.shape).astype("float32") for o in got]

    def reference_loss(params, xs):
        outs = wavenet_reference(layer, params, xs, mask)
        return sum((weighted_sum(o, w) for o, w in zip(outs, out_weights)), 0.0)

    _, (ref_params, ref_x) = reference.value_and_grad(
        reference_loss, params, x.tolist()
    )

    def keras_loss(x):
        outs = _wavenet_outputs(layer, x, mask)
        return sum(
            ops.sum(o * ops.convert_to_tensor(w))
            for o, w in zip(outs, out_weights)
        )

    grads = sgd_gradients(keras_loss, [x], layer)
    blocks = wavenet_blocks(layer)
    in_order = [w for b in blocks for w in b.trainable_weights]
    if [w.path for w in in_order] != [w.path for w in layer.trainable_weights]:
        raise AssertionError("WaveNet weights are not in block order")
    expected_grads = [ref_x] + [
        ref_params[i][w.name]
        for i, b in enumerate(blocks)
        for w in b.trainable_weights
    ]
    if len(grads) != len(expected_grads):
        raise AssertionError(f"{len(grads)} gradients, expected more")
    result.gradient_error = max_error(grads, expected_grads)
    return result


# Attention -------------------------------------------------------------------


def weight_keys(layer, weight):
    """The weight's path inside `layer` (["attention", "query", "kernel"])."""
    prefix = layer.name + "/"
    if not weight.path.startswith(prefix):
        raise AssertionError(f"{weight.path} is not inside {layer.name}")
    return weight.path[len(prefix) :].split("/")


def nested_params(layer):
    """The layer's weights as the reference's nested dict of lists."""
    params = {}
    for weight in layer.weights:
        *parents, leaf = weight_keys(layer, weight)
        node = params
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = to_numpy(weight).astype("float64").tolist()
    return params


def lookup(tree, keys):
    for key in keys:
        tree = tree[key]
    return tree


def attention_block_reference(layer, params, xs, mask):
    """(outputs, scores) of `reference.attention_block`, batched lists."""
    outs, scores = [], []
    for b, sample in enumerate(xs):
        y, s = reference.attention_block(
            params, sample, _mask_row(mask, b), layer.causal, layer.epsilon
        )
        outs.append(y)
        scores.append(s)
    return outs, scores


def attention_pooling_reference(layer, params, xs, mask):
    """(contexts, weights) of `reference.additive_pooling`, batched."""
    pairs = [
        reference.additive_pooling(params, sample, _mask_row(mask, b))
        for b, sample in enumerate(xs)
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def make_attention(case, setup, rng):
    kwargs = {**cheap_initializers(case.layer), **case.layer_kwargs}
    if case.kind == "attention_pooling":
        layer = case.layer(setup.units, **kwargs)
    else:
        layer = case.layer(**kwargs)
    layer.build((setup.batch, setup.timesteps, setup.input_dim))
    randomize_weights(layer, rng, scale=WEIGHT_SCALE)
    return layer


def _attention_forward(layer, kind, x, mask):
    """[plain output, output with scores/weights, scores/weights]."""
    if kind == "attention_pooling":
        both = _call(layer, x, mask, return_attention_weights=True)
    else:
        both = _call(layer, x, mask, return_attention_scores=True)
    plain = _call(layer, x, mask)
    return [to_numpy(plain)] + [to_numpy(v) for v in both]


def compare_attention(case, setup, gradients=True):
    """AttentionBlock (outputs, both call paths, and the attention scores)
    or AttentionPooling (context, both call paths, and the weights)."""
    rng, x, mask = _inputs(setup)
    layer = make_attention(case, setup, rng)
    if case.kind == "attention_pooling":
        run_reference = attention_pooling_reference
    else:
        run_reference = attention_block_reference
    outputs, extra = run_reference(
        layer, nested_params(layer), x.tolist(), mask
    )
    got = _attention_forward(layer, case.kind, x, mask)
    result = Result(max_error(got, [outputs, outputs, extra]))
    if not gradients:
        return result
    out_weights = rng.uniform(-1, 1, got[0].shape)

    def keras_fn(x):
        out = _call(layer, x, mask)
        return ops.sum(out * ops.convert_to_tensor(out_weights, x.dtype))

    def reference_fn(params, xs):
        out, _ = run_reference(layer, params, xs, mask)
        return weighted_sum(out, out_weights)

    grads = sgd_gradients(keras_fn, [x], layer)
    _, (param_grads, x_grads) = reference.value_and_grad(
        reference_fn, nested_params(layer), x.astype("float64").tolist()
    )
    if len(grads) != 1 + len(layer.trainable_weights):
        raise AssertionError("a gradient per input and weight expected")
    expected = [x_grads] + [
        lookup(param_grads, weight_keys(layer, w))
        for w in layer.trainable_weights
    ]
    result.gradient_error = max_error(grads, expected)
    return result


# TCN -------------------------------------------------------------------------


def tcn_blocks(layer):
    """The TCNBlocks of a TCN, or [the block itself]."""
    return layer.blocks if isinstance(layer, TCN) else [layer]


def tcn_params(block):
    """The reference's dict of a block: weight paths below the block,
    nested lists."""
    prefix = block.path + "/"
    return {
        w.path[len(prefix) :]: to_numpy(w).astype("float64").tolist()
        for w in block.weights
    }


def _tcn_norm(layer):
    for name in ("batch", "layer", "weight"):
        if getattr(layer, f"use_{name}_norm"):
            return name
    return None


def tcn_reference(layer, params, xs, masks, training):
    """[output] (a stack) or [residual, skip] (a block), batched lists."""
    activation = keras.activations.serialize(layer.activation)
    if isinstance(layer, TCN):
        return [
            ref_tcn.tcn_stack(
                params,
                xs,
                [b.dilation_rate for b in layer.blocks],
                layer.padding,
                activation,
                _tcn_norm(layer),
                layer.use_skip_connections,
                layer.return_sequences,
                layer.go_backwards,
                training,
                masks,
            )
        ]
    return list(
        ref_tcn.tcn_block(
            params[0],
            xs,
            layer.dilation_rate,
            layer.padding,
            activation,
            _tcn_norm(layer),
            training,
            masks,
        )
    )


def make_tcn(case, setup, rng):
    """The case's layer, built, with random weights (positive variances
    for batch normalization)."""
    layer = case.layer(
        **{**cheap_initializers(case.layer), **case.layer_kwargs}
    )
    layer.build((None, setup.timesteps, setup.input_dim))
    layer.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape)
            if "variance" in w.path
            else rng.uniform(-0.6, 0.6, w.shape)
            for w in layer.weights
        ]
    )
    return layer


def compare_tcn(case, setup, gradients=True):
    rng, x, mask = _inputs(setup)
    training = bool(case.step_options.get("training", False))
    layer = make_tcn(case, setup, rng)
    masks = None if mask is None else mask.tolist()
    params = [tcn_params(b) for b in tcn_blocks(layer)]

    def outputs(x):
        out = _call(layer, x, mask, training=training)
        return list(out) if isinstance(out, (tuple, list)) else [out]

    expected = tcn_reference(layer, params, x.tolist(), masks, training)
    got = [to_numpy(o) for o in outputs(x)]
    result = Result(max_error(got, expected))
    if not gradients:
        return result
    out_weights = [rng.uniform(-1, 1, o.shape).astype("float32") for o in got]

    def reference_loss(params, xs):
        outs = tcn_reference(layer, params, xs, masks, training)
        return sum((weighted_sum(o, w) for o, w in zip(outs, out_weights)), 0.0)

    _, (ref_params, ref_x) = reference.value_and_grad(
        reference_loss, params, x.tolist()
    )

    def keras_loss(x):
        return sum(
            ops.sum(o * ops.convert_to_tensor(w))
            for o, w in zip(outputs(x), out_weights)
        )

    grads = sgd_gradients(keras_loss, [x], layer)
    blocks = tcn_blocks(layer)
    in_order = [w for b in blocks for w in b.trainable_weights]
    if [w.path for w in in_order] != [w.path for w in layer.trainable_weights]:
        raise AssertionError("TCN weights are not in block order")
    expected_grads = [ref_x]
    for i, b in enumerate(blocks):
        prefix = b.path + "/"
        expected_grads += [
            ref_params[i][w.path[len(prefix) :]] for w in b.trainable_weights
        ]
    result.gradient_error = max_error(grads, expected_grads)
    return result


COMPARE = {
    "wavenet": compare_wavenet,
    "attention_block": compare_attention,
    "attention_pooling": compare_attention,
    "tcn": compare_tcn,
}
