"""Shared fixtures. The suite runs once per backend (KERAS_BACKEND)."""

import os
import pathlib

import keras
import pytest

BACKEND = keras.backend.backend()
DATA_DIR = (
    pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
)


def pytest_report_header(config):
    import keras_seqlab

    return (
        f"keras {keras.__version__}, backend {BACKEND}, "
        f"keras_seqlab from {os.path.dirname(keras_seqlab.__file__)}"
    )


@pytest.fixture(autouse=True)
def _isolate():
    """Fixed seeds; the global dtype policy restored after each test.

    No `keras.backend.clear_session()`: it runs a full garbage collection
    (about 0.2 s a test) and no test depends on auto-generated names.
    """
    keras.utils.set_random_seed(1234)
    policy = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(policy)


@pytest.fixture
def data_dir():
    """../shared/data beside the repository (real data sets)."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"shared data folder not found at {DATA_DIR}")
    return DATA_DIR
