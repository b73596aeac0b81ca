"""The temporal convolutional network (Bai, Kolter & Koltun 2018): a stack
of TCN residual blocks with keras-tcn's `TCN` arguments."""

from keras import activations
from keras import ops

from keras_seqlab.layers.convolutional.causal_conv import ConvArguments
from keras_seqlab.layers.convolutional.causal_conv import StackSteps
from keras_seqlab.layers.convolutional.causal_conv import check_channels
from keras_seqlab.layers.convolutional.causal_conv import check_dilations
from keras_seqlab.layers.convolutional.causal_conv import check_padding
from keras_seqlab.layers.convolutional.causal_conv import last_step
from keras_seqlab.layers.convolutional.causal_conv import middle_step
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.tcn import TCNBlock
from keras_seqlab.layers.convolutional.tcn import check_causal
from keras_seqlab.layers.convolutional.tcn import check_normalization
from keras_seqlab.layers.convolutional.tcn import check_seed
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_flag
from keras_seqlab.utils.validation import check_mask
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


def check_filters(owner, nb_filters, dilations, use_skip_connections):
    """`nb_filters` as an int or a tuple with one entry per dilation."""
    if isinstance(nb_filters, (list, tuple)):
        if len(nb_filters) != len(dilations):
            raise ValueError(
                f"{owner}: a list of `nb_filters` needs one entry per "
                f"dilation ({len(dilations)}), got {len(nb_filters)}: "
                f"{list(nb_filters)!r}."
            )
        filters = tuple(
            check_units(owner, f, f"nb_filters[{i}]")
            for i, f in enumerate(nb_filters)
        )
        if use_skip_connections and len(set(filters)) > 1:
            raise ValueError(
                f"{owner}: skip connections add the blocks' outputs, so "
                "`nb_filters` must all be equal with "
                f"use_skip_connections=True, got {list(filters)!r}."
            )
        return filters
    return check_units(owner, nb_filters, "nb_filters")


