"""Output folders: one run at a time, checked before training, a full disk.

`seqlab compare` and `seqlab tune` check their `--out` folder before
anything trains, hold it while they run (a second run is refused with
the holder's pid), write every file atomically, and report a failed
write in one line (exit 1), leaving a folder a rerun resumes from.
"""

import contextlib
import errno
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest
from disk_testing import FullDisk
from disk_testing import check_nothing_half_written
from tune_testing import KERAS_TUNER_WARNINGS
from tune_testing import QUICK
from tune_testing import TIMEOUT
from tune_testing import command
from tune_testing import env
from tune_testing import run_main

from keras_seqlab.utils import files

COMPARE = ["compare", "--models", "linear", "--window", "10", "--limit", "64"]
COMPARE += ["--epochs", "1", "--no-plots"]

# Folders, locks, files and exit codes: plumbing no backend changes
# (tox runs it in the torch environment only).
pytestmark = [
    pytest.mark.filterwarnings(*KERAS_TUNER_WARNINGS),
    pytest.mark.backend_free,
]


def _one_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# -- the lock -----------------------------------------------------------------


@contextlib.contextmanager
def _held_by_another_process(folder, name=files.LOCK_FILE):
    """Another process holds `folder` (as a run would); yields its pid."""
    code = (
        "import sys, time\n"
        "from keras_seqlab.utils import files\n"
        f"with files.folder_lock('other', {str(folder)!r}, name={name!r}):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "held"
        yield process.pid
    finally:
        process.stdin.close()
        process.wait(timeout=60)


@pytest.mark.slow
def test_a_second_compare_is_refused_naming_the_holder(tmp_path):
    with _held_by_another_process(tmp_path) as pid:
        start = time.perf_counter()
        status, out, err = run_main([*COMPARE, "--out", str(tmp_path)])
        line = _one_line(err)
        assert status == 2, err
        assert f"is in use by another run (pid {pid})" in line
        assert "--out" in line and "epoch" not in out + err
        assert time.perf_counter() - start < 60  # refused before training
    # Once the holder has ended, the folder is free again.
    with files.folder_lock("test", tmp_path):
        pass


@pytest.mark.slow
def test_a_second_tune_is_refused_naming_the_holder(tmp_path):
    with _held_by_another_process(tmp_path, ".seqlab-dense.lock") as pid:
        status, out, err = run_main(
            [
                "tune",
                "dense",
                *QUICK,
                "--max-trials",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
    assert status == 2, err
    assert f"in use by another run (pid {pid})" in _one_line(err)
    assert not (tmp_path / "dense").exists()


def test_the_lock_is_per_process_and_released_when_it_ends(tmp_path):
    with files.folder_lock("first", tmp_path):
        assert (tmp_path / files.LOCK_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(files.FolderBusy, match=f"pid {os.getpid()}"):
            with files.folder_lock("second", tmp_path):
                pass
    assert not (tmp_path / files.LOCK_FILE).exists()
    with files.folder_lock("third", tmp_path):
        pass
    # A lock file left behind by a killed run is simply locked again.
    (tmp_path / files.LOCK_FILE).write_text("12345\n")
    with files.folder_lock("fourth", tmp_path):
        assert (tmp_path / files.LOCK_FILE).read_text() == f"{os.getpid()}\n"
    # A folder the lock created and nothing was written to is removed.
    fresh = tmp_path / "fresh"
    with files.folder_lock("fifth", fresh):
        assert fresh.is_dir()
    assert not fresh.exists()


# -- folders that cannot be written -------------------------------------------


def test_compare_refuses_a_file_as_out_before_training(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text("keep me")
    status, out, err = run_main([*COMPARE, "--out", str(path)])
    assert status == 2
    line = _one_line(err)
    assert line == (
        f"seqlab compare: --out {str(path)!r} is a file, not a folder."
    )
    assert path.read_text() == "keep me"


@contextlib.contextmanager
def _tmpfs(path, options):
    """A tmpfs mounted on `path`; skips where mounting is not allowed."""
    path.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def _read_only_folder(path, monkeypatch):
    """A folder this process cannot write. Root ignores permissions, so
    there the write probe fails as on a read-only mount (EROFS)."""
    path.mkdir()
    if os.geteuid() == 0:
        real = tempfile.TemporaryFile

        def read_only(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, path):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), dir)
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
        yield path
        return
    path.chmod(0o555)
    try:
        yield path
    finally:
        path.chmod(0o755)


@pytest.mark.parametrize("kind", ["compare", "tune"])
def test_a_read_only_out_is_refused_before_training(
    tmp_path, kind, monkeypatch
):
    with _read_only_folder(tmp_path / "ro", monkeypatch) as folder:
        argv = (
            [*COMPARE]
            if kind == "compare"
            else ["tune", "dense", *QUICK, "--max-trials", "1"]
        )
        status, out, err = run_main([*argv, "--out", str(folder)])
    assert status == 2, err
    line = _one_line(err)
    assert f"cannot write the folder --out {str(folder)!r}" in line
    assert "epoch" not in out + err


def test_a_csv_that_is_a_folder_is_one_line(tmp_path):
    status, _, err = run_main(
        [
            *COMPARE,
            "--csv",
            str(tmp_path),
            "--target",
            "a",
            "--out",
            str(tmp_path),
        ]
    )
    assert status == 2
    assert str(tmp_path) in _one_line(err)


# -- a full disk --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "settings.json",  # before the first trial
        "trial.json",  # a trial begun
        "checkpoint.weights.h5",  # inside a trial
        "oracle.json",  # the search's state
        "best_model.keras",  # after the search
        "summary.json",  # the last file
    ],
)
def test_tune_on_a_full_disk_stops_in_one_line_and_resumes(
    tmp_path, monkeypatch, name
):
    """A full disk from the first write of `name` on: one line, exit 1,
    nothing half-written, the folder released; the same command, with
    room again, resumes the finished trials and completes the search."""
    argv = ["tune", "dense", *QUICK, "--max-trials", "2"]
    argv += ["--out", str(tmp_path)]
    disk = FullDisk(monkeypatch, fail_at=name)
    status, _, err = run_main(argv)
    assert disk.failed and os.path.basename(disk.failed) == name
    assert status == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("seqlab tune: cannot write"), err
    assert "No space left on device" in last
    assert "run the same command again to resume" in last
    assert "Traceback" not in err
    check_nothing_half_written(tmp_path)
    assert not list(tmp_path.glob(".seqlab*.lock"))
    done = [
        p for p in tmp_path.glob("dense/trial_*/trial.json")
        if json.loads(p.read_text())["status"] == "COMPLETED"
    ]  # fmt: skip
    FullDisk(monkeypatch)  # room again
    status, _, err = run_main(argv)
    assert status == 0, err
    if done:
        assert f"{len(done)} trial(s) done" in err
    summary = json.loads((tmp_path / "dense" / "summary.json").read_text())
    assert summary["completed"] == 2
    check_nothing_half_written(tmp_path)


@pytest.mark.slow
def test_tune_on_a_real_full_disk_stops_in_one_line_and_resumes(tmp_path):
    """The one real full disk (a 100 KB tmpfs): h5py and keras-tuner's
    own writes as the operating system fails them, in a process."""
    argv = command(
        "dense", *QUICK, "--max-trials", "3", "--out", str(tmp_path / "out")
    )
    with _tmpfs(tmp_path / "out", "size=100k") as out:
        first = subprocess.run(
            argv, env=env(), capture_output=True, text=True, timeout=TIMEOUT
        )
        assert first.returncode == 1, first.stderr
        last = first.stderr.strip().splitlines()[-1]
        assert "No space left on device" in last, first.stderr
        assert "run the same command again to resume" in last
        assert "Traceback" not in first.stderr
        check_nothing_half_written(out)
        done = [
            p for p in out.glob("dense/trial_*/trial.json")
            if json.loads(p.read_text())["status"] == "COMPLETED"
        ]  # fmt: skip
        subprocess.run(
            ["mount", "-o", "remount,size=64m", str(out)], check=True
        )
        second = subprocess.run(
            argv, env=env(), capture_output=True, text=True, timeout=TIMEOUT
        )
        assert second.returncode == 0, second.stderr
        if done:
            assert f"{len(done)} trial(s) done" in second.stderr
        summary = json.loads((out / "dense" / "summary.json").read_text())
        assert summary["completed"] == 3
        check_nothing_half_written(out)


def test_compare_on_a_full_disk_stops_in_one_line(tmp_path, monkeypatch):
    """A full disk at each file compare writes (every forecaster, the
    leaderboard, results.json): one line, exit 1, nothing half-written,
    the files before it whole, the folder released."""
    counted = FullDisk(monkeypatch)
    whole = tmp_path / "whole"
    status, _, err = run_main([*COMPARE, "--out", str(whole)])
    assert status == 0, err
    sites = [os.path.relpath(path, whole) for path in counted.written]
    for site, name in enumerate(sites, 1):
        folder = tmp_path / f"full-at-{site}"
        FullDisk(monkeypatch, fail_at=site)
        status, _, err = run_main([*COMPARE, "--out", str(folder)])
        assert status == 1, err
        line = err.strip().splitlines()[-1]
        assert line.startswith("seqlab compare: cannot write"), err
        assert "No space left on device" in line
        assert "Traceback" not in err
        check_nothing_half_written(folder)
        assert not (folder / files.LOCK_FILE).exists()
        # The files before it are whole; this one is as it was (absent,
        # or the version an earlier task wrote).
        for earlier in sites[: site - 1]:
            assert (folder / earlier).stat().st_size > 0, earlier
        assert (folder / name).exists() == (name in sites[: site - 1])
    # The tables after each task, and both tasks' forecasters.
    assert sorted(set(sites)) == [
        "leaderboard.txt",
        "models/one_step/linear.keras",
        "models/seq_to_vector/linear.keras",
        "results.json",
    ]
    assert len(sites) == 6, sites


# -- a recorded trial without its checkpoint ----------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("tuned")
def test_a_missing_checkpoint_fails_that_trial_not_the_search(
    tuned, tuned_copy
):
    argv = [*tuned.argv, "--out", str(tuned_copy)]
    project = tuned_copy / "gru"
    first = json.loads((project / "summary.json").read_text())
    best, second_best, *others = first["best_trials"]
    (project / f"trial_{best}" / "checkpoint.weights.h5").unlink()
    status, _, err = run_main(argv)
    assert status == 0, err
    assert f"skipped trial {best}" in err and "checkpoint does not load" in err
    second = json.loads((project / "summary.json").read_text())
    assert second["best"]["trial_id"] == second_best
    assert second["best_trials"][0] == second_best
    # Without any checkpoint the search fails in one line.
    for trial in (second_best, *others):
        (project / f"trial_{trial}" / "checkpoint.weights.h5").unlink()
    status, _, err = run_main(argv)
    assert status == 1
    assert "no completed trial has a checkpoint that loads" in err
    assert "Traceback" not in err
