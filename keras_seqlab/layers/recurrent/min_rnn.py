"""minGRU and minLSTM (Feng et al. 2024): recurrences a parallel scan solves.

Both cells compute their gates from x_t alone, so a step is linear in the
state, h_t = a_t ⊙ h_{t-1} + b_t. The layers `MinGRU` and `MinLSTM` run it
either step by step (`mode="sequential"`, Keras's RNN loop over the cell,
the form that also streams one step at a time) or for the whole sequence
at once (`mode="parallel"`, a parallel prefix scan over the pairs
(a_t, b_t) with the associative combination
(a1, b1) ∘ (a2, b2) = (a1 ⊙ a2, a2 ⊙ b1 + b2)). The two give the same
numbers up to float rounding, masks, initial states and `go_backwards`
included.
"""

import keras
from keras import ops

from keras_seqlab.layers.recurrent._scan import accelerator_present
from keras_seqlab.layers.recurrent._scan import linear_scan
from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_units

MODES = ("auto", "sequential", "parallel")

# RecurrentCell arguments that these cells have no use for (no recurrent
# kernel, no candidate activation): kept out of their configs.
_UNUSED_CONFIG = (
    "activation",
    "recurrent_initializer",
    "recurrent_regularizer",
    "recurrent_constraint",
)


def _check_recurrent_dropout(owner, value):
    value = check_rate(owner, "recurrent_dropout", value)
    if value > 0:
        raise ValueError(
            f"{owner}: `recurrent_dropout` must be 0, got {value!r}: the "
            "gates see x_t only, so there is no recurrent matmul whose "
            "input h_{t-1} could be dropped. Use `dropout` (on x_t)."
        )
    return value


