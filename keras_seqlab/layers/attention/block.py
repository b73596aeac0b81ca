"""Attention over time: a Transformer encoder block."""

import keras
from keras import constraints
from keras import initializers
from keras import layers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.stepping import cannot_step
from keras_seqlab.layers.stepping import zero_masked
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.export import weight_config
from keras_seqlab.utils.validation import check_positive_float
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_sequence_call
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


@seqlab_export
class AttentionBlock(layers.Layer):
    """Post-norm residual multi-head self-attention (a Transformer encoder
    block), with an optional feed-forward sublayer.

        a = MultiHeadAttention(x, x)            (attention dropout inside)
        y = LayerNorm(x + Dropout(a))
        y = LayerNorm(y + Dropout(relu(y W_1 + b_1) W_2 + b_2))  (ff_dim)

    The attention is `keras.layers.MultiHeadAttention` (sublayer
    `attention`: `query`, `key`, `value` kernels (d_model, heads, key_dim)
    and biases (heads, key_dim), `attention_output` kernel (heads, key_dim,
    d_model) and bias (d_model,), weights softmax(q · k / sqrt(key_dim))),
    the norms are `keras.layers.LayerNormalization` (`attention_norm`,
    `ffn_norm`), the feed-forward sublayer two `keras.layers.Dense`
    (`ffn_hidden`, `ffn_output`).

    Masks: query step i attends to key step j only if j is a real step of
    the incoming Keras mask (and j <= i with `causal=True`). A padded step
    outputs the zero vector, its row of attention scores is zero, and the
    mask is passed on; the outputs at real steps do not depend on what
    the padded steps hold.

    Dropout (only with `training=True`): `attention_dropout` on the
    attention weights (inside `MultiHeadAttention`), `dropout` on the
    output of each sublayer before it is added to the residual stream
    (Vaswani et al. 2017).

    Args:
        num_heads: positive integer, the number of attention heads.
        key_dim: positive integer, the size of each head (queries, keys
            and values).
        ff_dim: None (no feed-forward sublayer) or a positive integer,
            the hidden size of the feed-forward sublayer.
        causal: whether step t only attends to steps <= t.
        dropout: residual dropout rate, in [0, 1).
        attention_dropout: dropout rate of the attention weights, in
            [0, 1); None means `dropout`.
        epsilon: ε of both layer norms (Keras's default is 1e-3; 1e-5 is
            PyTorch's and the usual Transformer value).
        kernel_initializer, bias_initializer: of every kernel and bias.
        kernel_regularizer, bias_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.
        seed: seed of the dropout layers.

    Call arguments:
        inputs: `(batch, timesteps, d_model)`.
        mask: optional boolean `(batch, timesteps)`, True for real steps
            (taken from the inputs' Keras mask).
        training: whether dropout applies.
        return_attention_scores: also return the attention weights
            `(batch, num_heads, timesteps, timesteps)`.

    Returns:
        `(batch, timesteps, d_model)`, or `(outputs, scores)`.

    Example:

    >>> block = keras_seqlab.AttentionBlock(2, 8, ff_dim=16, causal=True)
    >>> y, scores = block(np.zeros((2, 5, 4)), return_attention_scores=True)
    >>> y.shape, scores.shape
    ((2, 5, 4), (2, 2, 5, 5))
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        ff_dim=None,
        causal=False,
        dropout=0.0,
        attention_dropout=None,
        epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        self.num_heads = check_units(owner, num_heads, "num_heads")
        self.key_dim = check_units(owner, key_dim, "key_dim")
        self.ff_dim = None
        if ff_dim is not None:
            self.ff_dim = check_units(owner, ff_dim, "ff_dim")
        self.causal = bool(causal)
        self.dropout = check_rate(owner, "dropout", dropout)
        if attention_dropout is None:
            attention_dropout = self.dropout
        self.attention_dropout = check_rate(
            owner, "attention_dropout", attention_dropout
        )
        self.epsilon = check_positive_float(owner, "epsilon", epsilon)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.supports_masking = True

        def seed_of(k):
            return None if seed is None else seed + k

        self._attention = layers.MultiHeadAttention(
            self.num_heads,
            self.key_dim,
            dropout=self.attention_dropout,
            seed=seed_of(0),
            name="attention",
            **self._sublayer_kwargs(),
        )
        self._attention_dropout = layers.Dropout(
            self.dropout, seed=seed_of(1), name="attention_residual_dropout"
        )
        self._attention_norm = self._layer_norm("attention_norm")
        if self.ff_dim is not None:
            self._ffn_hidden = self._dense(self.ff_dim, "ffn_hidden", "relu")
            self._ffn_dropout = layers.Dropout(
                self.dropout, seed=seed_of(2), name="ffn_residual_dropout"
            )

    def _sublayer_kwargs(self):
        # Fresh initializer objects per sublayer: a seeded initializer
        # shared between layers would give them identical weights.
        return dict(
            kernel_initializer=initializers.get(
                initializers.serialize(self.kernel_initializer)
            ),
            bias_initializer=initializers.get(
                initializers.serialize(self.bias_initializer)
            ),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
        )

    def _dense(self, units, name, activation=None):
        return layers.Dense(
            units, activation=activation, name=name, **self._sublayer_kwargs()
        )

    def _layer_norm(self, name):
        return _LayerNorm(
            epsilon=self.epsilon, name=name, dtype=self.dtype_policy
        )

    def build(self, inputs_shape):
        inputs_shape = tuple(inputs_shape)
        check_sequence_shape(layer_owner(self), inputs_shape)
        self._features = inputs_shape[-1]
        self._attention.build(inputs_shape, inputs_shape)
        self._attention_norm.build(inputs_shape)
        if self.ff_dim is not None:
            self._ffn_hidden.build(inputs_shape)
            # Sized by d_model, known only now.
            self._ffn_output = self._dense(self._features, "ffn_output")
            self._ffn_output.build(inputs_shape[:-1] + (self.ff_dim,))
            self._ffn_norm = self._layer_norm("ffn_norm")
            self._ffn_norm.build(inputs_shape)

    def call(
        self, inputs, mask=None, training=None, return_attention_scores=False
    ):
        mask = check_sequence_call(self, inputs, mask, self._features)
        source, attention_mask = inputs, None
        if mask is not None:
            # A Keras mask attached to its query makes MultiHeadAttention
            # mask whole rows, and a fully masked row gets uniform weights
            # over all keys, padding included, on its
            # `dot_product_attention` path (zero weights on its explicit
            # path, with dropout or scores). So it gets a fresh tensor
            # without a mask and an `attention_mask` without empty rows.
            source = zero_masked(mask, inputs)
            attention_mask = self._attention_mask(mask)
        attended = self._attention(
            source,
            source,
            attention_mask=attention_mask,
            use_causal_mask=self.causal and mask is None,
            return_attention_scores=return_attention_scores,
            training=training,
        )
        if return_attention_scores:
            attended, scores = attended
        outputs = self.after_attention(source, attended, training)
        if mask is not None:
            outputs = zero_masked(mask, outputs)
            if return_attention_scores:
                scores = ops.where(
                    mask[:, None, :, None], scores, ops.zeros_like(scores)
                )
        if return_attention_scores:
            return outputs, scores
        return outputs

    @property
    def attention(self):
        """The `keras.layers.MultiHeadAttention` sublayer."""
        return self._attention

    def initial_step_state(self, batch_size, dtype, max_length=None):
        """The step protocol (`layers.stepping`), causal blocks only: a
        key/value cache of the steps so far, and which of them are real.

        `max_length` None keeps every step (the cache grows by one step a
        call); an integer L keeps the last L (a cache of fixed shape, the
        oldest step dropped): the same numbers as the full sequence while
        at most L steps have been seen, sliding-window attention after.
        """
        if not self.causal:
            cannot_step(
                self,
                "its attention is not causal (causal=False: step t attends "
                "to later steps); build it with causal=True",
            )
        steps = max_length or 0
        value_dim = self._attention.value_dense.kernel.shape[-1]
        heads = (batch_size, steps, self.num_heads)
        return [
            ops.zeros((*heads, self.key_dim), dtype),
            ops.zeros((*heads, value_dim), dtype),
            ops.zeros((batch_size, steps), dtype),
        ]

    def step(self, x_t, state, mask=None, max_length=None):
        """`call` at one step: the query of x_t against the cache, with
        `ops.dot_product_attention` (MultiHeadAttention's own kernel)."""
        mha = self._attention
        keys, values, valid = state
        source = ops.expand_dims(zero_masked(mask, x_t), 1)
        real = ops.ones((ops.shape(source)[0], 1), valid.dtype)
        if mask is not None:
            real = ops.cast(ops.expand_dims(mask, 1), valid.dtype)
        keys = ops.concatenate([keys, mha.key_dense(source)], axis=1)
        values = ops.concatenate([values, mha.value_dense(source)], axis=1)
        # The query attends to the real steps so far and to itself (a
        # padded query attends to itself only in `call`; its output is
        # zeroed either way).
        allowed = ops.concatenate([valid, ops.ones_like(real)], axis=1)
        valid = ops.concatenate([valid, real], axis=1)
        if max_length:
            keys, values = keys[:, -max_length:], values[:, -max_length:]
            valid, allowed = valid[:, -max_length:], allowed[:, -max_length:]
        attended = ops.dot_product_attention(
            mha.query_dense(source),
            keys,
            values,
            mask=ops.expand_dims(ops.expand_dims(allowed > 0.5, 1), 1),
        )
        attended = mha.output_dense(attended)
        y = self.after_attention(source, attended, training=False)[:, 0]
        return zero_masked(mask, y), [keys, values, valid]

    def after_attention(self, source, attended, training=None):
        """The sublayers after attention; pointwise in time, so shared
        by `call` and `step`."""
        outputs = self._attention_norm(
            source + self._attention_dropout(attended, training=training)
        )
        if self.ff_dim is not None:
            update = self._ffn_output(self._ffn_hidden(outputs))
            outputs = self._ffn_norm(
                outputs + self._ffn_dropout(update, training=training)
            )
        return outputs

    def _attention_mask(self, mask):
        """(batch, T, T): keys that are real steps (and not ahead if
        causal); a padded query attends to itself only, so that no row is
        empty (its output is replaced by zeros afterwards)."""
        positions = ops.arange(ops.shape(mask)[1])
        rows, cols = positions[:, None], positions[None, :]
        allowed = ops.where(
            mask[:, :, None], mask[:, None, :], ops.equal(rows, cols)[None]
        )
        if self.causal:
            allowed = ops.logical_and(
                allowed, ops.greater_equal(rows, cols)[None]
            )
        return allowed

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape)

    def compute_output_spec(
        self, inputs, mask=None, training=None, return_attention_scores=False
    ):
        features = getattr(self, "_features", None)
        check_sequence_call(self, inputs, mask, features)
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return outputs
        batch, timesteps = inputs.shape[0], inputs.shape[1]
        scores = keras.KerasTensor(
            (batch, self.num_heads, timesteps, timesteps),
            dtype=self.compute_dtype,
        )
        return outputs, scores

    def get_config(self):
        config = {
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "ff_dim": self.ff_dim,
            "causal": self.causal,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "epsilon": self.epsilon,
            **weight_config(self, ("kernel", "bias")),
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


# The reference cases (keras_seqlab.testing.reference_check): batch 2,
# 5 steps, d_model 4; "holes" masks every other step.
_SHAPE = {"batch": 2, "timesteps": 5, "input_dim": 4, "units": 3}
_MASKS = tuple(
    {**_SHAPE, "mask": mask} for mask in (None, "left", "right", "holes")
)


def _block_case(name, ff_dim, causal, forward=(), gradient=(), **kwargs):
    return {
        "kind": "attention_block",
        "name": name,
        "layer": AttentionBlock,
        "layer_kwargs": {
            "num_heads": 2,
            "key_dim": 3,
            "ff_dim": ff_dim,
            "causal": causal,
            **kwargs,
        },
        "forward_setups": forward,
        "gradient_setups": tuple(
            {**_SHAPE, "mask": mask, "seed": 1} for mask in gradient
        ),
    }


REFERENCE_CASES = (
    # Forward values at epsilon 1e-3; gradients at the default epsilon.
    *(
        _block_case(
            f"AttentionBlock{' causal' if causal else ''}"
            f"{'' if ff_dim else ' no ff'}",
            ff_dim,
            causal,
            forward=_MASKS,
            epsilon=1e-3,
        )
        for ff_dim in (6, None)
        for causal in (False, True)
    ),
    _block_case("AttentionBlock grads", 6, False, gradient=(None,)),
    _block_case("AttentionBlock causal grads", 6, True, gradient=("left",)),
    _block_case("AttentionBlock no ff grads", None, False, gradient=("right",)),
)


class _LayerNorm(layers.LayerNormalization):
    """`keras.layers.LayerNormalization` (last axis), computed from the
    mean and variance on every backend, as Keras does on TensorFlow and
    JAX. On PyTorch Keras calls `F.layer_norm` with the feature size read
    from the traced input, which torch.onnx cannot export with a dynamic
    batch size ("... because it is not constant"). Same weights and
    config; Keras's own numbers on TensorFlow and JAX, on PyTorch those of
    its fused kernel up to float rounding."""

    def call(self, inputs):
        dtype = keras.backend.result_type(inputs.dtype, "float32")
        x = ops.cast(inputs, dtype)
        mean, variance = ops.moments(x, axes=[-1], keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            inv = inv * ops.cast(self.gamma, dtype)
        shift = -mean * inv
        if self.center:
            shift = shift + ops.cast(self.beta, dtype)
        return ops.cast(x * inv + shift, self.compute_dtype)
