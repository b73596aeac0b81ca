"""`seqlab tune --id-column`: a search of one global model over a long
table. The plumbing (flags, files, the scores of the written model) is
backend-free; the panel networks are proved on every backend in
test_panel_models.py."""

import json

import numpy as np
import pytest
from panel_testing import small_panel
from tune_testing import KERAS_TUNER_WARNINGS
from tune_testing import run_main

pytest.importorskip(
    "keras_tuner",
    reason='keras-tuner is not installed: pip install "keras-seqlab[tuning]"',
)
pd = pytest.importorskip("pandas")

pytestmark = [
    pytest.mark.backend_free,
    pytest.mark.slow,
    pytest.mark.filterwarnings(*KERAS_TUNER_WARNINGS),
]

FLAGS = [
    "--id-column",
    "series",
    "--target",
    "value",
    "--date-column",
    "date",
    "--calendar",
    "month",
    "--future-columns",
    "promo",
    "--window",
    "12",
    "--horizon",
    "2",
    "--epochs",
    "1",
]


def test_tune_searches_a_global_model_and_writes_its_forecaster(tmp_path):
    from keras_seqlab.data.panel import panel_from_frame
    from keras_seqlab.data.panel_windows import panel_splits
    from keras_seqlab.forecasting import forecaster_spec
    from keras_seqlab.forecasting import load_forecaster
    from keras_seqlab.forecasting.panel import panel_scores
    from keras_seqlab.forecasting.panel import predict_windows

    path = tmp_path / "panel.csv"
    small_panel().to_csv(path, index=False)
    out = tmp_path / "tune"
    argv = ["tune", "gru", "--csv", str(path), *FLAGS, "--max-trials", "2"]
    status, stdout, stderr = run_main([*argv, "--out", str(out)])
    assert status == 0, stderr
    summary = json.loads((out / "gru" / "summary.json").read_text())
    assert summary["completed"] == 2
    assert summary["settings"]["id_column"] == "series"
    model = load_forecaster(out / "gru" / "best_model.keras")
    spec = forecaster_spec(model)
    assert spec["panel"]["future_columns"] == ["promo"]
    # Its test RMSE, computed anew on the same windows, is the summary's.
    panel = panel_from_frame(
        small_panel(),
        "series",
        "value",
        "date",
        past_columns=spec["panel"]["past_columns"],
        future_columns=["promo"],
        calendar="month",
    )
    val_size = summary["settings"]["val_size"]
    test_size = summary["settings"]["test_size"]
    _, _, test = panel_splits(panel, 12, 2, val_size, test_size)
    scored = panel_scores(test, predict_windows(model, test))
    assert scored["pooled"]["rmse"] == pytest.approx(
        summary["best"]["test_rmse"], rel=1e-5
    )
    assert np.isfinite(summary["default"]["test_rmse"])
    assert "untuned default" in stdout
    # Run again: it resumes, with nothing left to do.
    status, _, stderr = run_main([*argv, "--out", str(out)])
    assert status == 0, stderr
    assert "resuming" in stderr and "2 trial(s) done" in stderr


def test_tune_of_a_long_table_refuses_folds_in_one_line(tmp_path):
    path = tmp_path / "panel.csv"
    small_panel().to_csv(path, index=False)
    status, stdout, stderr = run_main(
        ["tune", "gru", "--csv", str(path), *FLAGS, "--folds", "3"]
    )
    assert status == 2 and stdout == ""
    line = stderr.strip().splitlines()
    assert len(line) == 1
    assert "--folds takes one series for now" in line[0]


def test_tune_of_a_long_table_refuses_a_distributed_search(tmp_path):
    path = tmp_path / "panel.csv"
    small_panel().to_csv(path, index=False)
    status, _, stderr = run_main(
        [
            "tune",
            "gru",
            "--csv",
            str(path),
            *FLAGS,
            "--chief",
            "--oracle",
            "127.0.0.1:1",
        ]
    )
    assert status == 2
    assert "--chief and --worker (a distributed search) take one" in stderr
