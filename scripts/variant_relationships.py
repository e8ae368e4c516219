"""Measure the objective relationship of each arith variant at its starting policy (docs/tasks/arith-variants.md).

For each variant: BATCHES training batches of PROMPTS prompts x GROUP rollouts, sampled at temperature 1 from
the variant's default model exactly as a run's first steps would be; per batch, the within-prompt reward
correlation and the cosine between the per-objective policy gradients (GRPO advantages, every weight).
Prints a Markdown table: mean and 95% bootstrap interval over batches.

    python scripts/variant_relationships.py [--batches 8] [--out docs/results/arith-variants.json]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from morlbench.metrics.stats import bootstrap_ci
from morlbench.metrics.tradeoffs import centred_cross_products, correlation
from morlbench.results.rundir import RunDir
from morlbench.runner import Trainer, resolve
from morlbench.spec import RunSpec

VARIANTS = ("arith-conflict", "arith-aligned", "arith-independent")


def measure(task_name: str, batches: int, prompts: int, group: int, seed: int, scratch: Path) -> dict:
    """A run's first ``batches`` rollouts, exactly as the runner draws, samples and scores them."""
    r = resolve(RunSpec(task=task_name, seed=seed, prompts_per_step=prompts, group_size=group))
    model = r.model_source.load(torch.device("cpu"), torch.float32)
    trainer = Trainer(r, model, RunDir(scratch / task_name), progress=False)
    correlations, cosines, pooled = [], [], np.zeros((2, 2))
    for step in range(batches):
        rollout = trainer.rollout(step)
        products = centred_cross_products(rollout.rewards, group)
        pooled += products
        correlations.append(correlation(products)[0, 1])
        cosines.append(trainer.gradient_cosines(rollout)[0, 1])
    summary = {"objectives": list(r.task.objective_names), "model": r.task.default_model,
               "version": r.task.version, "rollouts": batches * prompts * group,
               "pooled_correlation": round(float(correlation(pooled)[0, 1]), 4)}
    for key, values in (("correlation", correlations), ("gradient_cosine", cosines)):
        values = np.asarray(values, dtype=float)
        mean, low, high = bootstrap_ci(values[np.isfinite(values)])
        summary[key] = {"mean": round(mean, 4), "ci95": [round(low, 4), round(high, 4)],
                        "per_batch": [round(float(v), 4) for v in values]}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the numbers as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:  # the trainer's run directory; nothing is written to it
        results = {v: measure(v, args.batches, args.prompts, args.group, args.seed, Path(scratch))
                   for v in VARIANTS}
    print("| variant | objectives | within-prompt reward correlation | gradient cosine | rollouts |")
    print("|---|---|---|---|---|")
    for name, s in results.items():
        c, g = s["correlation"], s["gradient_cosine"]
        print(f"| {name} | {' / '.join(s['objectives'])} | {c['mean']:+.3f} [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] "
              f"| {g['mean']:+.3f} [{g['ci95'][0]:+.3f}, {g['ci95'][1]:+.3f}] | {s['rollouts']} |")
    print(f"\n{time.perf_counter() - began:.0f} s")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
