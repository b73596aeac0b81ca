"""The installed layout and the `seqlab` command."""

import importlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys

import keras
import pytest

import keras_seqlab
from keras_seqlab.testing import reference_check as check
from keras_seqlab.utils import compile_settings

REQUIRE_INSTALLED = os.environ.get("SEQLAB_REQUIRE_INSTALLED") == "1"


@pytest.fixture(scope="module", autouse=True)
def _own_cache_home(tmp_path_factory):
    """`seqlab check`'s default JAX cache in a folder of this module's
    (per xdist worker): never the user's, never shared by two workers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.mark.backend_free
@pytest.mark.skipif(
    not REQUIRE_INSTALLED,
    reason="only under tox (SEQLAB_REQUIRE_INSTALLED=1), which installs "
    "the wheel; a developer's editable install points at the sources",
)
def test_tests_run_against_the_installed_wheel():
    location = os.path.dirname(keras_seqlab.__file__)
    assert "site-packages" in location.split(os.sep)
    reference = importlib.import_module("keras_seqlab.reference")
    assert os.path.dirname(reference.__file__) == os.path.join(
        location, "reference"
    )
    # One import package: no generic top-level `reference` or `tuning`.
    files = importlib.metadata.files("keras-seqlab")
    top = {f.parts[0] for f in files if f.suffix == ".py"}
    assert top == {"keras_seqlab"}


@pytest.mark.backend_free
def test_reference_and_tuning_are_subpackages():
    for name in ("keras_seqlab.reference", "keras_seqlab.tuning"):
        assert importlib.import_module(name).__name__ == name


def _seqlab(*args, env=None):
    exe = shutil.which("seqlab")
    command = [exe] if exe else [sys.executable, "-m", "keras_seqlab.cli"]
    return subprocess.run(
        command + list(args),
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def _table_rows(stdout):
    lines = [line.rstrip() for line in stdout.splitlines()]
    return [line for line in lines if line.endswith("pass")]


@pytest.mark.slow
def test_seqlab_check_prints_a_passing_table_and_caches_it(tmp_path):
    """Two cells, as a user runs it (without the suite's XLA_FLAGS), then
    again from the cache it filled: the same table."""
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    cells = ("--cells", "PeepholeLSTM,GRUVariant mgu", "--cache-dir", cache)
    done = _seqlab("check", *map(str, cells), env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split() == [
        "case",
        "setup",
        "max",
        "|fwd",
        "err|",
        "max",
        "|grad",
        "err|",
        "result",
    ]
    rows = [
        line
        for line in lines
        if line.startswith(("PeepholeLSTM ", "GRUVariant mgu "))
    ]
    # One row per case and setup it runs under.
    per_case = len(check.FORWARD_SETUPS) + len(check.GRADIENT_SETUPS)
    assert len(rows) == 2 * per_case
    assert all(r.rstrip().endswith("pass") for r in rows)
    assert lines[-1] == f"{2 * per_case} passed, 0 failed"
    assert _table_rows(done.stdout) == [r.rstrip() for r in rows]
    if keras.backend.backend() == "jax":
        import jaxlib

        assert f"JAX compilation cache {cache}" in done.stdout
        assert len(list(cache.iterdir())) > 10  # the compiled ops
        # Every flag but the long-standing optimization level is tried
        # first, and the answers are kept.
        record = cache / f"xla-flags-{jaxlib.__version__}.json"
        answers = json.loads(record.read_text())
        assert set(answers) == set(compile_settings.FAST_COMPILE_FLAGS[1:])
        assert all(isinstance(known, bool) for known in answers.values())
    else:
        assert "compilation cache" not in done.stdout
        assert not cache.exists()
    # The same numbers, whether compiled anew or loaded from the cache.
    again = _seqlab("check", *map(str, cells), env=env)
    assert again.returncode == 0, again.stderr
    assert _table_rows(again.stdout) == _table_rows(done.stdout)


def test_xla_accepts_tries_a_flag_in_a_child_and_keeps_the_answer(tmp_path):
    if keras.backend.backend() != "jax":
        pytest.skip("XLA_FLAGS are JAX's; other backends ignore them")
    # XLA aborts a process on an unknown flag: the child's exit tells.
    assert not compile_settings.xla_accepts(
        "--xla_no_such_seqlab_flag=1", tmp_path
    )
    assert compile_settings.xla_accepts(
        "--xla_backend_optimization_level=0", tmp_path
    )
    (record,) = tmp_path.iterdir()
    answers = json.loads(record.read_text())
    assert answers == {
        "--xla_no_such_seqlab_flag=1": False,
        "--xla_backend_optimization_level=0": True,
    }
    # A later call reads the kept answer instead of starting a child.
    answers["--xla_no_such_seqlab_flag=1"] = True
    record.write_text(json.dumps(answers))
    assert compile_settings.xla_accepts("--xla_no_such_seqlab_flag=1", tmp_path)
    assert not compile_settings.xla_accepts("--xla_no_such_seqlab_flag=1", None)
    # A record that is not a {flag: answer} table is tried anew, replaced.
    record.write_text("[1, 2]")
    assert not compile_settings.xla_accepts(
        "--xla_no_such_seqlab_flag=1", tmp_path
    )
    assert json.loads(record.read_text()) == {
        "--xla_no_such_seqlab_flag=1": False
    }


def test_seqlab_check_refuses_an_unwritable_cache_dir(tmp_path):
    if keras.backend.backend() != "jax":
        pytest.skip("the cache is JAX's; other backends ignore --cache-dir")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = str(blocker / "cache")
    done = _seqlab("check", "--cells", "GRUVariant mgu", "--cache-dir", bad)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"seqlab check: --cache-dir {bad!r} is not a folder this user can "
        "write."
    ]
    assert done.stdout == ""


@pytest.mark.slow
@pytest.mark.backend_free
def test_seqlab_check_lists_and_rejects_unknown_cells():
    listed = _seqlab("check", "--list")
    assert listed.returncode == 0
    names = listed.stdout.splitlines()
    assert "GRUVariant gru3" in names
    # Every layer family, TCN's included (declared by its module alone).
    assert {"TCN", "TCNBlock k3 d2", "WaveNetBlock gated"} <= set(names)
    unknown = _seqlab("check", "--cells", "NoSuchCell")
    assert unknown.returncode == 2
    assert "unknown cell 'NoSuchCell'" in unknown.stderr
