import json

import pytest

from morlbench.cli import main
from morlbench.run.execute import execute
from morlbench.spec import RunSpec

TINY = dict(task="arith", steps=2, prompts_per_step=2, group_size=2, eval_every=1, max_new_tokens=16,
            gradient_cosine_every=1)
ENTRIES = {"static_w0.8-0.1-0.1": dict(weights=[0.8, 0.1, 0.1]), "static_w0.1-0.8-0.1": dict(weights=[0.1, 0.8, 0.1]),
           "hypervolume": dict(method="hypervolume")}


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    for label, overrides in ENTRIES.items():
        for seed in (0, 1):
            execute(RunSpec(**{**TINY, **overrides}, seed=seed), root / "arith" / label / f"seed{seed}", progress=False)
    return root


def test_report_of_a_suite_compares_its_entries(suite_dir, capsys):
    assert main(["report", str(suite_dir)]) == 0
    out = suite_dir / "comparison"
    text = (out / "comparison.md").read_text()
    assert "1 comparability group(s)" in text and "6 runs" in text
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if "| 0,1 |" in line}
    assert sorted(rows) == sorted([*ENTRIES, "static grid (2 runs per seed)"])
    # Two seeds: the grid is the baseline row and no entry is ranked (5 seeds are needed for a rank).
    assert rows["static grid (2 runs per seed)"].startswith("| baseline |")
    assert all(rows[label].startswith("| unranked (2 seeds) |") for label in ENTRIES)
    # The grid row spends both static runs' budget: its tokens are their sum, seed by seed.
    tokens = {label: [json.loads((suite_dir / "arith" / label / f"seed{s}" / "eval.jsonl").read_text()
                                 .splitlines()[-1])["tokens"] for s in (0, 1)] for label in ENTRIES}
    grid_tokens = [a + b for a, b in zip(tokens["static_w0.8-0.1-0.1"], tokens["static_w0.1-0.8-0.1"])]
    assert f"| {sum(grid_tokens) / 2:.0f} [" in rows["static grid (2 runs per seed)"]
    # No reference for this toy group: none is derived from the entries being ranked.
    assert "No reference is recorded for this group" in text and "HV_ref = " not in text
    assert "| tie (p " in rows["hypervolume"]
    assert "| hypervolume | accuracy / conciseness |" in text  # trade-offs per entry and pair
    for name in ("group1-fronts.png", "group1-parallel.png", "group1-hypervolume.png", "group1-weights.png"):
        assert (out / name).stat().st_size > 10_000 and f"]({name})" in text
    assert "<table class=\"sortable\">" in (out / "index.html").read_text()


def test_several_run_directories_compare_by_their_method_label(suite_dir, tmp_path):
    runs = [suite_dir / "arith" / "hypervolume" / "seed0", suite_dir / "arith" / "static_w0.8-0.1-0.1" / "seed0"]
    assert main(["report", *map(str, runs), "--out", str(tmp_path / "cmp"), "--hv-ref", "0.05"]) == 0
    text = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "HV_ref = 0.05 (given with --hv-ref)" in text
    assert "| baseline | static grid" not in text  # one static entry is not a grid


def test_report_of_nothing_finished_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_committed_result_files_compare_as_their_run_directories_do(suite_dir, tmp_path, capsys):
    for run in sorted(suite_dir.glob("arith/*/seed*")):
        assert main(["submit", str(run), "--to", str(tmp_path / "results"), "--label", run.parent.name]) == 0
    assert main(["report", str(suite_dir), "--out", str(tmp_path / "from-runs")]) == 0
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "from-results")]) == 0
    assert not (tmp_path / "results" / "comparison").exists()  # never written among the results

    def table(name):  # the package column says where the runs came from: run directories or a distribution
        text = (tmp_path / name / "comparison.md").read_text()
        rows = [line.replace("(run directories)", "(morlbench)") for line in text.splitlines() if "| 0,1 |" in line]
        return rows, sorted(p.name for p in (tmp_path / name).glob("*.png"))

    assert table("from-results") == table("from-runs") and len(table("from-runs")[0]) == 4
    assert "group1-weights.png" in table("from-results")[1]  # the mechanism travels in the result files
    one = sorted((tmp_path / "results").rglob("hypervolume-seed0-*.json"))
    assert main(["report", str(one[0]), "--out", str(tmp_path / "one")]) == 0
    assert "1 runs" in (tmp_path / "one" / "comparison.md").read_text()


def test_a_reference_file_that_does_not_exist_is_refused(suite_dir, tmp_path, capsys):
    assert main(["report", str(suite_dir), "--out", str(tmp_path / "c"), "--reference", str(tmp_path / "no.json")]) == 2
    assert "no.json: no such file" in capsys.readouterr().err and not (tmp_path / "c").exists()
