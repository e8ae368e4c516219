"""`morlbench challenge`: from a plugin method to verdicts against a suite's committed baselines, at a test-sized
budget (the example plugin, installed as a user installs it)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from morlbench.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "morlbench-example-plugin"
SUITE = """
name = "tiny-reference"
tasks = ["arith"]
seeds = [0, 1]
leaderboard = "{results}"

[budget]
steps = 2
prompts_per_step = 2
group_size = 2

[settings]
eval_every = 1
max_new_tokens = 16
gradient_cosine_every = 0
preferences = "1,1,1;2,1,1"
task_options = {{ select_size = 8, report_size = 8, val_size = 4 }}

[tune]
setting = "lr"
values = [1e-4, 1e-3]
seeds = [50]

[[methods]]
name = "static"
"""


def write_suite(tmp_path):
    path = tmp_path / "reference.toml"
    path.write_text(textwrap.dedent(SUITE.format(results=tmp_path / "results")))
    return path


def test_the_plan_and_its_refusals(tmp_path, capsys):
    suite = write_suite(tmp_path)
    assert main(["challenge", "gradient", "--suite", str(suite), "--out", str(tmp_path / "ch"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    # the suite's protocol: a single-policy method runs from each of W's 2 vectors, 2 values x 1 tuning seed
    assert "4 tuning runs, 4 ranked runs" in out and "listed unranked" in out
    assert main(["challenge", "gradient", "--suite", str(suite), "--out", str(tmp_path / "x"), "--seeds", "5",
                 "--dry-run"]) == 2
    assert "--seeds 5: between 1 and the suite's 2 seeds" in capsys.readouterr().err
    assert main(["challenge", "gradient", "--task", "gsm8k", "--dry-run", "--out", str(tmp_path / "y")]) == 2
    assert "--task 'gsm8k' has no reference suite" in capsys.readouterr().err


@pytest.mark.slow
def test_a_plugin_method_gets_verdicts_against_the_committed_baselines(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(EXAMPLE)], check=True,
                   env={**os.environ, "TMPDIR": str(tmp_path)})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "morlbench", *map(str, args)], capture_output=True, text=True,
                              env=env, cwd=tmp_path)

    suite = write_suite(tmp_path)
    for command in (("tune", suite, "--out", tmp_path / "ref", "--no-progress"),
                    ("sweep", suite, "--out", tmp_path / "ref", "--no-progress", "--no-comparison")):
        done = cli(*command)
        assert done.returncode == 0, done.stderr[-2000:]
    assert len(list((tmp_path / "results").rglob("*.json"))) == 4  # the committed baselines: static from W, 2 seeds
    done = cli("challenge", "dirichlet-weights", "--suite", suite, "--out", tmp_path / "ch", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    challenger = next(line for line in lines if "dirichlet-weights (challenger)" in line)
    assert any(v in challenger for v in ("tie (p", "better (p", "worse (p"))  # a verdict against the baseline
    assert any(line.split(" | ")[1] == "static" and "baseline" in line for line in lines if " | " in line)
    assert (tmp_path / "ch" / "challenge.tuning.json").exists()
    text = (tmp_path / "ch" / "comparison" / "comparison.md").read_text()
    assert "dirichlet-weights (challenger)" in text and "| baseline |" in text
    runs = sorted((tmp_path / "ch" / "arith").rglob("metrics.jsonl"))
    before = [p.stat().st_mtime_ns for p in runs]
    again = cli("challenge", "dirichlet-weights", "--suite", suite, "--out", tmp_path / "ch", "--no-progress")
    assert again.returncode == 0 and [p.stat().st_mtime_ns for p in runs] == before  # done runs are kept
