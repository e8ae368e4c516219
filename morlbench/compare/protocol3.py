"""Protocol 3's entries (docs/leaderboard.md): the runs of a comparability group gathered into entries, each seed
of an entry a unit that delivers exactly |W| points, and what each unit is worth on both boards.

An entry is a configuration without its weights (``RunRecord.entry_id``). A seed of a single-policy entry is its
runs started from each w of W (a run started elsewhere is not on the boards); a seed of a preference-serving
entry is its one run, served at each w of W. Only W's points and the schedule's evaluations are read
(``morlbench.metrics.delivered``), so no entry can raise its numbers by evaluating more.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.compare.records import RunRecord
from morlbench.errors import UsageError
from morlbench.metrics import delivered as views
from morlbench.metrics.mechanism import mechanism_summary
from morlbench.metrics.pareto import expected_utility, hypervolume, nondominated, served_utility
from morlbench.metrics.survival import TimeToTarget, first_reach
from morlbench.preferences import index_in
from morlbench.results.perproblem import per_problem_matrix

TARGET_LEVELS = (0.1, 0.2, 0.3, 0.4)  # targets: HV_0 + f (1 - HV_0), COCO-style fixed levels
HEADLINE_LEVEL = 0.3


@dataclass
class Unit:
    seed: int
    runs: list[RunRecord]  # single-policy: one per w of W, in W's order; preference-serving: its one run


@dataclass
class Entry3:
    label: str
    runs: list[RunRecord] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first(self) -> RunRecord:
        return self.runs[0]

    @property
    def seeds(self) -> list[int]:
        return [u.seed for u in self.units]

    @property
    def linear_static(self) -> bool:
        r = self.first
        return r.method == "static" and r.method_settings.get("scalarisation", "linear") == "linear"


def evals_digest(record: RunRecord) -> str:
    return hashlib.sha256(json.dumps(record.evals, sort_keys=True).encode()).hexdigest()


def gather(records: list[RunRecord]) -> dict[str, Entry3]:
    """Entries by label; a label that two configurations use, the same run twice, and the same evaluations under
    two seeds are refused in one line."""
    entries: dict[str, Entry3] = {}
    owner: dict[str, str] = {}
    seen: dict[str, tuple[str, int]] = {}
    for record in sorted(records, key=lambda r: (r.entry_id, r.seed, r.weights or [], r.label)):
        label = owner.setdefault(record.entry_id, record.label)
        if label in entries and entries[label].first.entry_id != record.entry_id:
            other = entries[label].first
            raise UsageError(f"label {label!r} names two entries in one group: method {other.method} from "
                             f"{other.package or '?'} and method {record.method} from {record.package or '?'} with "
                             "other settings; give one of them another label")
        digest = evals_digest(record)
        if digest in seen:  # under another seed, or at another w of the same seed: one run filed twice
            raise UsageError(f"entry {label!r} seed {record.seed} holds the same evaluations as {seen[digest][0]!r} "
                             f"seed {seen[digest][1]}: one run filed twice")
        seen[digest] = (label, record.seed)
        entries.setdefault(label, Entry3(label)).runs.append(record)
    return entries


def form_units(entry: Entry3, preferences: tuple[tuple[float, ...], ...]) -> None:
    """Each seed's unit, complete or noted as not on the boards."""
    by_seed: dict[int, list[RunRecord]] = defaultdict(list)
    for record in entry.runs:
        by_seed[record.seed].append(record)
    for seed, runs in sorted(by_seed.items()):
        if entry.first.serves:
            if len(runs) > 1:
                raise UsageError(f"entry {entry.label!r} has seed {seed} twice in one group; keep one result per seed")
            entry.units.append(Unit(seed, runs))
            continue
        slots: dict[int, RunRecord] = {}
        for run in runs:
            index = index_in(run.weights or [], preferences)
            if index is None:
                entry.notes.append(f"seed {seed}: a run started at {run.weights} (not a preference of W) is not "
                                   "on the boards")
            elif index in slots:
                raise UsageError(f"entry {entry.label!r} has seed {seed} at w = {list(preferences[index])} twice; "
                                 "keep one result per seed and preference")
            else:
                slots[index] = run
        if len(slots) == len(preferences):
            entry.units.append(Unit(seed, [slots[i] for i in range(len(preferences))]))
        elif slots:
            lacking = [list(preferences[i]) for i in range(len(preferences)) if i not in slots]
            entry.notes.append(f"seed {seed} lacks its runs from {lacking}: incomplete, not on the boards")


@dataclass
class SeedValues:
    seed: int
    delivered: np.ndarray  # (|W|, K), report split
    per_problem: np.ndarray | None  # (problems, |W| x K): the delivered points' report values
    problems: str | None  # the ids of those problems, in order (JSON), for aligning seeds
    curve: list[tuple[int, float]]  # (step, HV of the entry's trajectory points so far), selection split
    hypervolume: float
    utility: float  # mean over w of W of w . J(w)
    eum: float
    auc: float
    train_tokens: float
    eval_tokens: float
    weights_moved: float | None
    signal_share: float | None
    times: list[TimeToTarget] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)  # every registered front and served metric, at W


def registered_metrics(points: np.ndarray, preferences: tuple[tuple[float, ...], ...],
                       reference_front: np.ndarray | None = None) -> dict[str, Any]:
    """Every registered metric that the delivered points answer: front metrics on them, served metrics on (W,
    them) (the policy each w of W is served: a single-policy entry's run started at w), pair metrics against a
    stored reference front that applies to the group (never one made of the entries)."""
    from morlbench.metrics.compute import MetricInputs, compute_all

    inputs = MetricInputs(points, [], reference_front, None, (np.asarray(preferences, dtype=np.float64), points))
    return compute_all(inputs, kinds=("front", "served", "pair"))[0]


