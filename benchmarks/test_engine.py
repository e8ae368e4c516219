"""One RL step of the engine (sampling 8 prompts x 8 rollouts, scoring, GRPO update with KL) and greedy
evaluation throughput, on the embedded model and task at their defaults. `pytest benchmarks/test_engine.py`."""
import itertools

import numpy as np
import torch

from morlbench.engine.engine import Engine
from morlbench.estimators import estimate
from morlbench.run.evaluation import evaluate, to_samples
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask
from morlbench.tasks.objectives import ScoreContext

PROMPTS, GROUP = 8, 8


def test_engine_rl_step(benchmark, embedded):
    task = ArithTask()
    engine = Engine(embedded, EngineSettings())
    problems = [p for p in task.split("train")[:PROMPTS] for _ in range(GROUP)]
    prompts = [embedded.encode_prompt(p.prompt) for p in problems]
    weights = np.full(3, 1 / 3)
    seeds = itertools.count(1)

    def step():
        gen = engine.sample(prompts, task.max_new_tokens, next(seeds))
        samples = to_samples(embedded.tokenizer, problems, gen)
        rewards = task.train_rewards(samples, ScoreContext(task.max_new_tokens, 30.0))
        engine.update(gen, torch.as_tensor(estimate("grpo", rewards @ weights, GROUP)))
        return gen.generated_tokens

    assert benchmark.pedantic(step, rounds=5, warmup_rounds=1) > 0


def test_greedy_evaluation_128_problems(benchmark, embedded):
    task = ArithTask()
    result = benchmark.pedantic(evaluate, args=(embedded, task, task.split("report"), task.max_new_tokens, 128),
                                rounds=3, warmup_rounds=1)
    assert np.all(result.objectives >= 0)
