"""The report of one run, rebuilt from its run directory alone: report.json, report.md and PNG plots."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from morlbench import registry
from morlbench.metrics.pareto import front_points, hypervolume, nondominated, steps_to_front
from morlbench.report.plots import plot_curves, plot_front
from morlbench.results.atomic import atomic_write_json, atomic_write_text
from morlbench.results.rundir import RunDir, open_run
from morlbench.spec import SCHEMA_VERSION

TAUS = (0.8, 0.9, 0.95, 1.0)


def hypervolume_by_step(evals: list[dict[str, Any]]) -> list[tuple[int, float, float]]:
    """(step, HV of the policy evaluated then, HV of every point evaluated up to then)."""
    rows, seen = [], []
    for record in evals:
        points = front_points([record])
        seen.extend(points.tolist())
        rows.append((record["step"], hypervolume(points), hypervolume(seen)))
    return rows


def front_metrics(points: np.ndarray) -> dict[str, float]:
    """Every registered metric of kind ``front`` (built-in or plugin) on the run's points."""
    values = {}
    for entry in registry.entries("metrics"):
        if entry.error or getattr(entry.value, "kind", None) != "front":
            continue
        values[entry.name] = round(float(entry.value()(points)), 6)
    return values


def build_report(run: RunDir, hv_ref: float | None = None) -> dict[str, Any]:
    config = run.config()
    if not run.evals:
        raise ValueError(f"{run.path} has no evaluations yet")
    names = config["task"]["objectives"]
    points = front_points(run.evals)
    front = nondominated(points)
    first, last = run.evals[0], run.evals[-1]
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "task": config["spec"]["task"],
        "method": config["spec"]["method"],
        "model": config["model"]["name"],
        "seed": config["spec"]["seed"],
        "comparability": config["comparability"],
        "objective_names": names,
        "initial": first["objectives"],
        "final": last["objectives"],
        "final_step": last["step"],
        "front": front.round(6).tolist(),
        "metrics": front_metrics(points),
        "hypervolume_by_step": [
            {"step": s, "policy": round(p, 6), "front": round(f, 6)} for s, p, f in hypervolume_by_step(run.evals)
        ],
        "budget": {
            "steps": config["spec"]["steps"],
            "rollouts": last["rollouts"],
            "tokens": last["tokens"],
            # sampling, scoring, method and update; the benchmark's own evaluations are timed apart
            "train_seconds": run.metrics[-1]["train_seconds"] if run.metrics else 0.0,
            "eval_seconds": run.metrics[-1]["eval_seconds"] if run.metrics else 0.0,
        },
        "hv_ref": hv_ref,
        "steps_to_front": None if hv_ref is None else {
            str(tau): steps_to_front(run.evals, hv_ref, tau) for tau in TAUS
        },
    }
    if run.metrics and run.metrics[-1].get("weights") is not None:
        report["final_weights"] = run.metrics[-1]["weights"]
    return report


def write_run_report(path: Path, hv_ref: float | None = None) -> dict[str, Any]:
    run = open_run(path)
    report = build_report(run, hv_ref)
    names = report["objective_names"]
    hv_rows = [(r["step"], r["policy"], r["front"]) for r in report["hypervolume_by_step"]]
    plot_curves(path / "curves.png", names, run.evals, run.metrics, hv_rows)
    steps = [r["step"] for r in run.evals for _ in front_points([r])]
    plot_front(path / "front.png", names, front_points(run.evals), steps)
    atomic_write_json(path / "report.json", report)
    atomic_write_text(path / "report.md", render_markdown(report, run.config()))
    return report


def _vec(values: list[float]) -> str:
    return " | ".join(f"{v:.3f}" for v in values)


def render_markdown(report: dict[str, Any], config: dict[str, Any]) -> str:
    names = report["objective_names"]
    spec = config["spec"]
    lines = [
        f"# {report['method']} on {report['task']} (seed {report['seed']})",
        "",
        f"Model `{report['model']}`, task version `{config['task']['version']}`, "
        f"estimator `{spec['estimator']}`, weights {config['resolved']['weights']}.",
        f"Budget: {spec['steps']} steps of {spec['prompts_per_step']} prompts x {spec['group_size']} rollouts; "
        f"{report['budget']['rollouts']} rollouts, {report['budget']['tokens']} generated tokens, "
        f"{report['budget']['train_seconds']:.1f} s of training.",
        "",
        "## Objectives (greedy, eval split, normalised: higher is better)",
        "",
        "| | " + " | ".join(names) + " | hypervolume |",
        "|---|" + "---|" * (len(names) + 1),
        f"| step 0 | {_vec(report['initial'])} | {report['hypervolume_by_step'][0]['policy']:.4f} |",
        f"| step {report['final_step']} | {_vec(report['final'])} | {report['hypervolume_by_step'][-1]['policy']:.4f} |",
        "",
        f"Front of the run (non-dominated points over all {len(report['hypervolume_by_step'])} evaluations): "
        f"{len(report['front'])} points, hypervolume {report['metrics']['hypervolume']:.4f} "
        "(reference point: the origin).",
        "",
    ]
    if "final_weights" in report:
        lines += [f"Final weights: {report['final_weights']}", ""]
    lines += ["## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:g} |" for k, v in report["metrics"].items()]
    lines.append("")
    if report["steps_to_front"] is None:
        lines += ["Steps-to-front: no HV_ref given (`morlbench report RUN --hv-ref X`).", ""]
    else:
        lines += [f"## Steps to front (HV_ref = {report['hv_ref']})", "", "| tau | step | rollouts | tokens |",
                  "|---|---|---|---|"]
        for tau, hit in report["steps_to_front"].items():
            cells = "unreached | - | -" if hit is None else f"{hit['step']} | {hit['rollouts']} | {hit['tokens']}"
            lines.append(f"| {tau} | {cells} |")
        lines.append("")
    lines += ["## Plots", "", "![objectives, hypervolume and weights over steps](curves.png)", "",
              "![front projections](front.png)", ""]
    return "\n".join(lines)
