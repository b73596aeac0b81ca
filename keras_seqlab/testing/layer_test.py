"""One harness of generic layer checks, for every public layer.

`run_layer_test(layer_class, init_kwargs, input_shape)` checks, on the
current backend, what every Keras layer of this package must do:

- config round trip: `from_config(get_config())` gives the same config,
  and every constructor argument is in the config;
- `.keras` round trip in safe mode: a model holding the layer, saved and
  loaded with `keras.saving.load_model(..., safe_mode=True)`, gives the
  same outputs;
- symbolic and eager calls agree on the output shapes (also
  `compute_output_shape` where the layer has one);
- one compiled training step (`jit_compile=True` where the backend
  compiles: XLA on TensorFlow, always on JAX) gives the weights and loss
  of the same step run eagerly;
- under the `mixed_float16` policy the layer computes in float16 and keeps
  float32 variables.

It uses public Keras APIs only (not Keras's private testing module), like
Keras's own `run_layer_test`.
"""

import copy
import inspect
import os
import tempfile

import keras
import numpy as np

TOLERANCE = 1e-5


def _outputs(value):
    """A layer's output(s) as a list of numpy arrays."""
    if isinstance(value, (list, tuple)):
        return [keras.ops.convert_to_numpy(v) for v in value]
    return [keras.ops.convert_to_numpy(value)]


def _model(layer_class, init_kwargs, input_shape, input_dtype):
    inputs = keras.Input(input_shape[1:], dtype=input_dtype)
    outputs = layer_class(**init_kwargs)(inputs)
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return keras.Model(inputs, outputs)


def _inputs(input_shape, input_dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(input_dtype).kind == "i":
        return rng.integers(1, 5, input_shape).astype(input_dtype)
    return rng.uniform(-1, 1, input_shape).astype(input_dtype)


def check_config(layer_class, init_kwargs):
    """`from_config(get_config())` round trip, every argument kept."""
    layer = layer_class(**init_kwargs)
    config = layer.get_config()
    parameters = inspect.signature(layer_class.__init__).parameters
    missing = [
        name
        for name in parameters
        if name not in ("self", "kwargs") and name not in config
    ]
    if missing:
        raise AssertionError(
            f"{layer_class.__name__}.get_config() lacks {missing}."
        )
    # A copy: `keras.layers.RNN.from_config` pops the cell from its input.
    again = layer_class.from_config(copy.deepcopy(config))
    if again.get_config() != config:
        raise AssertionError(
            f"{layer_class.__name__}: the config changed in a round trip: "
            f"{config} != {again.get_config()}."
        )


def check_saving(layer_class, init_kwargs, input_shape, input_dtype, seed):
    """A model with the layer round-trips through `.keras` in safe mode."""
    model = _model(layer_class, init_kwargs, input_shape, input_dtype)
    x = _inputs(input_shape, input_dtype, seed)
    expected = _outputs(model(x))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "layer.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    for got, want in zip(_outputs(loaded(x)), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)


def check_shapes(layer_class, init_kwargs, input_shape, input_dtype, seed):
    """Symbolic, eager and `compute_output_shape` shapes agree."""
    layer = layer_class(**init_kwargs)
    symbolic = layer(keras.Input(input_shape[1:], dtype=input_dtype))
    eager = layer(_inputs(input_shape, input_dtype, seed))
    symbolic = symbolic if isinstance(symbolic, (list, tuple)) else [symbolic]
    eager = eager if isinstance(eager, (list, tuple)) else [eager]
    for s, e in zip(symbolic, eager, strict=True):
        static = tuple(s.shape)[1:]
        if static != tuple(e.shape)[1:]:
            raise AssertionError(
                f"{layer_class.__name__}: symbolic shape {tuple(s.shape)} "
                f"vs eager shape {tuple(e.shape)}."
            )


def _one_step(model, x, y, jit_compile):
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss="mse",
        jit_compile=jit_compile,
        run_eagerly=not jit_compile,
    )
    loss = model.train_on_batch(x, y)
    return float(loss), [keras.ops.convert_to_numpy(w) for w in model.weights]


def check_training_step(
    layer_class, init_kwargs, input_shape, input_dtype, seed
):
    """A compiled training step gives the eager step's loss and weights."""
    x = _inputs(input_shape, input_dtype, seed)
    model = _model(layer_class, init_kwargs, input_shape, input_dtype)
    y = np.random.default_rng(seed + 1).normal(
        size=(input_shape[0], *model.output_shape[1:])
    )
    start = [w.copy() for w in model.get_weights()]
    compiled = "auto" if keras.backend.backend() == "torch" else True
    loss, weights = _one_step(model, x, y, jit_compile=compiled)
    model.set_weights(start)
    eager_loss, eager_weights = _one_step(model, x, y, jit_compile=False)
    np.testing.assert_allclose(loss, eager_loss, rtol=TOLERANCE)
    for got, want in zip(weights, eager_weights, strict=True):
        np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)
    if all(np.array_equal(a, b) for a, b in zip(start, eager_weights)):
        raise AssertionError(
            f"{layer_class.__name__}: a training step changed no weight."
        )


def check_mixed_precision(
    layer_class, init_kwargs, input_shape, input_dtype, seed
):
    """Under `mixed_float16`: float16 outputs, float32 variables."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = layer_class(**init_kwargs)
        outputs = layer(_inputs(input_shape, input_dtype, seed))
    finally:
        keras.config.set_dtype_policy(previous)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for output in outputs:
        dtype = keras.backend.standardize_dtype(output.dtype)
        if dtype != "float16":
            raise AssertionError(
                f"{layer_class.__name__}: mixed_float16 output is {dtype}."
            )
    for variable in layer.weights:
        if variable.dtype != "float32":
            raise AssertionError(
                f"{layer_class.__name__}: variable {variable.path} is "
                f"{variable.dtype} under mixed_float16."
            )


def run_layer_test(
    layer_class,
    init_kwargs,
    input_shape,
    input_dtype="float32",
    seed=0,
    training=True,
    mixed_precision=True,
):
    """Runs every check above; raises `AssertionError` on the first miss.

    Args:
        layer_class: the layer's class.
        init_kwargs: its constructor arguments.
        input_shape: the full input shape, batch first.
        input_dtype: of the inputs (`"int32"` for token ids).
        seed: of the random inputs and targets.
        training: run the compiled-vs-eager training step (layers
            without weights have nothing to train).
        mixed_precision: run the `mixed_float16` check.
    """
    args = (layer_class, init_kwargs, input_shape, input_dtype, seed)
    check_config(layer_class, init_kwargs)
    check_shapes(*args)
    check_saving(*args)
    if training:
        check_training_step(*args)
    if mixed_precision:
        check_mixed_precision(*args)
