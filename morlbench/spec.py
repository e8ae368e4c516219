"""RunSpec: everything that defines a run, with every default filled in and recorded."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from morlbench.engine.engine import EngineSettings
from morlbench.engine.estimators import ESTIMATORS
from morlbench.errors import UsageError

SCHEMA_VERSION = 1
DTYPES = ("auto", "float32", "bfloat16", "float16")
BACKENDS = ("morlbench", "trl")


@dataclass
class RunSpec:
    task: str = "arith"
    method: str = "static"
    model: str | None = None  # None: the task's default model (tiny-arith on arith)
    seed: int = 0
    steps: int = 60
    prompts_per_step: int = 8
    group_size: int = 8
    weights: list[float] | None = None  # None: uniform over the task's objectives
    objectives: list[str] | None = None  # None: every objective of the task; else 2 to 4 of them, in this order
    estimator: str = "grpo"
    engine: EngineSettings = field(default_factory=EngineSettings)
    max_new_tokens: int | None = None  # None: the task's L
    eval_every: int = 10
    eval_split: str | None = None  # None: the task's evaluation split ("eval" on arith, "test" on math tasks)
    eval_batch_size: int = 128
    checkpoint_every: int = 10
    threads: int = 1  # torch threads; 1 avoids busy-waiting on small models and shared cores
    device: str = "cpu"
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on CPU
    # Trade-off diagnostic: cosines between per-objective policy gradients at steps N, 2N, ...; costs one
    # forward and K backward passes on those steps, timed apart. 0 turns it off.
    gradient_cosine_every: int = 10
    lora_rank: int = 0  # > 0: train LoRA adapters of this rank (peft, every linear layer) instead of all weights
    backend: str = "morlbench"  # "trl": TRL's GRPOTrainer samples and updates (methods that scalarise linearly)
    task_options: dict[str, Any] = field(default_factory=dict)
    method_options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        positive = ("steps", "prompts_per_step", "group_size", "eval_every", "eval_batch_size",
                    "checkpoint_every", "threads")
        for name in positive:
            if getattr(self, name) < 1:
                raise UsageError(f"--{name.replace('_', '-')} {getattr(self, name)} must be at least 1")
        if self.estimator not in ESTIMATORS:
            raise UsageError(f"unknown estimator {self.estimator!r}; accepted: {', '.join(ESTIMATORS)}")
        if self.group_size < 2 and self.estimator in ("grpo", "rloo"):
            raise UsageError(f"--group-size {self.group_size}: {self.estimator} needs at least 2 rollouts per prompt")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise UsageError(f"--max-new-tokens {self.max_new_tokens} must be at least 1")
        if self.device not in ("cpu", "cuda", "auto"):
            raise UsageError(f"--device {self.device!r} is not one of cpu, cuda, auto")
        if self.gradient_cosine_every < 0:
            raise UsageError(f"--gradient-cosine-every {self.gradient_cosine_every} must be >= 0 (0: off)")
        if self.lora_rank < 0:
            raise UsageError(f"--lora-rank {self.lora_rank} must be >= 0 (0 trains every weight)")
        if self.backend not in BACKENDS:
            raise UsageError(f"--backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if self.dtype not in DTYPES:
            raise UsageError(f"--dtype {self.dtype!r} is not one of {', '.join(DTYPES)}")
        self.engine.validate()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunSpec":
        data = dict(data)
        data["engine"] = EngineSettings(**data.get("engine", {}))
        return cls(**data)

    @classmethod
    def normalised(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored spec with today's defaults filled in: a setting added later does not orphan older runs."""
        return cls.from_dict(stored).to_dict()


def parse_weights(text: str, flag: str = "--weights") -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated numbers such as 0.5,0.25,0.25") from None
    return values


def normalise_weights(weights: list[float] | None, objectives: tuple[str, ...], flag: str = "--weights"
                      ) -> list[float]:
    """Validated weights summing to 1, one per objective; uniform when not given."""
    k = len(objectives)
    if weights is None:
        return [1.0 / k] * k
    if len(weights) != k:
        raise UsageError(f"{flag} has {len(weights)} values; the task has {k} objectives ({', '.join(objectives)})")
    if any(w < 0 or not math.isfinite(w) for w in weights):
        raise UsageError(f"{flag} {weights}: every weight must be a finite number >= 0")
    total = sum(weights)
    if total <= 0:
        raise UsageError(f"{flag} {weights}: at least one weight must be positive")
    return [w / total for w in weights]


def comparability_key(spec: RunSpec, task_version: str, objectives: tuple[str, ...], model_id: str, eval_split: str,
                      eval_size: int, max_new_tokens: int) -> dict[str, Any]:
    """Two results are comparable only if all of these are equal (spec section 5)."""
    return {
        "task_version": task_version,
        "objectives": list(objectives),
        "model": model_id,
        "steps": spec.steps,
        "batch": f"{spec.prompts_per_step}x{spec.group_size}",
        "eval_split": f"{eval_split}:{eval_size}",
        "decoding": "greedy",
        "max_new_tokens": max_new_tokens,
    }


def describe_comparability(key: dict[str, Any]) -> str:
    """One line naming a comparability key's parts, as the leaderboard and the comparison report print it."""
    return (f"task `{key['task_version']}`, objectives {', '.join(key['objectives'])}; model `{key['model']}`; "
            f"{key['steps']} steps of {key['batch']}; eval `{key['eval_split']}`, {key['decoding']}, "
            f"L = {key['max_new_tokens']}")
