"""A model's layer graph, read from its config, stepped call by call.

A Functional model's `get_config()` lists every layer call ("inbound
node") with the tensors it was called on; that public, serialized form is
what Keras itself rebuilds models from, so it is what the stepper walks.
A Sequential model is its layers in a row. A model used as a layer is a
graph inside the graph (`rule_for` makes it one).
"""

import keras

from keras_seqlab.streaming import rules
from keras_seqlab.streaming.rules import OWNER
from keras_seqlab.streaming.rules import Rule
from keras_seqlab.streaming.rules import Value


def _is_tensor(entry):
    return (
        isinstance(entry, dict)
        and entry.get("class_name") == "__keras_tensor__"
    )


def _tensor_key(entry):
    """(layer name, call index, output index) of a serialized tensor."""
    name, node, index = entry["config"]["keras_history"]
    return (name, node, index)


def _tensors(entry):
    """The serialized tensors in a call's (nested) arguments."""
    if _is_tensor(entry):
        return [entry]
    if isinstance(entry, (list, tuple)):
        return [t for e in entry for t in _tensors(e)]
    if isinstance(entry, dict):
        return [t for e in entry.values() for t in _tensors(e)]
    return []


def _resolve(entry, values):
    """The arguments with every serialized tensor replaced by its value."""
    if _is_tensor(entry):
        return values[_tensor_key(entry)]
    if isinstance(entry, (list, tuple)):
        return [_resolve(e, values) for e in entry]
    return entry


class _Outputs(dict):
    """While the graph is read: a call's outputs by (name, call), whatever
    the output index (all outputs of a rule are timed alike)."""

    def __getitem__(self, key):
        exact = dict.__contains__(self, key)
        return dict.__getitem__(self, key if exact else key[:2])

    def __contains__(self, key):
        return dict.__contains__(self, key) or dict.__contains__(self, key[:2])


