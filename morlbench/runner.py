"""One run: resolve a RunSpec, train under its fixed budget, evaluate, checkpoint, report."""
from __future__ import annotations

import dataclasses
import platform
import random
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from tqdm import tqdm

from morlbench import registry
from morlbench.engine.checkpoint import load_checkpoint, save_checkpoint
from morlbench.engine.distributed import ONE_PROCESS, Ranks, current_ranks
from morlbench.engine.engine import Engine, micro_batch_tokens
from morlbench.engine.estimators import estimate
from morlbench.errors import UsageError
from morlbench.evaluation import evaluate, to_samples
from morlbench.methods.base import Method, MethodContext, PreferenceSweep, RewardBatch, Rollout
from morlbench.metrics.tradeoffs import centred_cross_products, cosine_matrix, matrix_record
from morlbench.models.base import LoadedModel, ModelSource
from morlbench.models.hf import HubModel
from morlbench.models.local import LocalDirectory
from morlbench.models.lora import apply_lora
from morlbench.results.rundir import CONFIG, RunDir, open_run
from morlbench.spec import SCHEMA_VERSION, RunSpec, comparability_key, normalise_weights
from morlbench.tasks.base import Problem, Task
from morlbench.tasks.objectives import RunningMeanLength, ScoreContext

PACKAGES = ("morlbench", "torch", "transformers", "tokenizers", "moocore", "pymoo", "scipy", "numpy", "safetensors")


@dataclass
class Resolved:
    """A RunSpec turned into objects, validated before anything touches the disk."""

    spec: RunSpec
    task: Task
    method: Method
    model_source: ModelSource
    weights: list[float]
    max_new_tokens: int
    device: torch.device
    eval_split: str


def resolve(spec: RunSpec) -> Resolved:
    spec.validate()
    task = registry.lookup("tasks", spec.task).from_options(spec.task_options)
    method = registry.lookup("methods", spec.method).from_options(spec.method_options)
    model_source = pick_model(spec.model or task.default_model)
    if spec.objectives is not None:
        task.select_objectives(spec.objectives)
    weights = normalise_weights(spec.weights, task.objective_names)
    method.validate_run(task.objective_names, spec.steps)
    if spec.lora_rank and type(method).prepare_policy is not Method.prepare_policy:
        raise UsageError(f"--lora-rank does not apply to method {spec.method}: it builds its own adapters")
    eval_split = spec.eval_split or task.default_eval_split
    task.split(eval_split)  # raises on an unknown split
    max_new_tokens = spec.max_new_tokens or task.max_new_tokens
    return Resolved(spec, task, method, model_source, weights, max_new_tokens, pick_device(spec.device), eval_split)


def pick_model(name: str) -> ModelSource:
    """A local directory, a registered model name, or a hub id (org/name), in that order."""
    if Path(name).is_dir():
        return LocalDirectory(Path(name))
    if "/" in name and name not in registry.names("models"):
        return HubModel(name)
    return registry.lookup("models", name)()


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    return torch.device(name)


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, name)


def package_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def build_config(r: Resolved, model: LoadedModel, processes: int = 1) -> dict[str, Any]:
    task_info = r.task.describe()
    eval_size = len(r.task.split(r.eval_split))
    model_id = f"{model.name}@{model.info.get('checkpoint_sha256', 'unknown')}"
    return {
        "schema_version": SCHEMA_VERSION,
        "spec": r.spec.to_dict(),
        "resolved": {
            "weights": r.weights,
            "max_new_tokens": r.max_new_tokens,
            "device": str(r.device),
            "dtype": str(pick_dtype(r.spec.dtype, r.device)).removeprefix("torch."),
            "micro_batch_tokens": micro_batch_tokens(r.spec.engine, model.policy),
            "eval_split": r.eval_split,
            "processes": processes,  # data-parallel ranks (accelerate launch); the batch is split among them
            "method_settings": dataclasses.asdict(r.method.settings),
        },
        "task": task_info,
        "model": {"name": model.name, **model.info},
        "comparability": comparability_key(r.spec, r.task.version, r.task.objective_names, model_id, r.eval_split,
                                           eval_size, r.max_new_tokens),
        "versions": package_versions(),
        "command": sys.argv,
    }


def prepare_run_dir(out: Path, resume: bool, config: dict[str, Any]) -> RunDir:
    """A new run directory, or the existing one when resuming a run with the same settings."""
    if (out / CONFIG).exists():
        if not resume:
            raise UsageError(f"--out {out} already holds a run; pass --resume to continue it or choose another --out")
        run = open_run(out)
        stored = RunSpec.normalised(run.config()["spec"])
        if stored != config["spec"]:
            changed = sorted(k for k in config["spec"] if stored.get(k) != config["spec"][k])
            raise UsageError(f"--resume: settings differ from the stored run in {', '.join(changed)}")
        return run
    if resume:
        raise UsageError(f"--resume: {out} holds no run to resume")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"--out {out} exists and is not empty; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    run = RunDir(out)
    run.write_config(config)
    return run


