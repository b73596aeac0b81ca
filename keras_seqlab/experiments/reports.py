"""Text reports: the leaderboard of a comparison and aligned tables, and
the files a comparison writes (`results.json`, `leaderboard.txt`)."""

import json
import math

from keras_seqlab.forecasting.significance import format_p
from keras_seqlab.utils import files


def format_table(header, rows, align=None):
    """Rows of strings as aligned columns, two spaces apart.

    `align` gives `"<"` (left) or `">"` (right) per column; default right.
    """
    align = align or ">" * len(header)
    widths = [
        max(len(row[i]) for row in [header, *rows]) for i in range(len(header))
    ]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if a == "<" else cell.rjust(w)
            for cell, w, a in zip(row, widths, align)
        ).rstrip()
        for row in [header, *rows]
    )


def format_leaderboard(results):
    """The results as text: one ranked table per task."""
    metric = results["metric"]
    unit = f" ({results['unit']})" if results.get("unit") else ""
    score = metric.upper() + unit
    settings = results["settings"]
    lines = [
        f"seqlab compare: {results['description']}",
        (
            f"keras {results['keras']}, backend {results['backend']}, seed "
            f"{settings['seed']}, at most {_epochs(settings['epochs'])} "
            f"(early stopping on val loss, patience {settings['patience']}, "
            f"{_restored(settings)}), batch {settings['batch_size']}, "
            f"units {_units(settings)}"
            + (f", limit {settings['limit']}" if settings["limit"] else "")
        ),
    ]
    quantiles = settings.get("quantiles")
    header = [
        "rank",
        "model",
        "params",
        f"val {score}",
        f"test {score}",
        "test MASE",
    ]
    compared = any(entry.get("baselines") for entry in results["tasks"])
    if compared:
        header += ["skill %", "DM p"]
    if quantiles:
        nominal = f"{quantiles[-1] - quantiles[0]:.0%}"
        header += ["pinball", f"{nominal} cover", "width"]
    header += ["epochs", "train s"]
    for entry in results["tasks"]:
        samples = entry["samples"]
        lines += [
            "",
            (
                f"{entry['task']}: {entry['description']} ({entry['head']}, "
                f"horizon {entry['horizon']}; train/val/test "
                f"{samples['train']}/{samples['val']}/{samples['test']})"
            ),
        ]
        rows = []
        for r in entry["results"]:
            row = [
                str(r["rank"]),
                r["label"],
                f"{r['params']:,}",
                f"{r['val_' + metric]:.5g}",
                f"{r['test_' + metric]:.5g}",
                f"{r['test_mase']:.3g}",
            ]
            if compared:
                row += [
                    _skill(r.get("test_skill")),
                    format_p(r.get("test_dm_p")),
                ]
            if quantiles:
                row += [
                    f"{r['test_pinball']:.4g}",
                    f"{r['test_coverage']:.1%}",
                    f"{r['test_width']:.4g}",
                ]
            row += [
                f"{r['best_epoch']}/{r['epochs']}" if r["epochs"] else "-",
                f"{r['train_seconds']:.1f}",
            ]
            rows.append(row)
        rows += _baseline_rows(entry, metric, len(header))
        lines.append(format_table(header, rows, "><" + ">" * (len(header) - 2)))
        saved = [r["file"] for r in entry["results"] if "file" in r]
        if saved:
            folder = saved[0].rsplit("/", 1)[0]
            lines.append(
                f"      saved: {folder}/MODEL.keras, one forecaster per model"
            )
        for s in entry["skipped"]:
            lines.append(f"      skipped {s['model']}: {s['reason']}")
        for b in entry.get("baselines", []):
            if "reason" in b:
                lines.append(f"      {b['model']} did not run: {b['reason']}")
        if entry.get("series"):
            lines += ["", format_series(entry)]
    lines += ["", "epochs: best/run. " + _ranking_note(results)]
    lines += results.get("notes", [])
    return "\n".join(lines)


def _skill(value):
    return "-" if value is None or math.isnan(value) else f"{value:+.1f}"


