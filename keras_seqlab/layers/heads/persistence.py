"""The naive forecast as a layer: the last observed value, repeated."""

import numbers

from keras import layers
from keras import ops

from keras_seqlab.layers.stepping import PointwiseStep
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_units


def check_target_index(owner, target_index):
    """`target_index` as an int or a non-empty tuple of ints."""
    items = (
        [target_index]
        if isinstance(target_index, numbers.Number)
        else target_index
    )
    try:
        items = list(items)
    except TypeError:
        items = None
    if not items or any(
        isinstance(i, bool) or not isinstance(i, numbers.Integral)
        for i in items
    ):
        raise ValueError(
            f"{owner}: `target_index` must be a column index (int) or a "
            f"non-empty list of them, got {target_index!r}."
        )
    if isinstance(target_index, numbers.Integral):
        return int(target_index)
    return tuple(int(i) for i in items)


@seqlab_export
class Persistence(PointwiseStep, layers.Layer):
    """The naive forecast: the last observed value, repeated.

    For inputs x of shape `(batch, T, k)` and target column(s) c, the
    forecast of each of the next H = `horizon` steps is x[:, T-1, c], the
    last step's value. With `return_sequences=True` every step t gets the
    forecast x[:, t, c] (the seq-to-seq baseline). No weights.

    Output shapes follow `make_windows`: for one target column (an int
    `target_index`) `(batch, H)`, or `(batch, T, H)` with
    `return_sequences`; for a list of n columns `(batch, H, n)` or
    `(batch, T, H, n)`.

    Args:
        target_index: the input column (int) or columns (list of ints)
            that hold the target; negative indices count from the end.
        horizon: positive integer, the number of steps forecast.
        return_sequences: forecast at every step (True) or from the last
            step only (False).

    Example:

    >>> layer = keras_seqlab.Persistence(target_index=1, horizon=3)
    >>> x = np.arange(12.0).reshape(1, 4, 3)
    >>> keras.ops.convert_to_numpy(layer(x)).tolist()
    [[10.0, 10.0, 10.0]]
    """

    def __init__(
        self, target_index=0, horizon=1, return_sequences=False, **kwargs
    ):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        self.target_index = check_target_index(owner, target_index)
        self.horizon = check_units(owner, horizon, "horizon")
        self.return_sequences = bool(return_sequences)

    def _columns(self, features):
        single = isinstance(self.target_index, int)
        indices = (self.target_index,) if single else self.target_index
        if features is not None:
            for index in indices:
                if not -features <= index < features:
                    raise ValueError(
                        f"{self.__class__.__name__} '{self.name}': "
                        f"target_index {index} is out of range for inputs "
                        f"with {features} features."
                    )
            indices = tuple(i % features for i in indices)
        return indices, single

    def _check(self, shape):
        shape = tuple(shape)
        if len(shape) != 3:
            raise ValueError(
                f"{self.__class__.__name__} '{self.name}': expected inputs "
                f"of rank 3 (batch, timesteps, features), got shape {shape}."
            )
        return self._columns(shape[-1])

    def build(self, inputs_shape):
        self._check(inputs_shape)

    def call(self, inputs):
        indices, single = self._check(inputs.shape)
        # Static slices, not `ops.take`: PyTorch's take flattens its indices
        # with `ravel`, which torch.onnx cannot export.
        columns = [inputs[..., i : i + 1] for i in indices]
        values = (
            ops.concatenate(columns, -1) if len(columns) > 1 else columns[0]
        )
        # values: (b, T, n)
        if not self.return_sequences:
            values = values[:, -1:, :]
        values = ops.repeat(ops.expand_dims(values, -2), self.horizon, -2)
        if not self.return_sequences:
            values = values[:, 0]
        if single:
            values = values[..., 0]
        return values

    def compute_output_shape(self, inputs_shape):
        indices, single = self._check(inputs_shape)
        shape = (inputs_shape[0],)
        if self.return_sequences:
            shape += (inputs_shape[1],)
        shape += (self.horizon,)
        return shape if single else shape + (len(indices),)

    def get_config(self):
        target_index = self.target_index
        if not isinstance(target_index, int):
            target_index = list(target_index)
        config = {
            "target_index": target_index,
            "horizon": self.horizon,
            "return_sequences": self.return_sequences,
        }
        return {**super().get_config(), **config}
