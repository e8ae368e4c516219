"""The group analysis behind the leaderboard and the comparison report (morlbench/compare/board.py), on a mini suite
whose fronts are single points, so that every hypervolume, difference, interval and verdict is worked out by hand.

Two objectives. Every run starts at (0.1, 0.1) and ends at one point; its front is that point and its hypervolume
the product of the point's coordinates. Seeds s = 0..4 with d = (0, .01, .02, .03, .04):
- static_a ends at (0.5, 0.6 + d): HV .30 + .5 d;   static_b at (0.6 + d, 0.5): HV .30 + .5 d;
- the static grid (both together): HV .5(.6 + d) + .5(.6 + d) - .5 x .5 = .35 + d;
- dyn ends at (0.6 + e, 0.6), e = (0, .02, .01, .04, .03): HV .36 + .6 e;
- strong ends at (0.7, 0.7): HV .49;   few (seeds 0 and 1 only) ends at (0.55, 0.55): HV .3025.
"""
import math
import re

import numpy as np
import pytest
from scipy import stats

from morlbench.compare.board import analyse
from morlbench.compare.entries import group_records
from morlbench.compare.records import RunRecord
from morlbench.errors import UsageError
from morlbench.metrics.stats import holm, minimum_detectable, paired_t, t_interval

D = [0.0, 0.01, 0.02, 0.03, 0.04]
E = [0.0, 0.02, 0.01, 0.04, 0.03]
KEY = {"task_version": "toy", "steps": 10, "batch": "2x2", "model": "m"}
T4 = stats.t.ppf(0.975, 4)  # 2.776


def run(label, method, seed, point, identity=None, settings=None):
    evals = [{"step": 0, "rollouts": 0, "tokens": 0, "objectives": [0.1, 0.1], "report": [0.1, 0.1]},
             {"step": 10, "rollouts": 40, "tokens": 400, "objectives": list(point), "report": list(point)}]
    return RunRecord(label, identity or label, method, "toy", seed, KEY, ["a", "b"], evals,
                     method_settings=settings or {})


def mini_suite(extra=()):
    records = []
    for s in range(5):
        records += [run("static_a", "static", s, (0.5, 0.6 + D[s])), run("static_b", "static", s, (0.6 + D[s], 0.5)),
                    run("dyn", "hypervolume", s, (0.6 + E[s], 0.6)), run("strong", "gradient", s, (0.7, 0.7))]
    records += [run("few", "soups", s, (0.55, 0.55)) for s in (0, 1)]
    return records + list(extra)


@pytest.fixture(scope="module")
def group():
    (key, entries), = group_records(mini_suite())
    return analyse(KEY, entries, None)


def row(group, label):
    return next(r for r in group.rows if r.label.startswith(label))


def test_hypervolumes_and_t_intervals_by_hand(group):
    grid = group.rows[0]
    assert grid.baseline and grid.label.startswith("static grid")
    assert list(grid.by_seed("hypervolume").values()) == pytest.approx([0.35 + d for d in D])
    mean, low, high = t_interval(list(row(group, "dyn").by_seed("hypervolume").values()))
    hv = [0.36 + 0.6 * e for e in E]  # .360 .372 .366 .384 .378: mean .372, sd .009487
    assert mean == pytest.approx(0.372)
    assert high - mean == pytest.approx(T4 * np.std(hv, ddof=1) / math.sqrt(5))


