"""Protocol 3's boards on mini suites worked out by hand (docs/leaderboard.md): the protocol fixes the
candidates, times to target are censored data, one Holm family per board, stable order."""
from __future__ import annotations

import random
import statistics

import numpy as np
import pytest

from morlbench.compare.board3 import analyse3
from morlbench.compare.protocol3 import gather
from morlbench.compare.records import RunRecord
from morlbench.errors import UsageError
from morlbench.metrics.pareto import hypervolume
from morlbench.metrics.stats import minimum_detectable

W = ((0.5, 0.5), (0.75, 0.25), (0.375, 0.625))
W_TEXT = "0.5,0.5;0.75,0.25;0.375,0.625"
KEY = {"protocol": 3, "engine": "morlbench-2", "task_version": "t1", "objectives": ["a", "b"], "model": "m@0",
       "steps": 10, "batch": "2x4", "selection_split": "select:4", "report_split": "report:4", "decoding": "greedy",
       "max_new_tokens": 8, "eval_every": 5, "preferences": W_TEXT}
START = [0.2, 0.5]


def single(label, seed, w, final, path=(), method="static", inert=False, entry=None, extra=False, signal=None):
    """A single-policy run started at w: the starting point at step 0, ``path`` at step 5, ``final`` at 10."""
    points = [START, *(path or [final]), final]
    tokens = seed * 1000 + round(w[0] * 1000)  # every run's own records
    evals = [{"step": s, "rollouts": s * 8, "tokens": s * 40 + tokens, "objectives": list(p)}
             for s, p in zip((0, 5, 10), points)]
    evals[-1]["report"] = list(final)
    if extra:  # evaluations off the schedule: never read
        evals.insert(1, {"step": 3, "rollouts": 24, "tokens": 120, "objectives": [1.0, 1.0], "report": [1.0, 1.0]})
    mechanism = None if signal is None else {"initial_weights": list(w), "weights": [], "signal": signal}
    return RunRecord(label, f"{label}-{w}", method, "", seed, KEY, ["a", "b"], evals, weights=list(w),
                     entry_id=entry or label, inert=inert, method_settings={}, mechanism=mechanism)


def serving(label, seed, finals, extra_points=()):
    """A preference-serving run: at every evaluation one point per w of W (the final ones valued on report)."""
    evals = []
    for s in (0, 5, 10):
        points = [{"preference": list(w), "objectives": list(START if s == 0 else f)} for w, f in zip(W, finals)]
        points += [{"preference": list(p), "objectives": [1.0, 1.0]} for p in extra_points]
        if s == 10:
            for p in points:
                p["report"] = p["objectives"]
        evals.append({"step": s, "rollouts": s * 8, "tokens": s * 40 + seed, "points": points})
    return RunRecord(label, label, "meta", "", seed, KEY, ["a", "b"], evals, weights=[0.5, 0.5], serves=True,
                     entry_id=label, method_settings={})


def static_entry(seeds, shift=0.0):
    return [single("static", s, w, [0.3 + shift + 0.01 * s, 0.6 - 0.1 * i]) for s in seeds for i, w in enumerate(W)]


def test_extra_candidates_are_ignored():
    """Points served at preferences outside W and evaluations off the schedule change nothing on either board."""
    seeds = range(3)
    finals = [[0.4, 0.6], [0.5, 0.4], [0.35, 0.65]]
    plain = static_entry(seeds) + [serving("meta", s, finals) for s in seeds]
    padded = static_entry(seeds) + [serving("meta", s, finals, extra_points=[(0.9, 0.1), (0.1, 0.9)]) for s in seeds]
    padded += [single("static", s, w, [0.9, 0.9]) for s in seeds for w in [(0.9, 0.1)]]  # started outside W
    a, b = analyse3(KEY, plain), analyse3(KEY, padded)
    for row_a, row_b in zip(a.rows, b.rows):
        assert row_a.label == row_b.label
        assert [v.hypervolume for v in row_a.values] == [v.hypervolume for v in row_b.values]
        assert [v.auc for v in row_a.values] == [v.auc for v in row_b.values]
    assert any("not a preference of W" in n for n in b.notes)
    # the delivered front is exactly |W| points, whatever the run evaluated
    assert all(v.delivered.shape == (3, 2) for r in b.rows for v in r.values)
    assert b.rows[1].values[0].hypervolume == pytest.approx(hypervolume(np.asarray(finals)))


