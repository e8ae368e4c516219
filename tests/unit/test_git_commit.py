"""A result's git_commit names the checkout's HEAD and says `+changes` only when the package's own code differs
from it: result files or docs staged beside a recording are not code."""
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[2] / "morlbench" / "run" / "provenance.py"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture()
def checkout(tmp_path):
    """A git checkout holding a copy of provenance.py at pkg/run/, as the package holds it, and a results folder."""
    (tmp_path / "pkg" / "run").mkdir(parents=True)
    shutil.copy(SOURCE, tmp_path / "pkg" / "run" / "provenance.py")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "old.json").write_text("{}")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    spec = importlib.util.spec_from_file_location("provenance_copy", tmp_path / "pkg" / "run" / "provenance.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tmp_path, module


def test_staged_results_are_not_changes_to_the_code(checkout):
    repo, provenance = checkout
    head = git(repo, "rev-parse", "HEAD")
    assert provenance.git_commit() == head
    (repo / "results" / "new.json").write_text("{}")
    (repo / "results" / "old.json").write_text('{"edited": true}')
    git(repo, "add", "results")
    assert provenance.git_commit() == head


def test_an_edit_to_the_package_is_a_change(checkout):
    repo, provenance = checkout
    (repo / "pkg" / "run" / "extra.py").write_text("")
    assert provenance.git_commit() == git(repo, "rev-parse", "HEAD")  # untracked files are not counted
    with (repo / "pkg" / "run" / "provenance.py").open("a") as f:
        f.write("\n# edited\n")
    assert provenance.git_commit() == git(repo, "rev-parse", "HEAD") + "+changes"