def test_paired_differences_verdicts_and_correction_by_hand(group):
    """Against the grid: dyn - grid = (.010, .012, -.004, .004, -.012), mean .002, sd .01, t = .002 / (.01 / sqrt 5)
    = .447 (p .678): a tie. strong - grid = .14 - d: mean .12, better. static_a - grid = -.05 - .5 d: mean -.06,
    worse. Holm multiplies the smallest of the m p-values by m, the next by m - 1, ..."""
    dyn = row(group, "dyn").comparisons["grid"]
    assert dyn.test.mean_difference == pytest.approx(0.002) and dyn.test.sd_difference == pytest.approx(0.01)
    assert dyn.test.p_value == pytest.approx(2 * stats.t.sf(0.002 / (0.01 / math.sqrt(5)), 4))
    assert dyn.test.low == pytest.approx(0.002 - T4 * 0.01 / math.sqrt(5))
    assert dyn.verdict == "tie"
    assert row(group, "strong").comparisons["grid"].verdict == "better"
    assert row(group, "static_a").comparisons["grid"].test.mean_difference == pytest.approx(-0.06)
    assert row(group, "static_a").comparisons["grid"].verdict == "worse"
    raw = {r.label: r.comparisons["grid"].test.p_value for r in group.rows if "grid" in r.comparisons}
    assert {r.label: r.comparisons["grid"].adjusted_p for r in group.rows if "grid" in r.comparisons} == \
        pytest.approx(dict(zip(raw, holm(list(raw.values())))))
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_ranking_the_unranked_entry_and_the_detectable_difference(group):
    assert [r.label for r in group.rows if r.rank] == ["strong", "dyn", "static_a", "static_b"]
    few = row(group, "few")
    assert few.rank is None and few.seeds == [0, 1]  # 2 seeds: listed, not ranked
    assert few.comparisons["grid"].test.n == 2  # compared on the seeds it shares
    sds = [0.5 * np.std(D, ddof=1), 0.5 * np.std(D, ddof=1), 0.01, np.std(D, ddof=1),
           np.std([0.3025 - 0.35, 0.3025 - 0.36], ddof=1)]  # static_a, static_b, dyn, strong, few
    expected = (T4 + stats.t.ppf(0.8, 4)) * math.sqrt(np.mean(np.square(sds))) / math.sqrt(5)
    assert group.detectable == pytest.approx(expected)
    assert minimum_detectable(0.01, 5) == pytest.approx((T4 + stats.t.ppf(0.8, 4)) * 0.01 / math.sqrt(5))


def test_best_static_is_a_second_baseline(group):
    assert group.best_static in ("static_a", "static_b")  # equal hypervolumes: the label breaks the tie
    assert row(group, "strong").comparisons["best static"].verdict == "better"


def test_a_label_that_names_another_identity_is_refused():
    intruder = run("dyn", "gradient", 0, (0.9, 0.9), identity="someone-else")
    with pytest.raises(UsageError, match="label 'dyn' names two entries in one group"):
        group_records(mini_suite([intruder]))
    (_, entries), = group_records(mini_suite([intruder]), refuse_collisions=False)
    assert any(label.startswith("dyn~") for label in entries)


def test_the_same_seed_twice_is_refused():
    with pytest.raises(UsageError, match="has seed 0 twice"):
        group_records(mini_suite([run("dyn", "hypervolume", 0, (0.5, 0.5))]))


def test_paired_t_uses_shared_seeds_only():
    test = paired_t({0: 1.0, 1: 2.0, 2: 5.0}, {1: 1.0, 2: 3.0, 7: 0.0})
    assert test.n == 2 and test.mean_difference == pytest.approx(1.5)


HOSTILE = '<script>alert(1)</script> | <img src=x onerror=alert(1)> [x](javascript:alert(1))\nnext row'


def test_a_crafted_text_cannot_break_a_markdown_row_or_inject_markup():
    from morlbench.compare.render import markdown_cell

    cell = markdown_cell(HOSTILE)
    assert "\n" not in cell and "<" not in cell and ">" not in cell
    assert cell.count("|") == cell.count("\\|")  # every pipe escaped: the row keeps its columns
    row = "| " + " | ".join([markdown_cell(HOSTILE), "0.1"]) + " |"
    assert len([c for c in re.split(r"(?<!\\)\|", row)]) == 4


def test_a_crafted_text_is_escaped_in_the_html_page():
    from morlbench.compare.render import html_page

    page = html_page(HOSTILE, [HOSTILE + " `code`"], [(HOSTILE, [HOSTILE], [HOSTILE], [[HOSTILE]])])
    assert "<script>alert" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;" in page and "<code>code</code>" in page


def test_leaderboard_files_are_written_together_under_a_lock(tmp_path):
    import threading

    from morlbench.results.atomic import write_together

    def write(n):
        for _ in range(20):
            write_together(tmp_path, {name: f"{n}\n" for name in ("README.md", "results.csv", "index.html")})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    contents = {(tmp_path / name).read_text() for name in ("README.md", "results.csv", "index.html")}
    assert len(contents) == 1  # the three files always come from the same writer
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staged-")]


def test_the_grid_holds_only_seeds_every_grid_point_has():
    # static_b lacks seed 4 (a suite stopped part-way): the grid is seeds 0-3, never a partial grid at seed 4
    records = [r for r in mini_suite() if not (r.label == "static_b" and r.seed == 4)]
    (key, entries), = group_records(records)
    grid = analyse(KEY, entries, None).rows[0]
    assert grid.baseline and grid.seeds == [0, 1, 2, 3]
