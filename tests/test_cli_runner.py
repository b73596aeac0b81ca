"""How every `seqlab` command ends (`keras_seqlab.cli.runner`): one line
and one exit status for a bad setting (2), a failed write (1), Ctrl-C (130)
and SIGTERM (143, after the cleanup of an interrupt), and the library's
backticked settings named as the command's flags."""

import argparse
import contextlib
import io
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest
from disk_testing import FullDisk
from disk_testing import check_nothing_half_written
from seqlab_testing import BACKEND
from tune_testing import run_main

import keras_seqlab
from keras_seqlab import cli
from keras_seqlab.cli import options
from keras_seqlab.cli import runner
from keras_seqlab.utils import files

# Exit statuses, signals, files and messages: plumbing no backend changes.
pytestmark = pytest.mark.backend_free

TIMEOUT = 240


def _toy(prepare=None, work=None, **keywords):
    """A command `toy` with flags --max-rows and POS, run through the
    runner; returns its `run`."""
    parser = argparse.ArgumentParser(prog="seqlab toy")
    parser.add_argument("pos", metavar="POS")
    parser.add_argument("--max-rows", type=int)
    runner.command(
        parser,
        prepare or (lambda args: None),
        work or (lambda args, prepared: 0),
        **keywords,
    )
    return parser.get_default("run"), parser.parse_args(["x"])


def _call(run, args):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = run(args)
    return status, err.getvalue()


