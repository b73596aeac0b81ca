"""keras_seqlab: sequence-model layers for Keras 3 on TensorFlow, JAX, PyTorch.

Every cell and layer here is checked, forward values and gradients, against
the pure-Python reference in `keras_seqlab.reference` on each backend.
"""

from keras_seqlab import compare
from keras_seqlab import datasets
from keras_seqlab import models
from keras_seqlab import windows
from keras_seqlab.attention import AttentionBlock
from keras_seqlab.attention import AttentionPooling
from keras_seqlab.attention import PositionalEncoding
from keras_seqlab.datasets import SeriesData
from keras_seqlab.datasets import load_csv
from keras_seqlab.datasets import load_weather
from keras_seqlab.datasets import synthetic_series
from keras_seqlab.gru_variants import VARIANTS as GRU_VARIANTS
from keras_seqlab.gru_variants import GRUVariant
from keras_seqlab.gru_variants import GRUVariantCell
from keras_seqlab.ln_simple_rnn import LayerNormSimpleRNNCell
from keras_seqlab.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.ln_simple_rnn import LNSimpleRNNCell
from keras_seqlab.min_rnn import MinGRU
from keras_seqlab.min_rnn import MinGRUCell
from keras_seqlab.min_rnn import MinLSTM
from keras_seqlab.min_rnn import MinLSTMCell
from keras_seqlab.models import Persistence
from keras_seqlab.models import build
from keras_seqlab.models import build_classifier
from keras_seqlab.models import forecast_autoregressive
from keras_seqlab.peephole_lstm import PeepholeLSTM
from keras_seqlab.peephole_lstm import PeepholeLSTMCell
from keras_seqlab.recurrent import RecurrentCell
from keras_seqlab.recurrent import SeqlabRNN
from keras_seqlab.wavenet import WaveNet
from keras_seqlab.wavenet import WaveNetBlock
from keras_seqlab.wavenet import receptive_field
from keras_seqlab.windows import Scaler
from keras_seqlab.windows import WindowedSeries
from keras_seqlab.windows import make_windows
from keras_seqlab.windows import split_gap
from keras_seqlab.windows import temporal_split
from keras_seqlab.windows import window_count

__version__ = "0.1.0"

__all__ = [
    "AttentionBlock",
    "AttentionPooling",
    "GRUVariant",
    "GRUVariantCell",
    "GRU_VARIANTS",
    "LNSimpleRNN",
    "LNSimpleRNNCell",
    "LayerNormSimpleRNNCell",
    "MinGRU",
    "MinGRUCell",
    "MinLSTM",
    "MinLSTMCell",
    "PeepholeLSTM",
    "PeepholeLSTMCell",
    "Persistence",
    "PositionalEncoding",
    "RecurrentCell",
    "Scaler",
    "SeqlabRNN",
    "SeriesData",
    "WaveNet",
    "WaveNetBlock",
    "WindowedSeries",
    "build",
    "build_classifier",
    "compare",
    "datasets",
    "forecast_autoregressive",
    "load_csv",
    "load_weather",
    "make_windows",
    "models",
    "receptive_field",
    "split_gap",
    "synthetic_series",
    "temporal_split",
    "window_count",
    "windows",
]
