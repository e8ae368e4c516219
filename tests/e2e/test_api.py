"""The example of docs/api.md, run as it stands (in a temporary working directory)."""
import re
from pathlib import Path

import pytest

import morlbench
from morlbench.errors import UsageError

DOC = Path(__file__).parents[2] / "docs" / "api.md"


@pytest.mark.slow  # two short runs and a comparison: about a minute
def test_the_documented_api_example_runs(tmp_path, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert "front HV" in out and "comparison: runs/api/comparison/comparison.md" in out
    assert (tmp_path / "runs/api/comparison/index.html").exists()


def test_bad_settings_raise_the_cli_message(tmp_path):
    with pytest.raises(UsageError, match="--steps 0: must be >= 1"):
        morlbench.train(out=tmp_path / "never", steps=0)
    assert not (tmp_path / "never").exists()
    with pytest.raises(UsageError, match="is not a finished run"):
        morlbench.load(tmp_path)