class Graph(Rule):
    """The rules of a model's layer calls, in an order that respects their
    inputs; its state is theirs, one flat list.

    Args:
        model: a Functional or Sequential `keras.Model`.
        inputs: a `Value` per model input, saying whether it is timed.
        shapes: the full-model shape of each input.
        options: the stepper's options (`max_length`).
    """

    def __init__(self, model, inputs, shapes, options):
        super().__init__(model)
        if isinstance(model, keras.Sequential):
            calls, self.sources, self.sinks = _sequential(model)
        elif isinstance(model, keras.Model) and _is_functional(model):
            calls, self.sources, self.sinks = _functional(model)
        else:
            raise ValueError(
                f"{OWNER}: model {model.name!r} ({type(model).__name__}) is "
                "neither Functional nor Sequential: its layer graph cannot "
                "be read."
            )
        if len(self.sources) != len(inputs):
            raise ValueError(
                f"{OWNER}: model {model.name!r} has {len(self.sources)} "
                f"input(s), got {len(inputs)}."
            )
        operations = {c[1][0] for c in calls if c[0] is None}
        calls = [c for c in calls if c[0] is not None]
        for call in calls:
            for tensor in _tensors(call[2]):
                if _tensor_key(tensor)[0] in operations:  # positional only
                    raise ValueError(
                        f"{OWNER}: layer {call[0].name!r} of {model.name!r} "
                        f"reads the output of the operation "
                        f"{_tensor_key(tensor)[0]!r} (a keras.ops call on "
                        "symbolic tensors); stepping supports layers only."
                    )
        known = _Outputs(zip(self.sources, inputs))
        shapes = _Outputs(zip(self.sources, [tuple(s) for s in shapes]))
        self.calls = []
        pending = list(calls)
        while pending:
            ready = [
                c
                for c in pending
                if all(_tensor_key(t) in known for t in _tensors(c[2]))
            ]
            if not ready:
                raise ValueError(
                    f"{OWNER}: the layer graph of {model.name!r} could not "
                    "be ordered."
                )
            for call in ready:
                pending.remove(call)
                self._add(*call, known, shapes, options)
        self.state_count = sum(rule.state_count for rule, _, _ in self.calls)
        self.timed_out = all(known[key].timed for key in self.sinks)
        if any(known[key].timed != self.timed_out for key in self.sinks):
            raise ValueError(
                f"{OWNER}: model {model.name!r} mixes sequence outputs and "
                "reduced outputs; not supported."
            )

    def _add(self, layer, key, args, kwargs, known, shapes, options):
        # The Keras mask a call received is recomputed step by step (the
        # rules propagate it as the layers' compute_mask does).
        kwargs = {
            k: v for k, v in kwargs.items() if k not in ("mask", "training")
        }
        if _tensors(kwargs):
            raise ValueError(
                f"{OWNER}: layer {layer.name!r} is called with tensors as "
                f"keyword arguments ({', '.join(sorted(kwargs))}); stepping "
                "supports one positional input (a tensor or a list)."
            )
        if len(args) != 1:
            raise ValueError(
                f"{OWNER}: layer {layer.name!r} is called with {len(args)} "
                "positional arguments; stepping supports one (a tensor or "
                "a list of tensors)."
            )
        inputs = _resolve(args[0], known)
        in_shapes = [_shape(t, shapes) for t in _tensors(args[0])]
        rule = rule_for(layer, inputs, in_shapes, kwargs, options)
        known[key] = Value(None, None, rule.timed_out)
        shapes[key] = _output_shape(layer, in_shapes)
        self.calls.append((rule, args[0], key))

    def rules(self):
        """Every rule, those of nested models included."""
        for rule, _, _ in self.calls:
            if isinstance(rule, Graph):
                yield from rule.rules()
            else:
                yield rule

    def initial_state(self, batch, dtype):
        state = []
        for rule, _, _ in self.calls:
            state += rule.initial_state(batch, dtype)
        return state

    def step(self, inputs, state):
        values = dict(zip(self.sources, keras.tree.flatten(inputs)))
        new, at = [], 0
        for rule, args, key in self.calls:
            own = state[at : at + rule.state_count]
            at += rule.state_count
            outputs, own = rule.step(_resolve(args, values), own)
            new += own
            for index, value in enumerate(outputs):
                values[(*key, index)] = value
        return [values[key] for key in self.sinks], new


def _shape(tensor, shapes):
    """A call input's full-model shape: from the config (Functional) or
    as computed along the chain (Sequential)."""
    shape = tensor["config"].get("shape")
    return tuple(shape) if shape is not None else shapes[_tensor_key(tensor)]


def _output_shape(layer, in_shapes):
    """The first output's shape, for the next layer of a Sequential."""
    try:
        out = layer.compute_output_shape(
            in_shapes[0] if len(in_shapes) == 1 else in_shapes
        )
    except Exception:  # Functional calls read shapes from the config
        return None
    while out and isinstance(out[0], (tuple, list)):
        out = out[0]
    return tuple(out)


def _is_functional(model):
    try:
        config = model.get_config()
    except Exception:  # a subclassed model without a config
        return False
    return isinstance(config, dict) and "layers" in config


def _layer_refs(refs):
    """Input/output layer references: one `[name, call, index]` or a list."""
    if refs and isinstance(refs[0], str):
        return [tuple(refs)]
    return [tuple(r) for r in refs]


def _node_offset(config, entry):
    """1 where the config numbers a layer's calls from 1, else 0.

    A nested Functional model's first node is the one made when it was
    built: its config leaves that node out of `inbound_nodes` but the
    references keep counting it, so its calls are numbered from 1. Read
    from the references themselves: one at or past the number of listed
    calls means the numbering starts at 1.
    """
    name, count = entry["name"], len(entry["inbound_nodes"])
    refs = [_tensor_key(t) for e in config["layers"] for t in _tensors(e)]
    refs += _layer_refs(config["output_layers"])
    return int(any(r[0] == name and r[1] >= count for r in refs))


