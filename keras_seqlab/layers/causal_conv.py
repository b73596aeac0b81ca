"""Dilated causal convolution: the operation, the receptive field of a
stack, and the argument checks and weight vocabulary of the layers on it."""

import numbers

import keras
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import check_units


def check_dilations(owner, dilations):
    """Returns `dilations` as a tuple of positive ints; raises otherwise."""
    if isinstance(dilations, (str, bytes, numbers.Number)) or not hasattr(
        dilations, "__iter__"
    ):
        raise ValueError(
            f"{owner}: `dilations` must be a non-empty sequence of positive "
            f"integers, got {dilations!r}."
        )
    dilations = tuple(dilations)
    if not dilations:
        raise ValueError(
            f"{owner}: `dilations` must be a non-empty sequence of positive "
            f"integers, got {dilations!r}."
        )
    return tuple(
        check_units(owner, d, f"dilations[{i}]")
        for i, d in enumerate(dilations)
    )


def receptive_field(kernel_size, dilations):
    """Time steps one output of a stack of dilated causal convolutions sees.

    With one convolution of width k per block and dilations d_1 … d_n,

        R = 1 + (k − 1) · Σ_i d_i

    (k = 2 with dilations 1, 2, 4, 8 gives 16): the output at step t
    depends on the inputs at steps t − R + 1 … t and on no other.

    Args:
        kernel_size: k, a positive integer.
        dilations: a dilation (positive integer) or a non-empty sequence of
            them.

    Example:

    >>> keras_seqlab.receptive_field(2, (1, 2, 4, 8) * 2)
    31
    """
    owner = "receptive_field"
    kernel_size = check_units(owner, kernel_size, "kernel_size")
    if isinstance(dilations, numbers.Integral) and not isinstance(
        dilations, bool
    ):
        dilations = (dilations,)
    dilations = check_dilations(owner, dilations)
    return 1 + (kernel_size - 1) * sum(dilations)


def causal_conv(x, kernel, dilation):
    """y_t = Σ_j x_{t − (k−1−j)·d} W_j with zeros before the first step."""
    pad = (kernel.shape[0] - 1) * dilation
    if pad:
        x = ops.pad(x, ((0, 0), (pad, 0), (0, 0)))
    return ops.conv(
        x,
        kernel,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=dilation,
    )


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
    if gated is not True and gated is not False:
        raise ValueError(
            f"{owner}: `gated` must be True or False, got {gated!r}."
        )
    return gated


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
