"""RunSpec: everything that defines a run, with every default filled in and recorded. Pure data: no torch.

Each field is declared once with its help text and accepted range (``morlbench.settings.setting``); the
``morlbench run`` flags, suite and config files and validation all come from these declarations.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from morlbench.errors import UsageError
from morlbench.estimators import ESTIMATORS
from morlbench.settings import setting, validate

SCHEMA_VERSION = 3  # 3: evaluation protocol 3 (the preference set W, delivered points on the report split)
DTYPES = ("auto", "float32", "bfloat16", "float16", "bfloat16-autocast", "bfloat16-autocast-merged")
DEVICES = ("auto", "cpu", "cuda")
AGGREGATIONS = ("token-mean", "sequence-mean")


@dataclass
class EngineSettings:
    """The policy update and sampling of the built-in engine (``--backend morlbench``)."""

    # The paper's 1e-6 is for an 8B model. On tiny-arith 3e-4 drove KL to 0.6 and destroyed the arithmetic
    # (accuracy 0.26 -> 0.06); 1e-4 raised accuracy to 0.59 in 20 steps with KL near 0.01 (docs/objectives.md).
    lr: float = setting(1e-4, "AdamW learning rate", low=0, high=1, open_low=True, group="optimisation")
    weight_decay: float = setting(0.0, "AdamW weight decay", low=0, high=10, group="optimisation")
    beta1: float = setting(0.9, "AdamW beta1", low=0, high=0.9999, group="optimisation")
    beta2: float = setting(0.999, "AdamW beta2", low=0, high=0.999999, group="optimisation")
    kl_coef: float = setting(1e-3, "KL penalty to the initial policy (k3 estimate)", low=0, high=100,
                             group="optimisation")
    clip_eps: float = setting(0.2, "PPO clip range; 0 disables clipping", low=0, high=10, group="optimisation")
    grad_clip: float = setting(1.0, "gradient-norm clip; 0 disables it", low=0, high=1e6, group="optimisation")
    ppo_epochs: int = setting(1, "updates per sampled batch", low=1, high=64, group="optimisation")
    temperature: float = setting(1.0, "sampling temperature of training rollouts", low=0.01, high=100,
                                 group="optimisation")
    loss_aggregation: str = setting("token-mean", "mean of the per-token loss over all tokens, or per sequence "
                                    "then over sequences", choices=AGGREGATIONS, group="optimisation")
    # Rows per forward pass = micro_batch_tokens // padded sequence length; gradients are accumulated exactly.
    # 0 = auto: AUTO_TOKEN_BUDGET / parameters (tiny-arith: the whole batch in one pass; SmolLM2-135M: ~3000
    # tokens, about 8 GB peak in float32 on CPU, measured).
    micro_batch_tokens: int = setting(0, "tokens per forward pass, gradients accumulated exactly (0: chosen "
                                      "from the model size)", low=0, high=10**8, group="optimisation")
    gradient_checkpointing: bool = setting(False, "recompute activations in the backward pass: less memory for "
                                           "large models, more time", group="optimisation")
    # Llama-family models without per-row state: each distinct prompt computed once per pass, completions in
    # micro-batches of similar length (docs/performance.md). Off: every row padded to the batch's width.
    shared_prompts: bool = setting(True, "compute each prompt once for its rollouts and cut padding in the update "
                                   "(Llama-family models; off: the padded batch, as before)", group="optimisation")

    @staticmethod
    def setting_name(name: str) -> str:
        return "--" + name.replace("_", "-")


@dataclass
class RunSpec:
    task: str = setting("arith", "registered task (`morlbench list tasks`)", group="run")
    method: str = setting("static", "registered method (`morlbench list methods`)", group="run")
    model: str | None = setting(None, "registered model, hub id or local directory (default: the task's, "
                                "tiny-arith on arith)", group="run")
    seed: int = setting(0, "seed of the whole run", low=0, group="run")
    steps: int = setting(60, "budget in training steps", low=1, high=1_000_000, group="budget")
    prompts_per_step: int = setting(8, "prompts per step", low=1, high=65_536, group="budget")
    group_size: int = setting(8, "rollouts per prompt", low=1, high=1024, group="budget")
    weights: list[float] | None = setting(None, "objective weights, e.g. 0.5,0.25,0.25 (normalised to sum 1; "
                                          "default uniform)", low=0, group="run")
    objectives: list[str] | None = setting(None, "2 to 4 objectives: the task's own or registered extra ones "
                                           "(`morlbench list objectives`), e.g. accuracy,conciseness "
                                           "(default: the task's)", group="run")
    estimator: str = setting("grpo", "advantage estimator", choices=ESTIMATORS, group="run")
    engine: EngineSettings = setting(help="engine settings", factory=EngineSettings, group="optimisation")
    max_new_tokens: int | None = setting(None, "generation limit L (default: the task's)", low=1, high=32_768,
                                         group="evaluation")
    eval_every: int = setting(10, "steps between evaluations", low=1, high=1_000_000, group="evaluation")
    preferences: str | None = setting(None, "the protocol's preference set W, weight vectors separated by ';', "
                                      "e.g. 0.5,0.5;0.8,0.2: a preference-serving method is evaluated at each, a "
                                      "single-policy entry runs once from each (default: the standard set for K "
                                      "objectives, docs/leaderboard.md)", group="evaluation")
    selection_split: str | None = setting(None, "split every evaluation scores; the run's front is chosen on it "
                                          "(default: the task's, select on arith, val on math tasks)",
                                          group="evaluation")
    report_split: str | None = setting(None, "split the chosen points are valued on (default: the task's, report "
                                       "on arith, test on math tasks)", group="evaluation")
    eval_samples: bool | None = setting(None, "write per-problem evaluation records to eval_samples/ (default: "
                                        "the task's; on for arith)", group="evaluation")
    eval_batch_size: int = setting(128, "problems per greedy evaluation batch", low=1, high=65_536,
                                   group="evaluation")
    checkpoint_every: int = setting(10, "steps between checkpoints", low=1, high=1_000_000, group="evaluation")
    # Trade-off diagnostic: cosines between per-objective policy gradients at steps N, 2N, ...; costs one
    # forward and K backward passes on those steps, timed apart. 0 turns it off.
    gradient_cosine_every: int = setting(10, "trade-off diagnostic: cosines between per-objective gradients at "
                                         "steps N, 2N, ..., timed apart from training (0: off)", low=0,
                                         high=1_000_000, group="evaluation")
    threads: int = setting(1, "torch threads; 1 avoids busy-waiting on small models and shared cores", low=1,
                           high=1024, group="machine")
    device: str = setting("auto", "auto (cuda when available, else cpu), cpu or cuda", choices=DEVICES, group="machine")
    dtype: str = setting("auto", "auto (bfloat16 on CUDA; on CPU float32, or bfloat16-autocast for a model that "
                         "asks for it where the CPU has bfloat16 units), float32, bfloat16, float16 or "
                         "bfloat16-autocast (float32 weights, bfloat16 products), bfloat16-autocast-merged (also "
                         "training rollouts sampled from bfloat16 projections with LoRA folded in)", choices=DTYPES,
                         group="machine")
    lora_rank: int = setting(0, "train LoRA adapters of this rank on every linear layer instead of all weights "
                             "(0: all weights)", low=0, high=4096, group="machine")
    backend: str = setting("morlbench", "training backend (`morlbench list backends`): morlbench (the built-in "
                           "engine) or trl (TRL's GRPOTrainer; methods that scalarise linearly)", group="machine")
    task_options: dict[str, Any] = setting(help="task settings", factory=dict, group="run")
    method_options: dict[str, Any] = setting(help="method settings", factory=dict, group="run")

    @staticmethod
    def setting_name(name: str) -> str:
        """How a field is named in messages: its command-line flag."""
        return "--" + name.replace("_", "-")

    def validate(self) -> None:
        """Cross-field rules; each field's type and range are checked by ``morlbench.settings.validate``."""
        if self.group_size < 2 and self.estimator in ("grpo", "rloo"):
            raise UsageError(f"--group-size {self.group_size}: {self.estimator} needs at least 2 rollouts per prompt")
        if self.selection_split is not None and self.selection_split == self.report_split:
            raise UsageError(f"--selection-split and --report-split are both {self.selection_split!r}: choosing and "
                             "valuing the front on the same problems inflates it; use two splits")

    def check(self) -> None:
        """Every field against its declared type and range, then the cross-field rules: one line on failure."""
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        if not isinstance(data, dict):
            raise UsageError(f"a run spec must be a table of settings, not {type(data).__name__}")
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown run setting {unknown[0]!r}; accepted: {', '.join(sorted(known))}")
        engine = data.get("engine", {})
        if isinstance(engine, dict):
            engine_known = {f.name for f in dataclasses.fields(EngineSettings)}
            bad = sorted(set(engine) - engine_known)
            if bad:
                raise UsageError(f"unknown engine setting {bad[0]!r}; accepted: {', '.join(sorted(engine_known))}")
            data["engine"] = EngineSettings(**engine)
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
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 or not math.isfinite(w) for w in weights):
        raise UsageError(f"{flag} {weights}: every weight must be a finite number >= 0")
    total = sum(weights)
    if total <= 0:
        raise UsageError(f"{flag} {weights}: at least one weight must be positive")
    if not math.isfinite(total):  # e.g. 1e308 three times: scaled first, so the sum cannot overflow to inf
        largest = max(weights)
        return normalise_weights([w / largest for w in weights], objectives, flag)
    return [w / total for w in weights]
