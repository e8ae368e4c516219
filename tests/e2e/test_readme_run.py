"""The README's main job, as a user types it: the default budget on the embedded default."""
import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_default_static_run_moves_the_policy(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "morlbench", "run", "--method", "static", "--task", "arith",
                           "--out", str(out), "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "step 0" in done.stdout and "run directory:" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["budget"]["steps"] == 60 and report["final_step"] == 60
    moved = max(abs(a - b) for a, b in zip(report["initial"], report["final"]))
    assert moved >= 0.1, f"policy did not move: {report['initial']} -> {report['final']}"
    assert report["metrics"]["hypervolume"] > report["hypervolume_by_step"][0]["policy"]
