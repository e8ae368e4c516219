"""The report of one run, rebuilt from its run directory alone: report.json, report.md and PNG plots."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from morlbench.compare.records import from_run_dir
from morlbench.metrics.builtin import TAUS
from morlbench.metrics.compute import MetricInputs, compute_all, json_value
from morlbench.metrics.front import current_points, front_by_step, front_points, selection_points, steps_to_front
from morlbench.metrics.mechanism import inert_estimator, mechanism_of
from morlbench.metrics.pareto import controllability, hypervolume, nondominated, served_utility
from morlbench.metrics.tradeoffs import tradeoff_summary
from morlbench.report.run_markdown import render_markdown
from morlbench.report.run_plots import plot_curves, plot_front, plot_preference_map, plot_tradeoffs
from morlbench.results.atomic import atomic_write_json, atomic_write_text
from morlbench.results.runcheck import run_dir_of
from morlbench.results.rundir import RunDir
from morlbench.spec import SCHEMA_VERSION


def hypervolume_by_step(evals: list[dict[str, Any]], protocol: int = 3) -> list[tuple[int, float, float]]:
    """(step, HV of the policy (or served set) evaluated then on the selection split, HV of the run's points so
    far on the selection split (protocol 3's trajectory); protocol 2: of its front so far, chosen on the selection
    split, valued on the report split)."""
    if protocol < 3:
        return [(record["step"], hypervolume(current_points(record)), hypervolume(front))
                for record, front in front_by_step(evals)]
    seen: list[list[float]] = []
    return [(r["step"], hypervolume(current_points(r)), hypervolume(seen := seen + current_points(r)))
            for r in sorted(evals, key=lambda r: r["step"])]


def run_metrics(run: RunDir, hv_ref: float | None, reference_front: Any = None
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """Every registered metric (built-in or plugin, of every kind) of the run; and why any was not computed."""
    record = from_run_dir(run)
    reference = None if reference_front is None else np.asarray(reference_front, dtype=np.float64)
    values, skipped = compute_all(MetricInputs(record.points, record.evals, reference, hv_ref, record.served()))
    return {k: json_value(v) for k, v in values.items()}, skipped


def served_summary(record: dict[str, Any], names: list[str]) -> dict[str, Any] | None:
    """What one artifact serves at an evaluation that swept preferences; None for a single-policy record."""
    if "points" not in record:
        return None
    preferences = [p["preference"] for p in record["points"]]
    objectives = [p.get("report", p["objectives"]) for p in record["points"]]  # the final sweep is all reported
    summary: dict[str, Any] = {
        "step": record["step"],
        "split": "report" if all("report" in p for p in record["points"]) else "selection",
        "grid": [{"preference": w, "objectives": j} for w, j in zip(preferences, objectives)],
        "hypervolume": round(hypervolume(objectives), 6),
        "front_size": len(nondominated(objectives)),
        "utility_grid": round(served_utility(preferences, objectives), 6),
        "controllability": {n: None if v is None else round(v, 6)
                            for n, v in zip(names, controllability(preferences, objectives))},
    }
    if record.get("held_out"):
        held = [{"preference": p["preference"], "objectives": p["report"]} for p in record["held_out"]]
        summary["utility_held_out"] = round(served_utility([p["preference"] for p in held],
                                                           [p["objectives"] for p in held]), 6)
        summary["held_out"] = held
    return summary


def single_point(record: dict[str, Any]) -> list[float] | None:
    """The single policy's vector on the report split (else the selection split); None for a sweep."""
    if "points" in record:
        return None
    return record.get("report") or record.get("objectives")


def trajectory_summary(record: Any) -> dict[str, Any]:
    """Protocol 3: the run's delivered points (report split) and its trajectory on the selection split: the
    hypervolume of the policy at each scheduled evaluation and of its points so far, HV-AUC, and the first step
    reaching each target HV_0 + f (1 - HV_0) (HV_0 the starting point's)."""
    from morlbench.compare.protocol3 import TARGET_LEVELS, anytime_curve, area
    from morlbench.metrics.delivered import schedule, trajectory
    from morlbench.metrics.survival import first_reach

    key = record.comparability
    steps = [s for s in schedule(int(key["steps"]), int(key["eval_every"])) if s <= record.evals[-1]["step"]]
    path = trajectory(record.evals, record.serves, record.preferences, steps) or []
    curve = anytime_curve(steps, path) if path else []
    hv0 = curve[0][1] if curve else 0.0
    reach = [first_reach(curve, hv0 + f * (1 - hv0), steps[-1]) for f in TARGET_LEVELS] if curve else []
    return {"delivered": record.points.round(6).tolist(), "hv_auc": round(area(curve), 6) if curve else None,
            "trajectory": [{"step": s, "policy": round(hypervolume(p), 6), "so_far": round(v, 6)}
                           for s, p, (_, v) in zip(steps, path, curve)],
            "targets": [{"f": f, "target": round(hv0 + f * (1 - hv0), 6), "step": t.time if t.reached else None}
                        for f, t in zip(TARGET_LEVELS, reach)]}


def build_report(run: RunDir, hv_ref: float | None = None, reference_front: Any = None) -> dict[str, Any]:
    config = run.config()
    if not run.evals:
        raise ValueError(f"{run.path} has no evaluations yet")
    names = config["task"]["objectives"]
    protocol3 = config["comparability"].get("protocol", 2) >= 3
    points = from_run_dir(run).points if protocol3 else front_points(run.evals)
    front = nondominated(points)
    first, last = run.evals[0], run.evals[-1]
    metrics, not_computed = run_metrics(run, hv_ref, reference_front)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "task": config["spec"]["task"],
        "method": config["spec"]["method"],
        "model": config["model"]["name"],
        "seed": config["spec"]["seed"],
        "comparability": config["comparability"],
        "objective_names": names,
        "initial": single_point(first) or current_points(first)[0],
        "final": single_point(last),  # None when the last evaluation swept preferences: see "served"
        "served": served_summary(last, names),
        "final_step": last["step"],
        "front": front.round(6).tolist(),
        "metrics": metrics,
        "metrics_not_computed": not_computed,
        "hypervolume_by_step": [
            {"step": s, "policy": round(p, 6), "front": round(f, 6)}
            for s, p, f in hypervolume_by_step(run.evals, 3 if protocol3 else 2)
        ],
        "budget": {
            "steps": config["spec"]["steps"],
            "rollouts": last["rollouts"],
            "tokens": last["tokens"],  # training and method-internal (validation) generations
            "eval_tokens": last.get("eval_tokens_total", 0),  # the benchmark's own evaluations
            # sampling, scoring, method and update; the benchmark's own evaluations are timed apart
            "train_seconds": run.metrics[-1]["train_seconds"] if run.metrics else 0.0,
            "eval_seconds": run.metrics[-1]["eval_seconds"] if run.metrics else 0.0,
        },
        "hv_ref": hv_ref,
        "steps_to_front": None if hv_ref is None else {
            str(tau): steps_to_front(run.evals, hv_ref, tau) for tau in TAUS
        },
    }
    if run.metrics and run.metrics[-1].get("scoring"):
        report["scoring"] = run.metrics[-1]["scoring"]  # e.g. math-verify checks that timed out (scored 0)
    if run.metrics and run.metrics[-1].get("weights") is not None:
        report["final_weights"] = run.metrics[-1]["weights"]
    report["mechanism"] = mechanism_of(run.metrics, config["resolved"]["weights"], inert_estimator(config))
    if protocol3:
        report["protocol3"] = trajectory_summary(from_run_dir(run))
    report["tradeoffs"] = tradeoff_summary(names, run.metrics) if run.metrics else None
    return report


