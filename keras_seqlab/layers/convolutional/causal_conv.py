"""Dilated causal convolution: the operation, the receptive field of a
stack, and the argument checks and weight vocabulary of the layers on it."""

import numbers

import keras
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.stepping import split_state
from keras_seqlab.layers.stepping import where_real
from keras_seqlab.utils.validation import check_flag
from keras_seqlab.utils.validation import check_positive_ints
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import check_units


def keep_mask(mask, like):
    """A boolean mask, `(batch, T)` or one step's `(batch,)`, as `like`'s
    dtype with a trailing axis: what a sequence (or a step) is multiplied
    by to zero its padded steps (the one mask multiply of WaveNet, the
    TCN and their steppers)."""
    return ops.expand_dims(ops.cast(mask, like.dtype), -1)


def masked_input(x, mask):
    """`(x, keep)`: `x` zero at the masked steps and `keep_mask`, or
    `(x, None)` without a mask."""
    if mask is None:
        return x, None
    keep = keep_mask(mask, x)
    return x * keep, keep


def check_dilations(owner, dilations):
    """Returns `dilations` as a tuple of positive ints; raises otherwise."""
    return check_positive_ints(owner, "dilations", dilations)


BLOCK_CONVOLUTIONS = {"wavenet": 1, "tcn": 2}


def receptive_field(kernel_size, dilations, nb_stacks=1, block="wavenet"):
    """Time steps one output of a stack of dilated convolutions sees.

    With n convolutions of width k per block (n = 1 for a WaveNet block,
    n = 2 for a TCN residual block), dilations d_1 … d_m, repeated
    `nb_stacks` = s times,

        R = 1 + n · (k − 1) · s · Σ_i d_i

    (a WaveNet with k = 2 and dilations 1, 2, 4, 8 gives 16; keras-tcn's
    `TCN(kernel_size=3, dilations=(1, 2, 4))` gives 29): with causal
    padding the output at step t depends on the inputs at steps
    t − R + 1 … t and on no other; with "same" padding on R steps around t.

    Args:
        kernel_size: k, a positive integer.
        dilations: a dilation (positive integer) or a non-empty sequence of
            them.
        nb_stacks: s, how many times the dilations repeat (default 1).
        block: "wavenet" (one convolution per block, the default) or
            "tcn" (two).

    Example:

    >>> keras_seqlab.receptive_field(2, (1, 2, 4, 8) * 2)
    31
    >>> keras_seqlab.receptive_field(3, (1, 2, 4), nb_stacks=2, block="tcn")
    57
    """
    owner = "receptive_field"
    kernel_size = check_units(owner, kernel_size, "kernel_size")
    if isinstance(dilations, numbers.Integral) and not isinstance(
        dilations, bool
    ):
        dilations = (dilations,)
    dilations = check_dilations(owner, dilations)
    nb_stacks = check_units(owner, nb_stacks, "nb_stacks")
    if not isinstance(block, str) or block not in BLOCK_CONVOLUTIONS:
        raise ValueError(
            f"{owner}: unknown block {block!r}; expected one of "
            f"{', '.join(repr(b) for b in BLOCK_CONVOLUTIONS)}."
        )
    n = BLOCK_CONVOLUTIONS[block]
    return 1 + n * (kernel_size - 1) * nb_stacks * sum(dilations)


def causal_conv(x, kernel, dilation, padding="causal"):
    """y_t = Σ_j x_{t − (k−1−j)·d} W_j with zeros before the first step.

    `padding="same"` (non-causal) centres the taps instead: of the
    (k − 1)·d zeros, ⌊(k − 1)·d / 2⌋ go on the left and the rest on the
    right (Keras's and TensorFlow's "same"), so

        y_t = Σ_j x_{t − ⌊(k−1)·d/2⌋ + j·d} W_j      (zeros outside)
    """
    pad = (kernel.shape[0] - 1) * dilation
    left = pad if padding == "causal" else pad // 2
    if pad:
        x = ops.pad(x, ((0, 0), (left, pad - left), (0, 0)))
    return ops.conv(
        x,
        kernel,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=dilation,
    )