def test_off_schedule_evaluations_of_a_single_run_are_ignored():
    plain = static_entry(range(2))
    padded = [single("static", s, w, [0.3 + 0.01 * s, 0.6 - 0.1 * i], extra=True)
              for s in range(2) for i, w in enumerate(W)]
    assert [v.auc for v in analyse3(KEY, plain).rows[0].values] == [v.auc for v in analyse3(KEY, padded).rows[0].values]


def test_an_entry_seed_lacking_a_preference_is_not_on_the_boards():
    records = static_entry([0, 1])[:-1]  # seed 1 lacks its run from W's last vector
    group = analyse3(KEY, records)
    assert group.rows[0].seeds == [0]
    assert any("seed 1 lacks" in n for n in group.notes)


def test_one_run_filed_at_two_preferences_is_refused():
    one = single("x", 0, W[0], [0.5, 0.5])
    two = single("x", 0, W[1], [0.5, 0.5])
    two.evals = one.evals  # the same run filed again as the seed's run from another w
    with pytest.raises(UsageError, match="same evaluations"):
        gather([one, two])


def test_a_few_files_cannot_move_the_starting_point():
    records = static_entry(range(3))
    odd = [single("odd", 0, w, [0.9, 0.9]) for w in W]
    for record in odd:
        record.evals[0]["objectives"] = [0.9, 0.9]  # an invented start
    assert analyse3(KEY, records + odd).hv0 == analyse3(KEY, records).hv0 == pytest.approx(0.2 * 0.5)


def test_same_evaluations_under_two_seeds_are_refused():
    one = single("x", 0, W[0], [0.5, 0.5])
    two = single("x", 1, W[0], [0.5, 0.5])
    two.evals = one.evals  # seed 0's evaluations filed again as seed 1
    with pytest.raises(UsageError, match="same evaluations"):
        gather([one, two])


def test_holm_families_verdicts_and_not_tested():
    """Baseline + three contestants (one inert): delivered family 2, trajectory family 4 (HV-AUC and time each)."""
    seeds = range(10)
    records = static_entry(seeds)
    records += [single("better", s, w, [0.6 + 0.01 * s, 0.7 - 0.1 * i], path=[[0.6, 0.7]], method="gdpo")
                for s in seeds for i, w in enumerate(W)]
    records += [single("same", s, w, [0.3 + 0.01 * s + (0.002 if s % 2 else -0.002), 0.6 - 0.1 * i],
                       method="gradient") for s in seeds for i, w in enumerate(W)]
    records += [single("inert", s, w, [0.5, 0.5 - 0.1 * i], inert=True, method="hv-meta-reward")
                for s in seeds for i, w in enumerate(W)]
    group = analyse3(KEY, records)
    assert group.family == {"delivered": 2, "trajectory": 4}
    rows = {r.label: r for r in group.rows}
    assert rows["static"].baseline and rows["static"].rank is not None
    better = rows["better"].tests["delivered"]
    assert better.verdict == "better"
    assert better.exact_p == pytest.approx(2 / 1024)  # every one of 10 seeds ahead: the exact floor
    assert better.adjusted_p == pytest.approx(2 * 2 / 1024)  # Holm's first step over a family of 2
    assert rows["same"].tests["delivered"].verdict == "tie"
    assert rows["inert"].not_tested and not rows["inert"].tests
    assert rows["better"].rank == 1 and rows["better"].tests["time"].verdict == "better"  # reaches sooner
    # Ranks are the verdicts' tiers: a tie shares the baseline's rank, whatever its mean; an untested entry has none.
    assert (rows["static"].rank, rows["same"].rank, rows["inert"].rank) == (2, 2, None)
    assert [r.label for r in group.rows] == ["static", "better", "same", "inert"]
    assert (rows["better"].trajectory_rank, rows["static"].trajectory_rank) == (1, 2)
    worse = [single("worse", s, w, [0.1 + 0.01 * s, 0.5 - 0.1 * i], method="mo-grpo") for s in seeds
             for i, w in enumerate(W)]
    apart = [single("apart", s + 10, w, [0.9, 0.9 - 0.1 * i], method="gdpo") for s in seeds for i, w in enumerate(W)]
    ranks = {r.label: r.rank for r in analyse3(KEY, records + worse + apart).rows}
    assert (ranks["better"], ranks["static"], ranks["same"], ranks["worse"], ranks["apart"]) == (1, 2, 2, 4, None)
    alone = analyse3(KEY, [r for r in records if r.label in ("better", "same")])  # no static entry: no baseline
    assert [r.rank for r in alone.rows] == [None, None]
    d = group.detectable["delivered"]
    assert d.first > d.last  # after the correction (alpha / 2) larger than at alpha


