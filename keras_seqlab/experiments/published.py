"""The published numbers `seqlab reproduce` compares against, with sources.

Géron, *Hands-On Machine Learning* (2nd ed.), chapter 15, as run in the
book's notebook `15_processing_sequences_using_rnns_and_cnns.ipynb` of
github.com/ageron/handson-ml2. Its outputs were committed three times by
independent runs of the same experiment code (checked: the cells differ
only in plotting, `lr` -> `learning_rate` and the naive 10-step fix):

- `729fec7` (2019-11-06),
- `07c00a6` (2021-02-16; the same outputs from `01e65c0`, 2020-04-05, to
  `38e4cce`, 2021-10-02),
- `d9a89eb` (2021-10-07, the notebook's last version).

Each value below is per run, in that order. `model.evaluate` values are
taken at full precision; where the notebook evaluates nothing, the last
epoch's `val_loss` or `val_last_time_step_mse` of the training log (20
epochs, printed to 4 decimals, so rounded to +-5e-5). The naive 10-step
MSE is from the two runs after the fix of `8342ab3` (2021-05-27; before
it the naive forecast was `Y_valid[:, -1:]`, 0.22278848).

The Carpentries-style recurrence lesson of the UW-Madison Data Science
Hub (github.com/UW-Madison-DataScience/deep-learning-intro, commit
`926e177`, notebook `notebooks/7-extended-advanced-layers-lstm-final-
inserted.ipynb`) has one run per model: cells 13 and 16 print the
unscaled test RMSE of its two LSTM models (hours of sunshine).
"""

import dataclasses

GERON_REPO = "ageron/handson-ml2"
GERON_NOTEBOOK = "15_processing_sequences_using_rnns_and_cnns.ipynb"
GERON_RUNS = ("729fec7", "07c00a6", "d9a89eb")
BASEL_REPO = "UW-Madison-DataScience/deep-learning-intro"
BASEL_NOTEBOOK = (
    "notebooks/7-extended-advanced-layers-lstm-final-inserted.ipynb"
)
BASEL_RUNS = ("926e177",)
LOG_ROUNDING = 5e-5  # a training log's 4 printed decimals


@dataclasses.dataclass(frozen=True)
class Published:
    """One published experiment: its values per run and where they are.

    Attributes:
        key: the row's name (`--rows`).
        title: what the experiment is.
        metric: what the value measures.
        values: the value of each published run (`runs` order); None
            where a run did not print it.
        runs: the commits the values come from.
        source: the notebook cell(s) and output line.
        rounding: how far a printed value may lie from the run's value.
        exact: a deterministic value (no training): ours must equal it.
    """

    key: str
    title: str
    metric: str
    values: tuple
    runs: tuple
    source: str
    rounding: float = 0.0
    exact: bool = False

    @property
    def value(self):
        """The last published run's value (the notebook as it is now)."""
        return [v for v in self.values if v is not None][-1]

    @property
    def spread(self):
        """(low, high) of the published runs, widened by the rounding;
        None when only one run printed the value."""
        values = [v for v in self.values if v is not None]
        if len(values) < 2:
            return None
        return min(values) - self.rounding, max(values) + self.rounding


def _g(key, title, metric, values, source, rounding=0.0, exact=False):
    return Published(
        key, title, metric, values, GERON_RUNS, source, rounding, exact
    )


