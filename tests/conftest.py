"""Shared fixtures. The suite runs once per backend (KERAS_BACKEND).

Tests marked `backend_free` prove something no Keras backend can change
(pure Python, numpy arithmetic, files, processes, signals, argument
checks): tox runs them in one environment only, and the others set
`SEQLAB_BACKEND_FREE=skip`, which deselects them (see tox.ini for which
environment runs them, and why). Run by hand, without that variable,
every test runs.
"""

import os
import pathlib
import shutil
import types

import keras
import pytest

BACKEND = keras.backend.backend()
if BACKEND == "jax":
    # The suite compiles thousands of small XLA programs; with the settings
    # `seqlab check` uses (LLVM at -O0, XLA:CPU's loop emitters), XLA
    # compiles them in about half the time (benchmarks/README.md). Set
    # before JAX's first computation, when XLA reads XLA_FLAGS;
    # subprocesses inherit them.
    from keras_seqlab.utils.compile_settings import jax_compile_settings

    jax_compile_settings(None)
DATA_DIR = (
    pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
)


def pytest_report_header(config):
    import keras_seqlab

    lines = [
        f"keras {keras.__version__}, backend {BACKEND}, "
        f"keras_seqlab from {os.path.dirname(keras_seqlab.__file__)}"
    ]
    if os.environ.get("SEQLAB_BACKEND_FREE") == "skip":
        lines.append(
            "SEQLAB_BACKEND_FREE=skip: the tests marked backend_free are "
            "deselected here (tox runs them in the torch environment)"
        )
    return lines


def pytest_collection_modifyitems(config, items):
    setting = os.environ.get("SEQLAB_BACKEND_FREE", "run")
    if setting not in ("run", "skip"):
        raise pytest.UsageError(
            f"SEQLAB_BACKEND_FREE must be 'run' or 'skip', got {setting!r}"
        )
    if setting == "run":
        return
    kept, free = [], []
    for item in items:
        marked = item.get_closest_marker("backend_free") is not None
        (free if marked else kept).append(item)
    if free:
        config.hook.pytest_deselected(items=free)
        items[:] = kept


@pytest.fixture(autouse=True)
def _isolate():
    """Fixed seeds; the global dtype policy restored after each test.

    No `keras.backend.clear_session()`: it runs a full garbage collection
    at every test, and no test depends on auto-generated names.
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


@pytest.fixture(scope="session")
def tuned(tmp_path_factory):
    """One `seqlab tune gru` search (3 trials, in this process) shared by
    the tests that read or resume a tuned folder: `argv`, `folder` (do not
    change it: `tuned_copy` gives a copy), `status`, `out`, `err`.

    Tests that use it are in the xdist group "tuned", so one worker runs
    them all and the search runs once.
    """
    pytest.importorskip("keras_tuner")
    from tune_testing import QUICK
    from tune_testing import run_main

    folder = tmp_path_factory.mktemp("tuned")
    argv = ["tune", "gru", *QUICK, "--max-trials", "3"]
    status, out, err = run_main([*argv, "--out", str(folder)])
    return types.SimpleNamespace(
        argv=argv, folder=folder, status=status, out=out, err=err
    )


@pytest.fixture
def tuned_copy(tuned, tmp_path):
    """A copy of the shared tuned folder a test may change: its path."""
    assert tuned.status == 0, tuned.err
    copy = tmp_path / "tuned"
    shutil.copytree(tuned.folder, copy)
    return copy
