"""Training a built model the one way this package does everywhere.

Adam on the given loss, early stopping on the validation loss with the
best weights restored: what `seqlab compare`, the untuned baseline of
`seqlab tune` and the refits of a backtest all use.
"""

import time

import keras
import numpy as np

MONITOR = "val_loss"
# Windows predicted at once. Every batch has this size (or all windows, if
# fewer): the last one is padded, so that JAX and TensorFlow compile the
# predict step once instead of again for a smaller last batch (measured:
# benchmarks/README.md, "Measured figures behind library constants").
PREDICT_BATCH = 1024


def fit(
    model,
    train,
    val,
    epochs,
    batch_size=32,
    patience=5,
    loss="mse",
    callbacks=(),
    restore_best=True,
):
    """Compiles and trains `model`; returns `(history, seconds)`.

    Args:
        model: an uncompiled model (e.g. from `keras_seqlab.build`).
        train, val: `(x, y)` arrays, or a `keras.utils.PyDataset` of
            batches (`train` as a one-item tuple; `batch_size` is then
            the dataset's own); `val` drives early stopping.
        epochs: the most epochs.
        batch_size, patience: of `fit` and of the early stopping.
        loss: the training loss (MSE, or a quantile model's pinball loss).
        callbacks: more Keras callbacks (progress, interruption).
        restore_best: restore the best validation epoch's weights when
            training ends (the default); False keeps the last epoch's.

    Returns:
        The history (`{"loss": [...], "val_loss": [...]}`, floats) and the
        training time; `({}, 0.0)` for a model without weights, which is
        compiled but not trained.
    """
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
    if not model.trainable_weights:
        return {}, 0.0
    stop = keras.callbacks.EarlyStopping(
        monitor=MONITOR,
        patience=patience,
        restore_best_weights=bool(restore_best),
    )
    start = time.perf_counter()
    fitted = model.fit(
        *train,
        validation_data=val,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stop, *callbacks],
        verbose=0,
    )
    history = {k: [float(v) for v in vs] for k, vs in fitted.history.items()}
    return history, time.perf_counter() - start


def predict(model, inputs):
    """`model.predict(inputs)` in equal batches (see `PREDICT_BATCH`).

    `inputs` is an array of windows or a dict of them (a panel model's);
    the padding (copies of the last window) is dropped from the result.
    """
    n = len(keras.tree.flatten(inputs)[0])
    batch = max(1, min(n, PREDICT_BATCH))
    pad = -n % batch
    if pad:
        rows = np.r_[np.arange(n), np.full(pad, n - 1)]
        inputs = keras.tree.map_structure(lambda a: a[rows], inputs)
    return np.asarray(model.predict(inputs, batch_size=batch, verbose=0))[:n]
