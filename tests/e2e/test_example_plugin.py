"""The example plugin package (examples/morlbench-example-plugin), end to end as a submitter would use it:
pip install, list, run, submit, leaderboard. Installed with pip into a temporary directory; the CLI runs in a
subprocess whose path includes it, so discovery goes through the installed distribution's entry points."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "morlbench-example-plugin"
TINY = ["--task", "arith", "--steps", "2", "--prompts-per-step", "2", "--group-size", "2", "--eval-every", "1",
        "--max-new-tokens", "16", "--gradient-cosine-every", "0", "--no-progress"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(EXAMPLE)],
                   check=True, env={**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("build"))})
    return target


def cli(site, *args, cwd=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "morlbench", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_example_plugin_is_listed_runs_and_is_ranked(site, tmp_path):
    listed = cli(site, "list", "methods")
    line = next(l for l in listed.stdout.splitlines() if "dirichlet-weights" in l)
    assert "morlbench-example-plugin" in line and "random scalarisation" in line
    # protocol 3: a single-policy entry runs once from each preference of W (here a W of two vectors)
    for method in ("dirichlet-weights", "static"):
        for i, weights in enumerate(("1,1,1", "2,1,1")):
            out = tmp_path / f"{method}-{i}"
            done = cli(site, "run", "--method", method, *TINY, "--preferences", "1,1,1;2,1,1", "--weights", weights,
                       "--out", str(out))
            assert done.returncode == 0, done.stderr[-2000:]
            assert cli(site, "submit", str(out), "--to", str(tmp_path / "results")).returncode == 0
    board = cli(site, "leaderboard", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "board"))
    assert board.returncode == 0, board.stderr
    table = (tmp_path / "board" / "README.md").read_text()
    assert "| dirichlet-weights | dirichlet-weights (morlbench-example-plugin) |" in table
    assert "| static | static (morlbench) |" in table


def test_the_documented_install_resolves_morlbench_to_the_installed_checkout(tmp_path):
    """docs/plugins.md: morlbench installed from its checkout first, then `pip install ./examples/...`: the
    plugin's dependency on morlbench (on no package index) is the installed one; nothing else is fetched."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-index",
                           "--no-build-isolation", "--report", str(tmp_path / "plan.json"), str(EXAMPLE)],
                          capture_output=True, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    planned = [item["metadata"]["name"] for item in json.loads((tmp_path / "plan.json").read_text())["install"]]
    assert planned == ["morlbench-example-plugin"]
