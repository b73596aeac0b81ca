"""Helpers shared by the test modules (tests/ is on sys.path)."""

import keras
import numpy as np

BACKEND = keras.backend.backend()


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def random_sequences(batch=3, timesteps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, timesteps, features)).astype("float32")
