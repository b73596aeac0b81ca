"""Every cell against the pure-Python reference, on the current backend.

`compare(case, ...)` sets random small weights on a layer, runs it and the
reference (`keras_seqlab.reference`) on the same inputs, and returns the
largest absolute differences of the forward values (outputs and final
states) and of the gradients of a random weighted sum of them with respect
to the inputs, the initial states and every weight.

Gradients come from the backend's own autodiff through Keras's public
training API: the inputs and initial states are made trainable variables,
one `train_on_batch` step of plain SGD with learning rate 1 runs, and the
gradient is the change of each variable. This needs no backend import and
is exact up to one float32 rounding of each variable.

`seqlab check` prints `run_all()` as a table.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

from keras_seqlab import reference
from keras_seqlab.layers.gru_variants import VARIANTS
from keras_seqlab.layers.gru_variants import GRUVariant
from keras_seqlab.layers.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.layers.peephole_lstm import PeepholeLSTM

TOLERANCE = 1e-5


@dataclasses.dataclass(frozen=True)
class Case:
    """A layer configuration and the reference step that specifies it."""

    name: str
    layer: type
    step: str
    layer_kwargs: dict = dataclasses.field(default_factory=dict)
    step_options: dict = dataclasses.field(default_factory=dict)

    def make(self, units, **rnn_kwargs):
        return self.layer(units, **self.layer_kwargs, **rnn_kwargs)


CASES = (
    [
        Case("LNSimpleRNN textbook", LNSimpleRNN, "ln_simple_rnn.textbook"),
        Case(
            "LNSimpleRNN addons",
            LNSimpleRNN,
            "ln_simple_rnn.addons",
            {"form": "addons"},
        ),
        Case(
            "LNSimpleRNN relu, eps 1e-2",
            LNSimpleRNN,
            "ln_simple_rnn.textbook",
            {"activation": "relu", "epsilon": 1e-2},
            {"activation": "relu", "epsilon": 1e-2},
        ),
        Case("PeepholeLSTM", PeepholeLSTM, "peephole_lstm"),
        Case(
            "PeepholeLSTM hard_sigmoid",
            PeepholeLSTM,
            "peephole_lstm",
            {"recurrent_activation": "hard_sigmoid"},
            {"recurrent_activation": "hard_sigmoid"},
        ),
        Case(
            "PeepholeLSTM no bias",
            PeepholeLSTM,
            "peephole_lstm",
            {"use_bias": False},
        ),
    ]
    + [
        Case(
            f"GRUVariant {v}",
            GRUVariant,
            f"gru_variant.{v}",
            {"variant": v},
        )
        for v in VARIANTS
    ]
    + [
        Case(
            "GRUVariant mgu no bias",
            GRUVariant,
            "gru_variant.mgu",
            {"variant": "mgu", "use_bias": False},
        ),
    ]
)
CASES_BY_NAME = {case.name: case for case in CASES}


@dataclasses.dataclass(frozen=True)
class Setup:
    """Shapes and options of one comparison."""

    batch: int = 3
    timesteps: int = 6
    input_dim: int = 3
    units: int = 4
    mask: str = None  # None, "left" or "right" padding
    go_backwards: bool = False
    return_sequences: bool = True
    initial_state: bool = False
    seed: int = 0


@dataclasses.dataclass
class Result:
    forward_error: float
    gradient_error: float = None

    @property
    def passed(self):
        errors = [self.forward_error, self.gradient_error]
        return all(e is None or e <= TOLERANCE for e in errors)


def padding_mask(batch, timesteps, side):
    """Boolean (batch, timesteps); sample i has (i * 2) % (T - 1) pad steps.

    Sample 0 is unpadded, so every batch also holds a full sequence.
    """
    mask = np.ones((batch, timesteps), dtype=bool)
    for i in range(batch):
        pad = (i * 2) % (timesteps - 1)
        if pad and side == "left":
            mask[i, :pad] = False
        elif pad and side == "right":
            mask[i, timesteps - pad :] = False
    return mask


def randomize_weights(layer, rng, scale=0.8):
    layer.set_weights(
        [rng.uniform(-scale, scale, w.shape) for w in layer.get_weights()]
    )


def reference_params(layer):
    """The layer's cell weights as the reference's dict of nested lists."""
    params = {"bias": None}
    for weight in layer.cell.weights:
        params[weight.name] = ops.convert_to_numpy(weight).tolist()
    return params


def _inputs(setup, case):
    rng = np.random.default_rng(setup.seed)
    shape = (setup.batch, setup.timesteps, setup.input_dim)
    x = rng.uniform(-1.0, 1.0, shape).astype("float32")
    states = None
    if setup.initial_state:
        n = reference.state_count(case.step)
        states = [
            rng.uniform(-1.0, 1.0, (setup.batch, setup.units)).astype("float32")
            for _ in range(n)
        ]
    mask = None
    if setup.mask:
        mask = padding_mask(setup.batch, setup.timesteps, setup.mask)
    return rng, x, states, mask


def _reference_run(case, setup, params, xs, states, mask):
    """[outputs (batch, steps, H), final state k (batch, H), ...] as lists.

    Works on floats and on the reference's autodiff `Value`s alike.
    """
    step = reference.STEPS[case.step]
    n_states = reference.state_count(case.step)
    outs, finals = [], []
    for b, sample in enumerate(xs):
        if states is None:
            init = [[0.0] * setup.units for _ in range(n_states)]
        else:
            init = [s[b] for s in states]
        outputs, last, final = reference.run_sequence(
            step,
            params,
            sample,
            init,
            mask=None if mask is None else mask[b].tolist(),
            go_backwards=setup.go_backwards,
            **case.step_options,
        )
        outs.append(outputs if setup.return_sequences else [last])
        finals.append(final)
    return [outs] + [[f[k] for f in finals] for k in range(n_states)]


def _weighted_sum(values, out_weights):
    """Σ values ⊙ R over the output and the final states (R as arrays)."""
    total = 0.0
    for value, weights in zip(values, out_weights):
        flat_weights = np.asarray(weights).reshape(-1).tolist()
        flat_values = _flatten(value)
        for v, w in zip(flat_values, flat_weights, strict=True):
            total = total + v * w
    return total


def _flatten(nested):
    if isinstance(nested, list):
        return [leaf for item in nested for leaf in _flatten(item)]
    return [nested]


def _output_weights(rng, setup, n_states):
    """Random R for the sequence output and each final state, per sample."""
    steps = setup.timesteps if setup.return_sequences else 1
    shapes = [(setup.batch, steps, setup.units)] + [
        (setup.batch, 1, setup.units)
    ] * n_states
    return [rng.uniform(-1.0, 1.0, s).astype("float32") for s in shapes]


def _keras_forward(layer, x, states, mask):
    outs = layer(x, initial_state=states, mask=mask)
    return [ops.convert_to_numpy(o) for o in outs]


def _max_error(keras_values, reference_values):
    return max(
        float(np.max(np.abs(np.asarray(k) - np.asarray(r, dtype="float64"))))
        for k, r in zip(keras_values, reference_values)
    )


def compare(case, setup=Setup(), gradients=True):
    """Runs `case` under `setup` on Keras and the reference; a `Result`."""
    if isinstance(case, str):
        case = CASES_BY_NAME[case]
    rng, x, states, mask = _inputs(setup, case)
    layer = case.make(
        setup.units,
        return_sequences=setup.return_sequences,
        return_state=True,
        go_backwards=setup.go_backwards,
    )
    layer.build(x.shape)
    randomize_weights(layer, rng)
    params = reference_params(layer)
    n_states = reference.state_count(case.step)
    out_weights = _output_weights(rng, setup, n_states)
    ref_states = None if states is None else [s.tolist() for s in states]
    forward = _reference_run(case, setup, params, x.tolist(), ref_states, mask)
    keras_outs = _keras_forward(layer, x, states, mask)
    if not setup.return_sequences:
        keras_outs[0] = keras_outs[0][:, None, :]
    result = Result(_max_error(keras_outs, forward))
    if gradients:
        _, grads = reference.value_and_grad(
            lambda p, xs, st: _weighted_sum(
                _reference_run(case, setup, p, xs, st, mask), out_weights
            ),
            params,
            x.tolist(),
            ref_states,
        )
        keras_grads = keras_gradients(layer, x, states, mask, out_weights)
        ref_grads = [grads[1]] + ([] if states is None else list(grads[2]))
        ref_grads += [grads[0][w.name] for w in layer.trainable_weights]
        result.gradient_error = _max_error(keras_grads, ref_grads)
    return result


class _SumLoss(keras.losses.Loss):
    """The model's output is already the scalar to differentiate."""

    def __init__(self):
        super().__init__(name="sum_of_prediction", reduction="sum")

    def call(self, y_true, y_pred):
        return y_pred


