"""Launched by tests/e2e/test_distributed.py under ``accelerate launch`` (2 CPU processes, gloo).

Every rank builds the same batch; each keeps its share of the rows. The per-objective gradients and the
update's summed gradient, reduced over ranks, must equal those of the whole batch in one process, and the
weights after the update must be identical on every rank. Rank 0 writes the differences to OUT as JSON.
"""
import json
import sys
from pathlib import Path

import torch

from morlbench.engine.distributed import Ranks, current_ranks
from morlbench.engine.engine import Engine
from morlbench.models.tiny_arith import TinyArith
from morlbench.spec import EngineSettings
from morlbench.tasks.arith import ArithTask

torch.set_num_threads(1)
cpu = torch.device("cpu")
ranks = current_ranks("cpu")
assert ranks.count == 2, f"expected 2 processes, got {ranks.count}"

task = ArithTask()
problems = task.split("train")[:4]
settings = EngineSettings(micro_batch_tokens=64)  # several micro-batches per rank: accumulation and reduction
whole = Engine(TinyArith().load(cpu, torch.float32), settings)  # one process, the whole batch
shared = Engine(TinyArith().load(cpu, torch.float32), settings, ranks)  # this rank's share, reduced
prompts = [whole.model.encode_prompt(p.prompt) for p in problems for _ in range(4)]
gen = whole.sample(prompts, max_new_tokens=24, seed=11)  # same seed on every rank: the same batch
advantages = torch.randn(len(prompts), 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
mine = slice(ranks.index * len(prompts) // 2, (ranks.index + 1) * len(prompts) // 2)

expected = whole.objective_gradients(gen, advantages)
reduced = shared.objective_gradients(gen.rows(mine), advantages[mine])
whole.update(gen, advantages[:, 0])
shared.update(gen.rows(mine), advantages[mine, 0])
update_diff = max(float((a.grad - b.grad).abs().max()) for a, b in zip(whole.trainable(), shared.trainable()))
shared.ranks.check_identical(dict(shared.policy.state_dict()))  # raises if the ranks' weights differ

if ranks.is_main:
    Path(sys.argv[1]).write_text(json.dumps({
        "processes": ranks.count,
        "backend": torch.distributed.get_backend(),
        "gradient_scale": float(expected.abs().max()),
        "objective_gradient_diff": float((expected - reduced).abs().max()),
        "update_gradient_diff": update_diff,
        "single_process_is_identity": Ranks().sum_numbers([1.0]) == [1.0],
    }))
# Tear the gloo group down before exit: left to interpreter shutdown, its threads can abort the process
# ("terminate called without an active exception", seen once in four CI runs).
torch.distributed.destroy_process_group()
