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
computes; with `output="recurrent"` the recurrent builders make their
last recurrent layer the output instead, same shapes); `conv_gru` with
strides > 1 or valid padding forecasts at its conv's output steps only
(cut the targets with `conv_targets`); every seq-to-seq model here is
causal: the output at step t depends on inputs up to step t only (a
bidirectional layer is not, and has no seq-to-seq head).

Window length. `linear`, `dense` (every head) and `attention` with
`pooling="last"` (its vector heads) depend on the window length: they need
a fixed one (`input_shape=(T, features)`), and a `FixedWindow` layer makes
them refuse any other length with a `ValueError` that names the model and
T (or Keras's own input-shape error, which names both too), on every
backend, when called, in `predict`, `predict_on_batch`, `fit` and
`evaluate`; only where TensorFlow traces with an unknown length (a
compiled step retraced for other lengths) is it TensorFlow's "Incompatible
shapes" error, at the `fixed_window` layer. (On JAX, Keras
leaves a model's variables purged after any error inside `predict`: reload
or rebuild it.) The others accept any length: `persistence`, the recurrent
builders (`simple_rnn`, `stacked_rnn`, `lstm`, `stacked_lstm`, `gru`,
`stacked_gru`, `ln_simple_rnn`, `peephole_lstm`, `ln_lstm`, `nas`, `esn`,
`gru_variant`, `min_gru`, `min_lstm`, `bidirectional`), `conv_gru`, `wavenet`,
`tcn` and `attention` with its default attention pooling (the positional
encoding is computed for the length it gets). Build those with
`input_shape=(None, features)` to use them on windows of several lengths;
built with a fixed T they keep only Keras's own input check, which Keras 3
does not make on every path (not in JAX's
`predict` and `predict_on_batch`, nor in TensorFlow's compiled steps once
retraced for another length): there they run on the other length.
"""

# Importing the builders registers them.
from keras_seqlab.layers.heads.persistence import Persistence
from keras_seqlab.models import builders
from keras_seqlab.models.autoregressive import forecast_autoregressive
from keras_seqlab.models.builders import build_attention
from keras_seqlab.models.builders import build_bidirectional
from keras_seqlab.models.builders import build_conv_gru
from keras_seqlab.models.builders import build_dense
from keras_seqlab.models.builders import build_linear
from keras_seqlab.models.builders import build_persistence
from keras_seqlab.models.builders import build_tcn
from keras_seqlab.models.builders import build_wavenet
from keras_seqlab.models.builders import conv_targets
from keras_seqlab.models.classifier import build_classifier
from keras_seqlab.models.parts import RECURRENT_CELLS
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.models.recurrent_builders import build_esn
from keras_seqlab.models.recurrent_builders import build_gru
from keras_seqlab.models.recurrent_builders import build_gru_variant
from keras_seqlab.models.recurrent_builders import build_ln_lstm
from keras_seqlab.models.recurrent_builders import build_ln_simple_rnn
from keras_seqlab.models.recurrent_builders import build_lstm
from keras_seqlab.models.recurrent_builders import build_min_gru
from keras_seqlab.models.recurrent_builders import build_min_lstm
from keras_seqlab.models.recurrent_builders import build_nas
from keras_seqlab.models.recurrent_builders import build_peephole_lstm
from keras_seqlab.models.recurrent_builders import build_simple_rnn
from keras_seqlab.models.recurrent_builders import build_stacked_gru
from keras_seqlab.models.recurrent_builders import build_stacked_lstm
from keras_seqlab.models.recurrent_builders import build_stacked_rnn
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
    "build_stacked_gru",
    "build_ln_simple_rnn",
    "build_peephole_lstm",
    "build_ln_lstm",
    "build_nas",
    "build_esn",
    "build_gru_variant",
    "build_min_gru",
    "build_min_lstm",
    "build_conv_gru",
    "build_wavenet",
    "build_tcn",
    "build_attention",
    "build_bidirectional",
    "builders",
    "conv_targets",
    "forecast_autoregressive",
    "get_builder",
    "names",
    "recurrent_layer",
    "supported_heads",
]
