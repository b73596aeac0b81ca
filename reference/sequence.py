"""Running a step function over a sequence, with Keras's RNN semantics.

For one sample, :func:`run_sequence` computes

    output_t, states_t = step(params, x_t, states_{t-1}, **options)

for t = 1 … T and reproduces what ``keras.layers.RNN`` returns:

* ``go_backwards=True``: the steps are processed from x_T down to x_1 and
  ``outputs`` is listed in processing order, i.e. reversed in time (as
  Keras returns it: ``outputs[0]`` belongs to x_T).
* A mask (True = real step) makes a step a no-op: at a masked step the
  states are carried unchanged, states_t = states_{t-1}, and the output is

  - the previous processed step's output, or the zero vector if no step
    has been processed yet (the sequence starts with masked steps);
  - always the zero vector when ``zero_output_for_mask=True`` (what Keras
    uses with ``return_sequences=True``).

  The step function is still evaluated at a masked step (as Keras does);
  its results are discarded, so no gradient flows through them.
* ``last_output`` is ``outputs[-1]``: the output of the last processed
  step, after the masking rule.

Keras's TensorFlow and PyTorch backends follow exactly these rules. Its
JAX backend uses ``states[0]`` as "the previous output" of a masked step,
which only differs for masked steps before the first real one with a
non-zero initial state: JAX repeats the initial ``states[0]`` there
instead of zeros.
"""

from .linalg import zeros


def run_sequence(
    step,
    params,
    xs,
    initial_states,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    **options,
):
    """Run ``step`` over the time steps of one sample.

    Args:
        step: a step function ``step(params, x, states, **options)``
            returning ``(output, new_states)``.
        params: the step's weights.
        xs: list over time of input vectors x_1 … x_T (T >= 1).
        initial_states: list of state vectors before the first step.
        mask: None, or a list of T booleans, True for a real step.
        go_backwards: process x_T … x_1; ``outputs`` then come in that
            (reversed) order.
        zero_output_for_mask: a masked step outputs zeros instead of the
            previous output.
        **options: passed on to ``step`` (e.g. ``activation="relu"``).

    Returns:
        ``(outputs, last_output, final_states)``: the list of T output
        vectors in processing order, ``outputs[-1]``, and the list of
        state vectors after the last step.
    """
    if not xs:
        raise ValueError("run_sequence needs at least one time step, got 0")
    if mask is not None and len(mask) != len(xs):
        raise ValueError(
            f"run_sequence: mask has {len(mask)} entries for {len(xs)} "
            "time steps"
        )
    order = list(range(len(xs)))
    if go_backwards:
        order.reverse()
    states = list(initial_states)
    outputs = []
    for t in order:
        output, new_states = step(params, xs[t], states, **options)
        if mask is None or mask[t]:
            states = list(new_states)
        elif zero_output_for_mask or not outputs:
            output = zeros(len(output))
        else:
            output = list(outputs[-1])
        outputs.append(output)
    return outputs, outputs[-1], states


def run_batch(
    step, params, batch_xs, batch_initial_states, batch_mask=None, **kw
):
    """:func:`run_sequence` for every sample of a batch.

    Args:
        step, params: as for :func:`run_sequence`, shared by all samples.
        batch_xs: list over samples of ``xs``.
        batch_initial_states: list over samples of ``initial_states``.
        batch_mask: None, or a list over samples of ``mask``.
        **kw: ``go_backwards``, ``zero_output_for_mask`` and step options.

    Returns:
        ``(outputs, last_outputs, final_states)``, each a list over samples.
    """
    if len(batch_initial_states) != len(batch_xs):
        raise ValueError(
            f"run_batch: {len(batch_initial_states)} initial states for "
            f"{len(batch_xs)} samples"
        )
    if batch_mask is None:
        batch_mask = [None] * len(batch_xs)
    elif len(batch_mask) != len(batch_xs):
        raise ValueError(
            f"run_batch: {len(batch_mask)} masks for {len(batch_xs)} samples"
        )
    all_outputs, last_outputs, final_states = [], [], []
    samples = zip(batch_xs, batch_initial_states, batch_mask, strict=True)
    for xs, states, mask in samples:
        outputs, last, final = run_sequence(
            step, params, xs, states, mask=mask, **kw
        )
        all_outputs.append(outputs)
        last_outputs.append(last)
        final_states.append(final)
    return all_outputs, last_outputs, final_states
