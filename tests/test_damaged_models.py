"""A damaged `.keras` file says so: `load_forecaster` and `seqlab forecast`
/ `backtest` name the file and the damage in one line (exit 2, as a missing
model file), never Keras's "File not found" of a file that is there."""

import zipfile

import pytest
from tune_testing import run_main

import keras_seqlab

# Files and messages: no backend changes what a damaged file is.
pytestmark = pytest.mark.backend_free


def _damaged(good, path, damage):
    data = good.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "not a zip":
        path.write_bytes(b"<html>404 not found</html>\n" * 20)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
            for name in src.namelist():
                if damage == "no config" and name == "config.json":
                    continue
                out.writestr(name, src.read(name))
        if damage == "bad checksum":
            data = bytearray(path.read_bytes())
            data[data.index(b"HDF") + 300] ^= 0xFF  # inside the weights
            path.write_bytes(bytes(data))
    return path


DAMAGES = {
    "truncated": "it begins as a zip archive but its end is missing",
    "not a zip": "it is not a zip archive (it begins with b'<htm')",
    "no config": "the archive holds no config.json (it holds metadata.json, "
    "model.weights.h5)",
    "empty": "the file is empty (0 bytes)",
    "bad checksum": "its member model.weights.h5 is damaged",
}


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    model = keras_seqlab.forecaster(
        keras_seqlab.build("linear", (5, 1)), ["load"], "load", "many_to_one", 1
    )
    model.save(folder / "good.keras")
    csv = folder / "series.csv"
    csv.write_text("load\n" + "".join(f"{i % 7}.5\n" for i in range(40)))
    return folder / "good.keras", csv


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_load_forecaster_names_the_damage(good, tmp_path, damage):
    path = _damaged(good[0], tmp_path / "m.keras", damage)
    with pytest.raises(ValueError) as info:
        keras_seqlab.load_forecaster(path)
    message = str(info.value)
    assert message.startswith(
        f"load_forecaster: {str(path)!r} is not a readable .keras file: "
        f"{DAMAGES[damage]}"
    ), message
    assert "not found" not in message
    # The good file still loads: the checks refuse damage only.
    keras_seqlab.load_forecaster(good[0])


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "no config"])
@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_a_damaged_model_is_one_line_and_exit_2(
    good, tmp_path, damage, command
):
    path = _damaged(good[0], tmp_path / "m.keras", damage)
    argv = [command, str(path), "--csv", str(good[1])]
    if command == "backtest":
        argv += ["--folds", "2", "--out", str(tmp_path / "b.json")]
    status, out, err = run_main(argv)
    assert status == 2 and out == "", err
    assert err.startswith(
        f"seqlab {command}: {str(path)!r} is not a readable .keras file: "
        f"{DAMAGES[damage]}"
    ), err
    assert err.count("\n") == 1 and "not found" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


def test_a_missing_model_file_is_exit_2_too(tmp_path):
    path = str(tmp_path / "none.keras")
    status, _, err = run_main(["forecast", path, "--csv", "x.csv"])
    assert status == 2
    assert err == f"seqlab forecast: no model file at {path!r}.\n"
