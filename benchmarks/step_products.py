"""How much of an RL step is matrix products, and how far the products alone are from the compute floor.

Engine steps at the paired benchmark's settings (embedded model and task, its prompts, 8 x 8 rollouts, L = 96,
four steps, one thread; random advantages, as only time is measured), sampled and updated under the torch
profiler. Per phase it prints the wall time, the self time of the matrix products (mm, bmm, addmm, attention
kernels) and their share, beside the phase's share of the compute floor (benchmarks/floor.py, 1024^3 matmul rate
measured now). If the products alone take twice the floor or more, no change around them brings the step
within 2x of it (docs/performance.md).
`python benchmarks/step_products.py`"""
import statistics
import time

import torch
from floor import matmul_rate, model_shape, step_flops
from torch.profiler import ProfilerActivity, profile

from morlbench.engine.engine import Engine
from morlbench.models.tiny_arith import TinyArith
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask

STEPS, PROMPTS, GROUP = 4, 8, 8
PRODUCTS = ("aten::mm", "aten::bmm", "aten::addmm", "aten::_scaled_dot_product_flash_attention_for_cpu",
            "aten::_scaled_dot_product_flash_attention_for_cpu_backward")


def product_seconds(prof) -> float:
    return sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in PRODUCTS) / 1e6


def main() -> None:
    torch.set_num_threads(1)
    model = TinyArith().load(torch.device("cpu"), torch.float32)
    engine, train = Engine(model, EngineSettings()), ArithTask().split("train")
    prompts = [[model.encode_prompt(p.prompt) for p in train[s * PROMPTS : (s + 1) * PROMPTS] for _ in range(GROUP)]
               for s in range(STEPS)]
    engine.update(engine.sample(prompts[0], 96, 0), torch.zeros(PROMPTS * GROUP))  # untimed: first-call costs
    wall, products, shapes = {"sampling": 0.0, "update": 0.0}, {"sampling": 0.0, "update": 0.0}, []
    for step, encoded in enumerate(prompts):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            gen = engine.sample(encoded, 96, step)
            wall["sampling"] += time.perf_counter() - start
        products["sampling"] += product_seconds(prof)
        lengths = gen.completion_mask.sum(dim=1).tolist()
        shapes.append(([int(gen.attention_mask[g * GROUP, : gen.prompt_width].sum()) for g in range(PROMPTS)],
                       [lengths[g * GROUP : (g + 1) * GROUP] for g in range(PROMPTS)]))
        advantages = torch.randn(PROMPTS * GROUP, generator=torch.Generator().manual_seed(step))  # timing only
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            engine.update(gen, advantages)
            wall["update"] += time.perf_counter() - start
        products["update"] += product_seconds(prof)
    rate, shape = matmul_rate(), model_shape(model.policy)
    floor = {k: statistics.mean(step_flops(shape, *s)[k] for s in shapes) / rate for k in wall}
    for phase in wall:
        w, p = wall[phase] / STEPS, products[phase] / STEPS
        print(f"{phase}: {w:.3f} s per step under the profiler, of which matrix products {p:.3f} s ({p / w:.0%}); "
              f"its floor {floor[phase]:.3f} s: the products alone are {p / floor[phase]:.1f}x it")
    p, f = sum(products.values()) / STEPS, sum(floor.values())
    print(f"step: matrix products {p:.3f} s against a floor of {f:.3f} s ({rate / 1e9:.0f} GFLOP/s, 1024^3): "
          f"{p / f:.1f}x the floor before any other operation")


if __name__ == "__main__":
    main()
