"""keras_seqlab: sequence-model layers for Keras 3 on TensorFlow, JAX, PyTorch.

Every cell and layer here is checked, forward values and gradients, against
the pure-Python reference in `keras_seqlab.reference` on each backend.
"""

from keras_seqlab.gru_variants import VARIANTS as GRU_VARIANTS
from keras_seqlab.gru_variants import GRUVariant
from keras_seqlab.gru_variants import GRUVariantCell
from keras_seqlab.ln_simple_rnn import LayerNormSimpleRNNCell
from keras_seqlab.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.ln_simple_rnn import LNSimpleRNNCell
from keras_seqlab.peephole_lstm import PeepholeLSTM
from keras_seqlab.peephole_lstm import PeepholeLSTMCell
from keras_seqlab.recurrent import RecurrentCell
from keras_seqlab.recurrent import SeqlabRNN

__version__ = "0.1.0"

__all__ = [
    "GRU_VARIANTS",
    "GRUVariant",
    "GRUVariantCell",
    "LNSimpleRNN",
    "LNSimpleRNNCell",
    "LayerNormSimpleRNNCell",
    "PeepholeLSTM",
    "PeepholeLSTMCell",
    "RecurrentCell",
    "SeqlabRNN",
]
