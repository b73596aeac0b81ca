"""The WaveNet residual block (van den Oord et al. 2016); the stack of them
is `keras_seqlab.layers.wavenet_stack.WaveNet`."""

from keras import ops

from keras_seqlab.layers.convolutional.causal_conv import ConvArguments
from keras_seqlab.layers.convolutional.causal_conv import causal_conv
from keras_seqlab.layers.convolutional.causal_conv import causal_conv_step
from keras_seqlab.layers.convolutional.causal_conv import check_channels
from keras_seqlab.layers.convolutional.causal_conv import check_gated
from keras_seqlab.layers.convolutional.causal_conv import masked_input
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.stepping import push
from keras_seqlab.layers.stepping import queue_state
from keras_seqlab.layers.stepping import step_mask
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_mask
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


@seqlab_export
class WaveNetBlock(ConvArguments):
    """WaveNet residual block: gated dilated causal convolution.

    Every convolution is causal: the input is padded on the left with
    (k − 1)·d zeros, so the output at step t sees the inputs at steps
    t − (k − 1)·d, …, t − d, t and nothing later. With kernels in Keras's
    Conv1D layout (k, C_in, C_out),

        (W ∗ x)_t = Σ_{j=0}^{k−1} x_{t − (k−1−j)·d} W_j     (x_τ = 0, τ < 0)

    `gated=True` (the paper's block, van den Oord et al. 2016):

        z = tanh(W_f ∗ x + b_f) ⊙ σ(W_g ∗ x + b_g)
        residual = x' + z V_res + c_res
        skip = z V_skip + c_skip

    where V_res and V_skip are 1×1 convolutions (F, F), and x' = x when
    the input has F = `filters` channels, otherwise the 1×1 convolution
    x' = x V_in + c_in maps the input to F channels first. σ is the
    logistic sigmoid. With `use_bias=False` every b and c is left out.

    `gated=False` is one layer of the textbook's plain WaveNet stack,
    exactly `keras.layers.Conv1D(filters, kernel_size, padding="causal",
    dilation_rate=d, activation="relu")`:

        z = relu(W ∗ x + b),   residual = skip = z

    (no gate, no residual connection, no 1×1 convolutions).

    Any kernel size k ≥ 1 works (odd or even): the padding is all on the
    left. The receptive field of one block is 1 + (k − 1)·d steps
    (`receptive_field`).

    Masks: convolutions are not mask-aware, so the block sets the input to
    zero at masked steps (a masked step then looks exactly like the causal
    padding), sets both outputs to zero at masked steps and passes the mask
    on to both outputs. A left-padded sequence thus gives, at its real
    steps, the outputs of the unpadded sequence; right padding never
    reaches a real step anyway (causality).

    Weights (created in `build`), for C input channels and F filters:
    gated: `filter_kernel`, `gate_kernel` (k, C, F), `residual_kernel`,
    `skip_kernel` (1, F, F), and, when C ≠ F, `input_kernel` (1, C, F);
    each with a bias of shape (F,) named `filter_bias`, `gate_bias`, …
    when `use_bias`. Plain: `kernel` (k, C, F) and `bias` (F,).

    Args:
        filters: positive integer, F, the channels of both outputs.
        kernel_size: k, a positive integer (default 2).
        dilation_rate: d, a positive integer (default 1).
        gated: the gated residual block (True) or the plain causal ReLU
            convolution (False).
        use_bias: whether the convolutions add biases.
        kernel_initializer, bias_initializer: initializers of all kernels
            and of all biases.
        kernel_regularizer, bias_regularizer: regularizers of all kernels
            and of all biases.
        kernel_constraint, bias_constraint: constraints of all kernels and
            of all biases.

    Call arguments:
        inputs: `(batch, timesteps, channels)`.
        mask: optional boolean `(batch, timesteps)`, True at real steps.

    Returns:
        `(residual, skip)`, each `(batch, timesteps, filters)`.

    Example:

    >>> block = keras_seqlab.WaveNetBlock(8, kernel_size=2, dilation_rate=4)
    >>> residual, skip = block(np.zeros((2, 10, 3)))
    >>> residual.shape, skip.shape, block.receptive_field
    ((2, 10, 8), (2, 10, 8), 5)
    """

    def __init__(
        self,
        filters,
        kernel_size=2,
        dilation_rate=1,
        gated=True,
        use_bias=True,
        kernel_initializer="glorot_uniform",
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
        self.gated = check_gated(owner, gated)
        self.input_channels = None

    @property
    def receptive_field(self):
        """1 + (k − 1)·d: the input steps one output step depends on."""
        return receptive_field(self.kernel_size, self.dilation_rate)

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
        if self.gated:
            self.filter_kernel = self._kernel("filter_kernel", (k, channels, f))
            self.filter_bias = self._bias("filter_bias")
            self.gate_kernel = self._kernel("gate_kernel", (k, channels, f))
            self.gate_bias = self._bias("gate_bias")
            self.residual_kernel = self._kernel("residual_kernel", (1, f, f))
            self.residual_bias = self._bias("residual_bias")
            self.skip_kernel = self._kernel("skip_kernel", (1, f, f))
            self.skip_bias = self._bias("skip_bias")
            self.input_kernel = self.input_bias = None
            if channels != f:
                self.input_kernel = self._kernel(
                    "input_kernel", (1, channels, f)
                )
                self.input_bias = self._bias("input_bias")
        else:
            self.kernel = self._kernel("kernel", (k, channels, f))
            self.bias = self._bias("bias")
        self.input_channels = channels

    def call(self, inputs, mask=None):
        check_channels(layer_owner(self), inputs.shape, self.input_channels)
        mask = check_mask(layer_owner(self), inputs, mask)
        x, keep = masked_input(inputs, mask)
        a = causal_conv(x, self.convolution_kernel(), self.dilation_rate)
        return self._outputs(a, x, keep)

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`layers.stepping`): the queue of the last
        (k − 1)·d inputs (Fast WaveNet, Paine et al. 2016)."""
        return queue_state(batch_size, self.span, self.input_channels, dtype)

    @property
    def span(self):
        """(k − 1)·d: the earlier inputs one convolution step reads."""
        return (self.kernel_size - 1) * self.dilation_rate

    @property
    def step_state_count(self):
        """How many state tensors `step` keeps: one queue, if any."""
        return int(self.span > 0)

    def step(self, x_t, state, mask=None):
        """`((residual_t, skip_t), new_state)`: `call` at one step, its
        convolution from the queue's taps."""
        x, keep = masked_input(ops.expand_dims(x_t, 1), step_mask(mask))
        window, state = push(state, x)
        a = causal_conv_step(
            window, self.convolution_kernel(), self.dilation_rate
        )
        residual, skip = self._outputs(ops.expand_dims(a, 1), x, keep)
        return (residual[:, 0], skip[:, 0]), state

    def _outputs(self, a, x, keep):
        """`block_outputs`, zero at the masked steps."""
        residual, skip = self.block_outputs(a, x)
        if keep is not None:
            residual = residual * keep
            skip = residual if not self.gated else skip * keep
        return residual, skip

    def convolution_kernel(self):
        """The dilated convolution's kernel: (k, C, 2F) gated (the filter
        and the gate side by side, one convolution for both), else (k, C,
        F)."""
        if self.gated:
            return ops.concatenate([self.filter_kernel, self.gate_kernel], -1)
        return self.kernel

    def block_outputs(self, a, x):
        """`(residual, skip)` from `a = W ∗ x` (no bias yet) and `x`.

        Everything after the dilated convolution is pointwise in time, so
        `step`, which convolves one step's taps, shares this with `call`.
        """
        if not self.gated:
            if self.use_bias:
                a = a + self.bias
            z = ops.relu(a)
            return z, z
        if self.use_bias:
            a = a + ops.concatenate([self.filter_bias, self.gate_bias])
        a_filter, a_gate = ops.split(a, 2, axis=-1)
        z = ops.tanh(a_filter) * ops.sigmoid(a_gate)
        # One matmul for the residual and the skip 1×1 convolutions.
        out_kernel = ops.concatenate(
            [self.residual_kernel[0], self.skip_kernel[0]], -1
        )
        out = ops.matmul(z, out_kernel)
        if self.use_bias:
            out = out + ops.concatenate([self.residual_bias, self.skip_bias])
        residual, skip = ops.split(out, 2, axis=-1)
        if self.input_kernel is None:
            return x + residual, skip
        shortcut = ops.matmul(x, self.input_kernel[0])
        if self.use_bias:
            shortcut = shortcut + self.input_bias
        return shortcut + residual, skip

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
            "gated": self.gated,
        }
        return {**super().get_config(), **config}


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
# Setups: batch 2, 7 steps, `input_dim` channels, `units` filters; "mask"
# pads the second sample on the left or right.
def reference_case(name, layer, kwargs, forward, gradient=()):
    return {
        "kind": "wavenet",
        "name": name,
        "layer": layer,
        "layer_kwargs": kwargs,
        "forward_setups": forward,
        "gradient_setups": gradient,
    }


