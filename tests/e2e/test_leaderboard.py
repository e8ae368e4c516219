import json
import re
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
W = [[0.5, 0.5], [0.75, 0.25], [0.375, 0.625]]  # the standard preference set for two objectives
HISTORICAL = "leaderboard/results/arith-conflict-d2s2v1/static_w0.5-0.5-seed0-1263be5f.json"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The static entry on two seeds (a run from each w of W), and a run at another budget (another group)."""
    root = tmp_path_factory.mktemp("board")
    runs = {f"w{i}-{seed}": RunSpec(**TINY, seed=seed, weights=w) for seed in (0, 1) for i, w in enumerate(W)}
    runs["short-0"] = RunSpec(**{**TINY, "steps": 1}, seed=0, weights=W[0])
    for name, spec in runs.items():
        execute(spec, root / "runs" / name, progress=False)
        submit(root / "runs" / name, root / "results")
    return root


def test_results_group_by_comparability_and_list_too_few_seeds_unranked(results, tmp_path):
    board = write_leaderboard(results / "results", tmp_path, None)
    entries = sorted((g.key["steps"], [row.label for row in g.rows], [row.seeds for row in g.rows])
                     for g in board.groups)
    assert entries[0] == (1, [], []) and entries[1] == (2, ["static"], [[0, 1]])  # one run of W is no entry seed
    text = (tmp_path / "README.md").read_text()
    assert text.count("## arith-conflict-d2s2v1 · tiny-arith · ") == 2
    assert "| unranked (2 seeds) | static |" in text and "| baseline |" in text
    assert "Not on the boards: static: seed 0 lacks its runs from" in text
    assert "![delivered fronts](fronts-" in text and "<details><summary>Delivered board" in text
    svgs = sorted(p.name for p in tmp_path.glob("fronts-*.svg"))
    assert len(svgs) == 2 and "<circle" in (tmp_path / svgs[0]).read_text() + (tmp_path / svgs[1]).read_text()
    csv_rows = (tmp_path / "results.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + 1 and 'class="sortable"' in (tmp_path / "index.html").read_text()


def test_the_same_inputs_give_byte_identical_tables(results, tmp_path):
    write_leaderboard(results / "results", tmp_path / "a", None)
    shuffled = tmp_path / "shuffled"
    for i, path in enumerate(sorted((results / "results").rglob("*.json"), reverse=True)):
        (shuffled / f"sub{i}").mkdir(parents=True)
        shutil.copy(path, shuffled / f"sub{i}" / path.name)
    write_leaderboard(shuffled, tmp_path / "b", None)
    names = sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir() if not p.name.startswith("."))
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_protocol_2_results_stay_readable_historical_and_apart(results, tmp_path):
    from pathlib import Path

    mixed = tmp_path / "mixed"
    shutil.copytree(results / "results", mixed)
    historical = Path(__file__).parents[2] / HISTORICAL
    shutil.copy(historical, mixed / "arith-conflict-d2s2v1" / historical.name)
    board = write_leaderboard(mixed, tmp_path / "out", None)
    alone = write_leaderboard(results / "results", tmp_path / "alone", None)
    assert [r.label for g in board.groups for r in g.rows] == [r.label for g in alone.groups for r in g.rows]
    assert len(board.historical) == 1 and board.historical[0].key["protocol"] == 2
    text = (tmp_path / "out" / "README.md").read_text()
    assert text.index("# Historical: evaluation protocol 2") < text.index("protocol 2 (historical) (group")


def tamper(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _final(d):
    return d["evals"][-1]


BAD = [  # (edit, the reason the one refusal line names)
    (lambda d: d["claims"].__setitem__("hypervolume", d["claims"]["hypervolume"] + 0.1),
     "tampered: claimed hypervolume"),
    (lambda d: _final(d)["report"].__setitem__(0, _final(d)["report"][0] / 2 + 0.01), "tampered"),
    (lambda d: d.__setitem__("schema_version", 99), "schema_version 99; this morlbench reads 2, 3"),
    (lambda d: d.pop("evals"), "malformed result file: 'evals' missing"),
    (lambda d: d.__setitem__("kind", "other"), "not a morlbench result"),
    (lambda d: d["evals"].pop(1), "the evaluation at step 1 is missing"),
    (lambda d: [e.__setitem__("tokens", 1) for e in d["evals"][1:]], "each of at least one token"),
    (lambda d: d.__setitem__("method", "gdpo"), "differs from its spec"),
    (lambda d: d.__setitem__("package", "[x](http://evil)"), "package '[x](http://evil)': a name of letters"),
    (lambda d: d.__setitem__("model", "smollm2-135m"), "differs from the comparability key"),
    (lambda d: d.__setitem__("objective_names", ["accuracy", "clarity"]), "differ from the comparability key"),
    (lambda d: d["mechanism"].__setitem__("signal", [float("nan")]), "mechanism.signal must be"),
    (lambda d: d["budget"].__setitem__("train_seconds", float("inf")), "budget must hold"),
    (lambda d: d["comparability"].__setitem__("max_new_tokens", float("nan")), "not a finite number"),
    (lambda d: d["per_problem"]["points"][0]["values"].__setitem__(0, "1" * 8), "per_problem point"),
    (lambda d: d["per_problem"]["points"][0]["values"].__setitem__(0, "x"), "values are not numbers"),
    (lambda d: d["per_problem"].__setitem__("points", []), "one entry per point"),
    (lambda d: d["identity"]["settings"].__setitem__("steps", 9), "identity_id does not match"),
    (lambda d: d.__setitem__("capabilities", {"serves_preferences": "yes"}), "capabilities must say"),
    (lambda d: _final(d).__setitem__("objectives", [10**400, 0.5]), "objective vectors must hold"),  # no overflow
    (lambda d: d["spec"].__setitem__("prompts_per_step", "x" * 100), "prompts_per_step and group_size must be"),
    (lambda d: d["mechanism"].__setitem__("initial_weights", [0.1, 0.9]), "differ from the spec's weights"),
]


@pytest.mark.parametrize("edit, message", BAD)
def test_bad_result_files_are_rejected_with_the_reason(results, tmp_path, edit, message, capsys):
    copy = tmp_path / "results"
    shutil.copytree(results / "results", copy)
    victim = next(p for p in sorted(copy.rglob("*.json")) if json.loads(p.read_text())["spec"]["steps"] == 2)
    tamper(victim, edit)
    with pytest.raises(ResultError, match=re.escape(message)):
        load_result(victim)
    assert main(["leaderboard", "--results", str(copy), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message.split(":")[0].split(";")[0] in err and "nothing written" in err
    assert not (tmp_path / "out").exists()


def test_a_seed_relabelled_is_refused_at_the_board(results, tmp_path, capsys):
    copy = tmp_path / "results"
    shutil.copytree(results / "results", copy)
    seed0 = next(p for p in sorted(copy.rglob("*-seed0-*.json")) if json.loads(p.read_text())["spec"]["steps"] == 2)
    data = json.loads(seed0.read_text())
    data["seed"] = data["spec"]["seed"] = 7
    identity = data["identity"]
    from morlbench.results.resultfile import identity_id

    data["identity_id"] = identity_id(identity)
    (seed0.parent / "relabelled-seed7.json").write_text(json.dumps(data))
    with pytest.raises(UsageError, match="same evaluations"):
        write_leaderboard(copy, tmp_path / "out", None)


def test_a_fifo_named_json_is_refused_without_blocking(results, tmp_path):
    import os

    copy = tmp_path / "results"
    shutil.copytree(results / "results", copy)
    os.mkfifo(copy / "blocking.json")
    with pytest.raises(ResultError, match="not a regular file"):
        load_result(copy / "blocking.json")


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


def test_resubmitting_an_unchanged_run_keeps_its_file_and_reads_no_other(results, tmp_path, monkeypatch):
    """A sweep resubmits every run it skipped as done: with the file already there, that costs no scan of the group."""
    import morlbench.results.submission as submission

    shutil.copytree(results / "results", tmp_path / "results")
    first = submit(results / "runs" / "w0-0", tmp_path / "results")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "results").rglob("*.json")}
    read = submission.load_result
    monkeypatch.setattr(submission, "load_result", lambda path: read(path) if path == first else pytest.fail(path.name))
    assert submit(results / "runs" / "w0-0", tmp_path / "results") == first  # its own file still reads back
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "results").rglob("*.json")} == before
    monkeypatch.undo()
    first.write_text("<<<<<<< a merge left this\n")  # unreadable: rewritten, as a first submission would
    assert submit(results / "runs" / "w0-0", tmp_path / "results") == first and load_result(first).seed == 0


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
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    plots = sorted(p.name for p in (repo / "leaderboard").glob("fronts-*.svg"))
    assert plots == [n for n in names if n.startswith("fronts-")]  # no plot of a group that is gone
    for name in names:
        assert (tmp_path / name).read_bytes() == (repo / "leaderboard" / name).read_bytes(), name


def test_a_run_recorded_before_a_setting_existed_submits_as_a_rerun_would(results, tmp_path):
    """Result files hold the spec with today's defaults, so recording date does not change their bytes."""
    run = tmp_path / "run"
    shutil.copytree(results / "runs" / "w0-0", run)
    config = json.loads((run / "config.json").read_text())
    del config["spec"]["backend"]  # as in a run recorded before --backend existed
    (run / "config.json").write_text(json.dumps(config))
    old = json.loads(submit(run, tmp_path / "old").read_text())
    new = json.loads(submit(results / "runs" / "w0-0", tmp_path / "new").read_text())
    assert old == new and old["spec"]["backend"] == "morlbench"


