"""What a converter needs around Keras's `Model.export` on one backend.

JAX's ONNX converter (jax2onnx) converts forward `lax.scan`s only ("Reverse
scan is not supported"), and Keras's JAX recurrent loop scans in reverse
for `go_backwards` (the backward half of every `Bidirectional`).
`prepared` makes a reverse scan a forward scan over the reversed inputs
while the model is traced: by its definition the same numbers (`lax.scan`
with `reverse=True` is the forward scan of the flipped `xs`, its stacked
outputs flipped back).
"""

import contextlib


def _forward_scan(scan):
    """`scan` (JAX's `lax.scan`) that runs a reverse scan forward."""
    import jax

    def flip(tree):
        return jax.tree_util.tree_map(lambda a: jax.numpy.flip(a, 0), tree)

    def forward(f, init, xs=None, length=None, reverse=False, **options):
        if not reverse:
            return scan(f, init, xs, length=length, **options)
        carry, ys = scan(f, init, flip(xs), length=length, **options)
        return carry, flip(ys)

    return forward


@contextlib.contextmanager
def prepared(format, backend):
    """The setting `format`'s converter on `backend` needs while the model
    is exported (JAX to ONNX: forward scans only), undone after."""
    if (backend, format) != ("jax", "onnx"):
        yield
        return
    import jax

    scan = jax.lax.scan
    jax.lax.scan = _forward_scan(scan)
    try:
        yield
    finally:
        jax.lax.scan = scan
