"""report.md of one run, from its report.json contents and config."""
from __future__ import annotations

from typing import Any

from morlbench.metrics.mechanism import describe as describe_mechanism
from morlbench.metrics.pareto import hypervolume
from morlbench.metrics.tradeoffs import CORRELATION_BAND, COSINE_BAND, diagnostic_absent


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


def objectives_splits(report: dict[str, Any], config: dict[str, Any]) -> str:
    resolved = config["resolved"]
    if "protocol3" not in report:
        return f"report split `{resolved['report_split']}`"
    return (f"step 0 on the selection split `{resolved['selection_split']}`, the last step on the report split "
            f"`{resolved['report_split']}`")


def _setting(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def tradeoff_lines(tradeoffs: dict[str, Any] | None, names: list[str], every: int) -> list[str]:
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
            if diagnosed else diagnostic_absent(every))
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


def protocol3_lines(report: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """What the run delivers (report split) and how its trajectory went (selection split), protocol 3."""
    p3, resolved = report["protocol3"], config["resolved"]
    hv = hypervolume(p3["delivered"]) if p3["delivered"] else 0.0
    last = p3["trajectory"][-1] if p3["trajectory"] else {"so_far": 0.0}
    lines = [f"Delivered: the final policy ({len(p3['delivered'])} point{'s' if len(p3['delivered']) != 1 else ''}) "
             f"on the report split `{resolved['report_split']}`, hypervolume {hv:.4f} (reference point: the origin). "
             f"Trajectory: {len(p3['trajectory'])} evaluations on the selection split `{resolved['selection_split']}`;"
             f" hypervolume of its points so far {last['so_far']:.4f}, HV-AUC "
             f"{'n/a' if p3['hv_auc'] is None else format(p3['hv_auc'], '.4f')}. Evaluation cost: "
             f"{report['budget']['eval_tokens']} generated tokens, {report['budget']['eval_seconds']:.1f} s.", "",
             "Steps to targets HV_0 + f (1 - HV_0) on the trajectory (HV_0 the starting point's): "
             + ", ".join(f"f {t['f']:g} ({t['target']:.4f}): {'unreached' if t['step'] is None else int(t['step'])}"
                         for t in p3["targets"]) + ".", ""]
    return lines


def render_markdown(report: dict[str, Any], config: dict[str, Any]) -> str:
    names = report["objective_names"]
    spec = config["spec"]
    settings = config["resolved"].get("method_settings", {})
    variant = f", {settings['scalarisation']}" if settings.get("scalarisation", "linear") != "linear" else ""
    weights = "" if report["served"] is not None else \
        f", weights ({', '.join(f'{w:.3f}' for w in config['resolved']['weights'])})"
    lines = [
        f"# {report['method']}{variant} on {report['task']} (seed {report['seed']})",
        "",
        f"Model `{report['model']}`, task version `{config['task']['version']}`, "
        f"estimator `{spec['estimator']}`{weights}, learning rate {spec['engine']['lr']:g}, KL "
        f"{spec['engine']['kl_coef']:g}.",
        *([f"Method settings: {', '.join(f'{k} = {_setting(v)}' for k, v in settings.items())}."] if settings else []),
        f"Budget: {spec['steps']} steps of {spec['prompts_per_step']} prompts x {spec['group_size']} rollouts; "
        f"{report['budget']['rollouts']} rollouts, {report['budget']['tokens']} generated tokens, "
        f"{report['budget']['train_seconds']:.1f} s of training.",
        "",
        f"## Objectives (greedy, normalised: higher is better; {objectives_splits(report, config)})",
        "",
        "| | " + " | ".join(names) + " | hypervolume |",
        "|---|" + "---|" * (len(names) + 1),
        f"| step 0 | {_vec(report['initial'])} | {hypervolume([report['initial']]):.4f} |",
    ]
    if report["final"] is not None:
        lines.append(f"| step {report['final_step']} | {_vec(report['final'])} | "
                     f"{hypervolume([report['final']]):.4f} |")
    lines += ["", *served_lines(report["served"], names)]
    if "protocol3" in report:
        lines += protocol3_lines(report, config)
    else:
        lines += [
        f"Front of the run: {len(report['front'])} points chosen on the selection split "
        f"`{config['resolved']['selection_split']}` over all {len(report['hypervolume_by_step'])} evaluations, "
        f"valued on the report split: hypervolume {report['metrics']['hypervolume']:.4f} (reference point: the "
        f"origin). Evaluation cost: {report['budget']['eval_tokens']} generated tokens, "
        f"{report['budget']['eval_seconds']:.1f} s.",
        "",
        ]
    if report.get("scoring"):
        lines += [f"Scoring of {name}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + "."
                  for name, counts in report["scoring"].items()] + [""]
    if "final_weights" in report:
        lines += [f"Final weights: {', '.join(f'{w:.3f}' for w in report['final_weights'])}", ""]
    if report.get("mechanism") is not None:
        lines += [f"Mechanism: {describe_mechanism(report['mechanism'])}.", ""]
    lines += tradeoff_lines(report.get("tradeoffs"), names, spec.get("gradient_cosine_every", 0))
    lines += ["## Metrics", "", "Every registered metric (`morlbench list metrics`), built-in or plugin:", "",
              "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {metric_text(v)} |" for k, v in report["metrics"].items()]
    lines += [f"| {k} | not computed: {why} |" for k, why in report["metrics_not_computed"].items()]
    lines.append("")
    if "protocol3" in report:
        pass
    elif report["steps_to_front"] is None:
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