@seqlab_export
class TCN(StackSteps, ConvArguments):
    """A temporal convolutional network: keras-tcn's `TCN` on Keras 3.

    `nb_stacks` repetitions of one `TCNBlock` per entry of `dilations`
    (block j of a stack has dilation `dilations[j]` and `nb_filters[j]`
    filters when `nb_filters` is a list). With h_0 = x (reversed in time
    with `go_backwards=True`) and (h_i, s_i) = block_i(h_{i−1}):

        y = Σ_i s_i      with use_skip_connections=True (default)
        y = h_n          with use_skip_connections=False

    The receptive field is R = 1 + 2·(k − 1)·nb_stacks·Σ_j d_j steps
    (`receptive_field(k, dilations, nb_stacks, block="tcn")`, keras-tcn's
    formula): with causal padding the output at step t depends on the
    inputs at t − R + 1 … t only.

    `return_sequences=False` returns, as keras-tcn does, the output at the
    last step for causal padding and at step ⌊T/2⌋ for "same" padding;
    with a mask, at the last real step (zeros for a fully masked sample),
    or at real step number ⌊n/2⌋ of the n real steps for "same".

    `go_backwards=True` runs on the sequence reversed in time and returns
    the reversed sequence (as keras-tcn and Keras's RNNs do); it and
    `padding="same"` see later steps, so `keras_seqlab.stream` refuses
    them.

    Masks: each block zeros its input, its intermediate activations and
    its outputs at masked steps, so a padded sequence gives the unpadded
    one's outputs at its real steps; with `return_sequences=True` the
    output is zero at masked steps and the mask (reversed with
    `go_backwards`) is passed on.

    Args:
        nb_filters: positive integer F, or one per dilation (all equal
            with skip connections). Default 64.
        kernel_size: k, default 3.
        nb_stacks: how many times the dilations repeat, default 1.
        dilations: non-empty sequence of positive integers, default
            (1, 2, 4, 8, 16, 32).
        padding: "causal" (default) or "same" (non-causal).
        use_skip_connections: output the sum of the blocks' skip outputs
            (True, default) or the last block's residual output.
        dropout_rate: spatial dropout rate of every block, default 0.
        return_sequences: every step (True) or one step (False, default).
        activation: φ of every block, default "relu".
        kernel_initializer: default "he_normal" (keras-tcn's).
        use_batch_norm, use_layer_norm, use_weight_norm: the blocks'
            normalization, at most one True (see `TCNBlock`).
        go_backwards: process the sequence reversed in time.
        return_state: only False: a TCN has no recurrent state (keras-tcn
            accepts True and ignores it; here it is an error).
        seed: integer seed of the dropout, or None.
        use_bias, bias_initializer, kernel_regularizer, bias_regularizer,
            kernel_constraint, bias_constraint: passed to every block.

    Call arguments:
        inputs: `(batch, timesteps, channels)`.
        mask: optional boolean `(batch, timesteps)`, True at real steps.
        training: whether dropout and batch statistics are on.

    Returns:
        `(batch, timesteps, F)`, or `(batch, F)` with
        `return_sequences=False` (F of the last block).

    Example:

    >>> layer = keras_seqlab.TCN(8, kernel_size=3, dilations=(1, 2, 4))
    >>> layer(np.zeros((2, 20, 1))).shape, layer.receptive_field
    ((2, 8), 29)
    """

    def __init__(
        self,
        nb_filters=64,
        kernel_size=3,
        nb_stacks=1,
        dilations=(1, 2, 4, 8, 16, 32),
        padding="causal",
        use_skip_connections=True,
        dropout_rate=0.0,
        return_sequences=False,
        activation="relu",
        kernel_initializer="he_normal",
        use_batch_norm=False,
        use_layer_norm=False,
        use_weight_norm=False,
        go_backwards=False,
        return_state=False,
        seed=None,
        use_bias=True,
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
        self.kernel_size = check_units(owner, kernel_size, "kernel_size")
        self.nb_stacks = check_units(owner, nb_stacks, "nb_stacks")
        self.dilations = check_dilations(owner, dilations)
        self.padding = check_padding(owner, padding)
        self.use_skip_connections = check_flag(
            owner, "use_skip_connections", use_skip_connections
        )
        self.nb_filters = check_filters(
            owner, nb_filters, self.dilations, self.use_skip_connections
        )
        self.dropout_rate = check_rate(owner, "dropout_rate", dropout_rate)
        self.return_sequences = check_flag(
            owner, "return_sequences", return_sequences
        )
        self.activation = activations.get(activation)
        check_normalization(
            owner, use_batch_norm, use_layer_norm, use_weight_norm
        )
        self.use_batch_norm = use_batch_norm
        self.use_layer_norm = use_layer_norm
        self.use_weight_norm = use_weight_norm
        self.go_backwards = check_flag(owner, "go_backwards", go_backwards)
        if return_state is not False:
            raise ValueError(
                f"{owner}: `return_state` must be False (a TCN keeps no "
                f"recurrent state to return), got {return_state!r}."
            )
        self.return_state = False
        self.seed = check_seed(owner, seed)
        filters = self.nb_filters
        if not isinstance(filters, tuple):
            filters = (filters,) * len(self.dilations)
        self.blocks = []
        for d, f in zip(
            self.dilations * self.nb_stacks, filters * self.nb_stacks
        ):
            i = len(self.blocks)
            self.blocks.append(
                TCNBlock(
                    f,
                    kernel_size=self.kernel_size,
                    dilation_rate=d,
                    padding=self.padding,
                    activation=self.activation,
                    dropout_rate=self.dropout_rate,
                    use_batch_norm=use_batch_norm,
                    use_layer_norm=use_layer_norm,
                    use_weight_norm=use_weight_norm,
                    seed=None if self.seed is None else self.seed + 2 * i,
                    name=f"residual_block_{i}",
                    dtype=self.dtype_policy,
                    **self._weight_arguments(),
                )
            )
        self.filters = self.blocks[-1].filters

    @property
    def receptive_field(self):
        """1 + 2·(k − 1)·nb_stacks·Σ d: the steps one output depends on."""
        return receptive_field(
            self.kernel_size, self.dilations, self.nb_stacks, block="tcn"
        )

    def build(self, inputs_shape):
        check_channels(layer_owner(self), inputs_shape, None)
        shape = tuple(inputs_shape)
        for block in self.blocks:
            block.build(shape)
            shape = (*shape[:-1], block.filters)

    def call(self, inputs, mask=None, training=False):
        owner = layer_owner(self)
        check_channels(owner, inputs.shape, self.blocks[0].input_channels)
        mask = check_mask(owner, inputs, mask)
        h = inputs
        if self.go_backwards:
            h = ops.flip(h, 1)
            mask = None if mask is None else ops.flip(mask, 1)
        skips = []
        for block in self.blocks:
            h, skip = block(h, mask=mask, training=training)
            skips.append(skip)
        y = self.combine(skips, h, mask)
        if self.return_sequences:
            return y
        if mask is None:
            index = -1 if self.padding == "causal" else ops.shape(y)[1] // 2
            return y[:, index, :]
        select = last_step if self.padding == "causal" else middle_step
        return ops.sum(y * ops.expand_dims(select(mask, y.dtype), -1), 1)

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`StackSteps`): causal, forwards only."""
        check_causal(self)
        return super().initial_step_state(batch_size, dtype)

    def combine(self, skips, h, mask):
        """Σ s_i with skip connections, else the last block's output."""
        return sum(skips) if self.use_skip_connections else h

    def compute_output_shape(self, inputs_shape):
        check_channels(
            layer_owner(self), inputs_shape, self.blocks[0].input_channels
        )
        inputs_shape = tuple(inputs_shape)
        if self.return_sequences:
            return (*inputs_shape[:-1], self.filters)
        return (inputs_shape[0], self.filters)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            return None
        return ops.flip(mask, 1) if self.go_backwards else mask

    def get_config(self):
        filters = self.nb_filters
        config = {
            "nb_filters": list(filters)
            if isinstance(filters, tuple)
            else filters,
            "kernel_size": self.kernel_size,
            "nb_stacks": self.nb_stacks,
            "dilations": list(self.dilations),
            "padding": self.padding,
            "use_skip_connections": self.use_skip_connections,
            "dropout_rate": self.dropout_rate,
            "return_sequences": self.return_sequences,
            "activation": activations.serialize(self.activation),
            "use_batch_norm": self.use_batch_norm,
            "use_layer_norm": self.use_layer_norm,
            "use_weight_norm": self.use_weight_norm,
            "go_backwards": self.go_backwards,
            "return_state": self.return_state,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


STACK = {"nb_filters": 4, "dilations": (1, 2)}


def _case(name, kwargs, mask=None, gradients=True, training=False):
    """A reference case of `seqlab check` (`testing.reference_check`): a
    stack on (2, 8, 3) inputs."""
    setup = {"batch": 2, "timesteps": 8, "input_dim": 3, "mask": mask}
    return {
        "kind": "tcn",
        "name": name,
        "layer": TCN,
        "layer_kwargs": {**STACK, **kwargs},
        "step_options": {"training": training},
        "forward_setups": () if gradients else (setup,),
        "gradient_setups": (setup,) if gradients else (),
    }


REFERENCE_CASES = (
    _case("TCN", {}),
    _case(
        "TCN 2 stacks k2, sequences",
        {"return_sequences": True, "nb_stacks": 2, "kernel_size": 2},
        gradients=False,
    ),
    _case("TCN no skips", {"use_skip_connections": False}, "right"),
    _case("TCN same", {"padding": "same"}, "left"),
    _case(
        "TCN same, sequences",
        {"padding": "same", "return_sequences": True},
        gradients=False,
    ),
    _case(
        "TCN backwards, sequences",
        {"go_backwards": True, "return_sequences": True},
        "left",
    ),
    _case("TCN backwards", {"go_backwards": True}, "right", gradients=False),
    _case(
        "TCN batch norm, sequences, training",
        {"use_batch_norm": True, "return_sequences": True},
        gradients=False,
        training=True,
    ),
    _case("TCN layer norm", {"use_layer_norm": True}),
    _case(
        "TCN weight norm, sequences",
        {"use_weight_norm": True, "return_sequences": True},
        "left",
    ),
    _case(
        "TCN filters per block, no skips",
        {"nb_filters": [3, 5], "use_skip_connections": False},
    ),
)
