"""What every reference comparison shares: setups, results, gradients.

`sgd_gradients` takes gradients by the backend's own autodiff through
Keras's public training API: the inputs (and initial states) are made
trainable variables, one `train_on_batch` step of plain SGD with learning
rate 1 runs, and the gradient is the change of each variable. This needs
no backend import and is exact up to one float32 rounding of each
variable. On JAX (backend-guarded) it is `jax.grad` in a
`keras.StatelessScope` instead: eagerly, the model, loss and optimizer ops
of a training step each compile per shape.
"""

import dataclasses
import inspect

import keras
import numpy as np
from keras import ops

TOLERANCE = 1e-5


@dataclasses.dataclass(frozen=True)
class Setup:
    """Shapes and options of one comparison."""

    batch: int = 3
    timesteps: int = 6
    input_dim: int = 3
    units: int = 4
    mask: str = None  # None, "left" or "right" padding
    go_backwards: bool = False
    return_sequences: bool = True
    initial_state: bool = False
    seed: int = 0


@dataclasses.dataclass
class Result:
    forward_error: float
    gradient_error: float = None

    @property
    def passed(self):
        errors = [self.forward_error, self.gradient_error]
        return all(e is None or e <= TOLERANCE for e in errors)


def padding_mask(batch, timesteps, side):
    """Boolean (batch, timesteps); sample i has (i * 2) % (T - 1) pad steps.

    Sample 0 is unpadded, so every batch also holds a full sequence.
    ``side="holes"`` instead keeps every other step (t = 0, 2, ...) of
    every sample but the last, which is masked entirely.
    """
    mask = np.ones((batch, timesteps), dtype=bool)
    if side == "holes":
        mask[:, 1::2] = False
        mask[-1] = False
        return mask
    for i in range(batch):
        pad = (i * 2) % (timesteps - 1)
        if pad and side == "left":
            mask[i, :pad] = False
        elif pad and side == "right":
            mask[i, timesteps - pad :] = False
    return mask


@keras.saving.register_keras_serializable("keras_seqlab_testing")
class NumpyZeros(keras.initializers.Initializer):
    """Zeros made by NumPy, for weights a comparison sets itself.

    On JAX every Keras initializer call runs eagerly, so each new shape
    compiles XLA programs (a random initializer about ten); a NumPy value
    is copied (figures: benchmarks/README.md, "Measured figures behind
    library constants").
    """

    def __call__(self, shape, dtype=None):
        dtype = keras.backend.standardize_dtype(dtype)
        return ops.convert_to_tensor(np.zeros(shape, dtype))


def cheap_initializers(layer_class):
    """`{name: NumpyZeros()}` for every `*_initializer` argument of
    `layer_class` (of its `cell_class`, for a layer that makes its cell)."""
    cls = getattr(layer_class, "cell_class", None) or layer_class
    names = inspect.signature(cls.__init__).parameters
    return {n: NumpyZeros() for n in names if n.endswith("_initializer")}


def randomize_weights(layer, rng, scale=0.8):
    layer.set_weights(
        [rng.uniform(-scale, scale, w.shape) for w in layer.get_weights()]
    )


class _SumLoss(keras.losses.Loss):
    """The model's output is already the scalar to differentiate."""

    def __init__(self):
        super().__init__(name="sum_of_prediction", reduction="sum")

    def call(self, y_true, y_pred):
        return y_pred


class _GradientProbe(keras.layers.Layer):
    """Holds `arrays` as variables and outputs the scalar `fn(*arrays)`."""

    def __init__(self, fn, arrays, layer):
        super().__init__()
        self.fn = fn
        self.layer = layer  # tracked, so its weights train with the probe
        self.arrays = [
            self._variable(f"array_{k}", a) for k, a in enumerate(arrays)
        ]

    def _variable(self, name, value):
        variable = self.add_weight(
            shape=value.shape, name=name, initializer="zeros"
        )
        variable.assign(value)
        return variable

    def call(self, dummy):
        total = self.fn(*[ops.convert_to_tensor(v) for v in self.arrays])
        return ops.zeros_like(dummy[:, 0]) + total


