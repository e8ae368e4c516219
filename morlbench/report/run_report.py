"""The report of one run, rebuilt from its run directory alone: report.json, report.md and PNG plots."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from morlbench.compare.records import from_run_dir
from morlbench.metrics.builtin import TAUS
from morlbench.metrics.compute import MetricInputs, compute_all, json_value
from morlbench.metrics.pareto import (
    controllability,
    front_points,
    hypervolume,
    nondominated,
    record_points,
    served_utility,
    steps_to_front,
)
from morlbench.metrics.tradeoffs import CORRELATION_BAND, COSINE_BAND, tradeoff_summary
from morlbench.report.run_plots import plot_curves, plot_front, plot_preference_map, plot_tradeoffs
from morlbench.results.atomic import atomic_write_json, atomic_write_text
from morlbench.results.rundir import RunDir, open_run
from morlbench.spec import SCHEMA_VERSION


def hypervolume_by_step(evals: list[dict[str, Any]]) -> list[tuple[int, float, float]]:
    """(step, HV of the policy evaluated then, HV of every point evaluated up to then)."""
    rows, seen = [], []
    for record in evals:
        points = front_points([record])
        seen.extend(points.tolist())
        rows.append((record["step"], hypervolume(points), hypervolume(seen)))
    return rows


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
    objectives = [p["objectives"] for p in record["points"]]
    summary: dict[str, Any] = {
        "step": record["step"],
        "grid": record["points"],
        "hypervolume": round(hypervolume(objectives), 6),
        "front_size": len(nondominated(objectives)),
        "utility_grid": round(served_utility(preferences, objectives), 6),
        "controllability": {n: None if v is None else round(v, 6)
                            for n, v in zip(names, controllability(preferences, objectives))},
    }
    if record.get("held_out"):
        summary["utility_held_out"] = round(served_utility([p["preference"] for p in record["held_out"]],
                                                           [p["objectives"] for p in record["held_out"]]), 6)
        summary["held_out"] = record["held_out"]
    return summary


def single_point(record: dict[str, Any]) -> list[float] | None:
    return record.get("objectives")


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
        "initial": single_point(first) or record_points(first)[0],
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
    report["tradeoffs"] = tradeoff_summary(names, run.metrics) if run.metrics else None
    return report


def write_run_report(path: Path, hv_ref: float | None = None, reference_front: Any = None) -> dict[str, Any]:
    run = open_run(path)
    report = build_report(run, hv_ref, reference_front)
    names = report["objective_names"]
    if report["served"] is not None:
        plot_preference_map(path / "preferences.png", names, report["served"])
    hv_rows = [(r["step"], r["policy"], r["front"]) for r in report["hypervolume_by_step"]]
    plot_curves(path / "curves.png", names, run.evals, run.metrics, hv_rows)
    steps = [r["step"] for r in run.evals for _ in front_points([r])]
    plot_front(path / "front.png", names, front_points(run.evals), steps)
    if report["tradeoffs"] is not None:
        plot_tradeoffs(path / "tradeoffs.png", names, report["tradeoffs"])
    atomic_write_json(path / "report.json", report)
    atomic_write_text(path / "report.md", render_markdown(report, run.config()))
    return report


def metric_text(value: Any) -> str:
    """A metric value in a table cell: a number, a mapping of named numbers, or one number per objective."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {metric_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(metric_text(v) for v in value)
    return "n/a" if value is None else f"{value:g}"


def _vec(values: list[float]) -> str:
    return " | ".join(f"{v:.3f}" for v in values)


def served_lines(served: dict[str, Any] | None, names: list[str]) -> list[str]:
    if served is None:
        return []
    lines = [
        f"## Served by one artifact (step {served['step']}: one greedy evaluation per preference)",
        "",
        f"Front of the served grid: {served['front_size']} of {len(served['grid'])} points non-dominated, "
        f"hypervolume {served['hypervolume']:.4f}. Served utility (mean w.J(w)): grid "
        f"{served['utility_grid']:.4f}"
        + (f", held-out preferences {served['utility_held_out']:.4f}" if "utility_held_out" in served else "")
        + ".",
        "Controllability (Spearman of w_k with J_k over the grid): "
        + ", ".join(f"{n} {'n/a' if v is None else f'{v:.2f}'}" for n, v in served["controllability"].items())
        + ".",
        "",
        "| preference | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    lines += [f"| {', '.join(f'{w:.2f}' for w in p['preference'])} | {_vec(p['objectives'])} |" for p in served["grid"]]
    return lines + ["", "![preference to objective map](preferences.png)", ""]


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def tradeoff_lines(tradeoffs: dict[str, Any] | None, names: list[str]) -> list[str]:
    if tradeoffs is None:
        return []
    diagnosed = len(tradeoffs["gradient_cosine_by_step"])
    lines = [
        "## Trade-offs between objectives",
        "",
        f"Reward correlation within prompt groups over all {tradeoffs['rollouts']} training rollouts "
        "(rewards centred on their group's mean, as GRPO advantages are):",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    lines += [f"| {n} | " + " | ".join(_cell(v) for v in row) + " |" for n, row in zip(names, tradeoffs["correlation"])]
    cost = (f"{diagnosed} diagnosed steps, {tradeoffs['diagnostic_seconds']:.1f} s, not counted in training time"
            if diagnosed else "not computed (--gradient-cosine-every 0)")
    lines += ["", f"Cosine between per-objective policy gradients: {cost}.", "",
              "| pair | correlation | mean gradient cosine | verdict |", "|---|---|---|---|"]
    lines += [f"| {' / '.join(p['objectives'])} | {_cell(p['correlation'])} | {cosine_cell(p)} | {p['verdict']} |"
              for p in tradeoffs["pairs"]]
    return lines + ["", f"Verdict: rewards aligned at r >= {CORRELATION_BAND}, conflicting at r <= "
                    f"-{CORRELATION_BAND}, "
                    f"independent between. Gradients count only when decisive: the 95% bootstrap interval of the mean "
                    f"cosine over the diagnosed steps above 0 with mean >= {COSINE_BAND} (aligned), below 0 with mean "
                    f"<= -{COSINE_BAND} (conflicting), or inside (-{COSINE_BAND}, {COSINE_BAND}) (independent); "
                    "\"mixed\" when the two signals disagree.", "", "![trade-offs](tradeoffs.png)", ""]


def cosine_cell(pair: dict[str, Any]) -> str:
    if pair["cosine"] is None:
        return "n/a"
    interval = pair.get("cosine_interval")
    return _cell(pair["cosine"]) + (f" [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else "")


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
    ]
    if report["final"] is not None:
        lines.append(f"| step {report['final_step']} | {_vec(report['final'])} | "
                     f"{report['hypervolume_by_step'][-1]['policy']:.4f} |")
    lines += [
        "",
        *served_lines(report["served"], names),
        f"Front of the run (non-dominated points over all {len(report['hypervolume_by_step'])} evaluations): "
        f"{len(report['front'])} points, hypervolume {report['metrics']['hypervolume']:.4f} "
        "(reference point: the origin).",
        "",
    ]
    if "final_weights" in report:
        lines += [f"Final weights: {report['final_weights']}", ""]
    lines += tradeoff_lines(report.get("tradeoffs"), names)
    lines += ["## Metrics", "", "Every registered metric (`morlbench list metrics`), built-in or plugin:", "",
              "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {metric_text(v)} |" for k, v in report["metrics"].items()]
    lines += [f"| {k} | not computed: {why} |" for k, why in report["metrics_not_computed"].items()]
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
