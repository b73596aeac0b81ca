"""The TCN residual block (Bai, Kolter & Koltun 2018, as keras-tcn builds
it); the stack of them is `keras_seqlab.layers.tcn_stack.TCN`."""

import keras
from keras import activations
from keras import ops

from keras_seqlab.layers.convolutional.causal_conv import ConvArguments
from keras_seqlab.layers.convolutional.causal_conv import causal_conv
from keras_seqlab.layers.convolutional.causal_conv import causal_conv_step
from keras_seqlab.layers.convolutional.causal_conv import check_channels
from keras_seqlab.layers.convolutional.causal_conv import check_padding
from keras_seqlab.layers.convolutional.causal_conv import masked_input
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.stepping import cannot_step
from keras_seqlab.layers.stepping import push
from keras_seqlab.layers.stepping import queue_state
from keras_seqlab.layers.stepping import split_state
from keras_seqlab.layers.stepping import step_mask
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_flag
from keras_seqlab.utils.validation import check_int
from keras_seqlab.utils.validation import check_mask
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner

# tf.nn.l2_normalize's floor on the squared norm (TensorFlow Addons'
# WeightNormalization divides by it): a zero kernel stays zero, not NaN.
NORM_FLOOR = 1e-12


def check_normalization(owner, batch, layer, weight):
    """Raises unless at most one of the three normalizations is on."""
    flags = {
        "use_batch_norm": batch,
        "use_layer_norm": layer,
        "use_weight_norm": weight,
    }
    for name, value in flags.items():
        check_flag(owner, name, value)
    on = [name for name, value in flags.items() if value]
    if len(on) > 1:
        raise ValueError(
            f"{owner}: only one normalization can be used at once, got "
            f"{' and '.join(on)} both True."
        )


def check_causal(layer):
    """Raises (`stepping.cannot_step`) unless `layer` (a TCN block or
    stack) is causal: causal padding, not running backwards."""
    if layer.padding != "causal":
        cannot_step(
            layer,
            f'padding="{layer.padding}" is not causal (its output at step t '
            'sees later steps); use padding="causal"',
        )
    if getattr(layer, "go_backwards", False):
        cannot_step(layer, "it runs backwards (go_backwards=True)")


def check_seed(owner, seed):
    """The dropout seed: None or any integer."""
    return check_int(owner, "seed", seed, minimum=None, optional=True)