class _GradientProbe(keras.layers.Layer):
    """Holds `arrays` as variables and outputs the scalar `fn(*arrays)`."""

    def __init__(self, fn, arrays, layer):
        super().__init__()
        self.fn = fn
        self.layer = layer  # tracked, so its weights train with the probe
        self.arrays = [
            self._variable(f"array_{k}", a) for k, a in enumerate(arrays)
        ]

    def _variable(self, name, value):
        variable = self.add_weight(
            shape=value.shape, name=name, initializer="zeros"
        )
        variable.assign(value)
        return variable

    def call(self, dummy):
        total = self.fn(*[ops.convert_to_tensor(v) for v in self.arrays])
        return ops.zeros_like(dummy[:, 0]) + total


def sgd_gradients(fn, arrays, layer):
    """Gradients of the scalar `fn(*arrays)` by the backend's autodiff.

    `fn` calls `layer`; returns float64 gradients with respect to each of
    `arrays` and then each of `layer.trainable_weights`, from one
    `train_on_batch` step of SGD with learning rate 1 (the weights are
    restored afterwards).
    """
    probe = _GradientProbe(fn, arrays, layer)
    inputs = keras.Input((1,))
    model = keras.Model(inputs, probe(inputs))
    # Eagerly: in a TensorFlow graph, grappler may move a read of a
    # variable after its update when no data path orders the two (seen with
    # the initial state of the parallel min-RNN scan, whose gradient needs
    # no value of it), and the gradients would then be taken at moved
    # values.
    model.compile(
        optimizer=keras.optimizers.SGD(1.0), loss=_SumLoss(), run_eagerly=True
    )
    variables = probe.arrays + list(layer.trainable_weights)
    before = [ops.convert_to_numpy(v).astype("float64") for v in variables]
    model.train_on_batch(np.zeros((1, 1), "float32"), np.zeros((1,)))
    after = [ops.convert_to_numpy(v).astype("float64") for v in variables]
    for v, value in zip(variables, before):
        v.assign(value)
    return [b - a for b, a in zip(before, after)]