@contextlib.contextmanager
def _sigterm_recorded():
    """A SIGTERM handler that records instead of killing the test run (the
    one the runner must put back); yields what it recorded."""
    seen = []

    def record(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        yield seen, record
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_for_signal():
    for _ in range(500):  # the handler runs between two bytecodes
        time.sleep(0.01)
    raise AssertionError("no signal arrived")


# -- the runner, in this process ----------------------------------------------


def test_sigterm_during_the_work_exits_143_after_the_cleanup():
    cleaned = []

    def work(args, prepared):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_signal()
        finally:
            cleaned.append(prepared)  # as a lock's or partial file's would

    run, args = _toy(lambda args: "plan", work)
    with _sigterm_recorded() as (seen, record):
        status, err = _call(run, args)
        assert signal.getsignal(signal.SIGTERM) is record  # put back
    assert seen == []  # the runner's handler took it, not the previous one
    assert status == 143
    assert err == "seqlab toy: terminated; nothing written\n"
    assert cleaned == ["plan"]


def test_sigterm_while_preparing_exits_143():
    def prepare(args):
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for_signal()

    run, args = _toy(prepare)
    with _sigterm_recorded() as (seen, _):
        status, err = _call(run, args)
    assert (status, seen) == (143, [])
    assert err.strip() == "seqlab toy: terminated; nothing written"


def test_ctrl_c_exits_130_and_says_what_is_kept():
    def work(args, prepared):
        raise KeyboardInterrupt

    run, args = _toy(lambda args: "plan", work)
    assert _call(run, args) == (
        130,
        "\nseqlab toy: interrupted; nothing written\n",
    )
    run, args = _toy(
        lambda args: "plan", work, kept=lambda plan: f"; kept {plan}"
    )
    assert _call(run, args) == (130, "\nseqlab toy: interrupted; kept plan\n")


def test_the_handler_is_only_set_on_the_main_thread():
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def work(args, prepared):
        seen.append(signal.getsignal(signal.SIGTERM))
        return 0

    run, args = _toy(work=work)
    thread = threading.Thread(target=lambda: seen.append(_call(run, args)))
    thread.start()
    thread.join()
    assert seen == [before, (0, "")]


@pytest.mark.parametrize(
    "where, error, status, line",
    [
        (
            "prepare",
            ValueError("toy: `max_rows` must be positive; `pos` is given"),
            2,
            "--max-rows must be positive; POS is given",
        ),
        (
            "work",
            files.FolderError("seqlab toy: `out` is a file.", "out"),
            2,
            "--out is a file.",
        ),
        (
            "work",
            OSError(28, os.strerror(28), "/full/f.csv"),
            1,
            f"cannot write /full/f.csv: {os.strerror(28)}",
        ),
        (
            "prepare",
            OSError(13, os.strerror(13), "/data/x.csv"),
            1,
            f"/data/x.csv: {os.strerror(13)}",
        ),
        ("work", RuntimeError("no trial completed"), 1, "no trial completed"),
    ],
)
def test_each_ending_is_one_line_and_its_status(where, error, status, line):
    def fail(*args):
        raise error

    steps = {"prepare": fail} if where == "prepare" else {"work": fail}
    run, args = _toy(**steps, failed=(RuntimeError,), owners=("toy",))
    assert _call(run, args) == (status, f"seqlab toy: {line}\n")


def test_a_value_error_of_the_work_is_no_bad_setting_unless_declared():
    def work(args, prepared):
        raise ValueError("a bug")

    run, args = _toy(work=work)
    with pytest.raises(ValueError, match="a bug"):
        _call(run, args)
    run, args = _toy(work=work, refused_in_work=(ValueError,))
    assert _call(run, args) == (2, "seqlab toy: a bug\n")


def test_message_names_the_commands_flags_from_its_parser():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--future-columns")
    parser.add_argument("--set", dest="overrides")
    parser.add_argument("architecture", metavar="ARCH")
    flags = options.parser_flags(parser)
    assert flags == {
        "future_columns": "--future-columns",
        "overrides": "--set",
        "architecture": "ARCH",
    }
    error = ValueError(
        "backtest: `future_columns`, `overrides` and `architecture`; "
        "`data` is no flag"
    )
    assert options.message(error, flags, ("backtest",)) == (
        "--future-columns, --set and ARCH; `data` is no flag"
    )
    # A field the parser lacks still gets the flag of its name.
    error = files.FolderError("`val_size` and `data`", "val_size")
    assert options.message(error) == "--val-size and `data`"


def test_every_command_goes_through_the_runner():
    parser = cli.build_parser()
    (commands,) = [
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert set(commands.choices) >= {
        "check",
        "compare",
        "tune",
        "forecast",
        "backtest",
        "reproduce",
    }
    for name, command in commands.choices.items():
        run = command.get_default("run")
        assert isinstance(run, runner.Command), name
        assert run.prog == f"seqlab {name}"
    # No command has its own copy of the endings.
    folder = pathlib.Path(cli.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "runner.py":
            assert "KeyboardInterrupt" not in text, path.name
            assert "130" not in text, path.name
        assert "could not write" not in text, path.name
        if path.name not in ("options.py", "runner.py"):
            assert "write_failure" not in text, path.name
            assert "except OSError as" not in text, path.name


# -- the commands -------------------------------------------------------------


def _csv(path, rows=80):
    days = [f"2022-01-{d:02d}" for d in range(1, 32)]
    days += [f"2022-02-{d:02d}" for d in range(1, 29)]
    days += [f"2022-03-{d:02d}" for d in range(1, 32)]
    lines = ["day,load,temp"] + [
        f"{days[i]},{10 + (i % 7) / 3:.4f},{5 + (i % 5) / 2:.4f}"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _forecaster(path, columns):
    model = keras_seqlab.forecaster(
        keras_seqlab.build("linear", (5, len(columns))),
        columns,
        "load",
        "many_to_one",
        1,
        date_column="day",
    )
    model.save(path)
    return path


@pytest.fixture
def saved(tmp_path):
    """A CSV, a one-input forecaster and a two-input one (untrained)."""
    csv = _csv(tmp_path / "series.csv")
    one = _forecaster(tmp_path / "one.keras", ["load"])
    two = _forecaster(tmp_path / "two.keras", ["load", "temp"])
    return csv, one, two


@pytest.mark.parametrize(
    "argv, said",
    [
        (
            ["backtest", "linear", "--csv", "{csv}", "--target", "load"]
            + ["--date-column", "day", "--window", "0"],
            "--window must be a positive integer",
        ),
        (
            ["backtest", "linear", "--csv", "{csv}", "--target", "load"]
            + ["--baselines", "arima"],
            "--baselines must be all or distinct names",
        ),
        (
            ["forecast", "{two}", "--csv", "{csv}", "--steps", "3"],
            "--future",
        ),
        (["reproduce", "geron", "--seeds", "0"], "--seeds must be a positive"),
    ],
)
def test_a_backticked_setting_becomes_its_flag(saved, tmp_path, argv, said):
    csv, _, two = saved
    names = {"csv": str(csv), "two": str(two)}
    argv = [a.format(**names) for a in argv]
    if argv[0] == "reproduce":
        argv += ["--out", str(tmp_path / "o")]
    status, out, err = run_main(argv)
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith(f"seqlab {argv[0]}: ")
    assert said in err and "`" not in err, err


def _reproduced(monkeypatch):
    from keras_seqlab.experiments import reproduce

    monkeypatch.setattr(reproduce, "run", lambda *args: {"rows": []})


@pytest.mark.parametrize(
    "kind, argv, written",
    [
        (
            "forecast",
            ["forecast", "{one}", "--csv", "{csv}", "--out", "{tmp}/f.csv"],
            "f.csv",
        ),
        (
            "backtest",
            ["backtest", "{one}", "--csv", "{csv}", "--folds", "2"]
            + ["--out", "{tmp}/b.json"],
            "b.json",
        ),
        (
            "backtest",
            ["backtest", "{one}", "--csv", "{csv}", "--folds", "2"]
            + ["--out", "{tmp}/b.csv"],
            "b.csv",
        ),
        (
            "reproduce",
            ["reproduce", "geron", "--quick", "--out", "{tmp}/r"],
            "r/reproduce.json",
        ),
    ],
)
def test_a_full_disk_is_one_line_and_status_1(
    saved, tmp_path, monkeypatch, kind, argv, written
):
    csv, one, _ = saved
    names = {"csv": str(csv), "one": str(one), "tmp": str(tmp_path)}
    argv = [a.format(**names) for a in argv]
    if kind == "reproduce":
        _reproduced(monkeypatch)
    disk = FullDisk(monkeypatch, fail_at=1)
    status, out, err = run_main(argv)
    assert disk.failed, err
    assert status == 1, err
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith(f"seqlab {kind}: cannot write "), err
    assert line.endswith(os.strerror(28)), err
    assert "Traceback" not in err
    assert not (tmp_path / written).exists()
    check_nothing_half_written(tmp_path)
    assert not list(tmp_path.rglob(".seqlab*.lock"))


# -- SIGTERM, as a service manager sends it -----------------------------------


@pytest.mark.slow
def test_compare_stops_on_sigterm_and_leaves_no_lock(tmp_path):
    out = tmp_path / "out"
    log = tmp_path / "compare.log"
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "keras_seqlab.cli", "compare"]
    command += ["--models", "gru", "--epochs", "200", "--patience", "200"]
    command += ["--limit", "64", "--window", "10", "--no-plots"]
    command += ["--out", str(out), "--verbose"]  # a line per epoch
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while "epoch 1/200" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        assert (out / files.LOCK_FILE).exists()  # held while it trains
        # Frozen, it cannot finish training before the signal lands.
        process.send_signal(signal.SIGSTOP)
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert process.returncode == 143, text
    assert text.strip().splitlines()[-1] == (
        "seqlab compare: terminated; nothing written"
    )
    assert "Traceback" not in text and "Exception ignored" not in text
    assert "epoch 200/200" not in text
    assert not list(tmp_path.rglob(".seqlab*.lock"))
    assert not out.exists()  # the folder it made, empty, is removed
