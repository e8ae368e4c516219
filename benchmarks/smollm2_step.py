"""SmolLM2-135M-Instruct's RL step on this CPU, in one run: the engine against TRL's GRPOTrainer on the same model,
prompts and settings, both against the step's compute floor, and greedy sampling against llama.cpp's CPU decoding
of the same GGUF where a llama.cpp binding is installed (benchmarks/llamacpp_decoding.py; docs/performance.md).

Both trainers run as a SmolLM2 run does by default: LoRA of rank 16 on every linear layer, and bfloat16 autocast
where the CPU has bfloat16 units (float32 elsewhere; --dtype overrides), one thread, on the embedded arith task's
training prompts: 8 prompts x 8 rollouts, at most 64 new tokens, temperature 1, AdamW at a constant lr 1e-4, PPO
clip 0.2, KL 1e-3 to the initial policy, token-mean loss. A step is timed from sampling to the optimizer's step;
the first step of each warms up and is not counted. Two trainers draw different samples, so tokens per step are
printed beside the times. `python benchmarks/smollm2_step.py [--steps 3] [--decoding-only]`.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import llamacpp_decoding
from floor import batch_lengths, decoding_bytes, layer_matmul_rate, matmul_rate, model_shape, read_rate, step_flops

from morlbench.engine.engine import Engine
from morlbench.engine.precision import MERGED, bfloat16_units, load_at, pick_precision, store_frozen_products
from morlbench.estimators import estimate
from morlbench.models.hf import SmolLM2, smollm2_gguf
from morlbench.models.lora import apply_lora
from morlbench.run.evaluation import to_samples
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask
from morlbench.tasks.base import Sample
from morlbench.tasks.objectives import ScoreContext

PROMPTS, GROUP, NEW_TOKENS, RANK = 8, 8, 64, 16
SETTINGS = EngineSettings(lr=1e-4, kl_coef=1e-3, clip_eps=0.2, temperature=1.0, loss_aggregation="token-mean")


def batch(task: ArithTask, step: int) -> list:
    return [p for p in task.split("train")[step * PROMPTS : (step + 1) * PROMPTS] for _ in range(GROUP)]


def fresh(model):
    return dataclasses.replace(model, policy=copy.deepcopy(model.policy))


def add_lora(model) -> list[torch.nn.Parameter]:
    """LoRA adapters in place, the frozen weights stored for autocast, as a run prepares its policy
    (morlbench.run.policy.prepare_policy); returns the trainable parameters."""
    trainable = apply_lora(model.policy, RANK)
    if model.autocast is not None:
        store_frozen_products(model.policy, model.autocast)
    return trainable


def engine_steps(model, task: ArithTask, steps: int) -> tuple[list[float], list[int], list, list]:
    """Seconds and generated tokens of each step after the first, each step's batch shape and its seconds of
    sampling and of the update."""
    model = fresh(model)
    engine = Engine(model, SETTINGS)  # the KL reference is copied before the adapters, as a run does
    engine.set_parameter_groups([{"params": add_lora(model)}])
    seconds, tokens, shapes, phases = [], [], [], []
    with model.computing():
        for step in range(steps + 1):
            problems = batch(task, step)
            start = time.perf_counter()
            gen = engine.sample([model.encode_prompt(p.prompt) for p in problems], NEW_TOKENS, seed=step)
            sampled = time.perf_counter()
            rewards = task.train_rewards(to_samples(model.tokenizer, problems, gen), ScoreContext(NEW_TOKENS, 30.0))
            advantages = torch.as_tensor(estimate("grpo", rewards.mean(axis=1), GROUP))
            updating = time.perf_counter()
            engine.update(gen, advantages)
            if step:
                seconds.append(time.perf_counter() - start)
                phases.append((sampled - start, time.perf_counter() - updating))
                tokens.append(int(gen.completion_mask.sum()))
                shapes.append(batch_lengths(gen, GROUP))
    return seconds, tokens, shapes, phases


def trl_steps(model, task: ArithTask, steps: int, bf16: bool, out: Path) -> tuple[list[float], list[int]]:
    import trl
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback

    problems = task.split("train")[: (steps + 1) * PROMPTS]
    by_prompt, tokens, marks = {p.prompt: p for p in problems}, [], []

    def reward(prompts, completions, completion_ids, **_):
        tokens.append(sum(len(ids) for ids in completion_ids))
        samples = [Sample(by_prompt[p], c, len(ids)) for p, c, ids in zip(prompts, completions, completion_ids)]
        return task.train_rewards(samples, ScoreContext(NEW_TOKENS, 30.0)).mean(axis=1).tolist()

    class Clock(TrainerCallback):
        def on_step_begin(self, *args, **kwargs):
            marks.append(time.perf_counter())

        def on_step_end(self, *args, **kwargs):
            marks[-1] = time.perf_counter() - marks[-1]

    args = trl.GRPOConfig(
        output_dir=str(out), per_device_train_batch_size=PROMPTS * GROUP, num_generations=GROUP,
        generation_batch_size=PROMPTS * GROUP, max_completion_length=NEW_TOKENS, temperature=1.0, top_p=1.0, top_k=0,
        learning_rate=1e-4, lr_scheduler_type="constant", beta=1e-3, epsilon=0.2, loss_type="dapo",
        scale_rewards="group", num_iterations=1, max_grad_norm=1.0, use_cpu=True, bf16=bf16, max_steps=steps + 1,
        seed=0, report_to=[], save_strategy="no", logging_steps=steps + 1, disable_tqdm=True,
        dataloader_num_workers=0)
    lora = LoraConfig(r=RANK, lora_alpha=2 * RANK, target_modules="all-linear", lora_dropout=0.0, bias="none")
    # TRL shuffles its prompts; every prompt of the slice is an arith problem of the same kind
    trainer = trl.GRPOTrainer(model=copy.deepcopy(model.policy), reward_funcs=[reward], args=args, peft_config=lora,
                              train_dataset=Dataset.from_dict({"prompt": [p.prompt for p in problems]}),
                              processing_class=model.tokenizer, callbacks=[Clock()])
    trainer.train()
    return marks[1:], tokens[1:]


def engine_greedy(model, encoded: list[list[int]]) -> tuple[float, list[int]]:
    """Seconds and generated tokens per row (EOS included) of the engine decoding the prompts greedily, batched."""
    from morlbench.engine.sampling import generate

    with model.computing():
        generate(model.policy, encoded[:2], max_new_tokens=4, eos_id=model.eos_token_id, pad_id=model.pad_token_id,
                 greedy=True)
        start = time.perf_counter()
        gen = generate(model.policy, encoded, max_new_tokens=NEW_TOKENS, eos_id=model.eos_token_id,
                       pad_id=model.pad_token_id, greedy=True)
    return time.perf_counter() - start, [int(n) for n in gen.completion_mask.sum(dim=1)]


def profile_sampling(model, task: ArithTask) -> None:
    """Operators of one training-layout sampling call (8 prompts x 8 rollouts, 32 new tokens) under LoRA, by self
    time: where the sampling's distance from its floor goes."""
    model = fresh(model)
    engine = Engine(model, SETTINGS)
    engine.set_parameter_groups([{"params": add_lora(model)}])
    prompts = [model.encode_prompt(p.prompt) for p in batch(task, 0)]
    with model.computing():
        engine.sample(prompts, 8, seed=0)  # warm-up
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
            engine.sample(prompts, 32, seed=1)
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def compare_steps(model, task: ArithTask, precision, shape, rate: float, layer_rate: float, reads: float,
                  args) -> None:
    """The engine's step (and the merged-sampling setting's) against the floor and TRL's GRPOTrainer."""
    seconds, tokens, shapes, phases = engine_steps(model, task, args.steps)
    step = statistics.median(seconds)
    work = {k: statistics.mean(step_flops(shape, *s, lora=True)[k] for s in shapes) for k in ("sampling", "update")}
    flops = work["sampling"] + work["update"]
    sampling, update = (statistics.mean(p[i] for p in phases) for i in (0, 1))
    memory = statistics.mean(decoding_bytes(shape, *s) for s in shapes) / reads
    print(f"engine: {step:.1f} s per step ({', '.join(f'{s:.1f}' for s in seconds)}), "
          f"{statistics.mean(tokens):.0f} tokens per step; floor {flops / rate:.1f} s ({flops / 1e9:.0f} GFLOP at the "
          f"1024^3 rate): {step * rate / flops:.1f}x; at the projections' rate {flops / layer_rate:.1f} s: "
          f"{step * layer_rate / flops:.1f}x")
    print(f"  sampling {sampling:.1f} s: {sampling * rate / work['sampling']:.1f}x its compute floor, "
          f"{sampling / memory:.1f}x its memory floor ({memory:.1f} s); update {update:.1f} s: "
          f"{update * rate / work['update']:.1f}x its compute floor")
    merged = None
    if precision.autocast is not None and not precision.merged_sampling:  # the setting beside the default
        m_seconds, m_tokens, _, m_phases = engine_steps(dataclasses.replace(model, merged_sampling=True), task,
                                                        args.steps)
        merged = statistics.median(m_seconds)
        print(f"engine, {MERGED} (rollouts from bfloat16 projections, LoRA folded in): {merged:.1f} s per step "
              f"({', '.join(f'{s:.1f}' for s in m_seconds)}), {statistics.mean(m_tokens):.0f} tokens per step; "
              f"sampling {statistics.mean(p[0] for p in m_phases):.1f} s, update "
              f"{statistics.mean(p[1] for p in m_phases):.1f} s")
    if not args.skip_trl:
        import tempfile

        with tempfile.TemporaryDirectory() as out:
            trl_seconds, trl_tokens = trl_steps(model, task, args.steps, precision.autocast is not None, Path(out))
        trl_step = statistics.median(trl_seconds)
        print(f"TRL GRPOTrainer: {trl_step:.1f} s per step ({', '.join(f'{s:.1f}' for s in trl_seconds)}), "
              f"{statistics.mean(trl_tokens):.0f} tokens per step; engine speed-up {trl_step / step:.2f}x per step, "
              f"{(trl_step / statistics.mean(trl_tokens)) / (step / statistics.mean(tokens)):.2f}x per token"
              + ("" if merged is None else f"; {MERGED} {trl_step / merged:.2f}x per step"))


