"""The reference (HV_ref, reference front) is shipped with the package and found wherever morlbench runs, so the
report a run writes and ``morlbench report`` agree."""
import json
from pathlib import Path

from morlbench import reference
from morlbench.cli import main
from morlbench.run.execute import execute
from tests.factory import tiny_spec

ROOT = Path(__file__).parents[2]


def test_the_shipped_reference_is_the_checkouts_baselines_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of the checkout around
    shipped = reference.default_reference(None)
    assert shipped is not None and shipped.is_file() and shipped.parent == Path(reference.__file__).parent
    # one copy: a link in the checkout, a copy of the same bytes in a built package
    assert shipped.read_bytes() == (ROOT / "baselines" / "reference.json").read_bytes()
    assert reference.load_references(shipped)


def test_a_runs_report_uses_the_shipped_reference_as_report_does(tmp_path, monkeypatch):
    stored = tmp_path / "shipped.json"
    stored.write_text(json.dumps({"task_versions": {"arith-d2s2-loose-running-mean": {
        "hv_ref": 0.05, "front": [[0.5, 0.5, 0.5]], "applies_to": "any"}}}))
    monkeypatch.setattr(reference, "DEFAULT_REFERENCE", stored)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    execute(tiny_spec(steps=2, eval_every=2, checkpoint_every=2), out, progress=False)
    written = json.loads((out / "report.json").read_text())
    assert written["hv_ref"] == 0.05
    assert written["metrics"]["igd-plus"] is not None and written["steps_to_front"] is not None
    assert main(["report", str(out)]) == 0
    rebuilt = json.loads((out / "report.json").read_text())
    assert rebuilt["hv_ref"] == written["hv_ref"] and rebuilt["metrics"] == written["metrics"]
