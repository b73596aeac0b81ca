"""Attention pooling over time: many-to-one."""

import keras
from keras import constraints
from keras import initializers
from keras import layers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.stepping import where_real
from keras_seqlab.layers.stepping import zero_masked
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.export import weight_config
from keras_seqlab.utils.validation import check_sequence_call
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


@seqlab_export
class AttentionPooling(layers.Layer):
    """Additive (Bahdanau) attention pooling over time: many-to-one.

        s_t = vᵀ tanh(h_t W + b)
        α = softmax(s) over the real steps (masked steps: α_t = 0 exactly)
        context = Σ_t α_t h_t

    with `kernel` W (features, units), `bias` b (units,) and
    `score_vector` v (units,). The head that looks back across all the
    hidden states of a sequence model and weighs them. A sequence whose
    steps are all masked gets α = 0 and a zero context (never NaN).

    Args:
        units: positive integer, the size of the scoring layer.
        kernel_initializer, bias_initializer, score_vector_initializer:
            initializers of W, b and v.
        kernel_regularizer, bias_regularizer, score_vector_regularizer:
            regularizers.
        kernel_constraint, bias_constraint, score_vector_constraint:
            constraints.

    Call arguments:
        inputs: `(batch, timesteps, features)`.
        mask: optional boolean `(batch, timesteps)`, True for real steps.
        return_attention_weights: also return α, `(batch, timesteps)`.

    Returns:
        The context `(batch, features)`, or `(context, weights)`.

    Example:

    >>> pool = keras_seqlab.AttentionPooling(8)
    >>> context, alpha = pool(
    ...     np.ones((2, 5, 4)), return_attention_weights=True
    ... )
    >>> context.shape, alpha.shape
    ((2, 4), (2, 5))
    """

    def __init__(
        self,
        units,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        score_vector_initializer="glorot_uniform",
        kernel_regularizer=None,
        bias_regularizer=None,
        score_vector_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        score_vector_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(self.__class__.__name__, units)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.score_vector_initializer = initializers.get(
            score_vector_initializer
        )
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.score_vector_regularizer = regularizers.get(
            score_vector_regularizer
        )
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.score_vector_constraint = constraints.get(score_vector_constraint)
        self._softmax = layers.Softmax(axis=-1, dtype=self.dtype_policy)

    def build(self, inputs_shape):
        inputs_shape = tuple(inputs_shape)
        check_sequence_shape(layer_owner(self), inputs_shape)
        self._features = inputs_shape[-1]
        self.kernel = self.add_weight(
            shape=(self._features, self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            name="bias",
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )
        self.score_vector = self.add_weight(
            shape=(self.units,),
            name="score_vector",
            initializer=self.score_vector_initializer,
            regularizer=self.score_vector_regularizer,
            constraint=self.score_vector_constraint,
        )

    def call(self, inputs, mask=None, return_attention_weights=False):
        mask = check_sequence_call(self, inputs, mask, self._features)
        if mask is not None:
            inputs = zero_masked(mask, inputs)
        scores = self._scores(inputs)
        # keras.layers.Softmax gives masked steps exactly 0, also when a
        # whole row is masked.
        weights = self._softmax(scores, mask=mask)
        context = ops.sum(weights[:, :, None] * inputs, axis=1)
        if return_attention_weights:
            return context, weights
        return context

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`layers.stepping`): the running (online)
        softmax of the steps so far: the largest score m, the sum l of
        exp(s − m) and the weighted sum of the steps."""
        features = self.kernel.shape[0]
        return [
            ops.full((batch_size, 1), float("-inf"), dtype),
            ops.zeros((batch_size, 1), dtype),
            ops.zeros((batch_size, features), dtype),
        ]

    def step(self, x_t, state, mask=None):
        """The context of the steps so far, at one step's cost:

        context_t = Σ_{τ≤t} exp(s_τ − m) h_τ / Σ_{τ≤t} exp(s_τ − m)
        """
        largest, total, weighted = state
        h = zero_masked(mask, x_t)
        score = self._scores(h)[:, None]
        new_largest = where_real(mask, ops.maximum(largest, score), largest)
        # Masked steps change nothing; exp(−inf) = 0 before the first real
        # step, and the guards keep −inf − (−inf) out of the sums.
        rescale = ops.exp(where_real(mask, largest - new_largest, 0 * total))
        weight = where_real(
            mask, ops.exp(score - new_largest), ops.zeros_like(score)
        )
        total = total * rescale + weight
        weighted = weighted * rescale + weight * h
        safe = ops.where(total > 0, total, ops.ones_like(total))
        return weighted / safe, [new_largest, total, weighted]

    def _scores(self, h):
        """s = vᵀ tanh(h W + b) over the last axis."""
        hidden = ops.tanh(ops.matmul(h, self.kernel) + self.bias)
        return ops.sum(hidden * self.score_vector, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])

    def compute_output_spec(
        self, inputs, mask=None, return_attention_weights=False
    ):
        features = getattr(self, "_features", None)
        check_sequence_call(self, inputs, mask, features)
        context = keras.KerasTensor(
            (inputs.shape[0], inputs.shape[-1]), dtype=self.compute_dtype
        )
        if not return_attention_weights:
            return context
        weights = keras.KerasTensor(inputs.shape[:2], dtype=self.compute_dtype)
        return context, weights

    def get_config(self):
        config = {
            "units": self.units,
            **weight_config(self, ("kernel", "bias", "score_vector")),
        }
        return {**super().get_config(), **config}


# The reference case (keras_seqlab.testing.reference_check): batch 2,
# 5 steps, 4 features, `units` 3; "holes" masks every other step.
_SHAPE = {"batch": 2, "timesteps": 5, "input_dim": 4, "units": 3}
REFERENCE_CASES = (
    {
        "kind": "attention_pooling",
        "name": "AttentionPooling",
        "layer": AttentionPooling,
        "forward_setups": tuple(
            {**_SHAPE, "mask": mask}
            for mask in (None, "left", "right", "holes")
        ),
        "gradient_setups": (
            {**_SHAPE, "seed": 4},
            {**_SHAPE, "mask": "holes", "seed": 4},
        ),
    },
)
