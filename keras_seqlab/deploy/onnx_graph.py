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


def _rename_outputs(graph, names):
    """Gives the graph's outputs `names`, through Identity nodes (one
    tensor may be two outputs: a step's output and its new state)."""
    from onnx import helper

    for value, name in zip(graph.output, names):
        if value.name == name:
            continue
        graph.node.append(
            helper.make_node(
                "Identity", [value.name], [name], name=f"name_{name}"
            )
        )
        value.name = name


def _shape(value):
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else None for d in dims]


def finish(path, info, inputs=None, outputs=None):
    """Renames the inputs and outputs of the ONNX file at `path` (None:
    keeps them), records them in `info` and writes `info` as JSON into
    its `metadata_props["keras_seqlab"]`. Returns `info`.

    Raises:
        ValueError: the file's inputs or outputs are not as many as the
            names.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
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
