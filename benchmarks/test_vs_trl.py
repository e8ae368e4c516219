"""morlbench's engine against TRL's GRPOTrainer (pinned: pip install 'morlbench[bench]'), four RL steps each at
identical settings: the embedded model and task, 8 prompts x 8 rollouts, L = 96, temperature 1, AdamW at a
constant lr 1e-4, PPO clip 0.2, KL 1e-3 to the initial policy, token-mean loss over the batch (TRL's "dapo"),
group-normalised advantages of the uniform scalarisation of the three objectives, float32, one thread.
`pytest benchmarks/test_vs_trl.py` prints both; their ratio is the speed-up (docs/performance.md). Each round
starts from a fresh copy of the model (ROUNDS rounds, env MORLBENCH_BENCH_ROUNDS); generated tokens per step,
EOS included, go to the benchmark's extra_info, because the two draw different samples. The paired test
alternates one round of each, so that the machine's drift hits both, and records every pair's ratio."""
import copy
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
import torch
from floor import batch_lengths, decoding_bytes, layer_matmul_rate, matmul_rate, model_shape, read_rate, step_flops

from morlbench.engine.engine import Engine
from morlbench.estimators import estimate
from morlbench.run.evaluation import to_samples
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask
from morlbench.tasks.base import Sample
from morlbench.tasks.objectives import ScoreContext

STEPS, PROMPTS, GROUP = 4, 8, 8


def rounds_from_env() -> int:
    text = os.environ.get("MORLBENCH_BENCH_ROUNDS", "3")
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"MORLBENCH_BENCH_ROUNDS={text!r}: expected a whole number of rounds >= 1")
    return int(text)


ROUNDS = rounds_from_env()


Contestant = tuple[Callable[[], Any], Callable[[Any], None], list[int]]  # fresh state, four steps on it, tokens


def record_tokens(benchmark, tokens: list[int]) -> None:
    """Generated tokens per step over all rounds (the timed code only appends to ``tokens``)."""
    benchmark.extra_info["tokens_per_step"] = round(sum(tokens) / (len(tokens) or 1), 1)


def engine_contestant(embedded) -> Contestant:
    task = ArithTask()
    train = task.split("train")
    tokens: list[int] = []
    shapes: list[tuple[list[int], list[list[int]]]] = []  # per step: distinct prompt lengths, completion lengths
    phases: list[tuple[float, float]] = []  # per step: seconds of sampling, of the update

    def fresh():
        model = copy.copy(embedded)
        model.policy = copy.deepcopy(embedded.policy)
        return model, Engine(model, EngineSettings())

    def run(state) -> None:
        model, engine = state
        for step in range(STEPS):
            problems = [p for p in train[step * PROMPTS : (step + 1) * PROMPTS] for _ in range(GROUP)]
            encoded = [model.encode_prompt(p.prompt) for p in problems]
            start = time.perf_counter()
            gen = engine.sample(encoded, task.max_new_tokens, step)
            sampled = time.perf_counter()
            tokens.append(int(gen.completion_mask.sum()))
            shapes.append(batch_lengths(gen, GROUP))
            rewards = task.train_rewards(to_samples(model.tokenizer, problems, gen), ScoreContext(96, 30.0))
            advantages = torch.as_tensor(estimate("grpo", rewards.mean(axis=1), GROUP))
            updating = time.perf_counter()
            engine.update(gen, advantages)
            phases.append((sampled - start, time.perf_counter() - updating))

    run.shapes, run.phases = shapes, phases
    return fresh, run, tokens


def trl_contestant(embedded, output_dir) -> Contestant:
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    task = ArithTask()
    problems = task.split("train")[: STEPS * PROMPTS]
    by_prompt = {p.prompt: p for p in problems}
    tokens: list[int] = []

    def reward(prompts, completions, completion_ids, **_):
        tokens.append(sum(len(ids) for ids in completion_ids))
        samples = [Sample(by_prompt[p], c, len(ids)) for p, c, ids in zip(prompts, completions, completion_ids)]
        return task.train_rewards(samples, ScoreContext(96, 30.0)).mean(axis=1).tolist()

    args = trl.GRPOConfig(
        output_dir=str(output_dir), per_device_train_batch_size=PROMPTS * GROUP, num_generations=GROUP,
        generation_batch_size=PROMPTS * GROUP, max_completion_length=96, temperature=1.0, learning_rate=1e-4,
        lr_scheduler_type="constant", beta=1e-3, epsilon=0.2, loss_type="dapo", scale_rewards="group",
        num_iterations=1, max_grad_norm=1.0, use_cpu=True, bf16=False, max_steps=STEPS, seed=0,
        report_to=[], save_strategy="no", logging_steps=STEPS, disable_tqdm=True, dataloader_num_workers=0)

    def fresh():
        return trl.GRPOTrainer(model=copy.deepcopy(embedded.policy), reward_funcs=[reward], args=args,
                               train_dataset=Dataset.from_dict({"prompt": [p.prompt for p in problems]}),
                               processing_class=embedded.tokenizer)

    return fresh, lambda trainer: trainer.train(), tokens