def sgd_gradients(fn, arrays, layer):
    """Gradients of the scalar `fn(*arrays)` by the backend's autodiff.

    `fn` calls `layer`; returns float64 gradients with respect to each of
    `arrays` and then each of `layer.trainable_weights`, from one
    `train_on_batch` step of SGD with learning rate 1 (the weights are
    restored afterwards). On JAX, by `jax.grad` directly (see
    `_jax_gradients`).
    """
    if keras.backend.backend() == "jax":  # backend-guarded
        return _jax_gradients(fn, arrays, layer)
    probe = _GradientProbe(fn, arrays, layer)
    inputs = keras.Input((1,))
    model = keras.Model(inputs, probe(inputs))
    # Eagerly: in a TensorFlow graph, grappler may move a read of a
    # variable after its update when no data path orders the two (seen with
    # the initial state of the parallel min-RNN scan, whose gradient needs
    # no value of it), and the gradients would then be taken at moved
    # values.
    model.compile(
        optimizer=keras.optimizers.SGD(1.0), loss=_SumLoss(), run_eagerly=True
    )
    variables = probe.arrays + list(layer.trainable_weights)
    before = [ops.convert_to_numpy(v).astype("float64") for v in variables]
    model.train_on_batch(np.zeros((1, 1), "float32"), np.zeros((1,)))
    after = [ops.convert_to_numpy(v).astype("float64") for v in variables]
    for v, value in zip(variables, before):
        v.assign(value)
    return [b - a for b, a in zip(before, after)]


def _jax_gradients(fn, arrays, layer):
    """`sgd_gradients` on JAX: `jax.grad` of `fn` with the layer's
    trainable variables read from a `StatelessScope`, as Keras's own JAX
    trainer does. Exact (no SGD step to undo), and without the model,
    loss and optimizer, whose eager ops each compile per weight shape.

    The gradient is compiled (`jax.jit`), even inside `jax.disable_jit`:
    eagerly, JAX linearizes and transposes every primitive in Python,
    which costs more than XLA compiling the whole gradient once (with
    `utils.compile_settings.jax_compile_settings`; JAX's persistent cache,
    where set, skips even that; figures: benchmarks/README.md).
    """
    import jax  # backend-guarded

    variables = list(layer.trainable_weights)

    def loss(values, arrays):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*arrays)

    values = [v.value for v in variables]
    arrays = [ops.convert_to_tensor(a) for a in arrays]
    with jax.disable_jit(False):
        gradient = jax.jit(jax.grad(loss, argnums=(0, 1)))
        weight_grads, array_grads = gradient(values, arrays)
    return [
        ops.convert_to_numpy(g).astype("float64")
        for g in list(array_grads) + list(weight_grads)
    ]


def to_numpy(value):
    return ops.convert_to_numpy(value)


def flatten(nested):
    """The leaves of nested lists, in order."""
    if isinstance(nested, list):
        return [leaf for item in nested for leaf in flatten(item)]
    return [nested]


def weighted_sum(values, weights):
    """Σ values ⊙ weights: nested lists (of floats or reference `Value`s)
    against arrays of the same number of entries."""
    total = 0.0
    flat_weights = np.asarray(weights).reshape(-1).tolist()
    for v, w in zip(flatten(values), flat_weights, strict=True):
        total = total + v * w
    return total


def max_error(keras_values, reference_values):
    """Largest |keras - reference| over pairs of equally shaped values."""
    errors = []
    for k, r in zip(keras_values, reference_values, strict=True):
        k = np.asarray(k, dtype="float64")
        r = np.asarray(r, dtype="float64")
        if k.shape != r.shape:
            raise AssertionError(f"shape {k.shape} != reference {r.shape}")
        errors.append(float(np.max(np.abs(k - r))) if k.size else 0.0)
    return max(errors)