def split_label(config: dict[str, Any], role: str) -> str:
    """``selection split 'select' (128 problems)``: how plots name the split they show."""
    name, _, size = str(config.get("comparability", {}).get(f"{role}_split", role)).partition(":")
    return f"{role} split '{name}'" + (f" ({size} problems)" if size else "")


def stored_reference(path: Path, references: dict[str, Any] | None = None) -> tuple[float | None, Any]:
    """HV_ref and the reference front that apply to the run in ``path`` (``morlbench.reference``): from
    ``references`` (task version -> Reference), by default the reference file shipped with morlbench, so that the
    report a run writes and ``morlbench report`` agree; (None, None) when none applies."""
    from morlbench.reference import default_reference, load_references, reference_for

    if references is None:
        references = load_references(default_reference(None))
    ref = reference_for(run_dir_of(path).config()["comparability"], references)
    return (ref.hv_ref, ref.front) if ref is not None else (None, None)


def write_run_report(path: Path, hv_ref: float | None = None, reference_front: Any = None) -> dict[str, Any]:
    run = run_dir_of(path)
    report = build_report(run, hv_ref, reference_front)
    names = report["objective_names"]
    if report["served"] is not None:
        plot_preference_map(path / "preferences.png", names, report["served"])
    title = f"{report['method']} on {report['task']}, seed {report['seed']} ({path.name})"
    split = split_label(run.config(), "selection")
    plot_curves(path / "curves.png", names, run.evals, run.metrics, title, split)
    steps = [r["step"] for r in run.evals for _ in current_points(r)]
    plot_front(path / "front.png", names, selection_points(run.evals), steps, split)
    if report["tradeoffs"] is not None:
        plot_tradeoffs(path / "tradeoffs.png", names, report["tradeoffs"],
                       run.config()["spec"].get("gradient_cosine_every", 0))
    atomic_write_json(path / "report.json", report)
    atomic_write_text(path / "report.md", render_markdown(report, run.config()))
    return report
