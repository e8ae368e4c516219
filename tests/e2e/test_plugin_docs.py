"""docs/plugins.md alone is enough: its method package, written out exactly as the page shows it, installs as the
page says (its dependency on morlbench resolves to the installed checkout), lists its settings, passes
``check-plugin`` and refuses a task it cannot handle in one line; the page's leaderboard command builds the run
settings of the reference suite."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import run_cli

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text()


def documented_files(root: Path) -> Path:
    """Every code block of the page whose first line names a file of my-plugin/, written under ``root``."""
    blocks = re.findall(r"```(?:toml|python)\n# (my-plugin/\S+)\n(.*?)```", DOC, flags=re.S)
    assert {name for name, _ in blocks} == {"my-plugin/pyproject.toml", "my-plugin/my_package/__init__.py",
                                            "my-plugin/my_package/method.py"}
    for name, body in blocks:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    return root / "my-plugin"


def pip(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(tmp)})


@pytest.mark.slow
def test_the_documented_plugin_installs_lists_and_passes_check_plugin(tmp_path):
    package = documented_files(tmp_path / "src")
    build = tmp_path / "build"
    build.mkdir()
    # as documented, in this environment where morlbench is installed from its checkout: no index needed
    plan = pip("install", "--dry-run", "--no-index", "--no-build-isolation", "--quiet", "--report",
               str(tmp_path / "plan.json"), str(package), tmp=build)
    assert plan.returncode == 0, plan.stderr
    planned = [item["metadata"]["name"] for item in json.loads((tmp_path / "plan.json").read_text())["install"]]
    assert planned == ["my-plugin"]  # morlbench: already installed, nothing fetched
    site = tmp_path / "site"  # installed beside the environment, so that the other tests never see it
    done = pip("install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation", "--target", str(site),
               str(package), tmp=build)
    assert done.returncode == 0, done.stderr
    listed = run_cli(site, "list", "methods", "-v")
    assert "my-method" in listed.stdout and "my-plugin" in listed.stdout
    assert "step = 1.0" in listed.stdout and "(>= 0 and <= 100)" in listed.stdout
    assert "capabilities: linear_scalarisation" in listed.stdout
    checked = run_cli(site, "check-plugin", "my-method")
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    assert checked.stdout.strip().splitlines()[-1] == "my-method: all checks passed"
    out = tmp_path / "refused"
    refused = run_cli(site, "run", "--method", "my-method", "--method-opt", "floor=0.4", "--out", out)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "morlbench run: error: method my-method: floor=0.4 is more than 1/3, the share of each of this task's 3 "
        "objectives; accepted: floor <= 0.333"]
    assert not out.exists()


def test_the_documented_challenge_runs_under_the_reference_suites_protocol(tmp_path):
    """The documented `challenge` uses the shipped reference suite's budget, settings, tuning search and seeds."""
    import tomllib

    from morlbench.challenge import challenger_suite, reference_suite

    assert "morlbench challenge dirichlet-weights --jobs 2" in DOC
    shipped = reference_suite("arith", None)
    assert shipped.read_bytes() == (ROOT / "baselines" / "arith-v3.toml").read_bytes()
    suite = tomllib.loads(shipped.read_text())
    challenger = challenger_suite(shipped, "dirichlet-weights", "dirichlet-weights", {}, None, "arith")
    for table in ("budget", "settings", "tune", "seeds"):
        assert challenger[table] == suite[table], table
    assert challenger["methods"] == [{"name": "dirichlet-weights", "label": "dirichlet-weights"}]
