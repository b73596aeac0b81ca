"""The README's quick start runs as printed, and says what is true."""

import contextlib
import io
import pathlib
import re

import numpy as np
import pytest
from seqlab_testing import to_numpy

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _quick_start():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the quick start has one Python block"
    return blocks[0]


@pytest.mark.slow
def test_the_quick_start_runs_and_streams_the_models_numbers(monkeypatch):
    code = _quick_start()
    assert len(code.strip().splitlines()) <= 20
    monkeypatch.chdir(ROOT)  # it reads docs/basel-weather.csv
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, str(README), "exec"), namespace)
    assert printed.getvalue()
    ks = namespace["ks"]
    week = ks.forecast(namespace["saved"], namespace["data"], steps=7)
    assert np.asarray(week).shape == (7,)
    streamed = to_numpy(namespace["outputs"])[:, -1]
    whole = to_numpy(namespace["model"](namespace["x"][:1]))
    np.testing.assert_allclose(streamed, whole, atol=1e-5, rtol=0)