def keras_gradients(layer, x, states, mask, out_weights):
    """Gradients w.r.t. x, each initial state and each cell weight."""

    def weighted_sum(x, *states):
        outs = layer(
            x,
            initial_state=list(states) or None,
            mask=None if mask is None else ops.convert_to_tensor(mask),
        )
        output = outs[0]
        if not layer.return_sequences:
            output = output[:, None, :]
        outs = [output] + [s[:, None, :] for s in outs[1:]]
        return sum(
            ops.sum(o * ops.convert_to_tensor(w))
            for o, w in zip(outs, out_weights)
        )

    return sgd_gradients(weighted_sum, [x] + list(states or []), layer)


FORWARD_SETUPS = [
    Setup(),
    Setup(return_sequences=False),
    Setup(go_backwards=True),
    Setup(initial_state=True),
    Setup(mask="left", initial_state=True),
    Setup(mask="right", go_backwards=True),
    Setup(mask="left", return_sequences=False),
]
GRADIENT_SETUPS = [
    Setup(mask="right", initial_state=True),
    Setup(mask="left", go_backwards=True, return_sequences=False, seed=1),
]


def run_all(cases=None):
    """[(case name, forward error, gradient error, passed)] over setups."""
    rows = []
    for case in cases or CASES:
        forward = max(
            compare(case, s, gradients=False).forward_error
            for s in FORWARD_SETUPS
        )
        results = [compare(case, s) for s in GRADIENT_SETUPS]
        forward = max([forward] + [r.forward_error for r in results])
        gradient = max(r.gradient_error for r in results)
        result = Result(forward, gradient)
        rows.append((case.name, forward, gradient, result.passed))
    return rows


def format_table(rows):
    header = ("cell", "max |fwd err|", "max |grad err|", "result")
    lines = [
        (name, f"{fwd:.2e}", f"{grad:.2e}", "pass" if ok else "FAIL")
        for name, fwd, grad, ok in rows
    ]
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(4)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)