CASE_SHAPE = {"batch": 2, "timesteps": 7, "input_dim": 3, "units": 4}
CASE_WIDE = {**CASE_SHAPE, "input_dim": 4}
REFERENCE_CASES = (
    reference_case(
        "WaveNetBlock gated",
        WaveNetBlock,
        {},
        (CASE_SHAPE, CASE_WIDE),
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNetBlock gated k3 d2",
        WaveNetBlock,
        {"kernel_size": 3, "dilation_rate": 2},
        (CASE_SHAPE,),
        (CASE_WIDE,),
    ),
    reference_case(
        "WaveNetBlock gated k3",
        WaveNetBlock,
        {"kernel_size": 3},
        ({**CASE_SHAPE, "mask": "left"},),
    ),
    reference_case(
        "WaveNetBlock gated k1",
        WaveNetBlock,
        {"kernel_size": 1},
        (CASE_WIDE,),
    ),
    reference_case(
        "WaveNetBlock gated k4 d3 no bias",
        WaveNetBlock,
        {"kernel_size": 4, "dilation_rate": 3, "use_bias": False},
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNetBlock plain",
        WaveNetBlock,
        {"gated": False},
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNetBlock plain k3",
        WaveNetBlock,
        {"gated": False, "kernel_size": 3},
        (CASE_SHAPE,),
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNetBlock plain k3 d3",
        WaveNetBlock,
        {"gated": False, "kernel_size": 3, "dilation_rate": 3},
        (CASE_WIDE,),
    ),
    reference_case(
        "WaveNetBlock plain d2",
        WaveNetBlock,
        {"gated": False, "dilation_rate": 2},
        ({**CASE_SHAPE, "mask": "right"},),
    ),
)
