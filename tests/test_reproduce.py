"""`seqlab reproduce` (issue 14): the published values, the verdicts, the
output folder, bad input, and `--quick` end to end (backend-free)."""

import json

import numpy as np
import pytest

from keras_seqlab import cli
from keras_seqlab.experiments import published
from keras_seqlab.experiments import reproduce
from keras_seqlab.experiments.published import Published

# Published values, verdicts, splits, folders and the runner's tables: the
# models it trains are the builders (and Keras layers) that the layer and
# model tests run on every backend, so tox runs this in the torch
# environment only.
pytestmark = pytest.mark.backend_free


def _main(capsys, *args):
    status = cli.main(["reproduce", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_every_row_has_a_runner_and_published_values():
    assert reproduce.row_keys("geron")[0] == "naive_1"
    for row in published.GERON:
        assert len(row.values) == len(published.GERON_RUNS)
        trained = row.key not in ("naive_1", "naive_10")
        assert trained == (row.key in reproduce.GERON_MODELS) or (
            row.key == "deep_rnn_iterative_10"
        )
        assert row.exact == (not trained)
    assert [r.key for r in published.BASEL] == list(reproduce._Basel.PATIENCE)


def test_the_naive_rows_are_the_books_values_exactly():
    # The book's data bit for bit: no training, full size.
    results = reproduce.run("geron", rows="naive_10,naive_1", seeds=1)
    rows = {r["key"]: r for r in results["rows"]}
    assert list(rows) == ["naive_1", "naive_10"]  # table order
    assert rows["naive_1"]["median"] == pytest.approx(0.020211367, rel=1e-6)
    assert rows["naive_10"]["median"] == pytest.approx(0.25697407, rel=1e-6)
    assert {r["verdict"] for r in rows.values()} == {"exact"}


def test_verdicts_follow_the_spread_rule():
    three = Published("a", "t", "m", (1.0, 2.0, 1.5), ("x", "y", "z"), "s")
    assert three.value == 1.5 and three.spread == (1.0, 2.0)
    assert reproduce.verdict(three, [0.5, 1.2, 9.0]) == "inside"  # median
    assert reproduce.verdict(three, [0.5, 0.9, 9.0]) == "below"
    assert reproduce.verdict(three, [2.1]) == "above"
    logged = Published("a", "t", "m", (1.0, 2.0), ("x", "y"), "s", 0.5)
    assert reproduce.verdict(logged, [2.4]) == "inside"  # rounding
    one = Published("a", "t", "m", (3.0,), ("x",), "s")
    assert one.spread is None
    assert reproduce.verdict(one, [2.9]) == "n/a"
    assert reproduce.verdict(one, [2.9, 3.2]) == "inside"
    # Ours against the published value, as with a published spread.
    assert reproduce.verdict(one, [3.1, 3.2]) == "above"
    assert reproduce.verdict(one, [2.1, 2.2]) == "below"
    exact = Published("a", "t", "m", (0.25,), ("x",), "s", exact=True)
    assert reproduce.verdict(exact, [0.25]) == "exact"
    assert reproduce.verdict(exact, [0.2500003]) == "differs"


def test_the_lessons_split_is_sklearns_train_test_split():
    train, test = reproduce.sklearn_split(3635, 0.2)
    assert (len(train), len(test)) == (2908, 727)
    val, test2 = reproduce.sklearn_split(727, 0.5)
    assert (len(val), len(test2)) == (363, 364)
    assert sorted(np.concatenate([train, test])) == list(range(3635))
    sklearn = pytest.importorskip("sklearn.model_selection")
    x = np.arange(3635)
    a, b = sklearn.train_test_split(x, test_size=0.2, random_state=0)
    np.testing.assert_array_equal(x[train], a)
    np.testing.assert_array_equal(x[test], b)


def test_the_lessons_windows():
    # 3654 days, the lesson's .loc[:3644] inputs: 3635 windows of 10 x 89;
    # the target of window k is the sunshine of day k + 11.
    from keras_seqlab.data import datasets

    basel = reproduce._Basel(quick=False)
    assert basel.settings["samples"] == {"train": 2908, "val": 363, "test": 364}
    assert basel.train[0].shape == (2908, 10, 89)
    data = datasets.load_weather()
    sun = np.asarray(data.values)[:, list(data.columns).index("BASEL_sunshine")]
    k = int(reproduce.sklearn_split(3635, 0.2)[0][0])  # first train window
    got = basel.scaler.inverse_transform(basel.train[1][:1])[0, 0]
    assert got == pytest.approx(sun[k + 11], abs=1e-4)


@pytest.mark.parametrize(
    "args, text",
    [
        (["geron", "--rows", "lstm,nope"], "unknown row(s) 'nope'"),
        (["basel", "--rows", "lstm"], "unknown row(s) 'lstm' of basel"),
        (["geron", "--seeds", "0"], "--seeds must be a positive integer"),
        (["geron", "--rows", ","], "no row named"),
    ],
)
def test_bad_settings_exit_2_with_one_line(capsys, tmp_path, args, text):
    status, out, err = _main(capsys, *args, "--out", str(tmp_path / "o"))
    assert status == 2
    assert text in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing trained or written


def test_an_output_folder_that_is_a_file_exits_2_before_training(
    capsys, tmp_path
):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, _, err = _main(capsys, "geron", "--quick", "--out", str(blocker))
    assert status == 2 and "--out" in err
    assert len(err.strip().splitlines()) == 1
    assert "seed 42" not in err  # refused before the first training


@pytest.mark.slow
def test_quick_end_to_end_writes_one_runs_table(capsys, tmp_path):
    out = tmp_path / "out"
    rows = "naive_1,linear_1,deep_rnn_iterative_10,conv_gru"
    status, stdout, err = _main(
        capsys, "geron", "--quick", "--rows", rows, "--out", str(out)
    )
    assert status == 0, err
    results = json.loads((out / "reproduce.json").read_text())
    assert [r["key"] for r in results["rows"]] == rows.split(",")
    assert results["quick"] and results["seeds"] == [42]
    assert results["settings"]["series"] == reproduce.GERON_QUICK["series"]
    for r in results["rows"]:
        assert np.isfinite(r["median"]) and r["verdict"] == "quick"
        assert r["published"] == r["published_runs"]["d9a89eb"]
    markdown = (out / "reproduce.md").read_text()
    assert "| conv_gru:" in markdown and "--quick" in markdown
    assert "conv_gru" in stdout
    # A second run into the same folder replaces the table: no row of
    # the first run is left in either file.
    status, _, err = _main(
        capsys, "basel", "--quick", "--rows", "lstm_dropout", "--out", str(out)
    )
    assert status == 0, err
    results = json.loads((out / "reproduce.json").read_text())
    assert [r["key"] for r in results["rows"]] == ["lstm_dropout"]
    assert results["settings"]["samples"]["train"] == 240
    assert "conv_gru" not in (out / "reproduce.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted(reproduce.FILES)


@pytest.mark.slow
# Géron's 15 rows with one seed (the suite's slowest test with two, 88 s on
# JAX); the seed spread is exercised by Basel's two rows.
@pytest.mark.parametrize("study,seeds", [("geron", 1), ("basel", 2)])
def test_quick_every_row(capsys, tmp_path, study, seeds):
    status, stdout, err = _main(
        capsys, study, "--quick", "--seeds", str(seeds), "--out", str(tmp_path)
    )
    assert status == 0, err
    results = json.loads((tmp_path / "reproduce.json").read_text())
    assert [r["key"] for r in results["rows"]] == reproduce.row_keys(study)
    for r in results["rows"]:
        assert len(r["ours"]) == seeds and np.all(np.isfinite(r["ours"]))
        assert r["min"] <= r["median"] <= r["max"]
