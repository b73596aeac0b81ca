"""Model builders: every architecture of the teaching material, one signature.

Every forecasting builder is called the same way,

    build_<name>(input_shape, head="many_to_one", horizon=1, units=32,
                 depth=None, dropout=0.0, recurrent_dropout=0.0,
                 n_targets=1, quantiles=None, **options)

and returns an uncompiled functional `keras.Model` made of Keras layers and
keras_seqlab layers only (no `Lambda`), so `model.save("m.keras")` and
`keras.saving.load_model("m.keras", safe_mode=True)` round-trip. `build(name,
...)` looks the builder up by name; `names()` lists them.

Heads and output shapes (T = window length, H = `horizon`, n =
`n_targets`):

    head              output (one target; n > 1 targets)
    many_to_one       (batch, 1);     (batch, n)
    seq_to_vector     (batch, H);     (batch, H, n)
    seq_to_seq        (batch, T, H);  (batch, T, H, n)

(with `quantiles=(q_1, ..., q_Q)` a trailing axis of the Q quantile
forecasts, never crossing), which are the shapes of
`make_windows(..., horizon=H)` targets for one
target column (`(N, 1)`, `(N, H)`, with `seq2seq=True` `(N, T, H)`) and
for n target columns (`(N, H, n)`, `(N, T, H, n)`).

`"many_to_one"` is the next value (H = 1); for several target columns
`make_windows` gives `(N, 1, n)`, use `y[:, 0]` (or the `"seq_to_vector"`
head with `horizon=1`, which keeps that axis). `"seq_to_seq"` puts a
forecast of the next H values at every input step, with a `Dense` applied
at each step of `return_sequences` outputs (what `TimeDistributed(Dense)`
computes); every seq-to-seq model here is causal: the output at step t
depends on inputs up to step t only (a bidirectional layer is not, and has
no seq-to-seq head).
"""

# Importing the builders registers them.
from keras_seqlab.layers.persistence import Persistence
from keras_seqlab.models import builders
from keras_seqlab.models.autoregressive import forecast_autoregressive
from keras_seqlab.models.builders import build_attention
from keras_seqlab.models.builders import build_bidirectional
from keras_seqlab.models.builders import build_conv_gru
from keras_seqlab.models.builders import build_dense
from keras_seqlab.models.builders import build_gru
from keras_seqlab.models.builders import build_gru_variant
from keras_seqlab.models.builders import build_linear
from keras_seqlab.models.builders import build_ln_simple_rnn
from keras_seqlab.models.builders import build_lstm
from keras_seqlab.models.builders import build_min_gru
from keras_seqlab.models.builders import build_min_lstm
from keras_seqlab.models.builders import build_peephole_lstm
from keras_seqlab.models.builders import build_persistence
from keras_seqlab.models.builders import build_simple_rnn
from keras_seqlab.models.builders import build_stacked_lstm
from keras_seqlab.models.builders import build_stacked_rnn
from keras_seqlab.models.builders import build_wavenet
from keras_seqlab.models.classifier import build_classifier
from keras_seqlab.models.parts import RECURRENT_CELLS
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.models.registry import HEADS
from keras_seqlab.models.registry import build
from keras_seqlab.models.registry import get_builder
from keras_seqlab.models.registry import names
from keras_seqlab.models.registry import supported_heads

__all__ = [
    "HEADS",
    "Persistence",
    "RECURRENT_CELLS",
    "build",
    "build_classifier",
    "build_persistence",
    "build_linear",
    "build_dense",
    "build_simple_rnn",
    "build_stacked_rnn",
    "build_lstm",
    "build_stacked_lstm",
    "build_gru",
    "build_ln_simple_rnn",
    "build_peephole_lstm",
    "build_gru_variant",
    "build_min_gru",
    "build_min_lstm",
    "build_conv_gru",
    "build_wavenet",
    "build_attention",
    "build_bidirectional",
    "builders",
    "forecast_autoregressive",
    "get_builder",
    "names",
    "recurrent_layer",
    "supported_heads",
]