_VAL = "val MSE"
_LAST = "val MSE, last step"
GERON = (
    _g("naive_1", "naive (last value), 1 step", _VAL,
       (0.020211367,) * 3, "cell 15 `np.mean(...(y_valid, y_pred))`",
       exact=True),
    _g("linear_1", "linear (Flatten + Dense(1))", _VAL,
       (0.004174048032611608, 0.004145486224442721, 0.004168087150901556),
       "cell 19 `model.evaluate(X_valid, y_valid)`"),
    _g("simple_rnn_1", "SimpleRNN(1), Adam lr 0.005", _VAL,
       (0.010848855562508107, 0.010885455474257469, 0.010881561785936356),
       "cell 24 `model.evaluate`"),
    _g("deep_rnn", "deep RNN 20-20-1 (recurrent output)", _VAL,
       (0.002889613825827837, 0.00293410531245172, 0.002910564187914133),
       "cell 29 `model.evaluate`"),
    _g("deep_rnn_dense", "deep RNN 20-20 + Dense(1)", _VAL,
       (0.002677031420171261, 0.0025768046267330646, 0.002623623702675104),
       "cell 34 `model.evaluate`"),
    _g("deep_rnn_iterative_10", "deep RNN + Dense(1), 10 steps one by one",
       "val MSE, 10 steps", (0.0285489, 0.027277283, 0.027510857),
       "cell 46 `np.mean(...(Y_valid, Y_pred))`"),
    _g("naive_10", "naive (last value repeated), 10 steps",
       "val MSE, 10 steps", (None, 0.25697407, 0.25697407),
       "cell 48 `np.mean(...(Y_valid, Y_naive_pred))` (after 8342ab3)",
       exact=True),
    _g("linear_10", "linear, 10 steps at once", "val MSE, 10 steps",
       (0.0188, 0.0188, 0.0187), "cell 49, last epoch's val_loss",
       LOG_ROUNDING),
    _g("rnn_10", "deep RNN + Dense(10), 10 steps at once",
       "val MSE, 10 steps", (0.0082, 0.0081, 0.0085),
       "cell 51, last epoch's val_loss", LOG_ROUNDING),
    _g("seq2seq_rnn", "seq-to-seq deep RNN, Adam lr 0.01", _LAST,
       (0.0095, 0.0078, 0.0096),
       "cell 57, last epoch's val_last_time_step_mse", LOG_ROUNDING),
    _g("ln_rnn", "seq-to-seq LN-SimpleRNN (custom cell)", _LAST,
       (0.0149, 0.0132, 0.0121),
       "cell 65, last epoch's val_last_time_step_mse", LOG_ROUNDING),
    _g("lstm", "seq-to-seq LSTM 20-20", _LAST,
       (0.008518972, 0.00855141, 0.00856079813092947),
       "cell 71 `model.evaluate` (last_time_step_mse)"),
    _g("gru", "seq-to-seq GRU 20-20", _LAST,
       (0.011060879, 0.010298318, 0.010262809693813324),
       "cell 77 `model.evaluate` (last_time_step_mse)"),
    _g("conv_gru", "Conv1D(20, 4, strides 2, valid) + GRU 20-20", _LAST,
       (0.0081, 0.0067, 0.0080),
       "cell 83, last epoch's val_last_time_step_mse", LOG_ROUNDING),
    _g("wavenet", "WaveNet (ReLU, dilations (1,2,4,8)x2, 20 filters)",
       _LAST, (0.0095, 0.0083, 0.0072),
       "cell 86, last epoch's val_last_time_step_mse", LOG_ROUNDING),
)  # fmt: skip

BASEL = (
    Published(
        "lstm_dropout",
        "LSTM(32, dropout 0.2, rec. dropout 0.2) + Dense(16) + Dropout(0.3)",
        "test RMSE (h)",
        (3.7748,),
        BASEL_RUNS,
        "cell 13 `Unscaled Test RMSE: 3.7748`",
        5e-5,
    ),
    Published(
        "stacked_lstm_bn",
        "LSTM(64) + LSTM(32) + BatchNorm + Dense(32) + Dropout(0.7)",
        "test RMSE (h)",
        (3.7157,),
        BASEL_RUNS,
        "cell 16 `Unscaled Test RMSE: 3.7157`",
        5e-5,
    ),
)

STUDIES = {
    "geron": (GERON, GERON_REPO, GERON_NOTEBOOK),
    "basel": (BASEL, BASEL_REPO, BASEL_NOTEBOOK),
}
