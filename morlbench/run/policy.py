"""What trains: the method's own adapters, LoRA from --lora-rank, or every weight."""
from __future__ import annotations

from typing import Any

from morlbench.models.base import LoadedModel
from morlbench.run.resolve import Resolved


def prepare_policy(r: Resolved, model: LoadedModel) -> list[dict[str, Any]] | None:
    """Adapters before training or serving; returns optimizer parameter groups, or None to train every weight."""
    if r.spec.lora_rank:
        from morlbench.models.lora import apply_lora

        return [{"params": apply_lora(model.policy, r.spec.lora_rank)}]
    return r.method.prepare_policy(model.policy, r.task.objective_names)
