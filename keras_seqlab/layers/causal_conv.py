"""Dilated causal convolution and the receptive field of a stack of them."""

import numbers

from keras import ops

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
