"""A TRL GRPOTrainer script that runs a morlbench method's dynamic weights (docs/trl.md).

    python examples/trl_callback.py --out runs/trl-hypervolume            # 20 steps, about 2 minutes on a CPU
    morlbench report runs/trl-hypervolume                                   # rebuild its report

The GRPOConfig is yours (budget, batch, learning rate, KL, ...); the callback adds the method's weights to
TRL's reward aggregation before every step, records each step, evaluates the policy's Pareto front every
`eval_every` steps and writes a morlbench run directory. The model is morlbench's embedded tiny-arith (no hub
access); any registered model, hub id or local directory goes in `model=`.
"""
import argparse

import torch
from trl import GRPOConfig, GRPOTrainer

from morlbench.integrations.trl import MorlbenchCallback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="run directory to write (new or empty)")
    parser.add_argument("--method", default="hypervolume", help="a linear morlbench method (default hypervolume)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--task-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="task setting, e.g. report_size=64 (repeatable)")
    cli = parser.parse_args()
    torch.set_num_threads(1)                  # a 1.1M-parameter model: more threads only busy-wait (as morlbench run)

    config = GRPOConfig(
        output_dir=f"{cli.out}-trl",          # TRL's own scratch (no checkpoints are saved: save_strategy="no")
        max_steps=cli.steps,                  # the budget morlbench records
        per_device_train_batch_size=16,       # 4 prompts x 4 rollouts per step
        num_generations=4,
        max_completion_length=96,             # the task's generation limit L (arith: 96)
        learning_rate=1e-4, lr_scheduler_type="constant", beta=0.001,
        temperature=1.0, top_k=0, top_p=1.0,
        logging_steps=1,                      # morlbench records every step from TRL's log of it
        save_strategy="no", report_to=[], use_cpu=True, seed=0,
    )
    morl = MorlbenchCallback(config, cli.out, task="arith", method=cli.method, model="tiny-arith",
                             eval_every=cli.eval_every,
                             task_options=dict(option.split("=", 1) for option in cli.task_opt))
    trainer = GRPOTrainer(model=morl.model.policy, processing_class=morl.model.tokenizer,
                          reward_funcs=morl.reward_funcs, train_dataset=morl.train_dataset,
                          args=config, callbacks=[morl])
    morl.attach(trainer)                      # the trainer whose reward_weights the method sets each step
    trainer.train()                           # writes config.json, metrics.jsonl, eval.jsonl, report.md in --out


if __name__ == "__main__":
    main()
