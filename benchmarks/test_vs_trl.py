"""morlbench's engine against TRL's GRPOTrainer (pinned: pip install 'morlbench[bench]'), four RL steps each at
identical settings: the embedded model and task, 8 prompts x 8 rollouts, L = 96, temperature 1, AdamW at a
constant lr 1e-4, PPO clip 0.2, KL 1e-3 to the initial policy, token-mean loss over the batch (TRL's "dapo"),
group-normalised advantages of the uniform scalarisation of the three objectives, float32, one thread.
`pytest benchmarks/test_vs_trl.py` prints both; their ratio is the speed-up (docs/performance.md)."""
import copy

import pytest
import torch

from morlbench.engine.engine import Engine, EngineSettings
from morlbench.engine.estimators import estimate
from morlbench.evaluation import to_samples
from morlbench.tasks.arith import ArithTask
from morlbench.tasks.base import Sample
from morlbench.tasks.objectives import ScoreContext

STEPS, PROMPTS, GROUP = 4, 8, 8


def test_engine_four_steps(benchmark, embedded):
    task = ArithTask()
    model = copy.copy(embedded)
    model.policy = copy.deepcopy(embedded.policy)
    engine = Engine(model, EngineSettings())
    train = task.split("train")

    def run():
        for step in range(STEPS):
            problems = [p for p in train[step * PROMPTS : (step + 1) * PROMPTS] for _ in range(GROUP)]
            gen = engine.sample([model.encode_prompt(p.prompt) for p in problems], task.max_new_tokens, step)
            rewards = task.train_rewards(to_samples(model.tokenizer, problems, gen), ScoreContext(96, 30.0))
            engine.update(gen, estimate("grpo", torch.as_tensor(rewards.mean(axis=1)), GROUP))

    benchmark.pedantic(run, rounds=1, iterations=1)


def test_trl_grpo_four_steps(benchmark, embedded, tmp_path):
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    task = ArithTask()
    problems = task.split("train")[: STEPS * PROMPTS]
    by_prompt = {p.prompt: p for p in problems}

    def reward(prompts, completions, completion_ids, **_):
        samples = [Sample(by_prompt[p], c, len(ids)) for p, c, ids in zip(prompts, completions, completion_ids)]
        return task.train_rewards(samples, ScoreContext(96, 30.0)).mean(axis=1).tolist()

    args = trl.GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=PROMPTS * GROUP, num_generations=GROUP,
        generation_batch_size=PROMPTS * GROUP, max_completion_length=96, temperature=1.0, learning_rate=1e-4,
        lr_scheduler_type="constant", beta=1e-3, epsilon=0.2, loss_type="dapo", scale_rewards="group",
        num_iterations=1, max_grad_norm=1.0, use_cpu=True, bf16=False, max_steps=STEPS, seed=0,
        report_to=[], save_strategy="no", logging_steps=STEPS, disable_tqdm=True, dataloader_num_workers=0)
    trainer = trl.GRPOTrainer(model=copy.deepcopy(embedded.policy), reward_funcs=[reward], args=args,
                              train_dataset=Dataset.from_dict({"prompt": [p.prompt for p in problems]}),
                              processing_class=embedded.tokenizer)
    benchmark.pedantic(trainer.train, rounds=1, iterations=1)
