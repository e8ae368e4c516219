"""Serving a trained run: load its last checkpoint and generate completions, for a preference if it serves any."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from morlbench.engine.checkpoint import has_checkpoint, verify
from morlbench.engine.sampling import generate
from morlbench.errors import UsageError
from morlbench.methods.base import Method
from morlbench.models.base import LoadedModel
from morlbench.results.rundir import open_run
from morlbench.run.evaluation import policy_view
from morlbench.run.policy import prepare_policy
from morlbench.run.resolve import load_model, resolve
from morlbench.spec import DTYPES, RunSpec, normalise_weights, parse_weights
from morlbench.tasks.base import Task
from morlbench.tasks.objectives import ScoreContext
from morlbench.tasks.problems import Problem, Sample


@dataclass
class ServedRun:
    task: Task
    method: Method
    model: LoadedModel
    max_new_tokens: int

    def complete(self, questions: list[str], max_new_tokens: int | None = None, temperature: float = 0.0,
                 seed: int = 0) -> list[str]:
        """Completions of the questions in the task's prompt format: greedy at temperature 0, else sampled."""
        return [text for text, _ in self._generate([self.task.format_prompt(q) for q in questions], max_new_tokens,
                                                   temperature, seed)]

    def score(self, problems: list[Problem], max_new_tokens: int | None = None, temperature: float = 0.0,
              seed: int = 0) -> list[tuple[str, dict[str, float]]]:
        """Completions of the task's own problems, each with its evaluation score per objective."""
        done = self._generate([p.prompt for p in problems], max_new_tokens, temperature, seed)
        samples = [Sample(p, text, length) for p, (text, length) in zip(problems, done)]
        ctx = ScoreContext(max_new_tokens or self.max_new_tokens, float("nan"))
        columns = {o.name: o.eval_values(samples, ctx) for o in self.task.active_objectives}
        return [(s.text, {name: float(values[i]) for name, values in columns.items()}) for i, s in enumerate(samples)]

    def _generate(self, prompt_texts: list[str], max_new_tokens: int | None, temperature: float, seed: int
                  ) -> list[tuple[str, int]]:
        prompts = [self.model.encode_prompt(text) for text in prompt_texts]
        generator = torch.Generator(device=next(self.model.policy.parameters()).device).manual_seed(seed)
        self.model.policy.eval()
        with self.model.computing():
            gen = generate(self.model.policy, prompts, max_new_tokens=max_new_tokens or self.max_new_tokens,
                           eos_id=self.model.eos_token_id, pad_id=self.model.pad_token_id,
                           temperature=temperature or 1.0, greedy=temperature == 0, generator=generator)
        decode = self.model.tokenizer.decode
        return [(decode(gen.completion_ids[row, : gen.lengths[row]].tolist(), skip_special_tokens=True),
                 int(gen.lengths[row])) for row in range(len(prompts))]


def parse_preference(text: str | None, objectives: tuple[str, ...]) -> np.ndarray | None:
    if text is None:
        return None
    return np.asarray(normalise_weights(parse_weights(text, "--preference"), objectives, "--preference"))


def load_run(path: Path, preference_text: str | None, device: str = "cpu") -> ServedRun:
    """The run's final policy, set to serve ``preference_text`` (checked before anything is loaded)."""
    run = open_run(path)
    weights_file = run.checkpoint_dir / "policy.safetensors"
    if not has_checkpoint(run.checkpoint_dir):
        raise UsageError(f"{path} has no checkpoint yet ({run.checkpoint_dir} holds no complete checkpoint)")
    verify(run.checkpoint_dir)
    config = run.config()
    # served at the precision it was trained in (--dtype auto may resolve otherwise on this machine)
    recorded = config.get("resolved", {}).get("dtype")
    precision = {"dtype": recorded} if recorded in DTYPES and device == config.get("resolved", {}).get("device") else {}
    spec = RunSpec.from_dict({**config["spec"], "device": device, **precision})
    r = resolve(spec)
    preference = parse_preference(preference_text, r.task.objective_names)
    if preference is None and r.method.capabilities().serves_preferences:
        raise UsageError(f"{path} is a {spec.method} run, which serves preferences: pass --preference with "
                         f"{len(r.task.objective_names)} weights ({', '.join(r.task.objective_names)})")
    if preference is not None and not r.method.capabilities().serves_preferences:
        r.method.serve(preference)  # raises the method's one-line explanation
    model = load_model(r)
    prepare_policy(r, model)
    model.policy.load_state_dict(load_file(str(weights_file), device=r.device))
    r.method.serve(preference)
    return ServedRun(r.task, r.method, policy_view(model, r.method), r.max_new_tokens)
