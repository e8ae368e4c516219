import json
import shutil

import numpy as np
import pytest
import torch

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.leaderboard import write_leaderboard
from morlbench.metrics.pareto import expected_utility, igd_plus
from morlbench.preferences import utility_grid
from morlbench.results.resultfile import ResultError, load_result
from morlbench.results.submission import submit
from morlbench.run.execute import execute
from morlbench.spec import RunSpec

TINY = dict(task="arith-conflict", steps=2, prompts_per_step=2, group_size=2, eval_every=1, max_new_tokens=16,
            gradient_cosine_every=0, task_options={"select_size": 8, "report_size": 8, "val_size": 4})


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    runs = {
        "uniform-0": RunSpec(**TINY, seed=0),
        "uniform-1": RunSpec(**TINY, seed=1),
        "budget-0": RunSpec(**TINY, seed=0, weights=[0.1, 0.9], method_options={}),
        "short-0": RunSpec(**{**TINY, "steps": 1}, seed=0),  # another budget: another group
    }
    for name, spec in runs.items():
        execute(spec, root / "runs" / name, progress=False)
        submit(root / "runs" / name, root / "results")
    return root


def test_results_group_by_comparability_and_list_too_few_seeds_unranked(results, tmp_path):
    board = write_leaderboard(results / "results", tmp_path, None)
    entries = sorted((g.key["steps"], [row.label for row in g.rows]) for g in board.groups)
    assert entries[0] == (1, ["static"]) and entries[1][0] == 2
    assert sorted(entries[1][1]) == ["static", "static grid (2 runs per seed)", "static_w0.1-0.9"]
    text = (tmp_path / "README.md").read_text()
    assert text.count("## arith-conflict-d2s2v1 · tiny-arith · ") == 2
    assert "| unranked (2 seeds) | static |" in text and "| baseline | static grid (2 runs per seed) |" in text
    assert "No reference is recorded for this group" in text
    # Without a reference nothing is measured against one: IGD+, steps-to-front and HV-AUC read "-" (not
    # "unreached", and no reference front made of the ranked runs themselves).
    row = next(line for line in text.splitlines() if line.startswith("| unranked (2 seeds) | static |"))
    header = next(line for line in text.splitlines() if line.startswith("| rank |"))
    cells = dict(zip(header.split(" | "), row.split(" | ")))
    assert all(cells[name] == "-" for name in ("IGD+", "steps to 0.9·HV_ref", "HV-AUC")), cells
    csv_rows = (tmp_path / "results.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + 4 and 'class="sortable"' in (tmp_path / "index.html").read_text()


def test_the_same_inputs_give_byte_identical_tables(results, tmp_path):
    write_leaderboard(results / "results", tmp_path / "a", None)
    shuffled = tmp_path / "shuffled"
    for i, path in enumerate(sorted((results / "results").rglob("*.json"), reverse=True)):
        (shuffled / f"sub{i}").mkdir(parents=True)
        shutil.copy(path, shuffled / f"sub{i}" / path.name)
    write_leaderboard(shuffled, tmp_path / "b", None)
    for name in ("README.md", "results.csv", "index.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_hv_ref_comes_from_the_reference_file_of_the_group_it_applies_to(results, tmp_path):
    from morlbench.reference import APPLIES_TO

    key = load_result(sorted((results / "results").rglob("*.json"))[0]).comparability
    scope = {k: key[k] for k in APPLIES_TO}
    reference = tmp_path / "reference.json"
    reference.write_text(json.dumps({"task_versions": {key["task_version"]: {
        "hv_ref": 0.01, "front": [[0.5, 0.5]], "applies_to": scope, "source": "a test", "seeds": [9]}}}))
    write_leaderboard(results / "results", tmp_path, reference)
    text = (tmp_path / "README.md").read_text()
    assert text.count("Reference: HV_ref = 0.01") == 2 and "0.0 (2/2)" in text  # both budgets: same scope
    reference.write_text(json.dumps({"task_versions": {key["task_version"]: {
        "hv_ref": 0.01, "applies_to": {**scope, "model": "another"}}}}))
    write_leaderboard(results / "results", tmp_path, reference)
    assert "Reference: HV_ref" not in (tmp_path / "README.md").read_text()  # never borrowed by another model


def tamper(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["claims"].__setitem__("hypervolume", d["claims"]["hypervolume"] + 0.1),
     "tampered: claimed hypervolume"),
    (lambda d: [e["report"].__setitem__(0, e["report"][0] / 2) for e in d["evals"] if "report" in e], "tampered"),
    (lambda d: d.__setitem__("schema_version", 99), "schema_version 99; this morlbench reads 2"),
    (lambda d: d.pop("evals"), "malformed result file: 'evals' missing"),
    (lambda d: d.__setitem__("kind", "other"), "not a morlbench result"),
])
def test_bad_result_files_are_rejected_with_the_reason(results, tmp_path, edit, message, capsys):
    copy = tmp_path / "results"
    shutil.copytree(results / "results", copy)
    victim = sorted(copy.rglob("*.json"))[0]
    tamper(victim, edit)
    with pytest.raises(ResultError, match=message):
        load_result(victim)
    assert main(["leaderboard", "--results", str(copy), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message.split(":")[0].split(";")[0] in err and "nothing written" in err
    assert not (tmp_path / "out").exists()


def test_a_broken_reference_file_is_one_line_and_nothing_is_written(results, tmp_path, capsys):
    reference = tmp_path / "reference.json"
    reference.write_text("{broken")
    assert main(["leaderboard", "--results", str(results / "results"), "--out", str(tmp_path / "out"),
                 "--reference", str(reference)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a reference file" in err[0]
    assert not (tmp_path / "out").exists()


def test_not_json_is_rejected(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(ResultError, match="not JSON"):
        load_result(bad)


def test_only_finished_runs_are_submitted(tmp_path):
    out = tmp_path / "run"
    execute(RunSpec(**TINY, seed=0), out, progress=False)
    (out / "report.json").unlink()
    with pytest.raises(UsageError, match="not a finished run"):
        submit(out, tmp_path / "results")


def test_expected_utility_hand_checked():
    points = np.array([[1.0, 0.0], [0.0, 1.0]])
    prefs = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    assert expected_utility(points, prefs) == pytest.approx((1 + 0.5 + 1) / 3)
    assert len(utility_grid(3)) == 91 and len(utility_grid(2)) == 21


def test_igd_plus_hand_checked():
    # Reference front {(1, 0), (0, 1)}; the point (0.5, 0.5) is 0.5 short of each in one coordinate.
    assert igd_plus([[0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(0.5)
    assert igd_plus([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(0.0)


def test_the_committed_leaderboard_is_regenerated_exactly_from_its_results(tmp_path):
    """What CI checks for every pull request: the tables match the committed result files."""
    from pathlib import Path

    repo = Path(__file__).parents[2]
    write_leaderboard(repo / "leaderboard" / "results", tmp_path, repo / "baselines" / "reference.json")
    for name in ("README.md", "results.csv", "index.html"):
        assert (tmp_path / name).read_bytes() == (repo / "leaderboard" / name).read_bytes(), name


def test_a_run_recorded_before_a_setting_existed_submits_as_a_rerun_would(results, tmp_path):
    """Result files hold the spec with today's defaults, so recording date does not change their bytes."""
    run = tmp_path / "run"
    shutil.copytree(results / "runs" / "uniform-0", run)
    config = json.loads((run / "config.json").read_text())
    del config["spec"]["backend"]  # as in a run recorded before --backend existed
    (run / "config.json").write_text(json.dumps(config))
    old = json.loads(submit(run, tmp_path / "old").read_text())
    new = json.loads(submit(results / "runs" / "uniform-0", tmp_path / "new").read_text())
    assert old == new and old["spec"]["backend"] == "morlbench"


def test_result_files_name_the_machine(results):
    data = json.loads(next((results / "results").rglob("*.json")).read_text())
    assert data["machine"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability() and data["machine"]["cpu"]
    assert load_result(next((results / "results").rglob("*.json"))).label


def test_an_empty_label_is_refused(results, tmp_path):
    with pytest.raises(UsageError, match=r"--label '': use 1 to 120 letters"):
        submit(results / "runs" / "uniform-0", tmp_path / "empty", "")
    assert not (tmp_path / "empty").exists()


def _browser():
    """Headless Chromium from the distribution's packages (chromium, chromium-driver: .ci/run installs them)."""
    import os
    import shutil

    driver = shutil.which("chromedriver")
    if driver is None:
        if os.environ.get("CI"):
            pytest.fail("chromedriver not found: .ci/run installs Debian's chromium and chromium-driver")
        pytest.skip("no chromedriver here (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_the_leaderboard_page_renders_sorts_and_reads_back_in_a_browser(results, tmp_path):
    import csv

    from selenium.webdriver.common.by import By

    write_leaderboard(results / "results", tmp_path, None)
    browser = _browser()
    try:
        browser.get((tmp_path / "index.html").as_uri())
        assert "`" not in browser.find_element(By.TAG_NAME, "body").text  # code spans rendered, not backticks
        assert browser.find_elements(By.TAG_NAME, "code")
        tables = browser.find_elements(By.CSS_SELECTOR, "table.sortable")
        read = [[[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                 for tr in t.find_elements(By.CSS_SELECTOR, "tbody tr")] for t in tables]
        entries = sorted(row[1] for table in read for row in table)
        with open(tmp_path / "results.csv") as handle:
            assert entries == sorted(r["entry"] for r in csv.DictReader(handle))  # the page holds every entry
        table = max(tables, key=lambda t: len(t.find_elements(By.CSS_SELECTOR, "tbody tr")))
        heads = table.find_elements(By.TAG_NAME, "th")
        column = next(i for i, th in enumerate(heads) if th.text == "hypervolume")
        for order in (sorted, lambda v: sorted(v, reverse=True)):  # a click sorts up, the next one down
            heads[column].click()
            values = [float(tr.find_elements(By.TAG_NAME, "td")[column].text.split()[0])
                      for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
            assert values == order(values)
    finally:
        browser.quit()