def bench(benchmark, contestant: Contestant) -> None:
    fresh, run, tokens = contestant
    benchmark.pedantic(run, setup=lambda: ((fresh(),), {}), rounds=ROUNDS, iterations=1)
    record_tokens(benchmark, tokens)


def test_engine_four_steps(benchmark, embedded):
    bench(benchmark, engine_contestant(embedded))


def test_trl_grpo_four_steps(benchmark, embedded, tmp_path):
    bench(benchmark, trl_contestant(embedded, tmp_path))


def timed(contestant: Contestant) -> float:
    fresh, run, _ = contestant
    state = fresh()
    start = time.perf_counter()
    run(state)
    return time.perf_counter() - start


def test_paired_engine_over_trl_speed(benchmark, embedded, tmp_path):
    """The timed unit is one pair (engine round, then TRL round); extra_info holds TRL's time over the engine's
    for each pair, that is the engine's steps per second in units of TRL's, and their median."""
    engine, trl_run = engine_contestant(embedded), trl_contestant(embedded, tmp_path)
    ratios: list[float] = []

    engine_seconds: list[float] = []

    def pair() -> None:
        engine_seconds.append(timed(engine))
        ratios.append(timed(trl_run) / engine_seconds[-1])

    benchmark.pedantic(pair, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["speedup_per_pair"] = [round(r, 3) for r in ratios]
    benchmark.extra_info["speedup_median"] = round(statistics.median(ratios), 3)
    print(f"\nengine steps/s over TRL's, per pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}")
    run, shape, rate = engine[1], model_shape(embedded.policy), matmul_rate()
    report_floor(benchmark, shape, rate, run.shapes[-STEPS:], statistics.median(engine_seconds) / STEPS,
                 layer_matmul_rate(embedded.policy))
    report_phases(benchmark, shape, rate, run.shapes, run.phases)


def report_floor(benchmark, shape, rate: float, shapes, step_seconds: float, layer_rate: float) -> None:
    """The compute floor of the engine's steps (benchmarks/floor.py), from the FLOPs of the batches it drew and the
    matmul rate measured now; beside it, the same work at the rate of the model's own projections."""
    flops = statistics.mean(step_flops(shape, *s)["total"] for s in shapes)
    floor, layer_floor = flops / rate, flops / layer_rate
    benchmark.extra_info.update(step_gflop=round(flops / 1e9, 2), matmul_gflops=round(rate / 1e9, 1),
                                floor_seconds=round(floor, 3), engine_step_seconds=round(step_seconds, 3),
                                over_floor=round(step_seconds / floor, 2), layer_gflops=round(layer_rate / 1e9, 1),
                                over_layer_floor=round(step_seconds / layer_floor, 2))
    print(f"engine step {step_seconds:.3f} s; floor {floor:.3f} s ({flops / 1e9:.1f} GFLOP at "
          f"{rate / 1e9:.0f} GFLOP/s, 1024^3 matmul now): {step_seconds / floor:.2f}x the floor; at the rate of "
          f"the model's own projections on 1024 tokens ({layer_rate / 1e9:.0f} GFLOP/s): {layer_floor:.3f} s, "
          f"{step_seconds / layer_floor:.2f}x")


def report_phases(benchmark, shape, rate: float, shapes, phases) -> None:
    """Sampling and the update against their own shares of the floor (mean over every timed step), and sampling
    against the memory floor of decoding: where the distance to the floor is."""
    reads = read_rate()
    flops = {k: statistics.mean(step_flops(shape, *s)[k] for s in shapes) for k in ("sampling", "update")}
    memory = statistics.mean(decoding_bytes(shape, *s) for s in shapes) / reads
    sampling, update = (statistics.mean(p[i] for p in phases) for i in (0, 1))
    benchmark.extra_info.update(sampling_seconds=round(sampling, 3), update_seconds=round(update, 3),
                                sampling_compute_floor=round(flops["sampling"] / rate, 4),
                                sampling_memory_floor=round(memory, 4), update_floor=round(flops["update"] / rate, 4),
                                read_gbps=round(reads / 1e9, 1))
    print(f"sampling {sampling:.3f} s: {sampling * rate / flops['sampling']:.1f}x its compute floor, "
          f"{sampling / memory:.1f}x its memory floor ({memory:.3f} s at {reads / 1e9:.1f} GB/s read); "
          f"update {update:.3f} s: {update * rate / flops['update']:.1f}x its compute floor")
