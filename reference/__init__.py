"""keras_seqlab.reference: an executable specification of every cell.

This package states the equations of the recurrent cells of
``keras_seqlab`` as small, readable pure-Python functions. It uses only the
standard library (no numpy, no keras): vectors are lists of floats,
matrices are lists of rows, and gradients come from a scalar reverse-mode
autodiff (:class:`Value`, :func:`backward`, :func:`value_and_grad`). The
Keras layers are tested against it, forward values and gradients, on
every backend.

Modules:
    autodiff     scalar reverse-mode autodiff (Value, backward, lift, ...)
    linalg       vector and matrix helpers on lists (vecmat, layer_norm, ...)
    activations  scalar activations by Keras name (Keras 3 hard_sigmoid)
    cells        one step function per cell; ``STEPS``: every step
                 (min_rnn's and addons_cells' too) by its Keras layer's name
    addons_cells the TensorFlow Addons cells: layer-normalized LSTM,
                 NAS, echo state network
    sequence     ``run_sequence``/``run_batch``: Keras RNN loop semantics
    min_rnn      minGRU / minLSTM steps and the linear recurrence they solve
    attention    softmax, multi-head attention, the attention block,
                 additive pooling, sinusoidal positional encoding
    wavenet      dilated causal conv1d, WaveNet block and stack
    tcn          causal/same conv1d, the TCN residual block and stack
    windows      ``make_windows``: the obvious double loop over a series

Example::

    from keras_seqlab import reference as ref

    def loss(params, x, states):
        output, _ = ref.lstm_step(params, x, states)
        return sum(output, ref.Value(0.0))

    value, (d_params, d_x, d_states) = ref.value_and_grad(
        loss, params, x, states
    )
"""

from .activations import ACTIVATIONS
from .activations import activation
from .activations import apply
from .addons_cells import esn_step
from .addons_cells import ln_lstm_addons_step
from .addons_cells import ln_lstm_ba2016_step
from .addons_cells import nas_step
from .attention import add_positional_encoding
from .attention import additive_pooling
from .attention import attention_block
from .attention import attention_mask
from .attention import dense
from .attention import layer_norm_affine
from .attention import multi_head_attention
from .attention import positional_encoding
from .attention import softmax
from .autodiff import Value
from .autodiff import backward
from .autodiff import grads
from .autodiff import lift
from .autodiff import lower
from .autodiff import value_and_grad
from .cells import STEPS
from .cells import gru1_step
from .cells import gru2_step
from .cells import gru3_step
from .cells import gru_reset_after_step
from .cells import gru_reset_before_step
from .cells import ln_simple_rnn_addons_step
from .cells import ln_simple_rnn_step
from .cells import lstm_step
from .cells import mgu_step
from .cells import peephole_lstm_step
from .cells import simple_rnn_step
from .cells import state_count
from .linalg import add
from .linalg import columns
from .linalg import layer_norm
from .linalg import mean
from .linalg import mul
from .linalg import one_minus
from .linalg import ones
from .linalg import scale
from .linalg import split
from .linalg import sub
from .linalg import vecmat
from .linalg import zeros
from .min_rnn import linear_recurrence
from .min_rnn import min_gru_coefficients
from .min_rnn import min_gru_step
from .min_rnn import min_lstm_coefficients
from .min_rnn import min_lstm_step
from .sequence import run_batch
from .sequence import run_sequence
from .tcn import tcn_block
from .tcn import tcn_stack
from .wavenet import causal_conv1d
from .wavenet import receptive_field
from .wavenet import wavenet_block
from .wavenet import wavenet_stack
from .windows import make_windows

__all__ = [
    "ACTIVATIONS",
    "STEPS",
    "Value",
    "activation",
    "add",
    "add_positional_encoding",
    "additive_pooling",
    "apply",
    "attention_block",
    "attention_mask",
    "backward",
    "causal_conv1d",
    "columns",
    "dense",
    "esn_step",
    "grads",
    "gru1_step",
    "gru2_step",
    "gru3_step",
    "gru_reset_after_step",
    "gru_reset_before_step",
    "layer_norm",
    "layer_norm_affine",
    "lift",
    "linear_recurrence",
    "ln_lstm_addons_step",
    "ln_lstm_ba2016_step",
    "ln_simple_rnn_addons_step",
    "ln_simple_rnn_step",
    "lower",
    "lstm_step",
    "make_windows",
    "mean",
    "mgu_step",
    "min_gru_coefficients",
    "min_gru_step",
    "min_lstm_coefficients",
    "min_lstm_step",
    "mul",
    "multi_head_attention",
    "nas_step",
    "one_minus",
    "ones",
    "peephole_lstm_step",
    "positional_encoding",
    "receptive_field",
    "run_batch",
    "run_sequence",
    "scale",
    "simple_rnn_step",
    "softmax",
    "split",
    "state_count",
    "sub",
    "tcn_block",
    "tcn_stack",
    "value_and_grad",
    "vecmat",
    "wavenet_block",
    "wavenet_stack",
    "zeros",
]