def check_padding(owner, padding):
    """Returns `padding`; raises unless it is "causal" or "same"."""
    if not isinstance(padding, str) or padding not in ("causal", "same"):
        raise ValueError(
            f"{owner}: `padding` must be 'causal' or 'same', got {padding!r}."
        )
    return padding


def last_step(mask, dtype):
    """One-hot (batch, timesteps) of each row's last True (zeros if none)."""
    real = ops.cast(mask, "int32")
    later = ops.flip(ops.cumsum(ops.flip(real, 1), 1), 1) - real
    return ops.cast(ops.logical_and(mask, ops.equal(later, 0)), dtype)


def middle_step(mask, dtype):
    """One-hot (batch, timesteps) of each row's real step number ⌊n/2⌋
    (0-based, n real steps; zeros if none): step ⌊T/2⌋ without padding,
    keras-tcn's output step for "same" padding."""
    real = ops.cast(mask, "int32")
    count = ops.sum(real, axis=1, keepdims=True)
    before = ops.cumsum(real, 1) - real
    hit = ops.logical_and(mask, ops.equal(before, count // 2))
    return ops.cast(hit, dtype)


def causal_conv_step(window, kernel, dilation):
    """The last output of `causal_conv` from the last (k − 1)·d + 1 inputs.

    `window` is `(batch, (k−1)·d + 1, C)`, the inputs at steps t − (k−1)·d
    … t; the taps at t − (k−1−j)·d are every d-th row of it, so one step
    costs k·C·F multiply-adds, not the window's:

        y_t = Σ_{j=0}^{k−1} window[j·d] W_j          → (batch, F)
    """
    taps = window[:, ::dilation]
    return ops.einsum("bkc,kcf->bf", taps, kernel)


def check_gated(owner, gated):
    return check_flag(owner, "gated", gated)


def check_channels(owner, shape, channels):
    """Raises unless `shape` is (batch, timesteps >= 1, `channels`).

    `channels` None accepts any defined channel count (before `build`).
    Zero time steps are refused: Keras's causal Conv1D gives an error on
    JAX and PyTorch and a length-1 output of arbitrary values on
    TensorFlow there.
    """
    check_sequence_shape(owner, shape, channels, "channels", needs_steps=True)


# Each weight gets `initializer.clone()`: an unseeded Keras random
# initializer draws its seed once, when it is made, so one instance gives
# the same values to every weight of a shape (filter and gate kernels would
# start equal).


class ConvArguments(keras.layers.Layer):
    """The Keras weight vocabulary of the WaveNet block and stack."""

    def __init__(
        self,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def _weight_arguments(self):
        return {
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
        }

    def get_config(self):
        config = {
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
        return {**super().get_config(), **config}


class StackSteps:
    """The step protocol of a stack of blocks (`WaveNet`, `TCN`): the
    blocks' states in a row, and with `return_sequences=False` the output
    at the last real step. The stack's `combine(skips, h, mask)` makes its
    output from the blocks' skip outputs and the last block's, in `call`
    and here alike."""

    def initial_step_state(self, batch_size, dtype):
        state = [
            s
            for block in self.blocks
            for s in block.initial_step_state(batch_size, dtype)
        ]
        if not self.return_sequences:
            state.append(ops.zeros((batch_size, self.filters), dtype))
        return state

    def step(self, x_t, state, mask=None):
        sizes = [block.step_state_count for block in self.blocks]
        h, skips, new = x_t, [], []
        for block, own in zip(self.blocks, split_state(state, sizes)):
            (h, skip), own = block.step(h, own, mask=mask)
            new += own
            skips.append(skip)
        y = self.combine(skips, h, mask)
        if self.return_sequences:
            return y, new
        last = where_real(mask, y, state[-1])
        return last, new + [last]
