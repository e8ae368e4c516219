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
from morlbench.results.rundir import RunDir, open_run
from morlbench.spec import SCHEMA_VERSION


def hypervolume_by_step(evals: list[dict[str, Any]]) -> list[tuple[int, float, float]]:
    """(step, HV of the policy (or served set) evaluated then on the selection split, HV of the run's front so
    far: chosen on the selection split, valued on the report split)."""
    return [(record["step"], hypervolume(current_points(record)), hypervolume(front))
            for record, front in front_by_step(evals)]


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


def build_report(run: RunDir, hv_ref: float | None = None, reference_front: Any = None) -> dict[str, Any]:
    config = run.config()
    if not run.evals:
        raise ValueError(f"{run.path} has no evaluations yet")
    names = config["task"]["objectives"]
    points = front_points(run.evals)
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
            {"step": s, "policy": round(p, 6), "front": round(f, 6)} for s, p, f in hypervolume_by_step(run.evals)
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
    report["tradeoffs"] = tradeoff_summary(names, run.metrics) if run.metrics else None
    return report


def write_run_report(path: Path, hv_ref: float | None = None, reference_front: Any = None) -> dict[str, Any]:
    run = open_run(path)
    report = build_report(run, hv_ref, reference_front)
    names = report["objective_names"]
    if report["served"] is not None:
        plot_preference_map(path / "preferences.png", names, report["served"])
    title = f"{report['method']} on {report['task']}, seed {report['seed']} ({path.name})"
    plot_curves(path / "curves.png", names, run.evals, run.metrics, title)
    steps = [r["step"] for r in run.evals for _ in current_points(r)]
    plot_front(path / "front.png", names, selection_points(run.evals), steps)
    if report["tradeoffs"] is not None:
        plot_tradeoffs(path / "tradeoffs.png", names, report["tradeoffs"],
                       run.config()["spec"].get("gradient_cosine_every", 0))
    atomic_write_json(path / "report.json", report)
    atomic_write_text(path / "report.md", render_markdown(report, run.config()))
    return report
