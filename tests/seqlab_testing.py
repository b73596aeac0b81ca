"""Helpers shared by the test modules (tests/ is on sys.path)."""

import keras
import numpy as np

BACKEND = keras.backend.backend()


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def random_sequences(batch=3, timesteps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, timesteps, features)).astype("float32")


def check_seeded_dropout_step(layer, x, y):
    """One compiled training step of `layer` (built with dropout and a
    seed) under a Dense head: it compiles (XLA on TensorFlow and JAX),
    changes every weight, draws other masks at the next step, and is a
    function of the variables alone (weights and seed state): run again
    from the same ones, it gives the same loss and weights. (Random bits
    differ between XLA and eager TensorFlow: no eager comparison; that a
    compiled step equals the eager one without dropout is the harness's
    check.)"""
    model = keras.Sequential(
        [keras.Input(x.shape[1:]), layer, keras.layers.Dense(y.shape[-1])]
    )
    jit = "auto" if BACKEND == "torch" else True
    model.compile("sgd", "mse", jit_compile=jit)
    start = model.get_weights()
    state = [to_numpy(v) for v in model.variables]  # with the seed state
    loss = float(model.train_on_batch(x, y))
    weights = model.get_weights()
    assert np.isfinite(loss)
    for before, after in zip(start, weights, strict=True):
        assert not np.array_equal(before, after)
    # The next step, from the same weights, draws other masks.
    model.set_weights(start)
    assert float(model.train_on_batch(x, y)) != loss
    # From the same variables again: the same step.
    for variable, value in zip(model.variables, state, strict=True):
        variable.assign(value)
    assert float(model.train_on_batch(x, y)) == loss
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
