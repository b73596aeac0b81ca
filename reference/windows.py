"""Windowing a series: the obvious double loop, lists in, lists out.

The specification of :func:`keras_seqlab.windows.make_windows`. ``rows``
is a list of rows, each a list of numbers (one per column). Window ``k``
starts at row ``s = k * stride``:

* inputs: rows s … s + window − 1, the ``inputs`` columns of each;
* many-to-one targets: rows s + window + gap … s + window + gap +
  horizon − 1 (the ``horizon`` rows that start ``gap`` rows after the
  window's last row);
* seq-to-seq targets (``seq2seq=True``): for every input step t of the
  window, rows s + t + 1 + gap … s + t + gap + horizon.

Windows are made while the last target row is inside the series. A single
target column (an int) gives ``horizon`` numbers per target; a list of
target columns gives ``horizon`` lists of those columns.
"""


def _target(rows, first, horizon, targets):
    """The ``horizon`` target values (or rows of values) from ``first``."""
    if isinstance(targets, int):
        return [rows[first + h][targets] for h in range(horizon)]
    return [[rows[first + h][c] for c in targets] for h in range(horizon)]


def make_windows(
    rows,
    window,
    horizon=1,
    gap=0,
    stride=1,
    targets=0,
    inputs=None,
    seq2seq=False,
):
    """Input windows and their targets.

    Args:
        rows: list of rows, each a list of numbers.
        window: input length (>= 1).
        horizon: number of target steps (>= 1).
        gap: steps between the window's last row and the first target.
        stride: steps between window starts (>= 1).
        targets: one column index (int) or a list of column indices.
        inputs: list of input column indices; None for every column.
        seq2seq: targets at every input step instead of after the window.

    Returns:
        ``(xs, ys)``: ``xs[k][t]`` is the list of input values of step t of
        window k; ``ys[k]`` its targets (``ys[k][t]`` with ``seq2seq``).
    """
    if inputs is None:
        inputs = list(range(len(rows[0]))) if rows else []
    xs, ys = [], []
    start = 0
    while start + window + gap + horizon <= len(rows):
        xs.append([[rows[start + t][c] for c in inputs] for t in range(window)])
        if seq2seq:
            ys.append(
                [
                    _target(rows, start + t + 1 + gap, horizon, targets)
                    for t in range(window)
                ]
            )
        else:
            ys.append(_target(rows, start + window + gap, horizon, targets))
        start += stride
    return xs, ys
