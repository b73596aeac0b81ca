"""The WaveNet stack (van den Oord et al. 2016): residual blocks with
cycling dilations and summed skip outputs."""

from keras import activations
from keras import ops

from keras_seqlab.layers.convolutional.causal_conv import ConvArguments
from keras_seqlab.layers.convolutional.causal_conv import StackSteps
from keras_seqlab.layers.convolutional.causal_conv import check_channels
from keras_seqlab.layers.convolutional.causal_conv import check_dilations
from keras_seqlab.layers.convolutional.causal_conv import check_gated
from keras_seqlab.layers.convolutional.causal_conv import keep_mask
from keras_seqlab.layers.convolutional.causal_conv import last_step
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.wavenet import CASE_SHAPE
from keras_seqlab.layers.convolutional.wavenet import CASE_WIDE
from keras_seqlab.layers.convolutional.wavenet import WaveNetBlock
from keras_seqlab.layers.convolutional.wavenet import reference_case
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_mask
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


@seqlab_export
class WaveNet(StackSteps, ConvArguments):
    """A stack of `WaveNetBlock`s cycling through `dilations`.

    Block i has dilation `dilations[i]`; block 1 maps the C input channels
    to F = `filters`, every later block works on F channels. With
    h_0 = x and (h_i, s_i) = block_i(h_{i−1}):

    `gated=True` (the paper): the output is the sum of the skip outputs,

        y = act(Σ_i s_i)

    `gated=False` (the textbook's plain causal ReLU stack, which has no
    residual or skip connections): the output is the last block's,

        y = act(h_n),   h_i = relu(W_i ∗ h_{i−1} + b_i)

    i.e. exactly a `keras.Sequential` of `keras.layers.Conv1D(filters,
    kernel_size, padding="causal", dilation_rate=d, activation="relu")`
    for d in `dilations`.

    act is `output_activation`: None (linear, the default: the head that
    follows is the model's business) or e.g. `"relu"`, the paper's
    relu(Σ_i s_i) ahead of its 1×1 output convolutions.

    The receptive field is R = 1 + (k − 1)·Σ_i d_i steps
    (`receptive_field`): the output at step t depends on the inputs at
    t − R + 1 … t only. The default, dilations (1, 2, 4, 8) twice with
    k = 2, gives R = 31.

    Masks: each block zeros its input and its outputs at masked steps, so
    a left-padded sequence gives the unpadded sequence's outputs at its
    real steps. With `return_sequences=True` the output is zero at masked
    steps and the mask is passed on; with `return_sequences=False` the
    output is the one at each sample's last unmasked step (as a Keras RNN
    returns it; zeros for a fully masked sample) and no mask is passed on.

    Args:
        filters: positive integer, F, the channels of every block and of
            the output.
        dilations: non-empty sequence of positive integers, one block each
            (default `(1, 2, 4, 8) * 2`).
        kernel_size: k, a positive integer, any parity (default 2).
        gated: gated residual blocks with skips (True) or the plain causal
            ReLU stack (False).
        return_sequences: return the output at every step (True) or at the
            last step only (False).
        output_activation: activation applied to the output, default None.
        use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, kernel_constraint, bias_constraint: passed
            to every block (see `WaveNetBlock`).

    Call arguments:
        inputs: `(batch, timesteps, channels)`.
        mask: optional boolean `(batch, timesteps)`, True at real steps.

    Returns:
        `(batch, timesteps, filters)`, or `(batch, filters)` with
        `return_sequences=False`.

    Example:

    >>> layer = keras_seqlab.WaveNet(8, dilations=(1, 2, 4, 8))
    >>> layer(np.zeros((2, 20, 1))).shape, layer.receptive_field
    ((2, 20, 8), 16)
    """

    def __init__(
        self,
        filters,
        dilations=(1, 2, 4, 8) * 2,
        kernel_size=2,
        gated=True,
        return_sequences=True,
        output_activation=None,
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
        self.dilations = check_dilations(owner, dilations)
        self.kernel_size = check_units(owner, kernel_size, "kernel_size")
        self.gated = check_gated(owner, gated)
        self.return_sequences = bool(return_sequences)
        self.output_activation = activations.get(output_activation)
        self.blocks = [
            WaveNetBlock(
                self.filters,
                kernel_size=self.kernel_size,
                dilation_rate=d,
                gated=self.gated,
                name=f"block_{i}",
                dtype=self.dtype_policy,
                **self._weight_arguments(),
            )
            for i, d in enumerate(self.dilations)
        ]

    @property
    def receptive_field(self):
        """1 + (k − 1)·Σ d: the input steps one output step depends on."""
        return receptive_field(self.kernel_size, self.dilations)

    def build(self, inputs_shape):
        check_channels(layer_owner(self), inputs_shape, None)
        shape = tuple(inputs_shape)
        for block in self.blocks:
            block.build(shape)
            shape = (*shape[:-1], self.filters)

    def call(self, inputs, mask=None):
        channels = self.blocks[0].input_channels
        check_channels(layer_owner(self), inputs.shape, channels)
        mask = check_mask(layer_owner(self), inputs, mask)
        h, skips = inputs, []
        for block in self.blocks:
            h, skip = block(h, mask=mask)
            skips.append(skip)
        y = self.combine(skips, h, mask)
        if self.return_sequences:
            return y
        if mask is None:
            return y[:, -1, :]
        return ops.sum(y * ops.expand_dims(last_step(mask, y.dtype), -1), 1)

    def combine(self, skips, h, mask):
        """act(Σ s_i) or act(h_n), zero at the masked steps."""
        y = self.output_activation(sum(skips) if self.gated else h)
        return y if mask is None else y * keep_mask(mask, y)

    def compute_output_shape(self, inputs_shape):
        channels = self.blocks[0].input_channels
        check_channels(layer_owner(self), inputs_shape, channels)
        inputs_shape = tuple(inputs_shape)
        if self.return_sequences:
            return (*inputs_shape[:-1], self.filters)
        return (inputs_shape[0], self.filters)

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self):
        config = {
            "filters": self.filters,
            "dilations": list(self.dilations),
            "kernel_size": self.kernel_size,
            "gated": self.gated,
            "return_sequences": self.return_sequences,
            "output_activation": activations.serialize(self.output_activation),
        }
        return {**super().get_config(), **config}