@seqlab_export
class TCNBlock(ConvArguments):
    """TCN residual block: two dilated convolutions with ReLU, keras-tcn's
    `ResidualBlock` (Bai et al. 2018, figure 1b).

    With the convolution `∗` of `WaveNetBlock` (kernels (k, C_in, F),
    dilation d), causal (padding (k − 1)·d zeros on the left) or, with
    `padding="same"`, centred (⌊(k − 1)·d / 2⌋ zeros on the left, the rest
    on the right; the output at t then sees later steps too):

        h_0 = x
        a_i = N_i(W_i ∗ h_{i−1} + b_i)                    i = 1, 2
        h_i = D_i(φ(a_i))
        skip = φ(h_2)
        residual = φ(x' + skip)

    φ is `activation` (ReLU by default; the φ of `skip` repeats keras-tcn's
    and changes nothing for ReLU), x' = x when the input has F channels,
    else the 1×1 convolution x V_in + c_in. N_i is the normalization:

    - none (default): N(a) = a;
    - `use_batch_norm`: `keras.layers.BatchNormalization` over channels,
      N(a) = γ ⊙ (a − μ) / √(σ² + ε) + β with ε = 1e-3, μ, σ² the batch
      statistics over batch and time in training, the moving ones (momentum
      0.99) at inference;
    - `use_layer_norm`: `keras.layers.LayerNormalization` over the channels
      of each step, ε = 1e-3;
    - `use_weight_norm` (Salimans & Kingma 2016, TensorFlow Addons'
      `WeightNormalization` as keras-tcn used it): N(a) = a, but each
      kernel is W = g ⊙ V / ‖V‖ with a norm per output channel over (k,
      C_in), ‖V‖ = √max(Σ V², 1e-12); g starts at ‖V‖ (no data-dependent
      initialization).

    D_i is `keras.layers.SpatialDropout1D(dropout_rate)`: in training it
    drops whole channels of a sample (the same at every step) and scales
    the rest by 1/(1 − rate); at inference it is the identity.

    The receptive field of one block is 1 + 2·(k − 1)·d steps.

    Masks: the input, h_1, h_2 and both outputs are set to zero at masked
    steps (a masked step looks like the padding), and the mask is passed
    on. A padded sequence thus gives the unpadded sequence's outputs at
    its real steps, for either padding side and either `padding`, except
    that batch statistics in training count the padded steps too.

    Weights, for C input channels and F filters: `kernel_0` (k, C, F),
    `kernel_1` (k, F, F), their biases `bias_0`, `bias_1` (F,) when
    `use_bias`, with weight normalization the scales `scale_0`, `scale_1`
    (F,) (the kernels are V), and when C ≠ F `input_kernel` (1, C, F) and
    `input_bias`; the normalization layers `norm_0`, `norm_1`.

    Args:
        filters: positive integer, F (keras-tcn's `nb_filters`).
        kernel_size: k, a positive integer (default 3).
        dilation_rate: d, a positive integer (default 1).
        padding: "causal" (default) or "same".
        activation: φ, default "relu".
        dropout_rate: spatial dropout rate in [0, 1), default 0.
        use_batch_norm, use_layer_norm, use_weight_norm: the normalization
            (at most one True).
        seed: integer seed of the dropout, or None.
        use_bias, kernel_initializer (default "he_normal", keras-tcn's),
            bias_initializer, kernel_regularizer, bias_regularizer,
            kernel_constraint, bias_constraint: as in `WaveNetBlock`.

    Call arguments:
        inputs: `(batch, timesteps, channels)`.
        mask: optional boolean `(batch, timesteps)`, True at real steps.
        training: whether dropout and batch statistics are on.

    Returns:
        `(residual, skip)`, each `(batch, timesteps, filters)`.

    Example:

    >>> block = keras_seqlab.TCNBlock(8, kernel_size=3, dilation_rate=2)
    >>> residual, skip = block(np.zeros((2, 10, 3)))
    >>> residual.shape, block.receptive_field
    ((2, 10, 8), 9)
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        dilation_rate=1,
        padding="causal",
        activation="relu",
        dropout_rate=0.0,
        use_batch_norm=False,
        use_layer_norm=False,
        use_weight_norm=False,
        seed=None,
        use_bias=True,
        kernel_initializer="he_normal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        owner = layer_owner(self)
        self.filters = check_units(owner, filters, "filters")
        self.kernel_size = check_units(owner, kernel_size, "kernel_size")
        self.dilation_rate = check_units(owner, dilation_rate, "dilation_rate")
        self.padding = check_padding(owner, padding)
        self.activation = activations.get(activation)
        self.dropout_rate = check_rate(owner, "dropout_rate", dropout_rate)
        check_normalization(
            owner, use_batch_norm, use_layer_norm, use_weight_norm
        )
        self.use_batch_norm = use_batch_norm
        self.use_layer_norm = use_layer_norm
        self.use_weight_norm = use_weight_norm
        self.seed = check_seed(owner, seed)
        self.norms = [self._norm(i) for i in range(2)]
        self.dropouts = [
            keras.layers.SpatialDropout1D(
                self.dropout_rate,
                seed=None if self.seed is None else self.seed + i,
                name=f"dropout_{i}",
                dtype=self.dtype_policy,
            )
            for i in range(2)
        ]
        self.input_channels = None

    def _norm(self, i):
        kwargs = {"name": f"norm_{i}", "dtype": self.dtype_policy}
        if self.use_batch_norm:
            return keras.layers.BatchNormalization(**kwargs)
        if self.use_layer_norm:
            return keras.layers.LayerNormalization(**kwargs)
        return None

    @property
    def receptive_field(self):
        """1 + 2·(k − 1)·d: the input steps one output step depends on."""
        return receptive_field(
            self.kernel_size, self.dilation_rate, block="tcn"
        )

    def _kernel(self, name, shape):
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=self.kernel_initializer.clone(),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def _bias(self, name):
        if not self.use_bias:
            return None
        return self.add_weight(
            shape=(self.filters,),
            name=name,
            initializer=self.bias_initializer.clone(),
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )

    def build(self, inputs_shape):
        check_channels(layer_owner(self), inputs_shape, None)
        channels = int(inputs_shape[-1])
        k, f = self.kernel_size, self.filters
        self.kernels, self.biases, self.scales = [], [], []
        for i, c in enumerate((channels, f)):
            kernel = self._kernel(f"kernel_{i}", (k, c, f))
            self.kernels.append(kernel)
            self.biases.append(self._bias(f"bias_{i}"))
            if self.use_weight_norm:
                scale = self.add_weight(
                    shape=(f,), name=f"scale_{i}", initializer="ones"
                )
                scale.assign(_column_norm(kernel))
                self.scales.append(scale)
        self.input_kernel = self.input_bias = None
        if channels != f:
            self.input_kernel = self._kernel("input_kernel", (1, channels, f))
            self.input_bias = self._bias("input_bias")
        step_shape = (*tuple(inputs_shape)[:-1], f)
        for layer in (*self.norms, *self.dropouts):
            if layer is not None:
                layer.build(step_shape)
        self.input_channels = channels

    def convolution_kernel(self, i):
        """W_i: the kernel, or g ⊙ V / ‖V‖ with weight normalization."""
        kernel = self.kernels[i]
        if not self.use_weight_norm:
            return kernel
        return kernel * (self.scales[i] / _column_norm(kernel))

    def after_convolution(self, i, a, training=False):
        """h_i = D_i(φ(N_i(a + b_i))) from a = W_i ∗ h_{i−1} (no bias).

        Pointwise in time: `step`, which convolves one step's taps,
        shares this with `call`.
        """
        if self.use_bias:
            a = a + self.biases[i]
        if self.norms[i] is not None:
            a = self.norms[i](a, training=training)
        h = self.activation(a)
        if training and self.dropout_rate:
            h = self.dropouts[i](h, training=training)
        return h

    def block_outputs(self, x, h):
        """`(residual, skip)` from the block input x and h_2 (pointwise)."""
        skip = self.activation(h)
        shortcut = x
        if self.input_kernel is not None:
            shortcut = ops.matmul(x, self.input_kernel[0])
            if self.use_bias:
                shortcut = shortcut + self.input_bias
        return self.activation(shortcut + skip), skip

    def call(self, inputs, mask=None, training=False):
        owner = layer_owner(self)
        check_channels(owner, inputs.shape, self.input_channels)
        mask = check_mask(owner, inputs, mask)
        x, keep = masked_input(inputs, mask)

        def convolve(i, h):
            kernel = self.convolution_kernel(i)
            return causal_conv(h, kernel, self.dilation_rate, self.padding)

        return self._residual(x, keep, convolve, training)

    def _residual(self, x, keep, convolve, training):
        """`(residual, skip)` from the masked input, `convolve(i, h)` the
        i-th dilated convolution (of the sequence, or of one step)."""
        h = x
        for i in range(2):
            h = self.after_convolution(i, convolve(i, h), training)
            if keep is not None:
                h = h * keep
        residual, skip = self.block_outputs(x, h)
        if keep is not None:
            residual, skip = residual * keep, skip * keep
        return residual, skip

    @property
    def span(self):
        """(k − 1)·d: the earlier inputs one convolution step reads."""
        return (self.kernel_size - 1) * self.dilation_rate

    @property
    def step_state_count(self):
        """How many state tensors `step` keeps: a queue per convolution."""
        return 2 * int(self.span > 0)

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`layers.stepping`): one queue per dilated
        convolution, of its last (k − 1)·d inputs; causal padding only."""
        check_causal(self)
        channels = (self.input_channels, self.filters)
        return [
            s
            for c in channels
            for s in queue_state(batch_size, self.span, c, dtype)
        ]

    def step(self, x_t, state, mask=None):
        """`((residual_t, skip_t), new_state)`: `call` at one step (at
        inference), its convolutions from the queues' taps."""
        x, keep = masked_input(ops.expand_dims(x_t, 1), step_mask(mask))
        queues = split_state(state, [self.step_state_count // 2] * 2)
        new = []

        def convolve(i, h):
            window, queue = push(queues[i], h)
            new.extend(queue)
            kernel = self.convolution_kernel(i)
            a = causal_conv_step(window, kernel, self.dilation_rate)
            return ops.expand_dims(a, 1)

        residual, skip = self._residual(x, keep, convolve, training=False)
        return (residual[:, 0], skip[:, 0]), new

    def compute_output_shape(self, inputs_shape):
        check_channels(layer_owner(self), inputs_shape, self.input_channels)
        shape = (*tuple(inputs_shape)[:-1], self.filters)
        return shape, shape

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return mask, mask

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dilation_rate": self.dilation_rate,
            "padding": self.padding,
            "activation": activations.serialize(self.activation),
            "dropout_rate": self.dropout_rate,
            "use_batch_norm": self.use_batch_norm,
            "use_layer_norm": self.use_layer_norm,
            "use_weight_norm": self.use_weight_norm,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def _column_norm(kernel):
    """‖V‖ per output channel: √max(Σ_{j,c} V_jcf², 1e-12), shape (F,)."""
    squares = ops.sum(ops.square(kernel), axis=(0, 1))
    return ops.sqrt(ops.maximum(squares, NORM_FLOOR))


def _case(name, kwargs, channels, mask=None, gradients=True, training=False):
    """A reference case of `seqlab check` (`testing.reference_check`): a
    block of 4 filters on (2, 8, channels) inputs."""
    setup = {
        "batch": 2,
        "timesteps": 8,
        "input_dim": channels,
        "mask": mask,
    }
    return {
        "kind": "tcn",
        "name": name,
        "layer": TCNBlock,
        "layer_kwargs": {"filters": 4, **kwargs},
        "step_options": {"training": training},
        "forward_setups": () if gradients else (setup,),
        "gradient_setups": (setup,) if gradients else (),
    }


REFERENCE_CASES = (
    _case("TCNBlock k3 d2", {"kernel_size": 3, "dilation_rate": 2}, 3),
    _case("TCNBlock k2", {"kernel_size": 2}, 4, "left"),
    _case(
        "TCNBlock same d2", {"padding": "same", "dilation_rate": 2}, 3, "right"
    ),
    _case(
        "TCNBlock same k2",
        {"kernel_size": 2, "padding": "same"},
        3,
        gradients=False,
    ),
    _case("TCNBlock batch norm", {"use_batch_norm": True}, 3),
    _case(
        "TCNBlock batch norm, training",
        {"use_batch_norm": True},
        3,
        gradients=False,
        training=True,
    ),
    _case("TCNBlock layer norm", {"use_layer_norm": True}, 3, "left"),
    _case("TCNBlock weight norm", {"use_weight_norm": True}, 3),
    _case(
        "TCNBlock tanh, no bias", {"use_bias": False, "activation": "tanh"}, 4
    ),
)