def compare_decoding(model, task: ArithTask, shape, reads: float) -> None:
    """Greedy decoding of report-split problems, the same prompt token ids for both: the engine batched (as a run
    evaluates) and one sequence at a time, against llama.cpp one sequence at a time and batched; each against its
    memory floor, for the tokens it generated."""
    encoded = [model.encode_prompt(p.prompt) for p in task.split("report")[:PROMPTS]]
    prompt_lengths = [len(e) for e in encoded]
    lora = fresh(model)
    add_lora(lora)
    seconds, rows = engine_greedy(lora, encoded)
    floor = decoding_bytes(shape, prompt_lengths, [[n] for n in rows]) / reads
    print(f"greedy decoding of {len(encoded)} problems: engine batched {seconds:.2f} s, {sum(rows) / seconds:.0f} "
          f"tokens/s, {seconds / floor:.1f}x its memory floor ({floor:.2f} s)")
    single = [engine_greedy(lora, [e]) for e in encoded]
    single_s, single_rows = sum(s for s, _ in single), [n for _, r in single for n in r]
    single_floor = sum(decoding_bytes(shape, [p], [[n]]) for p, n in zip(prompt_lengths, single_rows)) / reads
    print(f"  engine one sequence at a time {single_s:.2f} s, {sum(single_rows) / single_s:.0f} tokens/s, "
          f"{single_s / single_floor:.1f}x its memory floor ({single_floor:.2f} s)")
    gguf_bytes = smollm2_gguf().stat().st_size  # llama.cpp reads every quantized weight once a decoding step
    for batched in (False, True):
        theirs = llamacpp_decoding.greedy(encoded, model.eos_token_id, NEW_TOKENS, batched)
        if isinstance(theirs, str):
            print(f"llama.cpp: {theirs}")
            return
        steps = max(theirs.rows) if batched else theirs.tokens  # batched: the rows share each step's weight read
        floor = steps * gguf_bytes / reads
        print(f"llama.cpp {'batched' if batched else 'one sequence at a time'} ({smollm2_gguf().name} via "
              f"{theirs.via}): {theirs.seconds:.2f} s, {theirs.tokens / theirs.seconds:.0f} tokens/s, "
              f"{theirs.seconds / floor:.1f}x its memory floor ({floor:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2, help="timed steps per trainer, after one warm-up step")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16-autocast",
                                                            "bfloat16-autocast-merged"))
    parser.add_argument("--skip-trl", action="store_true", help="time the engine only")
    parser.add_argument("--decoding-only", action="store_true",
                        help="only greedy decoding, the engine against llama.cpp")
    parser.add_argument("--profile", action="store_true", help="only profile one sampling call, by operator")
    args = parser.parse_args()
    torch.set_num_threads(1)
    precision = pick_precision(args.dtype, "cpu", SmolLM2.cpu_autocast)
    model = load_at(SmolLM2(), "cpu", precision)
    task = ArithTask()
    if args.profile:
        return profile_sampling(model, task)
    compute = precision.autocast or precision.weights
    shape, rate = model_shape(model.policy), matmul_rate(dtype=compute)
    if precision.autocast is not None:  # the floor reads frozen weights and keys and values in bfloat16
        shape = dataclasses.replace(shape, weight_bytes=shape.weight_bytes // 2, kv_bytes=shape.kv_bytes // 2)
    layer_rate, reads = layer_matmul_rate(model.policy, dtype=compute), read_rate()
    print(f"machine: {torch.backends.cpu.get_cpu_capability()}, bfloat16 units: {bfloat16_units()}; precision "
          f"{precision.name}; 1024^3 product {rate / 1e9:.0f} GFLOP/s, SmolLM2's projections {layer_rate / 1e9:.0f} "
          f"GFLOP/s, reads {reads / 1e9:.1f} GB/s (one thread)")

    if not args.decoding_only:
        compare_steps(model, task, precision, shape, rate, layer_rate, reads, args)
    compare_decoding(model, task, shape, reads)


if __name__ == "__main__":
    main()
