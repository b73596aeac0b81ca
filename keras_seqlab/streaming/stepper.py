"""`stream(model)`: a causal sequence model as a stepper."""

import keras
import numpy as np
from keras import ops

from keras_seqlab.streaming.graph import Graph
from keras_seqlab.streaming.rules import OWNER
from keras_seqlab.streaming.rules import Value
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_int
from keras_seqlab.utils.validation import check_units


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"{OWNER}: expected a keras.Model, got {type(model).__name__}."
        )
    if not model.built or not model.inputs:
        raise ValueError(
            f"{OWNER}: model {model.name!r} is not built (it has no inputs); "
            "build or call it first."
        )
    for tensor in model.inputs:
        if len(tensor.shape) not in (2, 3):
            raise ValueError(
                f"{OWNER}: model {model.name!r} takes inputs of shape "
                f"{tuple(tensor.shape)}; a sequence model takes (batch, "
                "timesteps, features), or (batch, timesteps) token ids."
            )


def _step_shape(features):
    """The shape of one step of an input: `(features,)`, or `()` for
    token ids (an input without a feature axis)."""
    return () if features is None else (features,)


def _check_max_length(max_length):
    return check_int(OWNER, "max_length", max_length, optional=True)


@seqlab_export
class StepLayer(keras.layers.Layer):
    """One step of a causal sequence model, as a Keras layer.

    `StepLayer(model)([x_t, *state])` returns `[*y_t, *new_state]`: the
    model's output(s) for the sequence that ends at this step and the state
    to pass to the next step (`Stepper.initial_state` gives the first).
    Its config holds the model's, so a Keras model made of it (see
    `Stepper.step_model`) saves to `.keras` and loads in safe mode.

    Args:
        model: the causal sequence model (a Functional or Sequential
            `keras.Model`), or its serialized config.
        max_length: None, or the most steps a causal attention block's
            key/value cache keeps (the oldest is dropped).
    """

    def __init__(self, model, max_length=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(model, dict):
            model = keras.saving.deserialize_keras_object(model)
        _check_model(model)
        self.source = model
        self.max_length = _check_max_length(max_length)
        # Per input: its features, or None for token ids (batch, T).
        self.features = [
            int(t.shape[-1]) if len(t.shape) == 3 else None
            for t in model.inputs
        ]
        self.graph = Graph(
            model,
            [Value(None, None, True) for _ in model.inputs],
            [tuple(t.shape) for t in model.inputs],
            {"max_length": self.max_length},
        )
        self.state_count = self.graph.state_count
        self.fixed_shapes = all(
            rule.fixed_shapes for rule in self.graph.rules()
        )
        self.built = True

    def initial_state(self, batch_size, dtype=None):
        if dtype is None:
            # The input's float type; token ids (ints) keep float state.
            dtype = self.source.inputs[0].dtype
            if "float" not in str(dtype):
                dtype = keras.backend.floatx()
        return self.graph.initial_state(batch_size, dtype)

    def step(self, inputs, state, mask=None):
        """`(outputs, new_state)`: lists of tensors."""
        masks = [mask] * len(inputs) if mask is not None else None
        values = [
            Value(x, None if masks is None else masks[i], True)
            for i, x in enumerate(inputs)
        ]
        outputs, new = self.graph.step(values, list(state))
        return [v.tensor for v in outputs], new

    def call(self, inputs):
        count = len(self.features)
        outputs, new = self.step(inputs[:count], inputs[count:])
        return [*outputs, *new]

    def compute_output_spec(self, inputs):
        # The outputs' shapes come from one step on a batch of one; the
        # state keeps the shapes it came in with.
        batch = inputs[0].shape[0]
        probe = [
            ops.zeros((1, *_step_shape(f)), t.dtype)
            for f, t in zip(self.features, self.source.inputs)
        ]
        outputs, _ = self.step(probe, self.initial_state(1))
        return [
            keras.KerasTensor((batch,) + tuple(y.shape[1:]), y.dtype)
            for y in outputs
        ] + [
            keras.KerasTensor((batch,) + tuple(s.shape[1:]), s.dtype)
            for s in inputs[len(self.features) :]
        ]

    def get_config(self):
        config = {
            "model": keras.saving.serialize_keras_object(self.source),
            "max_length": self.max_length,
        }
        return {**super().get_config(), **config}


class Stepper:
    """A causal sequence model stepped one time point at a time.

    Made by `keras_seqlab.stream(model)`. `step(x_t, state)` is one step,
    compiled (with `jit`, the default) with the model's weights as read
    at `initial_state`, `reset` or `run`; `pure_step(x_t, state)` is the
    same step as a pure function of the step's inputs and the state (the
    weights are read, never written), to compose under `jax.jit` or
    `tf.function` yourself; `step_model()` is the step as a Keras model
    with explicit state inputs and outputs. The stateful convenience
    keeps the state itself: `reset()`, then `s(x_t)` for each new point.
    """

    def __init__(self, model, max_length=None, jit=True):
        self.layer = StepLayer(model, max_length=max_length)
        self.model = model
        self.state = None
        self._compiled = _Compiled(self.layer) if jit else None
        self._run_step = self.layer.step

    @property
    def max_length(self):
        return self.layer.max_length

    def initial_state(self, batch_size=1):
        """The state before the first step: a list of zero tensors.

        The compiled `step` reads the model's weights here: after training
        further, start again from a new `initial_state`."""
        batch_size = check_units(OWNER, batch_size, "batch_size")
        self._refresh()
        return self.layer.initial_state(batch_size)

    def _inputs(self, x_t):
        single = len(self.layer.features) == 1
        xs = [x_t] if single else list(x_t)
        if len(xs) != len(self.layer.features):
            raise ValueError(
                f"{OWNER}: the model takes {len(self.layer.features)} "
                f"inputs, got {len(xs)}."
            )
        checked = []
        for x, features, spec in zip(
            xs, self.layer.features, self.model.inputs
        ):
            if not ops.is_tensor(x):
                # Converted by the step itself (inside jit, where a NumPy
                # array costs nothing extra).
                x = np.asarray(x, dtype=spec.dtype)
            shape = _step_shape(features)
            if len(x.shape) != 1 + len(shape) or tuple(x.shape[1:]) != shape:
                raise ValueError(
                    f"{OWNER}: a step takes inputs of shape (batch"
                    f"{''.join(f', {d}' for d in shape)}), got "
                    f"{tuple(x.shape)}."
                )
            checked.append(x)
        return checked

    def step(self, x_t, state, mask=None):
        """One step, compiled: `(y_t, new_state)`, as `pure_step` computes
        it (with the weights read at the last `initial_state`, `reset` or
        `run`; eager where `stream(jit=False)` or a growing attention
        cache).

        Args:
            x_t: `(batch, features)`, the inputs at this time point (a list
                for a model with several inputs).
            state: the state from `initial_state` or the previous step.
            mask: optional boolean `(batch,)`, False where this step is
                padding (as the full model's Keras mask would say).

        Returns:
            y_t: the model's output for the sequence that ends at this step
                (its last time step for a sequence output); a list for a
                model with several outputs.
            new_state: the state after this step.
        """
        return self._step(x_t, state, mask, self._run_step)

    def pure_step(self, x_t, state, mask=None):
        """`step` as a pure function of `(x_t, state)`, not compiled: the
        model's current weights are read at every call (compose it under
        `jax.jit` or `tf.function` yourself)."""
        return self._step(x_t, state, mask, self.layer.step)

    def _step(self, x_t, state, mask, step):
        inputs = self._inputs(x_t)
        if len(state) != self.layer.state_count:
            raise ValueError(
                f"{OWNER}: the state holds {self.layer.state_count} "
                f"tensors, got {len(state)}; start from initial_state()."
            )
        if mask is not None:
            mask = ops.cast(ops.convert_to_tensor(mask), "bool")
        outputs, new = step(inputs, list(state), mask)
        return (outputs[0] if len(outputs) == 1 else outputs), list(new)

    def _refresh(self):
        """The step `__call__` and `run` use, reading the weights now."""
        if self._compiled is not None and self._compiled.available:
            self._run_step = self._compiled.with_current_weights()

    def reset(self, batch_size=1):
        """Starts the stateful convenience over, for `batch_size` series.

        The compiled step reads the model's weights here (and `run` at its
        start): after training further, `reset` before stepping again.
        """
        self.state = self.initial_state(batch_size)

    def __call__(self, x_t, mask=None):
        """One step with the state kept here (`reset` starts over)."""
        if self.state is None:
            inputs = self._inputs(x_t)
            self.reset(int(inputs[0].shape[0]))
        y, self.state = self._step(x_t, self.state, mask, self._run_step)
        return y

    def run(self, sequence, mask=None, state=None):
        """Steps through `sequence` `(batch, T, features)`: returns the
        stacked outputs `(batch, T, …)` and the state after the last step."""
        spec = self.model.inputs[0]
        sequence = np.asarray(sequence, dtype=spec.dtype)
        if sequence.ndim != len(spec.shape):
            what = "features" if len(spec.shape) == 3 else "token ids"
            raise ValueError(
                f"{OWNER}: `run` takes (batch, timesteps"
                f"{', features' if len(spec.shape) == 3 else ''}) "
                f"({what}), got shape {sequence.shape}."
            )
        if state is None:
            state = self.initial_state(sequence.shape[0])
        else:
            self._refresh()
        outputs = []
        for t in range(sequence.shape[1]):
            step_mask = None if mask is None else np.asarray(mask)[:, t]
            y, state = self._step(
                sequence[:, t], state, step_mask, self._run_step
            )
            outputs.append(y)
        return ops.stack(outputs, axis=1), state

    def step_model(self):
        """The step as a `keras.Model`: inputs `[x_t, *state]`, outputs
        `[y_t, *new_state]` (save it as `.keras`; it loads in safe mode)."""
        state = self.initial_state(1)
        inputs = [
            keras.Input(
                _step_shape(f),
                dtype=spec.dtype,
                name=f"x_t_{i}" if i else "x_t",
            )
            for i, (f, spec) in enumerate(
                zip(self.layer.features, self.model.inputs)
            )
        ]
        state_inputs = [
            keras.Input(
                tuple(None if d == 0 else d for d in s.shape[1:]),
                dtype=s.dtype,
                name=f"state_{i}",
            )
            for i, s in enumerate(state)
        ]
        outputs = self.layer([*inputs, *state_inputs])
        return keras.Model(
            [*inputs, *state_inputs], outputs, name=f"{self.model.name}_step"
        )


class _Compiled:
    """The layer's step compiled once per input structure.

    The weights read at `with_current_weights` are constants of the
    compiled function (compiled again only when a weight has changed since),
    so a step is one call of a function of the inputs and the state alone.
    JAX: `jax.jit` (weights read in a `keras.StatelessScope`). TensorFlow: a
    concrete `tf.function` with XLA. PyTorch: `torch.jit.trace` of the step
    per input shape, which replays the recorded torch operations without
    the Python of Keras's layers and ops (a step of a WaveNet or attention
    block is dozens of small ops, each costing far more to dispatch through
    Python than to compute). The trace is exact here because a step's
    Python never branches on a tensor's values, only on its shapes, which
    key the traces. A cache that grows (attention without `max_length`:
    its shapes change at every step) steps eagerly on every backend.
    """

    def __init__(self, layer):
        self.layer = layer
        self.backend = keras.backend.backend()
        self.available = layer.fixed_shapes and self.backend in (
            "jax",
            "tensorflow",
            "torch",
        )
        self.function = None
        self.weights = None

    def with_current_weights(self):
        layer = self.layer
        variables = list(layer.variables)
        if self.backend == "jax":
            weights = [v.value for v in variables]
            same = self.weights is not None and all(
                a is b for a, b in zip(weights, self.weights)
            )
        else:
            # NumPy copies: constants of the graph, not captured inputs
            # fed at every call (which cost more than the step itself);
            # compared by value, since training updates a torch or
            # TensorFlow variable in place.
            weights = [
                np.array(keras.ops.convert_to_numpy(v)) for v in variables
            ]
            same = self.weights is not None and all(
                np.array_equal(a, b) for a, b in zip(weights, self.weights)
            )
        if not same:
            mapping = list(zip(variables, weights))

            def pure(inputs, state, mask):
                with keras.StatelessScope(state_mapping=mapping):
                    return layer.step(inputs, state, mask)

            self.function, self.weights = self._compile(pure), weights
        return self.function

    def _compile(self, function):
        if self.backend == "tensorflow":  # backend-guarded
            import tensorflow as tf  # backend-guarded

            compiled = tf.function(function, jit_compile=True)
            concrete = {}

            def step(inputs, state, mask):
                # A concrete function per structure skips tf.function's
                # signature matching, which costs more than a small step.
                key = (len(inputs), mask is None)
                inputs = [tf.convert_to_tensor(x) for x in inputs]
                if key not in concrete:
                    concrete[key] = compiled.get_concrete_function(
                        inputs, state, mask
                    )
                return concrete[key](inputs, state, mask)

            return step
        if self.backend == "torch":  # backend-guarded
            return _torch_traced(function)
        import jax  # backend-guarded

        return jax.jit(function)


def _torch_traced(function):
    """`function(inputs, state, mask)` traced by `torch.jit.trace`, once
    per input, state and mask shape, and run without autograd (inference
    never takes a gradient, as Keras's predict does)."""
    import warnings

    import torch  # backend-guarded

    traces = {}

    def step(inputs, state, mask):
        inputs = tuple(ops.convert_to_tensor(x) for x in inputs)
        state = tuple(state)
        args = (inputs, state) if mask is None else (inputs, state, mask)
        key = tuple(
            (tuple(t.shape), str(t.dtype))
            for t in (*inputs, *state, *([] if mask is None else [mask]))
        )
        with torch.no_grad():
            if key not in traces:

                def flat(inputs, state, mask=None):
                    outputs, new = function(list(inputs), list(state), mask)
                    return tuple(outputs), tuple(new)

                with warnings.catch_warnings():
                    # Keras's ops read shapes as Python numbers while
                    # tracing; shapes are constant per trace (the key).
                    warnings.simplefilter("ignore", torch.jit.TracerWarning)
                    # torch 2.9+ marks `trace` deprecated in favour of
                    # `torch.export`, whose module replays every step
                    # through Python (no faster than Keras eagerly here).
                    warnings.simplefilter("ignore", DeprecationWarning)
                    traces[key] = torch.jit.trace(
                        flat, args, strict=False, check_trace=False
                    )
            outputs, new = traces[key](*args)
        return list(outputs), list(new)

    return step


def stream(model, max_length=None, jit=True):
    """A causal sequence model, stepped one time point at a time.

    Each step costs one step's work: a recurrent layer runs its cell once,
    a WaveNet block convolves one step from its queue of past inputs (Fast
    WaveNet, Paine et al. 2016), a causal attention block attends from a
    key/value cache, a causal convolution reads a left buffer. The outputs
    are the full model's, on every backend:

        y_t = model(x[:, :t+1])            (a model with a vector output)
        y_t = model(x[:, :t+1])[:, -1] = model(x)[:, t]   (sequence output)

    Masked (padded) steps are skipped exactly as the full layers skip them.

    Args:
        model: a Functional or Sequential Keras model whose layers are all
            causal: any layer that defines the step protocol,
            `initial_step_state(batch_size, dtype)` and `step(x_t, state,
            mask=None)` (`keras_seqlab.layers.stepping`) — every causal
            layer of this package does (recurrent layers, WaveNet and TCN
            blocks and stacks, causal `AttentionBlock`s,
            `PositionalEncoding`, `AttentionPooling`, the forecasting
            heads) — and of Keras's, the RNN layers, causal `Conv1D` and
            the layers that act on each step alone (Dense,
            TimeDistributed, Dropout, LayerNormalization, Masking,
            Embedding, PReLU shared over time, …). Its
            inputs are `(batch, T, features)`, or `(batch, T)` token ids
            (a step is then `(batch,)`).
        max_length: None (attention caches every step), or the most steps
            a causal attention block's cache keeps (fixed shapes, so a
            jit-compiled step compiles once; beyond it, sliding-window
            attention).
        jit: whether `step`, the stateful convenience (`s(x_t)`) and `run`
            compile the step (JAX: `jax.jit`, TensorFlow: `tf.function`,
            PyTorch: `torch.jit.trace`; a growing attention cache steps
            eagerly). `pure_step` is always the plain function, to compose
            as you like.

    Returns:
        A `Stepper`.

    Raises:
        ValueError: a layer that is not causal (bidirectional, non-causal
            attention, `padding="same"` convolutions, Flatten, …): the
            message names it.

    Example:

    >>> model = keras_seqlab.build("gru", (None, 1), head="seq_to_seq")
    >>> s = keras_seqlab.stream(model)
    >>> state = s.initial_state(batch_size=2)
    >>> y_t, state = s.step(np.zeros((2, 1)), state)
    >>> tuple(y_t.shape)
    (2, 1)
    """
    return Stepper(model, max_length=max_length, jit=jit)
