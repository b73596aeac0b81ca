"""The sinusoidal positional encoding that tells attention where a step is."""

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_positive_float
from keras_seqlab.utils.validation import check_sequence_call
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import layer_owner


@seqlab_export
class PositionalEncoding(layers.Layer):
    """Adds the sinusoidal positional encoding (Vaswani et al. 2017).

        PE[t, 2i]   = sin(t / max_wavelength^(2i/d))
        PE[t, 2i+1] = cos(t / max_wavelength^(2i/d))
        y[:, t] = x[:, t] + PE[t]          (t = 0 … T-1)

    d is the feature size; for an odd d the last column is a sine. The
    encoding is computed at call time from the actual length, so any
    sequence length works, also one unknown when the model is built.
    Attention is order-blind: this is what tells it where a step is.
    Masks pass through unchanged; positions count from the first step,
    padded or not (pad on the right to start real steps at 0).

    Args:
        max_wavelength: positive number, 10000 in the paper.

    Call arguments:
        inputs: `(batch, timesteps, d)`.
        mask: optional `(batch, timesteps)`, passed on.

    Example:

    >>> inputs = keras.Input((None, 4))
    >>> outputs = keras_seqlab.PositionalEncoding()(inputs)
    >>> keras.Model(inputs, outputs)(np.zeros((1, 3, 4))).shape
    (1, 3, 4)
    """

    def __init__(self, max_wavelength=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = check_positive_float(
            self.__class__.__name__, "max_wavelength", max_wavelength
        )
        self.supports_masking = True

    def build(self, inputs_shape):
        inputs_shape = tuple(inputs_shape)
        check_sequence_shape(layer_owner(self), inputs_shape)
        depth = self._features = inputs_shape[-1]
        # NumPy arrays: converted at each call in one go (a Python list
        # is walked element by element, milliseconds a step on PyTorch).
        self._frequencies = np.asarray(
            [
                1.0 / self.max_wavelength ** (2 * (j // 2) / depth)
                for j in range(depth)
            ]
        )
        self._even_columns = np.arange(depth) % 2 == 0

    def call(self, inputs, mask=None):
        check_sequence_call(self, inputs, mask, self._features)
        # start, stop and step all given: jax2onnx's arange (ONNX export
        # on JAX) takes no None for them.
        steps = ops.arange(0, ops.shape(inputs)[1], 1)
        positions = ops.cast(steps, "float32")
        return self._added(inputs, positions[None])

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`layers.stepping`): the position reached."""
        return [ops.zeros((batch_size,), "float32")]

    def step(self, x_t, state, mask=None):
        """`call` at the position held in the state (padding counts)."""
        return self._added(x_t, state[0]), [state[0] + 1.0]

    def _added(self, inputs, positions):
        return inputs + ops.cast(self.encoding(positions), inputs.dtype)

    def encoding(self, positions):
        """PE at float32 `positions` of any shape: shape + (d,)."""
        frequencies = ops.convert_to_tensor(self._frequencies, "float32")
        angles = ops.expand_dims(positions, -1) * frequencies
        return ops.where(
            ops.convert_to_tensor(self._even_columns),
            ops.sin(angles),
            ops.cos(angles),
        )

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape)

    def compute_output_spec(self, inputs, mask=None):
        check_sequence_call(
            self, inputs, mask, getattr(self, "_features", None)
        )
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def get_config(self):
        config = {"max_wavelength": self.max_wavelength}
        return {**super().get_config(), **config}
