"""The window guard of the builders whose architecture depends on the
window length."""

from keras import layers
from keras import ops

from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_units


@seqlab_export
class FixedWindow(layers.Layer):
    """Passes its inputs on; refuses any window length but the model's.

    The builders whose architecture depends on the window length (`linear`
    and `dense`: `Flatten` + `Dense` over the whole window, or a causal
    `Conv1D` with the window as kernel size; `attention` with
    `pooling="last"`: a fixed crop to the last step) put it first. Keras
    checks a functional model's input shape when the model is called
    directly, but not on every path (not in JAX's `predict` and
    `predict_on_batch`, nor in TensorFlow's compiled steps once retraced
    for another length): there a longer or shorter window failed deep
    inside, with a matmul or reshape of the wrong size, or ran silently.
    This layer's check runs wherever the layers run, on static shapes;
    where the length is unknown while tracing (TensorFlow relaxes a traced
    shape once it has seen two) a broadcast to `window` steps makes any
    other length fail when it runs, with the backend's "Incompatible
    shapes" error instead of this message.

    Args:
        window: the window length the model was built for.
        model_name: the model's name, for the message.
    """

    def __init__(self, window, model_name, **kwargs):
        super().__init__(**kwargs)
        self.window = check_units("FixedWindow", window, "window")
        self.model_name = str(model_name)
        self.supports_masking = True

    def _check(self, shape):
        shape = tuple(shape)
        steps = shape[1] if len(shape) > 1 else None
        if steps is not None and steps != self.window:
            raise ValueError(
                f"model {self.model_name!r}: built for windows of exactly "
                f"{self.window} steps (its architecture depends on the "
                f"window length), got inputs of shape {shape}; cut windows "
                f"of {self.window} steps, or build a model with input_shape="
                f"({steps}, {shape[-1]})."
            )

    def call(self, inputs):
        self._check(inputs.shape)
        if inputs.shape[1] is not None:
            return inputs
        # The length is unknown while tracing (TensorFlow relaxes a traced
        # shape once it has seen two): broadcasting the window twice over
        # (2T steps, never 1) to 2 * window steps fails at run time for
        # any other length. (A reshape would not: TensorFlow's graph
        # optimizer drops it.)
        shape = ops.shape(inputs)
        doubled = ops.concatenate([inputs, inputs], axis=1)
        target = (shape[0], 2 * self.window, shape[2])
        return ops.broadcast_to(doubled, target)[:, : self.window]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return tuple(input_shape)

    def initial_step_state(self, batch_size, dtype):
        """The step protocol: a step passes on (the window length is the
        full model's business)."""
        return []

    def step(self, x_t, state, mask=None):
        return x_t, []

    def get_config(self):
        config = super().get_config()
        config.update(window=self.window, model_name=self.model_name)
        return config
