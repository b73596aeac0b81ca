"""Timing shared by the benchmark scripts: one training step of a model.

The model is `Input(input_shape) -> layer -> Dense(1)`, compiled with Adam
and MSE; one step is one `train_on_batch` (forward, backward, update) on a
fixed random batch. The first `warmup` calls build and compile and are not
timed; the figure is the median of `repeats` timed calls.
"""

import sys
import time

import keras
import numpy as np


def progress(message):
    """A timestamped line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr)
    sys.stderr.flush()


def ratio(numerator, denominator):
    """`numerator / denominator`, or None when either is missing."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def random_batch(batch, input_shape):
    """A fixed `(x, y)`: standard normal inputs and one target per sample."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *input_shape)).astype("float32")
    y = rng.standard_normal((batch, 1)).astype("float32")
    return x, y


def build_model(make_layer, input_shape, jit_compile):
    """`Input -> make_layer() -> Dense(1)`, compiled, with seeded weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(input_shape), make_layer(), keras.layers.Dense(1)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(), loss="mse", jit_compile=jit_compile
    )
    return model


def time_steps(model, x, y, warmup, repeats):
    """Median ms of `repeats` train_on_batch calls after `warmup` calls."""
    for _ in range(warmup):
        model.train_on_batch(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def describe(exc):
    """`Type: first line of the message`, at most 300 characters."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    return f"{type(exc).__name__}: {first}"[:300]


def measure(make_layer, input_shape, batch, jit_compile, warmup, repeats):
    """One model's ms/step; on an XLA failure, tries again without XLA.

    Args:
        make_layer: a callable without arguments that returns the layer.
        input_shape: `(timesteps, features)`.
        batch: the batch size.
        jit_compile: passed to `compile`; `True` falls back to `False`.
        warmup, repeats: untimed and timed calls.

    Returns:
        `{"ms", "jit_compile", "warmup", "repeats", "failures"}`; `ms` is
        None when every attempt failed, `jit_compile` what Keras used.
    """
    attempts = [jit_compile] + ([False] if jit_compile is True else [])
    record = {
        "ms": None,
        "jit_compile": None,
        "warmup": warmup,
        "repeats": repeats,
        "failures": [],
    }
    x, y = random_batch(batch, input_shape)
    for attempt in attempts:
        try:
            model = build_model(make_layer, input_shape, attempt)
            record["ms"] = time_steps(model, x, y, warmup, repeats)
            # What Keras used: it may turn XLA off for some models.
            record["jit_compile"] = model.jit_compile
            break
        except Exception as exc:  # reported in the table, then next try
            record["failures"].append(f"jit_compile={attempt}: {describe(exc)}")
        finally:
            keras.backend.clear_session()
    return record
