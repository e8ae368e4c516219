"""How much of an RL step is matrix products, and how far the rest of the step is from the compute floor.

Four engine steps at the paired benchmark's settings (embedded model and task, its prompts, 8 x 8 rollouts,
L = 96, one thread; random advantages, as only time is measured), run twice from the same policy: timed, then
under the torch profiler (the same samples). Per phase (sampling, update) it prints the matrix products' FLOPs and
their time from above (profiled self time) and from below (the same shapes replayed in cache, unprofiled), the
fused attention kernels' time, and the phase's share of the compute floor (benchmarks/floor.py, 1024^3 matmul
rate measured now); for the step, how many floors the products take and how many the rest
(docs/performance.md). `python benchmarks/step_products.py`"""
import copy
import statistics
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial

import torch
from floor import batch_lengths, best_seconds, matmul_rate, model_shape, step_flops
from torch.profiler import ProfilerActivity, profile

from morlbench.engine.engine import Engine
from morlbench.models.tiny_arith import TinyArith
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask

STEPS, PROMPTS, GROUP = 4, 8, 8
PRODUCTS = ("aten::mm", "aten::bmm", "aten::addmm")  # the profiler counts their FLOPs
ATTENTION = ("aten::_scaled_dot_product_flash_attention_for_cpu",
             "aten::_scaled_dot_product_flash_attention_for_cpu_backward")  # products, softmax and masking fused


@dataclass
class Phase:
    wall: float = 0.0  # unprofiled seconds
    profiled: float = 0.0
    products: float = 0.0  # self seconds of PRODUCTS
    product_flops: float = 0.0
    attention: float = 0.0  # self seconds of ATTENTION
    calls: Counter = field(default_factory=Counter)  # (op, shapes of the two factors) -> calls

    def add(self, prof) -> None:
        events = prof.key_averages()
        self.products += sum(e.self_cpu_time_total for e in events if e.key in PRODUCTS) / 1e6
        self.product_flops += sum(e.flops for e in events if e.key in PRODUCTS)
        self.attention += sum(e.self_cpu_time_total for e in events if e.key in ATTENTION) / 1e6
        for e in prof.key_averages(group_by_input_shape=True):
            if e.key in PRODUCTS:
                self.calls[e.key, tuple(tuple(s) for s in e.input_shapes[-2:])] += e.count

    def replayed(self) -> float:
        """Seconds of the same products on fresh contiguous tensors of the same shapes, without the profiler: each
        shape's calls back to back, so in cache, an estimate from below of the products' unprofiled time."""
        total = 0.0
        for (op, shapes), count in self.calls.items():
            product = partial(repeated, torch.bmm if op == "aten::bmm" else torch.mm, *map(torch.randn, shapes), count)
            total += best_seconds(product, 3)
        return total


def repeated(product, a: torch.Tensor, b: torch.Tensor, count: int) -> None:
    for _ in range(count):
        product(a, b)


def timed(phase: Phase, profiled: bool, work, *args):
    """``work(*args)``, its seconds added to ``phase`` (profiled or not)."""
    context = (profile(activities=[ProfilerActivity.CPU], with_flops=True, record_shapes=True) if profiled
               else nullcontext())
    with context as prof:
        start = time.perf_counter()
        result = work(*args)
        seconds = time.perf_counter() - start
    if profiled:
        phase.profiled += seconds
        phase.add(prof)
    else:
        phase.wall += seconds
    return result


def run_steps(model, prompts, phases: dict[str, Phase], profiled: bool) -> list:
    """Four steps from a fresh copy of the policy (the same samples either way); their shapes for the floor."""
    model = copy.copy(model)
    model.policy = copy.deepcopy(model.policy)
    engine, shapes = Engine(model, EngineSettings()), []
    for step, encoded in enumerate(prompts):
        gen = timed(phases["sampling"], profiled, engine.sample, encoded, 96, step)
        shapes.append(batch_lengths(gen, GROUP))
        advantages = torch.randn(PROMPTS * GROUP, generator=torch.Generator().manual_seed(step))  # timing only
        timed(phases["update"], profiled, engine.update, gen, advantages)
    return shapes


def main() -> None:
    torch.set_num_threads(1)
    model = TinyArith().load(torch.device("cpu"), torch.float32)
    train = ArithTask().split("train")
    prompts = [[model.encode_prompt(p.prompt) for p in train[s * PROMPTS : (s + 1) * PROMPTS] for _ in range(GROUP)]
               for s in range(STEPS)]
    phases = {"sampling": Phase(), "update": Phase()}
    run_steps(model, prompts[:1], {k: Phase() for k in phases}, False)  # untimed: first-call costs
    shapes = run_steps(model, prompts, phases, False)
    if run_steps(model, prompts, phases, True) != shapes:
        raise RuntimeError("the profiled steps drew other samples than the timed ones")
    rate, shape = matmul_rate(), model_shape(model.policy)
    report(phases, {k: statistics.mean(step_flops(shape, *s)[k] for s in shapes) for k in phases}, rate)


def report(phases: dict[str, Phase], needed: dict[str, float], rate: float) -> None:
    """Per phase and for the step: the products' time and rate, profiled (from above) and replayed (from below),
    and the floor's own work at those rates; ``needed`` is the floor's FLOPs per step of each phase."""
    floor, at_rate = sum(needed.values()) / rate, {"profiled": 0.0, "replayed": 0.0}
    seconds = {"profiled": 0.0, "replayed": 0.0}
    for name, p in phases.items():
        replayed = p.replayed()
        for way, spent in (("profiled", p.products), ("replayed", replayed)):
            at_rate[way] += needed[name] * spent / p.product_flops
            seconds[way] += spent / STEPS
        print(f"{name}: {p.wall / STEPS:.3f} s per step ({p.profiled / STEPS:.3f} s under the profiler); matrix "
              f"products {p.product_flops / STEPS / 1e9:.2f} GFLOP, {replayed / STEPS:.3f}-{p.products / STEPS:.3f} s "
              f"(replayed-profiled: {p.product_flops / replayed / 1e9:.0f}-{p.product_flops / p.products / 1e9:.0f} "
              f"GFLOP/s); attention kernels {p.attention / STEPS:.3f} s; the floor counts {needed[name] / 1e9:.2f} "
              f"GFLOP: {needed[name] / rate:.3f} s")
    wall = sum(p.wall for p in phases.values()) / STEPS
    low, high = seconds["replayed"], seconds["profiled"]
    print(f"step: {wall:.3f} s, {wall / floor:.2f}x the floor of {floor:.3f} s ({rate / 1e9:.0f} GFLOP/s, 1024^3). "
          f"Matrix products as issued: {low:.3f}-{high:.3f} s, {low / floor:.2f}-{high / floor:.2f}x the floor. "
          f"The floor's work at the products' rates: {at_rate['replayed'] / floor:.2f}-"
          f"{at_rate['profiled'] / floor:.2f}x. Outside the products: {(wall - high) / floor:.2f}-"
          f"{(wall - low) / floor:.2f}x")


if __name__ == "__main__":
    main()