def _baseline_rows(entry, metric, width):
    """The baselines' rows of a task's table: test scores only (`-` for
    what they do not have), `best` against the best of them."""
    rows = []
    for b in entry.get("baselines", []):
        if "reason" in b:
            continue
        row = ["-", b["label"], "-", "-"]
        row += [f"{b['test_' + metric]:.5g}", f"{b['test_mase']:.3g}"]
        if b["model"] == entry.get("best_baseline"):
            row += ["best"]
        row += ["-"] * (width - len(row) - 1) + [f"{b['seconds']:.1f}"]
        rows.append(row)
    return rows


# Series shown per leaderboard; results.json holds every one.
SERIES_SHOWN = 20


def format_series(entry):
    """A panel task's test scores per series: RMSE and MASE per model,
    the models in rank order (at most `SERIES_SHOWN` series)."""
    models = [r["model"] for r in entry["results"]]
    models += [
        b["model"] for b in entry.get("baselines", []) if "reason" not in b
    ]
    ids = list(entry["series"])
    header = ["series"]
    for name in models:
        header += [f"{name} RMSE", "MASE"]
    rows = []
    for series_id in ids[:SERIES_SHOWN]:
        row = [series_id]
        for name in models:
            score = entry["series"][series_id].get(name)
            row += (
                ["-", "-"]
                if score is None
                else [f"{score['rmse']:.4g}", f"{score['mase']:.3g}"]
            )
        rows.append(row)
    text = "test scores per series:\n" + format_table(
        header, rows, "<" + ">" * (len(header) - 1)
    )
    if len(ids) > SERIES_SHOWN:
        text += f"\n      ... {len(ids) - SERIES_SHOWN} more in results.json"
    return text


def _units(settings):
    """`32`, or `32 (gru 64, lstm 20)` with widths per model."""
    extra = settings.get("model_units") or {}
    if not extra:
        return str(settings["units"])
    named = ", ".join(f"{name} {units}" for name, units in extra.items())
    return f"{settings['units']} ({named})"


def _restored(settings):
    if settings.get("restore_best", True):
        return "best weights restored"
    return "last epoch's weights kept"


def _epochs(count):
    return f"{count} epoch" + ("" if count == 1 else "s")


def _ranking_note(results):
    note = "Ranked by the validation score."
    if results["metric"] == "rmse":
        note += " RMSE in the target's original units (inverse-scaled)."
    settings = results["settings"]
    season = settings.get("season") or 1
    naive = f"seasonal naive (m={season})" if season != 1 else "naive"
    if results.get("panel"):
        note += (
            " Scores pool every forecast step of every series; MASE is the "
            f"mean over series of each one's MAE over the in-sample {naive} "
            "MAE of its own training steps."
        )
    else:
        note += (
            f" MASE: test MAE over the in-sample {naive} MAE of the "
            "training rows (synthetic: windows)."
        )
    if settings.get("baselines"):
        note += (
            " Baselines (statsforecast, rank -): fit on the rows before "
            "the first test target, rolled forward over the test origins "
            "without refitting, seasonal period "
            f"{season}; skill % = 100 (1 - test score / the best baseline's"
            "); DM p: Diebold-Mariano p-value of the squared errors per "
            "origin against that baseline's (HLN-corrected)."
        )
    if settings.get("quantiles"):
        note += (
            " Quantile models (pinball loss); scores use the median, cover "
            "and width the outer interval on test"
            + (
                ", calibrated on validation (split conformal)."
                if settings.get("calibrate")
                else "."
            )
        )
    return note


def clear_previous(folder):
    """Removes the files the last run's results.json names (plots, models)."""
    try:
        previous = json.loads((folder / "results.json").read_text("utf-8"))
        names = list(previous.get("plots", []))
        for entry in previous.get("tasks", []):
            names += [
                r["file"] for r in entry.get("results", []) if "file" in r
            ]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return  # none, or not ours: nothing to clear
    root = folder.resolve()
    for name in names:
        path = (folder / str(name)).resolve()
        # Only files inside the folder (a results.json is not trusted).
        if root in path.parents and path.is_file():
            path.unlink()


def write_results(folder, results):
    """`leaderboard.txt` and `results.json` of `results`, each atomic."""
    files.write_text(
        folder / "leaderboard.txt", format_leaderboard(results) + "\n"
    )
    files.write_json(folder / "results.json", results, indent=1)