def test_a_mechanism_that_never_acted_is_not_tested():
    """An entry whose logged signal is 0 on every step of every run is listed, out of the families; one step with a
    signal in one run of one seed makes it a contestant."""
    seeds = range(10)

    def dormant(label, acting_seed=None):
        a = 0.6 if acting_seed is None else 0.65  # another entry's own evaluations
        return [single(label, s, w, [a + 0.01 * s, 0.7 - 0.1 * i], method="hv-meta-reward",
                       signal=[0.0, 0.3 if (s, i) == (acting_seed, 2) else 0.0])
                for s in seeds for i, w in enumerate(W)]

    group = analyse3(KEY, static_entry(seeds) + dormant("never") + dormant("once", acting_seed=7))
    rows = {r.label: r for r in group.rows}
    assert rows["never"].not_tested == "not tested: its mechanism never acted (no signal on any step of any run)"
    assert not rows["never"].tests and rows["never"].rank is None  # listed, with no verdict to rank it by
    assert rows["once"].not_tested is None and rows["once"].tests["delivered"].verdict == "better"
    assert group.family == {"delivered": 1, "trajectory": 2}


def test_times_to_target_are_censored_not_averaged_over_survivors():
    seeds = range(4)
    records = static_entry(seeds)
    # reaches the top target at step 5 on seed 0 only: median unreached, restricted mean (5 + 3 x 10) / 4
    records += [single("rare", s, w, [0.95, 0.95] if s == 0 else [0.3, 0.5], path=[[0.95, 0.95] if s == 0 else
                [0.3, 0.5]]) for s in seeds for w in W]
    group = analyse3(KEY, records)
    from morlbench.compare.board3 import km_median, restricted_mean

    rare = next(r for r in group.rows if r.label == "rare")
    top = len(group.targets) - 1
    median, _, _, reached = km_median(rare, top)
    assert median is None and reached == 1
    assert restricted_mean(rare, top) == pytest.approx((5 + 3 * 10) / 4)
    # monotone in the target: a higher target is never reached sooner
    means = [restricted_mean(rare, i) for i in range(len(group.targets))]
    assert means == sorted(means)


def test_order_of_the_records_changes_nothing():
    records = static_entry(range(3)) + [serving("meta", s, [[0.4, 0.6], [0.5, 0.4], [0.3, 0.7]]) for s in range(3)]
    shuffled = list(records)
    random.Random(3).shuffle(shuffled)
    from morlbench.compare.render3 import delivered_rows, group_text3, trajectory_rows

    a, b = analyse3(KEY, records), analyse3(KEY, shuffled)
    assert group_text3(a) == group_text3(b)
    assert delivered_rows(a) == delivered_rows(b) and trajectory_rows(a) == trajectory_rows(b)


def test_a_seed_is_verified_when_every_one_of_its_runs_was_reproduced():
    from morlbench.compare.render3 import seeds_cell

    records = static_entry(range(3))
    for record in records:
        record.verified = record.seed == 1 or (record.seed == 2 and record.weights != list(W[0]))
    row = analyse3(KEY, records).rows[0]
    assert row.verified_seeds == 1 and seeds_cell(row) == "3 (1 verified)"