def test_result_files_name_the_machine(results):
    data = json.loads(next((results / "results").rglob("*.json")).read_text())
    assert data["machine"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability() and data["machine"]["cpu"]
    assert load_result(next((results / "results").rglob("*.json"))).label


def test_an_empty_label_is_refused(results, tmp_path):
    with pytest.raises(UsageError, match=r"--label '': use 1 to 120 letters"):
        submit(results / "runs" / "w0-0", tmp_path / "empty", "")
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
        tables = browser.find_elements(By.CSS_SELECTOR, "body > table.sortable")  # the headline tables
        read = [[[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                 for tr in t.find_elements(By.CSS_SELECTOR, "tbody tr")] for t in tables]
        entries = sorted(row[1] for table in read for row in table)
        with open(tmp_path / "results.csv") as handle:
            assert entries == sorted(r["entry"] for r in csv.DictReader(handle))  # the page holds every entry
        table = max(tables, key=lambda t: len(t.find_elements(By.CSS_SELECTOR, "tbody tr")))
        heads = table.find_elements(By.TAG_NAME, "th")
        column = next(i for i, th in enumerate(heads) if th.text.startswith("delivered HV"))
        for order in (sorted, lambda v: sorted(v, reverse=True)):  # a click sorts up, the next one down
            heads[column].click()
            values = [float(tr.find_elements(By.TAG_NAME, "td")[column].text.split()[0])
                      for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
            assert values == order(values)
        from selenium.webdriver.common.action_chains import ActionChains

        entry = browser.find_elements(By.CSS_SELECTOR, "svg.fronts g.e")[0]
        ActionChains(browser).move_to_element(entry.find_element(By.TAG_NAME, "circle")).perform()
        assert entry.value_of_css_property("opacity") == "1"  # the entry hovered stands out
    finally:
        browser.quit()


def test_a_result_of_a_thousand_evaluations_builds_in_seconds(results, tmp_path):
    """Work linear in a file's size: 1,000 evaluations in one valid result file (protocol 2's reading took over
    240 s for as many)."""
    import time

    from morlbench.preferences import parse_preferences
    from morlbench.results.identity import identity_id
    from morlbench.results.verified import claims

    source = next(p for p in sorted((results / "results").rglob("*.json"))
                  if json.loads(p.read_text())["spec"]["steps"] == 2)
    data = json.loads(source.read_text())
    steps, rows = 1000, 2 * 2
    rng = np.random.default_rng(0)
    evals = [{"step": s, "rollouts": s * rows, "tokens": s * rows * 3, "objective_names": data["objective_names"],
              "objectives": rng.random(2).round(6).tolist()} for s in range(steps + 1)]
    evals[-1]["report"] = evals[-1]["objectives"]
    for where in (data["spec"], data["identity"]["settings"], data["comparability"]):
        where["steps"] = steps
    # a W of the run's own start: one complete entry seed
    data["comparability"]["preferences"] = ",".join(f"{w:g}" for w in data["identity"]["weights"])
    data.update(evals=evals, per_problem=None, identity_id=identity_id(data["identity"]),
                mechanism={"initial_weights": data["mechanism"]["initial_weights"], "weights": [], "signal": []},
                claims=claims(evals, False, parse_preferences(data["comparability"]["preferences"], 2)))
    board = tmp_path / "results" / "big"
    board.mkdir(parents=True)
    (board / "big.json").write_text(json.dumps(data))
    began = time.perf_counter()
    built = write_leaderboard(tmp_path / "results", tmp_path / "out", None)
    assert time.perf_counter() - began < 10 and not built.rejected
    group = next(g for g in built.groups if g.key["steps"] == steps)
    assert len(group.rows) == 1 and len(group.rows[0].values[0].curve) == steps + 1  # its trajectory was computed


def test_the_verdicts_script_reads_one_group_and_names_the_choices(results, capsys):
    """docs/results/verdicts.py (the readings' table of verdicts) picks one group, or fails naming them."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[2] / "docs" / "results" / "verdicts.py"
    spec = importlib.util.spec_from_file_location("verdicts", script)
    verdicts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verdicts)
    where = ["--results", str(results / "results")]
    with pytest.raises(SystemExit, match=r"2 protocol-3 groups for task version 'arith-conflict-d2s2v1': .*1 steps.*"
                                         r"2 steps.*give --model or --steps"):
        verdicts.main(["arith-conflict-d2s2v1", *where])
    with pytest.raises(SystemExit, match=r"no protocol-3 group for task version 'arith-conflict-d2s2v1', 3 steps; "
                                         r"the groups are: arith-conflict-d2s2v1 tiny-arith@"):
        verdicts.main(["arith-conflict-d2s2v1", "--steps", "3", *where])
    verdicts.main(["arith-conflict-d2s2v1", "--steps", "2", "--model", "tiny-arith", *where])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| static |")]
    assert rows == ["| static | 2 | - | baseline | - | baseline | - | baseline |"]
