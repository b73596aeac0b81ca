"""The step protocol: a layer streams by defining `initial_step_state`
and `step`, with no table in `keras_seqlab` to edit.

`Smoother` below is written here, outside the package, the way a user
would: its `call` runs its own `step` over the time axis (one body for
both), and `stream` steps it exactly, masks included.
"""

import keras
import numpy as np
import pytest
from keras import layers
from keras import ops
from seqlab_testing import to_numpy

from keras_seqlab.streaming import stream

T, F = 7, 3


@keras.saving.register_keras_serializable(package="test_step_protocol")
class Smoother(keras.layers.Layer):
    """y_t = a ⊙ y_{t-1} + (1 - a) ⊙ W x_t: a learned exponential
    smoother per unit; with `reduce`, only the last y_T is returned.
    Masked steps keep the previous y (and output it)."""

    def __init__(self, units, reduce=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.reduce = reduce
        self.supports_masking = True

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.logit = self.add_weight(
            shape=(self.units,), initializer=keras.initializers.RandomNormal()
        )

    def initial_step_state(self, batch_size, dtype):
        return [ops.zeros((batch_size, self.units), dtype)]

    def step(self, x_t, state, mask=None):
        a = ops.sigmoid(self.logit)
        y = a * state[0] + (1.0 - a) * ops.matmul(x_t, self.kernel)
        if mask is not None:
            y = ops.where(ops.expand_dims(mask, -1), y, state[0])
        return y, [y]

    def call(self, inputs, mask=None):
        state = self.initial_step_state(ops.shape(inputs)[0], inputs.dtype)
        outputs = []
        for t in range(inputs.shape[1]):
            step_mask = None if mask is None else mask[:, t]
            y, state = self.step(inputs[:, t], state, mask=step_mask)
            outputs.append(y)
        return outputs[-1] if self.reduce else ops.stack(outputs, axis=1)

    def compute_output_shape(self, input_shape):
        if self.reduce:
            return (input_shape[0], self.units)
        return (*input_shape[:-1], self.units)

    def compute_mask(self, inputs, mask=None):
        return None if self.reduce else mask

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "reduce": self.reduce,
        }


def _x(seed=0):
    x = np.random.default_rng(seed).normal(size=(3, T, F)).astype("float32")
    x[1, :2] = 0.0  # left padding
    x[0, 4] = 0.0  # a hole
    return x


def test_a_users_causal_layer_streams_exactly():
    inputs = keras.Input((T, F))
    x = layers.Masking(0.0)(inputs)
    x = Smoother(4, name="smooth")(x)
    x = layers.Dense(2)(x)
    model = keras.Model(inputs, x)
    data = _x()
    y, state = stream(model).run(data)
    np.testing.assert_allclose(to_numpy(y), to_numpy(model(data)), atol=1e-5)
    assert len(state) == 1  # the smoother's own state, nothing else


def test_a_reducing_protocol_layer_gives_each_prefix_value():
    model = keras.Sequential(
        [keras.Input((T, F)), layers.Dense(3), Smoother(2, reduce=True)]
    )
    data = _x(1)
    y, _ = stream(model).run(data)
    for t in (0, 3, T - 1):
        expected = to_numpy(model(data[:, : t + 1]))
        np.testing.assert_allclose(to_numpy(y)[:, t], expected, atol=1e-5)


def test_a_step_that_loses_state_is_refused():
    class Broken(Smoother):
        def step(self, x_t, state, mask=None):
            y, _ = super().step(x_t, state, mask)
            return y, []

    model = keras.Sequential([keras.Input((T, F)), Broken(2, name="b")])
    with pytest.raises(ValueError, match="'b'.*returned 0 state"):
        stream(model).run(_x())


def test_the_streaming_package_names_no_layer_of_this_package():
    # Every causal layer of keras_seqlab steps through the protocol, so the
    # stepper's table holds Keras's own layers only.
    import ast
    import pathlib

    from keras_seqlab import streaming
    from keras_seqlab.streaming import rules

    allowed = {
        "keras_seqlab.layers.stepping",
        "keras_seqlab.layers.convolutional.causal_conv",  # Conv1D's step
    }
    folder = pathlib.Path(streaming.__file__).parent
    wrong = []
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = getattr(node, "module", None) or ""
            if (
                isinstance(node, ast.ImportFrom)
                and module.startswith("keras_seqlab.layers")
                and module not in allowed
            ):
                wrong.append(f"{path.name}: {module}")
    assert not wrong
    assert all(cls.__module__.startswith("keras.") for cls in rules.POINTWISE)


def test_a_protocol_layer_with_two_outputs_and_a_refusal():
    import keras_seqlab as ks

    block = ks.WaveNetBlock(4, kernel_size=3, dilation_rate=2)
    inputs = keras.Input((T, F))
    residual, skip = block(layers.Masking(0.0)(inputs))
    model = keras.Model(inputs, layers.Add()([residual, skip]))
    data = _x(2)
    y, _ = stream(model).run(data)
    np.testing.assert_allclose(to_numpy(y), to_numpy(model(data)), atol=1e-5)

    class Ahead(Smoother):
        def initial_step_state(self, batch_size, dtype):
            from keras_seqlab.layers.stepping import cannot_step

            cannot_step(self, "it reads the next step")

    ahead = keras.Sequential([keras.Input((T, F)), Ahead(2, name="ahead")])
    with pytest.raises(ValueError, match="stream: layer 'ahead'.*next step"):
        stream(ahead)