def reading_script(path):
    """A script of docs/results (``path`` below it), loaded as a module."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(Path(path).stem, Path(__file__).parents[2] / "docs/results" / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verdicts_script():
    """docs/results/verdicts.py, the readings' table of a group's verdicts."""
    return reading_script("verdicts.py")


def test_the_readings_pair_is_one_uncorrected_exact_test_and_the_rest_are_counted_on_request():
    """--pair tests one pre-registered pair alone at alpha; the sensitivity line counts the not-tested entries in the
    families and reports what that would change; the power table says when the exact test cannot decide at all."""
    verdicts = verdicts_script()
    seeds = range(10)
    records = static_entry(seeds)
    records += [single("slow-static", s, w, [0.25 + 0.01 * s, 0.6 - 0.1 * i], method="static")
                for s in seeds for i, w in enumerate(W)]
    records += [single("rule", s, w, [0.26 + 0.01 * s + 0.001 * (s % 3), 0.6 - 0.1 * i], method="gradient")
                for s in seeds for i, w in enumerate(W)]
    records += [single("dormant", s, w, [0.7 + 0.01 * s, 0.7 - 0.1 * i], method="hv-meta-reward",
                       signal=[0.0, 0.0]) for s in seeds for i, w in enumerate(W)]
    group = analyse3(KEY, records)
    pair = {line.split("|")[1].strip(): line for line in verdicts.pair(group, "rule", "slow-static", "delivered")}
    delivered = pair["**delivered HV** (pre-registered)"]  # per seed 0.6 x (0.01 + 0.001 (s mod 3)), mean 0.00654
    assert "| 10 | 0.0065 [" in delivered and "| 0.0020 | better |" in delivered  # ahead on all 10: 2 / 2^10
    sd = 0.6 * 0.001 * statistics.stdev(s % 3 for s in seeds)  # of the per-seed differences, w's first objective
    assert delivered.endswith(f"| {minimum_detectable(sd, 10, alpha=0.05):.4f} |")
    assert "| 0.0020 | descriptive |" in pair["HV-AUC"]  # not pre-registered: no verdict
    with pytest.raises(SystemExit, match=r"no entry 'nope' in group \w+ \(entries: dormant, rule, slow-static, stat"):
        verdicts.pair(group, "nope", "static")
    line = verdicts.if_all_counted(group)[0]
    assert "(dormant) would make the families 3 (delivered) and 6 (trajectory)" in line
    assert "dormant delivered HV better (Holm p 0.006)" in line  # 2/1024 x 3: ahead on all ten seeds
    assert [r.label for r in group.rows if r.not_tested] == ["dormant"] and group.family["delivered"] == 2
    few = analyse3(KEY, [r for r in records if r.seed < 5])
    power = "\n".join(verdicts.power(few))
    assert "| rule | none / none |" in power and "p = 0.0625" in power  # 5 seeds: the floor is above alpha
    one = "\n".join(verdicts.power(analyse3(KEY, [r for r in records if r.seed == 0])))
    assert "detectable at α/1 / α" in one and "α/0" not in one  # no comparison yet: no family to divide by


def test_the_power_table_names_a_difference_without_spread():
    """Every seed the same difference (a constant shift): no power is estimated from a zero SD."""
    verdicts = verdicts_script()
    seeds = range(6)
    records = static_entry(seeds) + [single("lifted", s, w, [0.35 + 0.01 * s, 0.6 - 0.1 * i], method="gdpo")
                                     for s in seeds for i, w in enumerate(W)]
    power = "\n".join(verdicts.power(analyse3(KEY, records)))
    assert "| lifted | no spread (SD 0) |" in power and "no spread where every seed gave the same" in power


def board_of(model, lifts, seeds=range(5), lr=None):
    """A group on model ``model``: the static baseline and, per label, a single-policy entry lifted by its value
    (a pair (lift, spread) lifts seed s by lift + spread x (-1)^s); ``lr``: label -> its runs' learning rate."""
    import dataclasses

    key = {**KEY, "model": model}
    lifts = {label: v if isinstance(v, tuple) else (v, 0.0) for label, v in lifts.items()}
    records = static_entry(seeds) + [
        single(label, s, w, [0.3 + lift + spread * (-1) ** s + 0.01 * s, 0.6 - 0.1 * i], method="gdpo",
               path=[[0.25, 0.5]] if lift == 0 else ())  # unlifted: another path, not the baseline's run
        for label, (lift, spread) in lifts.items() for s in seeds for i, w in enumerate(W)]
    return analyse3(key, [dataclasses.replace(r, comparability=key, lr=(lr or {}).get(r.label)) for r in records])


def carryover_script():
    """docs/results/smollm2/carryover.py, the real-model reading's carry-over rule."""
    return reading_script("smollm2/carryover.py")


def test_the_carry_over_reading_follows_its_pre_registered_rule():
    """docs/results/smollm2/carryover.py: an embedded verdict carries over where the real mean has its sign and an
    interval excluding 0; same way where the interval spans 0; an embedded tie carries nothing; a mean that prints
    as 0 has no sign; secondary entries are printed, not counted; entries on one board only are named."""
    carry = carryover_script()
    embedded = board_of("m@0", {"up": 0.05, "down": -0.05, "wide": 0.045, "flat": 0.02, "tie": (0.0001, 0.02),
                                "gradient-paper": 0.055, "alone": 0.1}, seeds=range(10))
    real = board_of("n@0", {"up": 0.02, "down": 0.03, "wide": (0.01, 0.021), "flat": 0.0, "tie": 0.015,
                            "gradient-paper": 0.025})
    out = carry.against_baselines(embedded, real, (10, 5))
    lines = {tuple(c.strip() for c in line.split("|")[1:3]): line for line in out if line.startswith("| ")}
    assert lines[("up", "delivered HV")].endswith("| carries over |")
    assert "| better (p " in lines[("up", "delivered HV")] and "(10) |" in lines[("up", "delivered HV")]
    assert lines[("down", "HV-AUC")].endswith("| opposite way |")
    assert lines[("wide", "delivered HV")].endswith("| same way, real interval spans 0 |")
    assert lines[("flat", "delivered HV")].endswith("| no sign on the real board |")
    assert lines[("tie", "delivered HV")].endswith("| embedded tie: nothing to carry |")
    assert "not counted: untuned at its own lr" in lines[("gradient-paper", "delivered HV")]
    assert not any(label == "alone" for label, _ in lines) and out[-1] == "On the embedded board only: alone."
    assert "Counted: 8 embedded verdicts (better or worse; 2 ties set apart); 4 point the same way" in out[-2]
    incomplete = carry.against_baselines(embedded, real, (10, 6))
    assert "| incomplete: 10 and 5 seeds of 10 and 6 |" in incomplete[2]
    with pytest.raises(SystemExit, match="has 5 seeds of 'static', fewer than 6"):
        carry.checked(real, 6)