def unit_values(unit: Unit, serves: bool, preferences: tuple[tuple[float, ...], ...], steps: list[int]
                ) -> SeedValues | None:
    """What one seed of an entry is worth; None when a run lacks its delivered points or a scheduled evaluation."""
    if serves:
        points = views.delivered(unit.runs[0].evals, True, preferences)
        path = views.trajectory(unit.runs[0].evals, True, preferences, steps)
    else:
        finals = [views.delivered(r.evals, False, preferences) for r in unit.runs]
        paths = [views.trajectory(r.evals, False, preferences, steps) for r in unit.runs]
        points = None if any(f is None for f in finals) else np.vstack(finals)
        path = None if any(p is None for p in paths) else [np.vstack(at) for at in zip(*paths)]
    if points is None or path is None:
        return None
    per_problem = shared_per_problem([r.per_problem for r in unit.runs])
    problems = json.dumps(unit.runs[0].per_problem.get("problems")) if per_problem is not None else None
    summaries = [mechanism_summary((r.mechanism or {}).get("initial_weights"), (r.mechanism or {}).get("weights")
                                   or [], (r.mechanism or {}).get("signal") or []) or {} for r in unit.runs]
    moved = [s["weight_l1_final"] for s in summaries if "weight_l1_final" in s]
    shares = [s["signal_share"] for s in summaries if s.get("signal_share") is not None]
    curve = anytime_curve(steps, path)
    return SeedValues(
        unit.seed, points, per_problem, problems, curve, hypervolume(points),
        served_utility(np.asarray(preferences), points), expected_utility(nondominated(points)), area(curve),
        float(sum(r.evals[-1]["tokens"] for r in unit.runs)),
        float(sum(r.evals[-1].get("eval_tokens_total", 0) for r in unit.runs)),
        float(np.mean(moved)) if moved else None, float(np.mean(shares)) if shares else None)


def shared_per_problem(stored: list[dict[str, Any] | None]) -> np.ndarray | None:
    """The runs' delivered per-problem values side by side, (problems, points x K), when every run kept them on
    the same problems in the same order."""
    if any(p is None for p in stored) or len({json.dumps(p.get("problems")) for p in stored}) != 1:
        return None
    matrices = [per_problem_matrix(p) for p in stored]
    return None if any(m is None for m in matrices) else np.hstack(matrices)


def anytime_curve(steps: list[int], path: list[np.ndarray]) -> list[tuple[int, float]]:
    """HV of the front of every trajectory point so far, evaluation by evaluation (the front kept incrementally:
    linear in the number of evaluations)."""
    front = np.zeros((0, path[0].shape[1]))
    curve = []
    for step, points in zip(steps, path):
        front = nondominated(np.vstack([front, points]))
        curve.append((step, hypervolume(front)))
    return curve


def area(curve: list[tuple[int, float]]) -> float:
    """Trapezoid mean of the curve over the steps it spans (HV-AUC)."""
    if len(curve) < 2 or curve[-1][0] == curve[0][0]:
        return curve[-1][1] if curve else 0.0
    steps = np.asarray([s for s, _ in curve], dtype=np.float64)
    values = np.asarray([v for _, v in curve])
    return float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(steps)) / (steps[-1] - steps[0]))


def starting_hypervolume(entries: dict[str, Entry3]) -> float | None:
    """HV_0: the hypervolume of the starting policy's selection point, the same for every single-policy run of a
    group (one model, greedy decoding): the median over the baseline's runs (the linear static entries'), else over
    every single-policy run, run by run, so that a few files cannot move it; None without a single-policy run."""
    static = [e for e in entries.values() if e.linear_static]
    runs = [r for e in (static or list(entries.values())) for r in e.runs if not r.serves and r.evals
            and r.evals[0].get("step") == 0 and "objectives" in r.evals[0]]
    if not runs:
        return None
    return float(np.median([hypervolume(np.asarray([r.evals[0]["objectives"]])) for r in runs]))


def targets(hv0: float | None) -> list[float]:
    return [] if hv0 is None else [round(hv0 + f * (1 - hv0), 6) for f in TARGET_LEVELS]


def group_values(entries: dict[str, Entry3], key: dict[str, Any], preferences: tuple[tuple[float, ...], ...],
                 reference_front: np.ndarray | None = None) -> tuple[dict[str, list[SeedValues]], float | None]:
    """Every entry's per-seed values, with the times to the group's targets; and HV_0."""
    steps = views.schedule(int(key["steps"]), int(key["eval_every"]))
    hv0 = starting_hypervolume(entries)
    levels = targets(hv0)
    values: dict[str, list[SeedValues]] = {}
    for label, entry in entries.items():
        form_units(entry, preferences)
        kept = []
        for unit in entry.units:
            v = unit_values(unit, entry.first.serves, preferences, steps)
            if v is None:
                entry.notes.append(f"seed {unit.seed}: a scheduled evaluation or a delivered point is missing")
                continue
            v.times = [first_reach(v.curve, t, steps[-1]) for t in levels]
            v.metrics = registered_metrics(v.delivered, preferences, reference_front)
            kept.append(v)
        entry.units = [u for u in entry.units if u.seed in {v.seed for v in kept}]
        values[label] = kept
    return values, hv0
