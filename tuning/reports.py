"""Text reports of `seqlab tune`: the search space and the summary."""

from keras_seqlab.experiments.reports import format_table
from keras_seqlab.tuning.tuners import OBJECTIVE
from keras_seqlab.tuning.tuners import short


def range_text(config):
    if "values" in config:
        return ", ".join(short(v) for v in config["values"])
    if "min_value" in config:
        text = f"{short(config['min_value'])} to {short(config['max_value'])}"
        if config.get("step"):
            text += f" step {short(config['step'])}"
        if config.get("sampling") == "log":
            text += ", log scale"
        return text
    if "value" in config:
        return "fixed"
    return "true, false"


def format_space(hypermodel):
    """The search space as text: name, kind, range and default of each."""
    rows = []
    for hp in hypermodel.search_space().space:
        config = hp.get_config()
        default = config.get("default", config.get("value"))
        rows.append(
            (hp.name, type(hp).__name__, range_text(config), short(default))
        )
    return format_table(("name", "kind", "values", "default"), rows, "<<<<")


def format_summary(results):
    """The best trials and the test scores as text."""
    metric = results["metric"]
    unit = f" ({results['unit']})" if results.get("unit") else ""
    trials = {t["trial_id"]: t for t in results["trials"]}
    best = [trials[i] for i in results["best_trials"]]
    names = list(dict.fromkeys(k for t in best for k in t["hyperparameters"]))
    cells = [
        [
            str(rank),
            t["trial_id"],
            f"{t['score']:.5g}",
            str(t["best_epoch"]),
            *(short(t["hyperparameters"].get(n, "-")) for n in names),
        ]
        for rank, t in enumerate(best, 1)
    ]
    header = ["rank", "trial", OBJECTIVE, "epoch", *names]
    loss = (
        "MSE of the scaled data"
        if results["unit"] or metric == "rmse"
        else "MSE"
    )
    lines = [
        f"seqlab tune: {results['description']}",
        f"keras {results['keras']}, backend {results['backend']}, "
        f"keras-tuner {results['keras_tuner']}; {results['completed']} of "
        f"{len(results['trials'])} trial(s) completed in "
        f"{results['search_seconds']:.0f} s",
        "",
        f"best {len(best)} trial(s) by {OBJECTIVE} ({loss}):",
        format_table(header, cells),
    ]
    tuned, default = results["best"], results["default"]
    score = f"{metric.upper()}{unit}"
    lines += [
        "",
        f"{'':<22} {'params':>8} {'val ' + score:>14} {'test ' + score:>14}",
        f"{'best trial ' + tuned['trial_id']:<22} {tuned['params']:>8,} "
        f"{tuned['val_' + metric]:>14.5g} {tuned['test_' + metric]:>14.5g}",
        f"{'untuned default':<22} {default['params']:>8,} "
        f"{default['val_' + metric]:>14.5g} {default['test_' + metric]:>14.5g}",
    ]
    change = tuned["test_" + metric] / default["test_" + metric] - 1
    lines.append(
        f"test {metric}: the tuned model is {abs(change):.1%} "
        + ("lower" if change < 0 else "higher")
        + " than the untuned default."
    )
    if default["val_" + metric] < tuned["val_" + metric]:
        lines.append(
            "note: the untuned default scores better on validation than "
            "every trial; the search found nothing better (try more "
            "trials, --epochs or other ranges with --set)."
        )
    return "\n".join(lines)
