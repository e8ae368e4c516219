"""benchmarks/gpu/check.py cannot rot: its --smoke run (CPU, tiny sizes) goes through every part and writes its
summary."""
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "gpu" / "check.py"


def test_gpu_check_smoke_run_writes_its_summary(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    parts = summary["parts"]
    assert set(parts) == {"arith_default_run", "math500_run", "engine_throughput_tiny_arith",
                          "engine_throughput_math500", "trl_backend_arith"}
    assert all(p["status"] == "done" for p in parts.values()), parts
    assert parts["engine_throughput_tiny_arith"]["sampling_tokens_per_s"] > 0
    assert "| arith_default_run | done |" in (tmp_path / "summary.md").read_text()
