"""Edits of a written ONNX file (with the `onnx` package): the names of
its inputs and outputs, and the metadata in its `metadata_props`."""

import json

from keras_seqlab.deploy.metadata import KEY

OWNER = "export_model"


def _graphs(graph):
    """`graph` and every subgraph in it (the bodies of Loop, Scan, If)."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _graphs(sub)


def _inputs(graph):
    """The graph's inputs that are fed (not weights listed as inputs)."""
    weights = {tensor.name for tensor in graph.initializer}
    return [value for value in graph.input if value.name not in weights]


def _rename_inputs(graph, names):
    """Renames the graph's inputs to `names`, in every node that reads
    them (subgraphs too, which may read an outer name)."""
    mapping = {}
    for value, name in zip(_inputs(graph), names):
        if value.name != name:
            mapping[value.name] = name
            value.name = name
    if not mapping:
        return
    for sub in _graphs(graph):
        for node in sub.node:
            for i, name in enumerate(node.input):
                if name in mapping:
                    node.input[i] = mapping[name]
    for value in graph.output:
        if value.name in mapping:
            value.name = mapping[value.name]


def _taken(graph):
    """Every tensor name of `graph` (not of its subgraphs)."""
    names = {value.name for value in graph.input}
    names |= {tensor.name for tensor in graph.initializer}
    for node in graph.node:
        names.update(node.output)
    return names


def _rename_outputs(graph, names):
    """Gives the graph's outputs `names`, through Identity nodes (one
    tensor may be two outputs: a step's output and its new state); a name
    a tensor of the graph has already gets `_out` appended."""
    from onnx import helper

    taken = _taken(graph)
    for value, name in zip(graph.output, names):
        if value.name == name:
            continue
        while name in taken:
            name = f"{name}_out"
        taken.add(name)
        graph.node.append(
            helper.make_node(
                "Identity", [value.name], [name], name=f"name_{name}"
            )
        )
        value.name = name


def _restore_inputs(graph, names, entries):
    """Puts back, as graph inputs that nothing reads, the named inputs a
    converter dropped because the graph does not use them (a state the
    step never reads, such as the previous output kept for masks), so
    that every step model takes every state; the inputs in `names`'
    order. `entries`: the inputs' metadata (shape with None, dtype)."""
    import numpy as np
    from onnx import helper

    present = {value.name: value for value in _inputs(graph)}
    unknown = sorted(set(present) - set(names))
    if unknown:
        raise ValueError(
            f"{OWNER}: the ONNX graph has inputs {', '.join(unknown)}; "
            f"expected those of {', '.join(names)}."
        )
    ordered = []
    for name, entry in zip(names, entries):
        if name in present:
            ordered.append(present[name])
            continue
        shape = [
            ("batch" if i == 0 else f"{name}_{i}") if d is None else d
            for i, d in enumerate(entry["shape"])
        ]
        dtype = helper.np_dtype_to_tensor_dtype(np.dtype(entry["dtype"]))
        ordered.append(helper.make_tensor_value_info(name, dtype, shape))
    weights = [value for value in graph.input if value.name not in present]
    del graph.input[:]
    graph.input.extend(ordered + weights)


def _shape(value):
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else None for d in dims]


def finish(path, info, inputs=None, outputs=None):
    """Renames the inputs and outputs of the ONNX file at `path` (None:
    keeps them; inputs the converter dropped as unused are put back),
    records them in `info` and writes `info` as JSON into its
    `metadata_props["keras_seqlab"]`. Returns `info`.

    Raises:
        ValueError: the file's inputs or outputs are not as many as the
            names.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    if inputs is not None and len(_inputs(graph)) < len(inputs):
        _restore_inputs(graph, inputs, info["inputs"])
    for kind, values, names in (
        ("inputs", _inputs(graph), inputs),
        ("outputs", graph.output, outputs),
    ):
        if names is not None and len(values) != len(names):
            raise ValueError(
                f"{OWNER}: the ONNX graph has {len(values)} {kind}; "
                f"expected {len(names)} ({', '.join(names)})."
            )
    if inputs is not None:
        _rename_inputs(graph, inputs)
    if outputs is not None:
        _rename_outputs(graph, outputs)
    for kind, values in (
        ("inputs", _inputs(graph)),
        ("outputs", graph.output),
    ):
        for entry, value in zip(info[kind], values):
            entry["name"] = value.name
            entry["shape"] = _shape(value)
    for prop in list(model.metadata_props):
        if prop.key == KEY:
            model.metadata_props.remove(prop)
    prop = model.metadata_props.add()
    prop.key = KEY
    prop.value = json.dumps(info)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return info
