"""Every layer with a reference, against the pure-Python reference.

`compare(case, setup)` sets random small weights on a layer, runs it and
the reference (`keras_seqlab.reference`) on the same inputs, and returns
the largest absolute differences of the forward values and of the
gradients of a random weighted sum of them with respect to the inputs (and
initial states) and every weight; `comparison` says how gradients are
taken.

The cases are declared by the layer modules themselves, as plain data in a
module constant `REFERENCE_CASES` (modules in `LAYER_MODULES`); this module
turns them into `Case`s. Kinds: "recurrent" (a `reference.STEPS` step run
by `reference.run_sequence`, compared here), "wavenet", "attention_block"
and "attention_pooling" (compared in `families`).

`seqlab check` prints `run_all()` as a table.
"""

import contextlib
import dataclasses
import importlib
import sys

import keras
import numpy as np
from keras import ops

from keras_seqlab import reference
from keras_seqlab.testing.comparison import TOLERANCE
from keras_seqlab.testing.comparison import Result
from keras_seqlab.testing.comparison import Setup
from keras_seqlab.testing.comparison import cheap_initializers
from keras_seqlab.testing.comparison import max_error
from keras_seqlab.testing.comparison import padding_mask
from keras_seqlab.testing.comparison import randomize_weights
from keras_seqlab.testing.comparison import sgd_gradients
from keras_seqlab.testing.comparison import weighted_sum
from keras_seqlab.testing.families import COMPARE

__all__ = [
    "CASES",
    "CASES_BY_NAME",
    "FORWARD_SETUPS",
    "GRADIENT_SETUPS",
    "TOLERANCE",
    "Case",
    "Result",
    "Setup",
    "checks",
    "compare",
    "format_table",
    "keras_gradients",
    "padding_mask",
    "randomize_weights",
    "reference_params",
    "run_all",
    "sgd_gradients",
    "setup_label",
]

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


def _layer_modules():
    """The modules of `keras_seqlab.layers` that declare reference cases
    (`REFERENCE_CASES`): a new layer family is checked by declaring its
    cases, with no list here to edit. The package imports every module of
    a public layer; the backend-specific ones it does not import (the
    PyTorch loop's) declare none."""
    from keras_seqlab import layers

    prefix = layers.__name__ + "."
    return tuple(
        sorted(
            name.removeprefix(prefix)
            for name, module in list(sys.modules.items())
            if name.startswith(prefix) and hasattr(module, "REFERENCE_CASES")
        )
    )


LAYER_MODULES = _layer_modules()


@dataclasses.dataclass(frozen=True)
class Case:
    """A layer configuration and the reference that specifies it.

    `forward_setups`/`gradient_setups` are the setups it runs under; a
    recurrent case runs `FORWARD_SETUPS`/`GRADIENT_SETUPS` before its own.
    """

    name: str
    layer: type
    step: str = None
    layer_kwargs: dict = dataclasses.field(default_factory=dict)
    step_options: dict = dataclasses.field(default_factory=dict)
    kind: str = "recurrent"
    forward_setups: tuple = ()
    gradient_setups: tuple = ()

    def make(self, units, **rnn_kwargs):
        kwargs = {**cheap_initializers(self.layer), **self.layer_kwargs}
        return self.layer(units, **kwargs, **rnn_kwargs)

    def setups(self):
        """[(setup, with gradients)] this case runs under."""
        forward = list(self.forward_setups)
        gradient = list(self.gradient_setups)
        if self.kind == "recurrent":
            forward = FORWARD_SETUPS + forward
            gradient = GRADIENT_SETUPS + gradient
        return [(s, False) for s in forward] + [(s, True) for s in gradient]


def _case(entry):
    fields = dict(entry)
    for key in ("forward_setups", "gradient_setups"):
        fields[key] = tuple(Setup(**s) for s in fields.get(key, ()))
    return Case(**fields)


def collect_cases(modules=LAYER_MODULES):
    """The `Case`s the layer modules declare in `REFERENCE_CASES`."""
    cases = []
    for name in modules:
        module = importlib.import_module(f"keras_seqlab.layers.{name}")
        cases.extend(_case(entry) for entry in module.REFERENCE_CASES)
    unknown = {c.kind for c in cases} - {"recurrent"} - set(COMPARE)
    if unknown:
        raise ValueError(f"unknown reference case kind(s) {sorted(unknown)}")
    for case in cases:
        if case.kind == "recurrent" and case.step not in reference.STEPS:
            raise ValueError(f"{case.name}: no reference step {case.step!r}")
    return cases


CASES = collect_cases()
CASES_BY_NAME = {case.name: case for case in CASES}
if len(CASES_BY_NAME) != len(CASES):
    raise ValueError("two reference cases share a name")


def checks(case):
    """[(setup, with gradients)] of `case` (a Case or its name)."""
    if isinstance(case, str):
        case = CASES_BY_NAME[case]
    return case.setups()


def setup_label(setup, gradients=False):
    """The fields of `setup` that differ from `Setup()`, and "+grad"."""
    fields = dataclasses.asdict(setup)
    default = dataclasses.asdict(Setup())
    changed = [f"{k}={v}" for k, v in fields.items() if v != default[k]]
    label = ",".join(changed) or "default"
    return label + (" +grad" if gradients else "")


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
        total = total + weighted_sum(value, weights)
    return total


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


def compare(case, setup=None, gradients=True):
    """Runs `case` under `setup` (default `Setup()`) on Keras and the
    reference; a `Result`."""
    setup = Setup() if setup is None else setup
    if isinstance(case, str):
        case = CASES_BY_NAME[case]
    with _op_by_op():
        if case.kind != "recurrent":
            return COMPARE[case.kind](case, setup, gradients)
        return _compare_recurrent(case, setup, gradients)


def _compare_recurrent(case, setup, gradients):
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
    result = Result(max_error(keras_outs, forward))
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
        result.gradient_error = max_error(keras_grads, ref_grads)
    return result


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


def _op_by_op():
    """On JAX, a context that runs every forward op eagerly
    (`jax.disable_jit`).

    Each case builds a new layer, so every `lax.scan` of its forward pass
    would be traced and compiled anew. Op by op, XLA compiles each
    primitive once per shape and reuses it across cases, which was the
    faster over the whole check (figures: benchmarks/README.md). A
    gradient is the other way round, and is compiled inside this context
    (`comparison._jax_gradients`). The loop body is the same code either
    way; compiled training is exercised by the test suite.
    """
    if keras.backend.backend() != "jax":
        return contextlib.nullcontext()
    import jax  # backend-guarded

    return jax.disable_jit()


def run_all(cases=None):
    """[(case name, setup label, forward error, gradient error, passed)]:
    one row per case and setup it runs under."""
    rows = []
    for case in cases or CASES:
        for setup, gradients in checks(case):
            result = compare(case, setup, gradients=gradients)
            rows.append(
                (
                    case.name,
                    setup_label(setup, gradients),
                    result.forward_error,
                    result.gradient_error,
                    result.passed,
                )
            )
    return rows


def format_table(rows):
    header = ("case", "setup", "max |fwd err|", "max |grad err|", "result")
    lines = [
        (
            name,
            setup,
            f"{fwd:.2e}",
            "-" if grad is None else f"{grad:.2e}",
            "pass" if ok else "FAIL",
        )
        for name, setup, fwd, grad, ok in rows
    ]
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(5)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)
