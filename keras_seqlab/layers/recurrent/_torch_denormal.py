"""Flush-to-zero for the backward pass of the PyTorch time loop.

PyTorch-only helper of `SeqlabRNN._unstacked_loop`; it imports torch, so it
is imported only on that backend (a guarded fast path in the sense of the
design notes).

Why: in a long sequence the gradient that flows back through the time steps
shrinks geometrically. Once it falls below the smallest normal float
(1.2e-38 in float32) the CPU computes with subnormal numbers, which it does
in microcode, many times slower: a long `PeepholeLSTM` backward pass spent
most of its time in recurrent matmuls on subnormal gradients (measured in
benchmarks/README.md, "Measured figures behind library constants").
TensorFlow and XLA run their CPU kernels with
flush-to-zero on already; PyTorch does not unless
`torch.set_flush_denormal(True)` is called.

What: `watch` makes the backward pass of one loop run with
`torch.set_flush_denormal(True)` on the thread that runs it. A hook on the
loop's results switches it on when their gradient arrives; hooks on the
chunks of the hoisted input projection, whose gradients are complete only
once every step has been differentiated, switch it back; an
autograd-engine callback at the end of the backward pass switches it back
should those hooks not all run.
A subnormal is smaller than 2^-126 and is added to gradients of normal
size, so results change only where a whole gradient is itself subnormal
(it becomes zero). The setting is restored to what it was: a user who
turned it on keeps it on.
"""

import threading

import torch  # backend-guarded: imported only by the PyTorch loop

_TINY = torch.finfo(torch.float32).tiny
_state = threading.local()


def _flushing():
    """Whether this thread flushes subnormals now (there is no getter)."""
    probe = torch.full((1,), _TINY, dtype=torch.float32) * 0.5
    return probe.item() == 0.0


def _depth():
    return getattr(_state, "depth", 0)


def _switch_on():
    if _depth() == 0:
        _state.was_on = _flushing()
        if not _state.was_on:
            torch.set_flush_denormal(True)
    _state.depth = _depth() + 1


def _switch_back():
    _state.depth = max(_depth() - 1, 0)
    if _state.depth == 0 and not getattr(_state, "was_on", True):
        torch.set_flush_denormal(False)
        _state.was_on = True


def reset_if_left_on():
    """Restores the setting if a backward pass failed with it switched on.

    Called at each forward pass of the loop: a backward pass that raised
    runs neither the closing hook nor the engine callback.
    """
    if _depth() > 0:
        _state.depth = 1
        _switch_back()


def applies(projections):
    """Whether to watch this loop: CPU, autograd on, not under compile."""
    return (
        torch.is_grad_enabled()
        and all(p.requires_grad for p in projections)
        and projections[0].device.type == "cpu"
        and not torch.compiler.is_compiling()
        and hasattr(torch.autograd.Variable, "_execution_engine")
    )


class _Scope:
    """Flush-to-zero from the first result gradient to the last projection's.

    The scope closes when every chunk of the input projection has its
    gradient (all steps are differentiated then) or, should some never
    get one, when the backward pass ends.
    """

    def __init__(self, chunks):
        self.active = False
        self.chunks = chunks
        self.done = 0

    def open(self, grad):
        if not self.active:
            self.active = True
            self.done = 0
            _switch_on()
            engine = torch.autograd.Variable._execution_engine
            engine.queue_callback(self.close)

    def chunk_done(self, grad):
        self.done += 1
        if self.done >= self.chunks:
            self.close()

    def close(self):
        if self.active:
            self.active = False
            _switch_back()


def watch(projections, results):
    """Runs the backward pass between `results` and `projections` flushing.

    `projections` are the chunks of the hoisted input projection; their
    gradients are complete once every step is differentiated. `results`
    are the tensors the loop returns (outputs and final states).
    """
    scope = _Scope(len(projections))
    watched = False
    for tensor in results:
        if tensor.requires_grad:
            tensor.register_hook(scope.open)
            watched = True
    if watched:
        for projection in projections:
            projection.register_hook(scope.chunk_done)