def prepare_policy(r: Resolved, model: LoadedModel) -> list[dict[str, Any]] | None:
    """Adapters before training or serving: the method's own, or LoRA from --lora-rank; None trains every weight."""
    if r.spec.lora_rank:
        return [{"params": apply_lora(model.policy, r.spec.lora_rank)}]
    return r.method.prepare_policy(model.policy, r.task.objective_names)


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """Seed of the sampling at ``step`` (on data-parallel ``rank``): resuming at any step reproduces the same
    rollouts."""
    return (seed * 1_000_003 + step * 7_919 + 17 + rank * 104_729) % (2**63)


def draw_prompts(train: list[Problem], seed: int, step: int, count: int) -> list[Problem]:
    return random.Random(step_seed(seed, step)).sample(train, count)


def check_processes(r: Resolved, ranks: Ranks) -> slice:
    """This rank's share of the prompt groups; refuses what data parallelism cannot run."""
    if ranks.active and not r.method.supports_processes:
        raise UsageError(f"method {r.spec.method} does not run under several processes "
                         f"({ranks.count} launched); run it in one process")
    return ranks.group_share(r.spec.prompts_per_step)


class Trainer:
    """The training loop's primitives over the engine (``TrainingLoop``); the method drives them."""

    def __init__(self, r: Resolved, model: LoadedModel, run: RunDir, progress: bool, ranks: Ranks = ONE_PROCESS
                 ) -> None:
        self.r, self.spec, self.task, self.method = r, r.spec, r.task, r.method
        self.model, self.run, self.ranks = model, run, ranks
        self.progress = progress and ranks.is_main
        self.group_rows = check_processes(r, ranks)
        self.prompts_per_step, self.group_size, self.total_steps = r.spec.prompts_per_step, r.spec.group_size, \
            r.spec.steps
        # copies the KL reference before the method changes the policy
        self.engine = Engine(model, r.spec.engine, ranks)
        groups = prepare_policy(r, model)
        if groups is not None:
            self.engine.set_parameter_groups(groups)
        self.train_split = r.task.split("train")
        self.eval_split = r.task.split(r.eval_split)
        self.running_len = RunningMeanLength()
        self.counters = {"step": 0, "rollouts": 0, "train_tokens": 0, "method_tokens": 0, "seconds": 0.0,
                         "eval_seconds": 0.0}
        self._step_began = 0.0
        self._diagnostics: dict[str, Any] = {}
        self.method.setup(MethodContext(
            objectives=r.task.objective_names, initial_weights=np.asarray(r.weights), estimator=r.spec.estimator,
            group_size=r.spec.group_size, total_steps=r.spec.steps, lr=r.spec.engine.lr, seed=r.spec.seed,
            validate=self.validate,
            parameter_names=self.engine.trainable_names(),
        ))

    # -- what methods may ask for ------------------------------------------------------------
    def validate(self) -> np.ndarray:
        """Greedy evaluation on the val split, counted in the budget as method-internal tokens."""
        result = evaluate(self.model, self.task, self.task.split("val"), self.r.max_new_tokens,
                          self.spec.eval_batch_size, self.ranks)
        self.counters["method_tokens"] += result.generated_tokens
        return result.objectives

    # -- the loop ------------------------------------------------------------------------------
    def train(self) -> None:
        if self.counters["step"] == 0 and not self.run.evals:
            self.evaluate_now()
        if self.spec.backend == "trl":
            from morlbench.engine.trl_backend import train_with_trl

            train_with_trl(self)
        else:
            self.method.train(self)

    def remaining_steps(self) -> Iterator[int]:
        start = self.counters["step"]
        bar = tqdm(range(start, self.spec.steps), desc=f"{self.spec.method} on {self.spec.task}",
                   disable=not self.progress, unit="step", initial=start, total=self.spec.steps)
        for step in bar:
            yield step
            if self.counters["step"] != step + 1:
                raise RuntimeError(f"method {self.spec.method} did not finish step {step + 1} with end_step")
            if self.progress:
                bar.set_postfix(self.postfix(self.run.metrics[-1]))

    def rollout(self, step: int) -> Rollout:
        self._step_began = time.perf_counter()
        spec = self.spec
        problems = draw_prompts(self.train_split, spec.seed, step, spec.prompts_per_step)
        grouped = [p for p in problems for _ in range(spec.group_size)]
        share = self.group_rows
        rows = slice(share.start * spec.group_size, share.stop * spec.group_size)  # this rank's prompt groups
        gen = self.engine.sample([self.model.encode_prompt(p.prompt) for p in grouped[rows]], self.r.max_new_tokens,
                                 step_seed(spec.seed, step, self.ranks.index))
        samples = to_samples(self.model.tokenizer, grouped[rows], gen)
        lengths = self.ranks.gather(list(gen.lengths))
        mean_len = self.running_len.update(lengths)
        rewards = self.task.train_rewards(samples, ScoreContext(self.r.max_new_tokens, mean_len))
        rewards = self.ranks.gather_rows(np.asarray(rewards, dtype=np.float64))
        return Rollout(step, grouped, gen, rewards, mean_len, rows, lengths, self.engine.batch_size(gen)[1])

    def reward_batch(self, rollout: Rollout, with_gradients: bool = False) -> RewardBatch:
        spec, gen = self.spec, rollout.generation
        return RewardBatch(
            rewards=torch.as_tensor(rollout.rewards, dtype=torch.float64),
            group_size=spec.group_size,
            step=rollout.step,
            estimate=lambda column: estimate(spec.estimator, column, spec.group_size),
            objective_gradients=(lambda adv, names=None: self.engine.objective_gradients(gen, adv[rollout.rows], names))
            if with_gradients else None,
        )

    def update(self, rollout: Rollout, advantages: torch.Tensor) -> dict[str, float]:
        every = self.spec.gradient_cosine_every
        if every and (rollout.step + 1) % every == 0:  # updates N, 2N, ...: runs shorter than N pay nothing
            self._diagnose_gradients(rollout)
        return self.engine.update(rollout.generation, advantages[rollout.rows])

    def gradient_cosines(self, rollout: Rollout) -> np.ndarray:
        """Cosines (K, K) between the per-objective policy gradients at the sampling policy: each reward column
        through the run's estimator, every trainable weight."""
        columns = torch.as_tensor(rollout.rewards, dtype=torch.float64)
        advantages = torch.stack([estimate(self.spec.estimator, columns[:, k], self.spec.group_size)
                                  for k in range(columns.shape[1])], dim=1)
        gradients = self.engine.objective_gradients(rollout.generation, advantages[rollout.rows])
        return cosine_matrix(gradients.cpu().numpy())

    def _diagnose_gradients(self, rollout: Rollout) -> None:
        """The trade-off diagnostic, timed apart from the step: it is not part of any method."""
        began = time.perf_counter()
        cosines = self.gradient_cosines(rollout)
        self._diagnostics = {"gradient_cosine": matrix_record(cosines, 6),
                             "diagnostic_seconds": round(time.perf_counter() - began, 4)}

    def end_step(self, rollout: Rollout, stats: dict[str, float], method_log: dict[str, Any]) -> None:
        """Count the step, log it, and evaluate and checkpoint when due."""
        diagnostics, self._diagnostics = self._diagnostics, {}
        elapsed = time.perf_counter() - self._step_began - diagnostics.get("diagnostic_seconds", 0.0)
        done = rollout.step + 1
        self.counters["step"] = done
        self.counters["rollouts"] += len(rollout.problems)
        self.counters["train_tokens"] += rollout.tokens
        self.counters["seconds"] += elapsed
        reward_means = rollout.rewards.mean(axis=0)
        weights = self.method.weights()
        record = {
            "step": done,
            "rewards": {n: round(float(v), 6) for n, v in zip(self.task.objective_names, reward_means)},
            "weights": None if weights is None else [round(float(w), 6) for w in weights],
            **{k: round(v, 6) for k, v in stats.items()},
            "mean_length": round(float(np.mean(rollout.lengths)), 3),
            "running_mean_length": round(rollout.mean_length, 3),
            "rollouts": self.counters["rollouts"],
            "tokens": self.total_tokens(),
            "method": method_log,
            "seconds": round(elapsed, 4),
            "reward_cross_products": np.round(centred_cross_products(rollout.rewards, self.group_size), 6).tolist(),
            **diagnostics,
        }
        if done % self.spec.eval_every == 0 or done == self.spec.steps:
            self.evaluate_now()
        # Wall time lives here, never in eval.jsonl, which must be identical across identical runs.
        record["train_seconds"] = round(self.counters["seconds"], 3)
        record["eval_seconds"] = round(self.counters["eval_seconds"], 3)
        self.run.add_metrics(record)
        if done % self.spec.checkpoint_every == 0 or done == self.spec.steps:
            self.save()

    def total_tokens(self) -> int:
        return self.counters["train_tokens"] + self.counters["method_tokens"]

    def evaluate_now(self) -> None:
        """Greedy evaluation on the eval split: the single policy, or every preference the method serves."""
        began = time.perf_counter()
        done = self.counters["step"]
        record: dict[str, Any] = {"step": done, "rollouts": self.counters["rollouts"], "tokens": self.total_tokens()}
        sweep = self.method.evaluation_preferences(done, final=done >= self.spec.steps)
        if sweep is None:
            result = evaluate(self.model, self.task, self.eval_split, self.r.max_new_tokens,
                              self.spec.eval_batch_size, self.ranks)
            record.update(result.to_record(self.task.objective_names))
            weights = self.method.weights()
            if weights is not None:
                record["weights"] = [round(float(w), 6) for w in weights]
        else:
            record.update(self.evaluate_sweep(sweep))
        self.counters["eval_seconds"] += time.perf_counter() - began
        self.run.add_eval(record)

    def evaluate_sweep(self, sweep: PreferenceSweep) -> dict[str, Any]:
        """One objective vector per served preference; held-out preferences are scored apart from the front."""
        tokens = 0

        def served(preferences: np.ndarray) -> list[dict[str, Any]]:
            nonlocal tokens
            rows = []
            for preference in preferences:
                self.method.serve(np.asarray(preference, dtype=np.float64))
                result = evaluate(self.model, self.task, self.eval_split, self.r.max_new_tokens,
                                  self.spec.eval_batch_size, self.ranks)
                tokens += result.generated_tokens
                rows.append({"preference": [round(float(v), 6) for v in preference],
                             "objectives": [round(float(v), 6) for v in result.objectives]})
            return rows

        record: dict[str, Any] = {"objective_names": list(self.task.objective_names), "points": served(sweep.grid)}
        if sweep.held_out is not None:
            record["held_out"] = served(sweep.held_out)
        record["eval_tokens"] = tokens
        return record

    @staticmethod
    def postfix(record: dict[str, Any]) -> dict[str, str]:
        shown = {k[:3]: f"{v:.2f}" for k, v in record["rewards"].items()}
        shown["len"] = f"{record['mean_length']:.0f}"
        return shown

    # -- checkpoints ------------------------------------------------------------------------------
    def save(self) -> None:
        weights, opt_tensors, opt_meta = self.engine.state_tensors()
        self.ranks.check_identical(weights)
        if not self.ranks.is_main:
            return
        state = {
            "counters": self.counters,
            "running_mean_length": self.running_len.state_dict(),
            "method": self.method.state_dict(),
            "complete": self.counters["step"] >= self.spec.steps,
        }
        save_checkpoint(self.run.checkpoint_dir, weights, opt_tensors, opt_meta, state)

    def restore(self) -> None:
        if not (self.run.checkpoint_dir / "state.json").exists():
            self.run.truncate_to(-1)  # interrupted before the first checkpoint: start over
            return
        weights, opt_tensors, opt_meta, state = load_checkpoint(self.run.checkpoint_dir)
        self.engine.load_state_tensors(weights, opt_tensors, opt_meta)
        self.counters = state["counters"]
        self.running_len.load_state_dict(state["running_mean_length"])
        self.method.load_state_dict(state["method"])
        self.run.truncate_to(self.counters["step"])


def execute(spec: RunSpec, out: Path, resume: bool = False, progress: bool = True) -> Path:
    """Run ``spec`` into ``out`` (or continue it with ``resume``) and write its report."""
    from morlbench.report.run_report import write_run_report

    r = resolve(spec)
    ranks = current_ranks(r.device)
    check_processes(r, ranks)  # before anything touches the disk
    if spec.backend == "trl":
        from morlbench.engine.trl_backend import check_trl_backend

        check_trl_backend(r, resume, ranks)
    if ranks.active and r.device.type == "cuda":
        r.device = torch.device("cuda", ranks.local_index)
    torch.set_num_threads(spec.threads)
    torch.manual_seed(spec.seed)
    model = r.model_source.load(r.device, pick_dtype(spec.dtype, r.device))
    config = build_config(r, model, ranks.count)
    # The main process owns the run directory; the others follow it read-only once it exists.
    run = prepare_run_dir(out, resume, config) if ranks.is_main else None
    ranks.barrier()
    run = run or dataclasses.replace(open_run(out), read_only=True)
    trainer = Trainer(r, model, run, progress, ranks)
    if resume:
        trainer.restore()
    trainer.train()
    if ranks.is_main:
        write_run_report(out)
    ranks.barrier()
    return out
