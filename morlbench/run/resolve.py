"""A RunSpec turned into objects: task, method, model source, backend; every check before anything is written."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from morlbench import registry
from morlbench.errors import UsageError
from morlbench.methods.base import Method
from morlbench.models.base import ModelSource
from morlbench.preferences import parse_preferences
from morlbench.spec import RunSpec, normalise_weights
from morlbench.tasks.base import Task

if TYPE_CHECKING:
    from morlbench.engine.precision import Precision
    from morlbench.models.base import LoadedModel


@dataclass
class Resolved:
    """A RunSpec turned into objects, validated before anything touches the disk."""

    spec: RunSpec
    task: Task
    method: Method
    model_source: ModelSource
    backend: Any  # morlbench.backends.base.Backend
    weights: list[float]
    max_new_tokens: int
    device: str  # "cpu" or "cuda" ("auto" resolved)
    selection_split: str
    report_split: str
    eval_samples: bool
    preferences: tuple[tuple[float, ...], ...] = ()  # the protocol's preference set W

    def split_sizes(self) -> dict[str, str]:
        """The evaluation splits as the comparability key names them: NAME:PROBLEMS."""
        return {role: f"{name}:{len(self.task.split(name))}"
                for role, name in (("selection", self.selection_split), ("report", self.report_split))}


def resolve(spec: RunSpec) -> Resolved:
    spec.check()
    task = registry.lookup("tasks", spec.task).from_options(spec.task_options)
    method = registry.lookup("methods", spec.method).from_options(spec.method_options)
    # Options as their settings' types: `--task-opt select_size=12` and a suite's `select_size = 12` are one spec.
    spec.task_options = {k: getattr(task.settings, k) for k in spec.task_options}
    spec.method_options = {k: getattr(method.settings, k) for k in spec.method_options}
    backend = registry.lookup("backends", spec.backend)()
    model_source = pick_model(spec.model or task.default_model)
    if spec.objectives is not None:
        task.select_objectives(spec.objectives)
    weights = normalise_weights(spec.weights, task.objective_names)
    method.validate_run(task.objective_names, spec.steps)
    if spec.lora_rank and method.capabilities().own_adapters:
        raise UsageError(f"--lora-rank does not apply to method {spec.method}: it builds its own adapters")
    selection, report = spec.selection_split or task.selection_split, spec.report_split or task.report_split
    for flag, name in (("--selection-split", selection), ("--report-split", report)):
        if name in ("train", "val") and name not in (task.selection_split, task.report_split):
            raise UsageError(f"{flag} {name}: the {name} split is not held out for evaluation; accepted: "
                             f"{', '.join(n for n in task.split_names if n not in ('train', 'val'))}")
        task.split(name)  # raises on an unknown split
    if selection == report:
        raise UsageError(f"selection and report splits are both {selection!r}: choose the front on one split and "
                         "value it on another")
    max_new_tokens = spec.max_new_tokens or task.max_new_tokens
    samples = task.eval_samples_by_default if spec.eval_samples is None else spec.eval_samples
    preferences = parse_preferences(spec.preferences, len(task.objective_names))
    return Resolved(spec, task, method, model_source, backend, weights, max_new_tokens, pick_device(spec.device),
                    selection, report, samples, preferences)


def with_model_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """The settings a user gave (command line, config or suite file), with the run defaults of the model they pick
    (``ModelSource.run_defaults``, e.g. LoRA for SmolLM2) where not given: the spec then records them."""
    task, model, method = (fields.get(k, getattr(RunSpec, k)) for k in ("task", "model", "method"))
    options = fields.get("method_options", {})
    if not all(isinstance(v, str) for v in (task, model or "", method)) or not isinstance(options, dict) \
            or task not in registry.names("tasks") or method not in registry.names("methods"):
        return fields  # the spec's own checks name what is wrong, in one line
    defaults = dict(pick_model(model or registry.lookup("tasks", task).default_model).run_defaults)
    if fields.get("backend", RunSpec.backend) != "morlbench" or \
            registry.lookup("methods", method).from_options(options).capabilities().own_adapters:
        defaults.pop("lora_rank", None)  # TRL's backend takes no --lora-rank; some methods build their own
    return {**{k: v for k, v in defaults.items() if k not in fields}, **fields}


def pick_model(name: str) -> ModelSource:
    """A local directory, a registered model name, or a hub id (org/name), in that order."""
    from morlbench.models.hf import HubModel
    from morlbench.models.local import LocalDirectory

    if Path(name).is_dir():
        return LocalDirectory(Path(name))
    if "/" in name and name not in registry.names("models"):
        return HubModel(name)
    return registry.lookup("models", name)()


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    return name


def precision_of(r: Resolved) -> Precision:
    """The run's precision: its --dtype, on its device, for its model (morlbench.engine.precision)."""
    from morlbench.engine.precision import pick_precision

    return pick_precision(r.spec.dtype, r.device, r.model_source.cpu_autocast)


def load_model(r: Resolved) -> LoadedModel:
    """The run's model on its device, at its precision (weights' dtype; autocast, where chosen, recorded on it)."""
    from morlbench.engine.precision import load_at

    return load_at(r.model_source, r.device, precision_of(r))
