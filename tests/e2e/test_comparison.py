import json

import pytest

from morlbench.cli import main
from morlbench.preferences import default_preference_set
from morlbench.run.execute import execute
from morlbench.spec import RunSpec

TINY = dict(task="arith", steps=2, prompts_per_step=2, group_size=2, eval_every=1, max_new_tokens=16,
            gradient_cosine_every=1)
ENTRIES = {"static": {}, "hypervolume": dict(method="hypervolume")}
W = default_preference_set(3)


def where(root, label, w, seed):
    return root / "arith" / label / ("w" + "-".join(f"{v:g}" for v in w)) / f"seed{seed}"


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory):
    """A suite's layout: each entry run from each w of W on two seeds."""
    root = tmp_path_factory.mktemp("suite")
    for label, overrides in ENTRIES.items():
        for w in W:
            for seed in (0, 1):
                execute(RunSpec(**{**TINY, **overrides}, weights=list(w), seed=seed), where(root, label, w, seed),
                        progress=False)
    return root


def rows_of(text):
    return {line.split(" | ")[1]: line for line in text.split("### Delivered board")[0].splitlines()
            if line.startswith("| unranked")}


def test_report_of_a_suite_compares_its_entries(suite_dir, capsys):
    assert main(["report", str(suite_dir)]) == 0
    out = suite_dir / "comparison"
    text = (out / "comparison.md").read_text()
    assert "1 comparability group(s)" in text and "12 runs" in text
    rows = rows_of(text)
    assert sorted(rows) == sorted(ENTRIES)
    # Two seeds: nothing is ranked (10 are needed); the static entry is the baseline
    assert "| baseline |" in rows["static"] and "| tie (p " in rows["hypervolume"]
    # A single-policy entry spends its three runs' budget: its training tokens are their sum, seed by seed.
    tokens = [sum(json.loads((where(suite_dir, "static", w, s) / "eval.jsonl").read_text().splitlines()[-1])["tokens"]
                  for w in W) for s in (0, 1)]
    assert f"| {sum(tokens) / 2:.0f} | 2 |" in rows["static"]
    assert "Targets HV_0 + f (1 − HV_0)" in text and "HV_ref" not in text
    assert "| hypervolume | accuracy / conciseness |" in text  # trade-offs per entry and pair
    assert "### Delivered board" in text and "### Trajectory board" in text
    assert (out / "group1-trajectory.png").stat().st_size > 10_000 and "](group1-trajectory.png)" in text
    assert "<circle" in (out / "group1-fronts.svg").read_text()
    page = (out / "index.html").read_text()
    assert "<table class=\"sortable\">" in page and "<svg" in page and "<details>" in page


def test_runs_outside_a_complete_entry_are_named_not_ranked(suite_dir, tmp_path):
    runs = [where(suite_dir, "hypervolume", W[0], 0), where(suite_dir, "static", W[0], 0)]
    assert main(["report", *map(str, runs), "--out", str(tmp_path / "cmp")]) == 0
    text = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "Not on the boards: hypervolume: seed 0 lacks its runs from" in text


def test_report_of_nothing_finished_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_committed_result_files_compare_as_their_run_directories_do(suite_dir, tmp_path, capsys):
    for run in sorted(suite_dir.glob("arith/*/w*/seed*")):
        assert main(["submit", str(run), "--to", str(tmp_path / "results"), "--label", run.parent.parent.name]) == 0
    assert main(["report", str(suite_dir), "--out", str(tmp_path / "from-runs")]) == 0
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "from-results")]) == 0
    assert not (tmp_path / "results" / "comparison").exists()  # never written among the results

    def table(name):  # the package column says where the runs came from: run directories or a distribution
        text = (tmp_path / name / "comparison.md").read_text()
        rows = [line.replace("(run directories)", "(morlbench)") for line in text.splitlines()
                if line.startswith("| unranked")]
        return rows, sorted(p.name for p in (tmp_path / name).glob("group*"))

    assert table("from-results") == table("from-runs") and len(table("from-runs")[0]) == 6  # 2 entries, 3 tables
    one = sorted((tmp_path / "results").rglob("hypervolume-seed0-*.json"))
    assert main(["report", str(one[0]), "--out", str(tmp_path / "one")]) == 0
    assert "1 runs" in (tmp_path / "one" / "comparison.md").read_text()


def test_a_reference_file_that_does_not_exist_is_refused(suite_dir, tmp_path, capsys):
    assert main(["report", str(suite_dir), "--out", str(tmp_path / "c"), "--reference", str(tmp_path / "no.json")]) == 2
    assert "no.json: no such file" in capsys.readouterr().err and not (tmp_path / "c").exists()
