"""How the update's forward passes cover a batch: micro-batches of rows, and what a pass over one of them costs.

``PaddedPasses`` runs the model's own forward over row slices of the padded batch (prompt and completion
together; any architecture, per-row state followed). ``SharedPromptPasses`` (Llama-family models,
``LeanLlama.supports``) computes each distinct prompt once, then its completions in micro-batches of rows of
similar length, each padded only to its own longest completion, attending to the prompt's keys and values: the
arithmetic the batch needs, not 8 copies of every prompt and columns of padding. Gradients through the shared
prompt are collected on detached copies of its states and pushed through the prompt pass once (``finish``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from morlbench.engine.llama import LeanLlama, PromptStates, first_rows
from morlbench.engine.losses import completion_logprobs, token_logprobs
from morlbench.engine.sampling import Generation, positions_from_mask


@contextmanager
def rows_followed(model: torch.nn.Module, part: slice, rows: int) -> Iterator[None]:
    """Modules with per-row state (a preference per batch row, say) see only the rows of ``part`` of a batch of
    ``rows``: micro-batches and the whole batch then compute exactly the same thing."""
    followers = [m for m in model.modules() if hasattr(m, "select_rows")]
    whole = part.start in (None, 0) and part.stop in (None, rows)
    if whole or not followers:
        yield
        return
    for module in followers:
        module.select_rows(torch.arange(part.start or 0, part.stop))
    try:
        yield
    finally:
        for module in followers:
            module.select_rows(None)


class PaddedPasses:
    """Row slices of the padded batch, ``rows_per_pass`` at a time."""

    def __init__(self, gen: Generation, token_budget: int) -> None:
        self.gen = gen
        n, width = gen.sequences.shape
        step = max(1, token_budget // width)
        self.parts: list[Any] = [slice(i, min(i + step, n)) for i in range(0, n, step)]

    def mask(self, part: slice) -> torch.Tensor:
        return self.gen.completion_mask[part]

    def begin(self, model: torch.nn.Module, grad: bool) -> _PaddedSession:
        return _PaddedSession(self, model)


class _PaddedSession:
    def __init__(self, passes: PaddedPasses, model: torch.nn.Module) -> None:
        self.passes, self.model = passes, model
        self.leaves: list[torch.Tensor] = []

    def logprobs(self, part: slice) -> torch.Tensor:
        gen = self.passes.gen
        with rows_followed(self.model, part, gen.sequences.shape[0]):
            return completion_logprobs(self.model, gen.rows(part))

    def finish(self) -> None:
        """Nothing is shared between micro-batches."""

    def prompt_gradients(self, leaf_grads: list[torch.Tensor | None], params: list[torch.Tensor], retain: bool
                         ) -> list[torch.Tensor | None]:
        return [None] * len(params)


class SharedPromptPasses:
    """Distinct prompts once; completion rows bucketed by length, at most ``token_budget`` tokens per bucket."""

    MIN_BUCKET_ROWS = 8  # 4 rows cost more in per-call overhead than padding saves, 16 pad more (measured)

    def __init__(self, gen: Generation, token_budget: int) -> None:
        self.gen = gen
        prompts = gen.sequences[:, : gen.prompt_width]
        self.prompt_ids, self.group = torch.unique(prompts, dim=0, return_inverse=True)
        self.prompt_mask = gen.attention_mask[first_rows(self.group, len(self.prompt_ids)), : gen.prompt_width]
        lengths = gen.completion_mask.sum(dim=1)
        order = torch.argsort(lengths, stable=True)
        self.parts = self._buckets(order, lengths, token_budget)

    def _buckets(self, order: torch.Tensor, lengths: torch.Tensor, budget: int) -> list[torch.Tensor]:
        count = max(1, len(order) // self.MIN_BUCKET_ROWS)
        buckets = []
        for chunk in torch.tensor_split(order, count):
            longest = max(1, int(lengths[chunk].max()))
            step = max(1, budget // longest)
            buckets += [chunk[i : i + step] for i in range(0, len(chunk), step)]
        return [b for b in buckets if len(b)]

    def width(self, part: torch.Tensor) -> int:
        return max(1, int(self.gen.completion_mask[part].sum(dim=1).max()))

    def mask(self, part: torch.Tensor) -> torch.Tensor:
        return self.gen.completion_mask[part, : self.width(part)]

    def begin(self, model: torch.nn.Module, grad: bool) -> _SharedSession:
        return _SharedSession(self, LeanLlama(model), grad)


class _SharedSession:
    def __init__(self, passes: SharedPromptPasses, lean: LeanLlama, grad: bool) -> None:
        self.passes, self.lean = passes, lean
        p = passes
        self.states: PromptStates = lean.prompts(p.prompt_ids, p.prompt_mask, positions_from_mask(p.prompt_mask))
        self.used = self.states.detached() if grad else self.states
        self.leaves = self.used.tensors() if grad else []

    def logprobs(self, part: torch.Tensor) -> torch.Tensor:
        width = self.passes.width(part)
        completion = self.passes.gen.completion_ids[part, :width]
        logits = self.lean.completion_logits(self.used, self.passes.group[part], completion[:, :-1])
        return token_logprobs(logits, completion)

    def finish(self) -> None:
        """Push the gradients the completion passes left on the prompt states through the prompt pass."""
        pairs = [(t, leaf.grad) for t, leaf in zip(self.states.tensors(), self.leaves) if leaf.grad is not None]
        if pairs:
            torch.autograd.backward([t for t, _ in pairs], [g for _, g in pairs])

    def prompt_gradients(self, leaf_grads: list[torch.Tensor | None], params: list[torch.Tensor], retain: bool
                         ) -> list[torch.Tensor | None]:
        """d(loss)/d(params) through the prompt pass, given d(loss)/d(prompt states)."""
        pairs = [(t, g) for t, g in zip(self.states.tensors(), leaf_grads) if g is not None]
        if not pairs:
            return [None] * len(params)
        return list(torch.autograd.grad([t for t, _ in pairs], params, [g for _, g in pairs], retain_graph=retain,
                                        allow_unused=True))


def passes_for(model: torch.nn.Module, gen: Generation, token_budget: int) -> PaddedPasses | SharedPromptPasses:
    return SharedPromptPasses(gen, token_budget) if LeanLlama.supports(model) else PaddedPasses(gen, token_budget)
