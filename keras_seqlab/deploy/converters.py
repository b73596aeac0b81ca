"""What a converter needs around Keras's `Model.export` on one backend.

LiteRT: Keras's TensorFlow converter keeps a recurrent layer's time loop as
TensorFlow ops (`While`, `TensorList`: Flex ops), which the pip LiteRT
interpreter cannot run. For a fixed window `unrolled` rebuilds the model
with every recurrent layer's `unroll=True` (the same weights): the loop
becomes one copy of the step per time point, builtin TFLite ops only, the
same arithmetic.

JAX's ONNX converter (jax2onnx) converts forward `lax.scan`s only ("Reverse
scan is not supported"), and Keras's JAX recurrent loop scans in reverse
for `go_backwards` (the backward half of every `Bidirectional`).
`prepared` makes a reverse scan a forward scan over the reversed inputs
while the model is traced: by its definition the same numbers (`lax.scan`
with `reverse=True` is the forward scan of the flipped `xs`, its stacked
outputs flipped back).
"""

import contextlib

import keras

WRAPPED = ("layer", "forward_layer", "backward_layer")


def layers_of(model):
    """Every layer of `model`: nested models' and wrapped layers (a
    `Bidirectional`'s two directions) included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from layers_of(layer)
        for attribute in WRAPPED:
            inner = getattr(layer, attribute, None)
            if isinstance(inner, keras.layers.Layer):
                yield inner


def loops(model):
    """`model`'s recurrent layers (a time loop each)."""
    return [
        layer
        for layer in layers_of(model)
        if isinstance(layer, keras.layers.RNN)
    ]


def fixed_window(model):
    """Whether every input of `model` has a known number of time steps."""
    return all(len(t.shape) < 2 or t.shape[1] is not None for t in model.inputs)


def _set_unroll(config, names):
    """Sets `unroll` in the config of every layer named in `names`."""
    if isinstance(config, dict):
        inner = config.get("config")
        if isinstance(inner, dict) and inner.get("name") in names:
            if "unroll" in inner:
                inner["unroll"] = True
        for value in config.values():
            _set_unroll(value, names)
    elif isinstance(config, list):
        for value in config:
            _set_unroll(value, names)


def unrolled(model):
    """`model` rebuilt with its recurrent layers unrolled, its weights
    copied; `model` itself when it has no loop or no fixed window."""
    found = {layer.name for layer in loops(model)}
    if not found or not fixed_window(model):
        return model
    config = model.get_config()
    _set_unroll(config, found)
    clone = model.__class__.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def _forward_scan(scan):
    """`scan` (JAX's `lax.scan`) that runs a reverse scan forward."""
    import jax  # backend-guarded: JAX to ONNX only (`prepared`)

    def flip(tree):
        return jax.tree_util.tree_map(lambda a: jax.numpy.flip(a, 0), tree)

    def forward(f, init, xs=None, length=None, reverse=False, **options):
        if not reverse:
            return scan(f, init, xs, length=length, **options)
        carry, ys = scan(f, init, flip(xs), length=length, **options)
        return carry, flip(ys)

    return forward


@contextlib.contextmanager
def prepared(format, backend):
    """The setting `format`'s converter on `backend` needs while the model
    is exported (JAX to ONNX: forward scans only), undone after."""
    if (backend, format) != ("jax", "onnx"):
        yield
        return
    import jax  # backend-guarded: the JAX backend, ONNX format only

    scan = jax.lax.scan
    jax.lax.scan = _forward_scan(scan)
    try:
        yield
    finally:
        jax.lax.scan = scan