def _functional(model):
    config = model.get_config()
    calls = []
    names = {layer.name for layer in model.layers}
    for entry in config["layers"]:
        # Operations (keras.ops on symbolic tensors, e.g. the mask Masking
        # makes) are in the config too; they are not layers.
        layer = (
            model.get_layer(entry["name"]) if entry["name"] in names else None
        )
        offset = _node_offset(config, entry)
        for index, node in enumerate(entry["inbound_nodes"], offset):
            calls.append(
                (
                    layer,
                    (entry["name"], index),
                    node.get("args", []),
                    node.get("kwargs", {}),
                )
            )
    return (
        calls,
        _layer_refs(config["input_layers"]),
        _layer_refs(config["output_layers"]),
    )


def _sequential(model):
    source = ("__input__", 0, 0)
    previous, calls = source, []
    for layer in model.layers:
        tensor = {
            "class_name": "__keras_tensor__",
            "config": {"keras_history": list(previous)},
        }
        calls.append((layer, (layer.name, 0), [tensor], {}))
        previous = (layer.name, 0, 0)
    return calls, [source], [previous]


def rule_for(layer, inputs, shapes, kwargs, options):
    """The rule of one call of `layer` on the `inputs` `Value`s (whose
    full-model shapes are `shapes`); raises for a layer that is not causal."""
    values = keras.tree.flatten(inputs)
    if not any(v.timed for v in values):
        return rules.Static(layer, kwargs)
    shape = tuple(shapes[0])
    if isinstance(layer, keras.Model):
        return Graph(layer, values, shapes, options)
    if isinstance(layer, keras.layers.Bidirectional):
        rules.refuse(layer, "it is bidirectional (it reads later steps)")
    if kwargs.get("return_attention_scores") or kwargs.get(
        "return_attention_weights"
    ):
        rules.refuse(layer, "attention scores are not returned step by step")
    if rules.steps_itself(layer):
        return rules.Protocol(layer, shape, options)
    if isinstance(layer, keras.layers.RNN):
        steps = rules.KerasRecurrent(layer)
        return rules.Protocol(layer, shape, options, steps)
    if isinstance(layer, keras.layers.Conv1D):
        return rules.Conv(layer, shape)
    if isinstance(layer, keras.layers.Reshape):
        return rules.Reshape(layer, shape)
    if isinstance(layer, (keras.layers.LayerNormalization,)):
        if 1 in [a % len(shape) for a in _axes(layer.axis)]:
            rules.refuse(layer, "it normalizes over the time axis")
        return rules.Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.BatchNormalization):
        if layer.axis % len(shape) == 1:
            rules.refuse(layer, "it normalizes the time axis")
        return rules.Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.Concatenate):
        if layer.axis % len(shape) in (0, 1):
            rules.refuse(layer, "it concatenates along time")
        return rules.Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.Softmax):
        if 1 in [a % len(shape) for a in _axes(layer.axis)]:
            rules.refuse(layer, "it normalizes over the time axis")
        return rules.Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.PReLU):
        if 1 not in _axes(layer.shared_axes or []):
            rules.refuse(
                layer,
                "its slopes differ per time step (pass shared_axes=[1] to "
                "share them over time)",
            )
        return rules.Pointwise(layer, kwargs)
    if isinstance(layer, rules.POINTWISE):
        return rules.Pointwise(layer, kwargs)
    rules.refuse(
        layer,
        "it is not known to be causal (stream knows the layers that define "
        "initial_step_state and step, the step protocol: every causal "
        "layer of keras_seqlab; and of Keras's, the recurrent layers, "
        "causal convolutions and the layers that act on each step alone)",
    )


def _axes(axis):
    return [axis] if isinstance(axis, int) else list(axis)