def test_the_carry_over_pair_is_read_at_one_learning_rate():
    carry = carryover_script()
    embedded = board_of("m@0", {"rule": 0.05, "slow": 0.01}, seeds=range(10), lr={"rule": 1e-4, "slow": 1e-4})
    real = board_of("n@0", {"rule": 0.02, "slow": 0.01}, lr={"rule": 1e-4, "slow": 3e-4})
    paired = carry.pair(embedded, real, "rule", "slow", "rule")
    assert paired[2].startswith("| delivered HV | 0.0240 [") and paired[2].endswith("| no sign |")  # rule - rule
    with pytest.raises(SystemExit, match="rule ran at lr 0.0001 and slow at 0.0003: not a pair at one learning rate"):
        carry.pair(embedded, real, "rule", "slow", "slow")
    with pytest.raises(SystemExit, match="no entry 'nope' on the board of n@0"):
        carry.pair(embedded, real, "rule", "slow", "nope")


def test_the_power_line_is_about_the_test_that_decides():
    """The leaderboard's power line: where Holm's first step asks for a p below the exact sign-flip test's floor
    (2 / 2^n over n seeds), no difference is detectable and every verdict on the board is a tie by construction."""
    from morlbench.compare.render3 import group_text3

    def group(n):
        seeds = range(n)
        records = static_entry(seeds)
        for label, shift in (("rule", 0.05), ("other", -0.05)):  # two contestants: Holm's first step is alpha / 2
            records += [single(label, s, w, [0.3 + shift + 0.01 * s + 0.001 * (s % 3), 0.6 - 0.1 * i],
                               method="gradient") for s in seeds for i, w in enumerate(W)]
        return analyse3(KEY, records)

    def power(n):
        return next(line for line in group_text3(group(n)) if line.startswith("Smallest delivered HV"))

    six, seven = group(6), group(7)
    assert six.family["delivered"] == 2 and [r.tests["delivered"].verdict for r in six.rows if r.tests] == ["tie"] * 2
    assert six.detectable["delivered"].first is None  # 2 / 64 = 0.031 is not below 0.05 / 2
    assert power(6).endswith("detects with power 0.8 (paired t, pooled SD): none. Over 6 seeds (the most any "
                             "comparison shares) the exact sign-flip test that decides cannot give p below 0.0312, "
                             "and Holm's first step needs p below α/2 = 0.0250: every verdict on this board is a tie "
                             "by construction, whatever the differences.")
    d = seven.detectable["delivered"]  # 2 / 128 = 0.016 is: the paired t's detectable differences
    assert d.first > d.last > 0 and d.seeds == 7
    assert [r.tests["delivered"].verdict for r in seven.rows if r.tests] == ["better", "worse"]
    assert power(7).endswith(f"{d.first:.4f} at Holm's first step (α/2), {d.last:.4f} at its last.")
    # one contestant at 10 seeds beside two at 5 (the median): the 10-seed comparison can still reject
    seeds = range(10)
    records = static_entry(seeds)
    records += [single("long", s, w, [0.35 + 0.01 * s + 0.001 * (s % 3), 0.6 - 0.1 * i], method="gradient")
                for s in seeds for i, w in enumerate(W)]
    for label, shift in (("short", 0.003), ("brief", -0.003)):
        records += [single(label, s, w, [0.3 + shift + 0.01 * s + 0.002 * (s % 2), 0.6 - 0.1 * i],
                           method="gradient") for s in range(5) for i, w in enumerate(W)]
    mixed = analyse3(KEY, records)
    assert mixed.rows[1].label == "long" and mixed.rows[1].tests["delivered"].verdict == "better"
    assert mixed.detectable["delivered"].first is not None and mixed.detectable["delivered"].seeds == 10
