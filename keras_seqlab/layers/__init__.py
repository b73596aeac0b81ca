"""Layers, by kind: `recurrent/` (the cells and their layers),
`convolutional/` (WaveNet, TCN), `attention/` (the Transformer block,
attention pooling, positional encoding) and `heads/` (the forecasting
layers around a model). `stepping` holds the step protocol's helpers.

Every class here is registered for `.keras` serialization under the
package name `keras_seqlab` (`utils.export.seqlab_export`), which also
makes it public: `__all__` is read from that registry.
"""

# ruff: noqa: F401 (the names are public through `__all__`, read below)

from keras_seqlab.layers.attention.block import AttentionBlock
from keras_seqlab.layers.attention.pooling import AttentionPooling
from keras_seqlab.layers.attention.positional import PositionalEncoding
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.tcn import TCNBlock
from keras_seqlab.layers.convolutional.tcn_stack import TCN
from keras_seqlab.layers.convolutional.wavenet import WaveNetBlock
from keras_seqlab.layers.convolutional.wavenet_stack import WaveNet
from keras_seqlab.layers.heads.forecast import ForecastSpec
from keras_seqlab.layers.heads.forecast import Rescale
from keras_seqlab.layers.heads.forecast import Unstandardize
from keras_seqlab.layers.heads.forecast import WindowStandardize
from keras_seqlab.layers.heads.persistence import Persistence
from keras_seqlab.layers.heads.quantiles import ConformalInterval
from keras_seqlab.layers.heads.quantiles import QuantileHead
from keras_seqlab.layers.heads.quantiles import RepeatQuantiles
from keras_seqlab.layers.heads.quantiles import model_quantiles
from keras_seqlab.layers.heads.window import FixedWindow
from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.esn import ESN
from keras_seqlab.layers.recurrent.esn import ESNCell
from keras_seqlab.layers.recurrent.gru_variants import VARIANTS as GRU_VARIANTS
from keras_seqlab.layers.recurrent.gru_variants import GRUVariant
from keras_seqlab.layers.recurrent.gru_variants import GRUVariantCell
from keras_seqlab.layers.recurrent.ln_lstm import LayerNormLSTM
from keras_seqlab.layers.recurrent.ln_lstm import LayerNormLSTMCell
from keras_seqlab.layers.recurrent.ln_simple_rnn import LayerNormSimpleRNNCell
from keras_seqlab.layers.recurrent.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.layers.recurrent.ln_simple_rnn import LNSimpleRNNCell
from keras_seqlab.layers.recurrent.min_rnn import MinGRU
from keras_seqlab.layers.recurrent.min_rnn import MinGRUCell
from keras_seqlab.layers.recurrent.min_rnn import MinLSTM
from keras_seqlab.layers.recurrent.min_rnn import MinLSTMCell
from keras_seqlab.layers.recurrent.nas import NAS
from keras_seqlab.layers.recurrent.nas import NASCell
from keras_seqlab.layers.recurrent.peephole_lstm import PeepholeLSTM
from keras_seqlab.layers.recurrent.peephole_lstm import PeepholeLSTMCell
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.layers.recurrent.rnn import SeqlabRNN
from keras_seqlab.utils.export import exported

# The classes registered with `seqlab_export` in the modules imported above
# (a new layer is public once its module is imported here), the base
# classes and the functions.
__all__ = [
    *exported(__name__),
    "CellRNN",
    "GRU_VARIANTS",
    "RecurrentCell",
    "model_quantiles",
    "receptive_field",
]