class _MinRNNCell(RecurrentCell):
    """Shared base: kernel (D, k·H), bias (k·H,), h_t = a ⊙ h_{t-1} + b."""

    blocks = None

    def __init__(
        self,
        units,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        check_units(owner, units)
        check_rate(owner, "dropout", dropout)
        _check_recurrent_dropout(owner, recurrent_dropout)
        unused = [key for key in _UNUSED_CONFIG if key in kwargs]
        if unused:
            raise ValueError(
                f"{owner}: unexpected argument(s) {', '.join(unused)}: "
                "there is no recurrent kernel and no candidate activation."
            )
        super().__init__(
            units,
            activation="linear",
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )

    def build_weights(self, input_dim):
        self.kernel = self.add_weight(
            shape=(input_dim, self.blocks * self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_bias((self.blocks * self.units,))

    def input_bias(self):
        # Every bias term is on the input side: `project_inputs` adds all.
        return self.bias

    def coefficients(self, projected):
        """(a, b) of h_t = a ⊙ h_{t-1} + b from the projected input."""
        raise NotImplementedError

    def recurrent_step(self, projected, states, training=False):
        a, b = self.coefficients(projected)
        h = a * states[0] + b
        return h, [h]

    def get_config(self):
        config = super().get_config()
        for key in _UNUSED_CONFIG:
            config.pop(key)
        return config


@seqlab_export
class MinGRUCell(_MinRNNCell):
    """minGRU cell (Feng et al. 2024, "Were RNNs All We Needed?").

    The gate and the candidate depend on x_t only; the update uses the
    paper's convention, flipped against Keras's GRU (z is the share of the
    candidate):

        z   = σ(x_t W_z + b_z)
        h̃   = x_t W_h + b_h            (no activation)
        h_t = (1 − z) ⊙ h_{t-1} + z ⊙ h̃

    Weights: `kernel` (D, 2H) in column order z, h; `bias` (2H,). There is
    no recurrent kernel. Computed as h_t = σ(−a_z) ⊙ h_{t-1} + σ(a_z) ⊙ h̃
    (1 − σ(a) = σ(−a), without cancellation).

    Args:
        units: positive integer, H.
        use_bias: whether the gate and candidate have the bias b.
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, kernel_constraint, bias_constraint: for `kernel`
            and `bias`, as in `keras.layers.GRUCell`.
        dropout: rate in [0, 1) of variational dropout on x_t (one mask
            per sequence, drawn by `keras_seqlab.SeqlabRNN` or the
            `MinGRU` layer before the time loop).
        recurrent_dropout: must be 0 (a non-zero rate raises a
            `ValueError`): there is no recurrent matmul to drop inputs of.
        seed: seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`; states: `[h]` or `h`; training.

    Returns `(h_t, [h_t])`, so it works inside `keras.layers.RNN`,
    `StackedRNNCells` and `Bidirectional`. The `MinGRU` layer adds the
    parallel scan over a whole sequence.

    Example:

    >>> cell = keras_seqlab.MinGRUCell(4)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    blocks = 2

    def coefficients(self, projected):
        x_z, x_h = ops.split(projected, 2, axis=-1)
        return ops.sigmoid(-x_z), ops.sigmoid(x_z) * x_h


@seqlab_export
class MinLSTMCell(_MinRNNCell):
    """minLSTM cell (Feng et al. 2024, "Were RNNs All We Needed?").

    Forget and input gates depend on x_t only and are normalized to sum
    to one; h is the only state (no cell state, no output gate):

        f   = σ(x_t W_f + b_f),   i = σ(x_t W_i + b_i)
        f'  = f / (f + i),        i' = i / (f + i)
        h̃   = x_t W_h + b_h        (no activation)
        h_t = f' ⊙ h_{t-1} + i' ⊙ h̃

    Weights: `kernel` (D, 3H) in column order f, i, h; `bias` (3H,). There
    is no recurrent kernel. f' is computed as σ(log σ(a_f) − log σ(a_i))
    and i' = σ(log σ(a_i) − log σ(a_f)): the same numbers, but no 0/0 where
    both sigmoids underflow.

    Args: those of `MinGRUCell`.

    Call arguments:
        inputs: `(batch, features)`; states: `[h]` or `h`; training.

    Example:

    >>> cell = keras_seqlab.MinLSTMCell(4)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    blocks = 3

    def coefficients(self, projected):
        x_f, x_i, x_h = ops.split(projected, 3, axis=-1)
        log_ratio = ops.log_sigmoid(x_f) - ops.log_sigmoid(x_i)
        return ops.sigmoid(log_ratio), ops.sigmoid(-log_ratio) * x_h


class _MinRNN(CellRNN):
    """Shared base of `MinGRU` and `MinLSTM`: the mode and the scan."""

    def __init__(
        self,
        units,
        mode="auto",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        owner = self.__class__.__name__
        check_units(owner, units)
        check_choice(owner, "mode", mode, MODES)
        check_rate(owner, "dropout", dropout)
        _check_recurrent_dropout(owner, recurrent_dropout)
        super().__init__(
            units,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        self.mode = mode

    @property
    def resolved_mode(self):
        """`"sequential"` or `"parallel"`: what `mode` means here.

        `"auto"` is `"parallel"` when the backend's default device is an
        accelerator (GPU, TPU, ...) and `"sequential"` on a CPU, where the
        scan did not pay (see the class docstring for the numbers).
        """
        if self.mode != "auto":
            return self.mode
        return "parallel" if accelerator_present() else "sequential"

    def time_loop(self, sequences, initial_state, mask, training):
        if self.resolved_mode == "parallel" and self._scan_applies(sequences):
            return self._parallel_loop(sequences, initial_state, mask, training)
        return super().time_loop(sequences, initial_state, mask, training)

    def _scan_applies(self, sequences):
        # The scan unrolls log2(T) levels at trace time. JAX and PyTorch
        # always know T; TensorFlow may trace with T = None.
        return sequences.shape[1] is not None

    def _parallel_loop(self, sequences, initial_state, mask, training):
        """The whole sequence at once: (a_t, b_t) for every t, then a scan."""
        cell = self.cell
        sequences = cell.drop_inputs(sequences, training)
        a, b = cell.coefficients(cell.project_inputs(sequences))
        h0 = initial_state[0]
        if self.go_backwards:
            a, b = ops.flip(a, axis=1), ops.flip(b, axis=1)
        if mask is not None:
            real = mask[:, :, None]
            if self.go_backwards:
                real = ops.flip(real, axis=1)
            a = ops.where(real, a, ops.ones_like(a))
            b = ops.where(real, b, ops.zeros_like(b))
        dtype = keras.backend.standardize_dtype(a.dtype)
        # A scan accumulates over all T steps: 16-bit floats run it in
        # float32, as mixed precision does with reductions.
        scan_dtype = "float32" if dtype in ("float16", "bfloat16") else dtype
        a = ops.cast(a, scan_dtype)
        b = ops.cast(b, scan_dtype)
        h0 = ops.cast(h0, scan_dtype)
        # h_0 folds into the first pair: b_1 += a_1 ⊙ h_0.
        b = ops.concatenate([b[:, :1] + a[:, :1] * h0[:, None, :], b[:, 1:]], 1)
        states = ops.cast(linear_scan(a, b), dtype)
        final_state = states[:, -1]
        outputs = states
        # Masked steps repeat the previous output, which is the carried
        # state; SeqlabRNN.inner_loop applies the mask rule (zeros before
        # the first real step) to what this returns.
        if mask is not None and self.zero_output_for_mask:
            outputs = ops.where(real, states, ops.zeros_like(states))
        last_output = outputs[:, -1]
        if not self.return_sequences:
            outputs = last_output[:, None, :]
        return last_output, outputs, [final_state]

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


_LAYER_DOC = """

    A `keras_seqlab.SeqlabRNN` (a `keras.layers.RNN`) over a `{cell}`.

    Two ways to compute the same numbers (they agree to float rounding,
    also with masks, a non-zero initial state and `go_backwards`):

    - `mode="sequential"`: Keras's RNN loop over the cell, one step after
      another (on PyTorch the `SeqlabRNN` loop over the hoisted `x W`);
      linear in T, depth T.
    - `mode="parallel"`: (a_t, b_t) for all steps at once, masked steps
      set to (1, 0) so they carry the state, the initial state folded in
      as b_1 += a_1 ⊙ h_0, then a parallel prefix scan (log-depth; JAX:
      `keras.ops.associative_scan`, TensorFlow and PyTorch: the same
      scan in `keras.ops`, see `linear_scan`). 16-bit compute dtypes scan
      in float32. On TensorFlow an unknown number of time steps falls back
      to the sequential path. `unroll` only concerns the sequential path.
      This solves exactly the equations above; the paper's log-space
      variant (candidate g(h̃), g(x) = x + 0.5 for x >= 0, else σ(x)) is
      another model and is not offered.
    - `mode="auto"` (default): `resolved_mode` says which one runs. The
      rule: parallel when the backend's default device is an accelerator
      (GPU, TPU, ...: what the scan is for), sequential on a CPU, where
      `benchmarks/min_rnn.py` found no gain worth a rule (its figures:
      benchmarks/README.md).

    Mixed precision: the state is linear in the inputs (no squashing
    activation), so inputs of scale 100 give gradients near 1e4, and under
    `mixed_float16` Keras's `LossScaleOptimizer` skips the first steps
    while it halves its loss scale from 2^15 until scale x gradient fits in
    float16 (11 to 14 steps in our tests). Nothing inside the layer overflows
    before that bound (the scan runs in float32); scaled inputs avoid it.

    Masks (left or right padded) are honoured as in `SeqlabRNN`: a masked
    step carries the state, its output repeats the previous one (zeros
    before the first real step, or always with `zero_output_for_mask`).
    `go_backwards` processes the reversed sequence and returns the outputs
    in processing order, as Keras does. `return_sequences`,
    `return_state` and `stateful` work as in `keras.layers.RNN`.

    Args:
        units: positive integer, H.
        mode: `"auto"`, `"sequential"` or `"parallel"`.
        use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, kernel_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: as in
            `{cell}` (`dropout` is one mask on x_t per sequence;
            `recurrent_dropout` must be 0).
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: as in `keras.layers.RNN`.
        **kwargs: layer arguments (`name`, `dtype`, ...).

    Call arguments:
        sequences: `(batch, timesteps, features)`, features known.
        initial_state: `[h_0]` or `h_0`, `(batch, units)`.
        mask: boolean `(batch, timesteps)`, True for real steps.
        training: whether dropout applies.

    Output shapes: `(batch, units)`, or `(batch, timesteps, units)` with
    `return_sequences`; with `return_state` also the final `h`.
"""


@seqlab_export
class MinGRU(_MinRNN):
    __doc__ = (
        """minGRU layer (Feng et al. 2024): a parallel scan or a loop.

    z = σ(x_t W_z + b_z), h̃ = x_t W_h + b_h,
    h_t = (1 − z) ⊙ h_{t-1} + z ⊙ h̃ (the paper's convention, flipped
    against `keras.layers.GRU`)."""
        + _LAYER_DOC.format(cell="MinGRUCell")
        + """
    Example:

    >>> layer = keras_seqlab.MinGRU(4, mode="parallel")
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 4)
    """
    )

    cell_class = MinGRUCell


@seqlab_export
class MinLSTM(_MinRNN):
    __doc__ = (
        """minLSTM layer (Feng et al. 2024): a parallel scan or a loop.

    f = σ(x_t W_f + b_f), i = σ(x_t W_i + b_i), f' = f / (f + i),
    i' = i / (f + i), h̃ = x_t W_h + b_h, h_t = f' ⊙ h_{t-1} + i' ⊙ h̃."""
        + _LAYER_DOC.format(cell="MinLSTMCell")
        + """
    Example:

    >>> layer = keras_seqlab.MinLSTM(4, mode="parallel")
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 4)
    """
    )

    cell_class = MinLSTMCell


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
# Both paths of each layer; besides the harness's usual setups, a longer
# odd-length sequence and initial states together with masks.
REFERENCE_CASES = tuple(
    {
        "kind": "recurrent",
        "name": f"{layer.__name__} {mode}",
        "layer": layer,
        "step": step,
        "layer_kwargs": {"mode": mode},
        "forward_setups": (
            {"mask": "left", "initial_state": True, "return_sequences": False},
            {
                "mask": "right",
                "go_backwards": True,
                "initial_state": True,
                "timesteps": 9,
            },
        ),
        "gradient_setups": (
            {
                "mask": "left",
                "go_backwards": True,
                "return_sequences": False,
                "initial_state": True,
                "seed": 1,
            },
        ),
    }
    for layer, step in ((MinGRU, "min_gru"), (MinLSTM, "min_lstm"))
    for mode in ("sequential", "parallel")
)
