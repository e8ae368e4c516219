"""``morlbench probe``: how a task's objectives relate at its starting policy, before any training.

For each task: BATCHES training batches sampled from the task's default model exactly as a run's first steps
draw, sample and score them; per batch, the within-prompt reward correlation of the first two objectives and
the cosine between their policy gradients (the run's estimator, every weight). Mean and 95% bootstrap interval
over batches (docs/tasks/arith-variants.md).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.metrics.stats import bootstrap_ci
from morlbench.metrics.tradeoffs import centred_cross_products, correlation
from morlbench.spec import RunSpec


def probe(spec: RunSpec, batches: int) -> dict[str, Any]:
    """A run's first ``batches`` rollouts of ``spec``, as the loop draws, samples and scores them."""
    import torch

    from morlbench.results.rundir import RunDir
    from morlbench.run.loop import Loop
    from morlbench.run.resolve import load_model, resolve

    r = resolve(spec)
    torch.set_num_threads(spec.threads)
    model = load_model(r)
    with tempfile.TemporaryDirectory() as scratch, model.computing():  # the loop's run directory: nothing written
        loop = Loop(r, model, RunDir(Path(scratch)), show_progress=False)
        correlations, cosines, pooled = [], [], np.zeros((2, 2))
        for step in range(batches):
            rollout = loop.rollout(step)
            products = centred_cross_products(rollout.rewards[:, :2], spec.group_size)
            pooled += products
            correlations.append(correlation(products)[0, 1])
            cosines.append(loop.diagnostic.cosines(rollout)[0, 1])
    summary: dict[str, Any] = {"objectives": list(r.task.objective_names), "model": model.name,
                               "version": r.task.version, "rollouts": batches * spec.prompts_per_step * spec.group_size,
                               "pooled_correlation": round(float(correlation(pooled)[0, 1]), 4)}
    for key, values in (("correlation", correlations), ("gradient_cosine", cosines)):
        finite = np.asarray(values, dtype=float)
        mean, low, high = bootstrap_ci(finite[np.isfinite(finite)])
        summary[key] = {"mean": round(mean, 4), "ci95": [round(low, 4), round(high, 4)],
                        "per_batch": [round(float(v), 4) for v in finite]}
    return summary


def markdown(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| task | objectives | within-prompt reward correlation | gradient cosine | rollouts |",
             "|---|---|---|---|---|"]
    for name, s in results.items():
        c, g = s["correlation"], s["gradient_cosine"]
        lines.append(f"| {name} | {' / '.join(s['objectives'])} | {c['mean']:+.3f} [{c['ci95'][0]:+.3f}, "
                     f"{c['ci95'][1]:+.3f}] | {g['mean']:+.3f} [{g['ci95'][0]:+.3f}, {g['ci95'][1]:+.3f}] | "
                     f"{s['rollouts']} |")
    return "\n".join(lines)