# What `seqlab check` compares against the reference (see the block's
# cases in keras_seqlab/layers/convolutional/wavenet.py).
REFERENCE_CASES = (
    reference_case(
        "WaveNet gated d1-2-4",
        WaveNet,
        {"dilations": (1, 2, 4)},
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNet gated k3 d1-3 last",
        WaveNet,
        {"dilations": (1, 3), "kernel_size": 3, "return_sequences": False},
        (CASE_WIDE,),
    ),
    reference_case(
        "WaveNet plain d1-2-4",
        WaveNet,
        {"dilations": (1, 2, 4), "gated": False},
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNet plain k3 d2-1 last",
        WaveNet,
        {
            "dilations": (2, 1),
            "gated": False,
            "kernel_size": 3,
            "return_sequences": False,
        },
        (CASE_SHAPE,),
    ),
    reference_case(
        "WaveNet plain d2-1",
        WaveNet,
        {"dilations": (2, 1), "gated": False},
        (),
        (CASE_WIDE,),
    ),
    reference_case(
        "WaveNet gated d1-2 relu",
        WaveNet,
        {"dilations": (1, 2), "output_activation": "relu"},
        ({**CASE_SHAPE, "mask": "left"},),
        ({**CASE_SHAPE, "mask": "left"},),
    ),
    reference_case(
        "WaveNet gated d1-2 last",
        WaveNet,
        {"dilations": (1, 2), "return_sequences": False},
        (),
        ({**CASE_SHAPE, "mask": "right"},),
    ),
    reference_case(
        "WaveNet gated d1-2-1 last",
        WaveNet,
        {"dilations": (1, 2, 1), "return_sequences": False},
        ({**CASE_SHAPE, "mask": "right"},),
    ),
    reference_case(
        "WaveNet plain d2-2 last",
        WaveNet,
        {"dilations": (2, 2), "gated": False, "return_sequences": False},
        ({**CASE_SHAPE, "mask": "left"},),
    ),
    reference_case(
        "WaveNet gated d1-4 no bias tanh",
        WaveNet,
        {"dilations": (1, 4), "use_bias": False, "output_activation": "tanh"},
        (CASE_SHAPE,),
    ),
)
