"""A disk that fills while a model's weights are written: one line and exit
1, never HDF5's "Can't decrement id ref count" and a segmentation fault.

HDF5 cannot recover from a write that fails half-way: its objects fail
again as they are released, and the process dies (exit 139). So HDF5
writes into memory only (`utils.files.save_weights`, `save_model`); the
disk sees plain file writes, whose failure is an ordinary `OSError`. The
slow tests fill a disk for real, in a process: a file-size limit
(`RLIMIT_FSIZE`, anywhere) and a small tmpfs (where a mount is allowed).
"""

import errno
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import h5py
import keras
import numpy as np
import pytest
from disk_testing import check_nothing_half_written
from tune_testing import QUICK
from tune_testing import TIMEOUT
from tune_testing import command
from tune_testing import env

from keras_seqlab.utils import files


def _model():
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(40), keras.layers.Dense(1)]
    )
    model.compile("adam", "mse")
    model.fit(np.ones((8, 6)), np.ones((8, 1)), epochs=1, verbose=0)
    return model


def _scratch_folders():
    return {p for p in os.listdir(tempfile.gettempdir()) if "seqlab-" in p}


def test_save_weights_writes_what_load_weights_reads(tmp_path):
    model = _model()
    before = _scratch_folders()
    path = tmp_path / "checkpoint.weights.h5"
    files.save_weights(model, path)
    again = keras.models.clone_model(model)
    again.load_weights(path)
    for got, want in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    # The same groups and shapes as Keras's own save_weights writes.
    model.save_weights(tmp_path / "keras.weights.h5")
    assert _tree(path) == _tree(tmp_path / "keras.weights.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.weights.h5",
        "keras.weights.h5",
    ]
    assert _scratch_folders() == before


def _tree(path):
    found = []
    with h5py.File(path, "r") as file:
        file.visititems(
            lambda name, item: found.append((name, getattr(item, "shape", 0)))
        )
    return found


@pytest.mark.parametrize("save", ["save_weights", "save_model"])
def test_hdf5_writes_into_memory_only(tmp_path, monkeypatch, save):
    real = h5py.File
    opened = []

    def recorded(name, mode="r", *args, **kwargs):
        opened.append((name, mode))
        return real(name, mode, *args, **kwargs)

    monkeypatch.setattr(h5py, "File", recorded)
    suffix = ".weights.h5" if save == "save_weights" else ".keras"
    getattr(files, save)(_model(), tmp_path / f"m{suffix}")
    written = [name for name, mode in opened if mode != "r"]
    assert written, opened  # Keras wrote its weights through h5py.File
    assert all(isinstance(name, io.BytesIO) for name in written), written


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("save", ["save_weights", "save_model"])
def test_a_full_disk_is_an_oserror_naming_the_file(tmp_path, save):
    suffix = ".weights.h5" if save == "save_weights" else ".keras"
    path = tmp_path / f"m{suffix}"
    path.write_bytes(b"the previous version")
    # /dev/full fails every write with ENOSPC, as a full disk does.
    files.partial_path(path).symlink_to("/dev/full")
    with pytest.raises(OSError) as info:
        getattr(files, save)(_model(), path)
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(path)
    assert path.read_bytes() == b"the previous version"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# -- in a process --------------------------------------------------------------

_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write instead
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), -1))
from keras_seqlab import cli
sys.exit(cli.main(sys.argv[2:]))
"""


def _check_one_line(status, text, why):
    """Exit 1 and one last line, no HDF5 message, no traceback."""
    assert status == 1, f"exit {status}:\n{text[-3000:]}"
    last = text.strip().splitlines()[-1]
    assert last.startswith("seqlab tune: cannot write "), text[-3000:]
    assert why in last and "run the same command again to resume" in last
    assert text.count("cannot write") == 1
    for noise in ("Traceback", "decrement", "HDF5", "Exception ignored"):
        assert noise not in text, text[-3000:]
    return last


@pytest.mark.slow
def test_a_file_size_limit_during_a_checkpoint_is_one_line(tmp_path):
    """Files may not grow past 16 KB: a trial's checkpoint (about 20 KB)
    fails half-way, as on a disk that fills. Before: exit 139."""
    out = tmp_path / "out"
    argv = ["tune", "dense", *QUICK, "--max-trials", "2", "--out", str(out)]
    limited = [sys.executable, "-c", _LIMITED, "16000", *argv]
    done = subprocess.run(
        limited, env=env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    last = _check_one_line(
        done.returncode, done.stderr, os.strerror(errno.EFBIG)
    )
    assert "checkpoint.weights.h5" in last
    check_nothing_half_written(out)
    again = subprocess.run(
        command(*argv[1:]),
        env=env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads((out / "dense" / "summary.json").read_text())
    assert summary["completed"] == 2


def _in_a_tmpfs(folder, size, script):
    """Runs the shell `script` with a tmpfs of `size` mounted on `folder`,
    in a mount namespace of its own (nothing is left mounted)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to mount a tmpfs in")
    folder.mkdir()
    user = [] if os.geteuid() == 0 else ["-r"]  # a user namespace
    mount = f"mount -t tmpfs -o size={size} tmpfs {folder} || exit 99"
    done = subprocess.run(
        ["unshare", *user, "-m", "sh", "-c", f"{mount}\n{script}"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=3 * TIMEOUT,
    )
    if done.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return done


@pytest.mark.slow
@pytest.mark.parametrize("size", ["140k", "170k"])
def test_tune_on_a_small_tmpfs_is_one_line_and_resumes(tmp_path, size):
    """Sizes at which the disk filled inside an HDF5 write on every
    backend before (exit 139); now exit 1 and, with room, the same
    command resumes."""
    out = tmp_path / "out"
    tune = shlex.join(command("dense", *QUICK, "--max-trials", "3"))
    tune += f" --out {out}/tune"
    script = (
        f"{tune} 2> {tmp_path}/first.err; echo $? > {tmp_path}/first.rc\n"
        f"mount -o remount,size=64m {out}\n"
        f"{tune} 2> {tmp_path}/second.err; echo $? > {tmp_path}/second.rc\n"
        f"cp -r {out}/tune {tmp_path}/kept"
    )
    _in_a_tmpfs(out, size, script)
    status = int((tmp_path / "first.rc").read_text())
    first = (tmp_path / "first.err").read_text()
    _check_one_line(status, first, os.strerror(errno.ENOSPC))
    second = (tmp_path / "second.err").read_text()
    assert (tmp_path / "second.rc").read_text().strip() == "0", second
    kept = tmp_path / "kept"  # OUT/tune: the search is in dense/
    summary = json.loads((kept / "dense" / "summary.json").read_text())
    assert summary["completed"] == 3
    check_nothing_half_written(kept)


@pytest.mark.slow
def test_compare_on_a_small_tmpfs_names_the_file_it_could_not_write(
    tmp_path,
):
    """Its forecasters (`.keras`) and tables: one line naming the file
    (before: "cannot write: No space left on device", no file)."""
    out = tmp_path / "out"
    compare = shlex.join(
        [sys.executable, "-m", "keras_seqlab.cli", "compare"]
        + ["--models", "linear,gru", "--epochs", "1", "--window", "5"]
    )
    script = (
        f"{compare} --out {out}/c 2> {tmp_path}/err; echo $? > {tmp_path}/rc"
    )
    _in_a_tmpfs(out, "30k", script)
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == "1", err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"seqlab compare: cannot write {out}/c/"), err
    assert last.endswith(os.strerror(errno.ENOSPC)), err
    assert "Traceback" not in err and err.count("cannot write") == 1
