"""The RL engine: sampling, the policy update, and exact per-objective policy gradients."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from morlbench.engine.checkpoint import flatten_optimizer, unflatten_optimizer
from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.engine.losses import aggregate_part, kl_k3, surrogate
from morlbench.engine.passes import PaddedPasses, SharedPromptPasses, passes_for
from morlbench.engine.precision import store_frozen_products
from morlbench.engine.sampling import Generation, generate
from morlbench.engine.sampling_weights import sampling_copies
from morlbench.errors import UsageError
from morlbench.models.base import LoadedModel, count_parameters
from morlbench.spec import EngineSettings

AUTO_TOKEN_BUDGET = 4e11


def micro_batch_tokens(settings: EngineSettings, policy: torch.nn.Module) -> int:
    """Tokens per forward pass: the setting, or (0) a budget inversely proportional to the model's size."""
    if settings.micro_batch_tokens:
        return settings.micro_batch_tokens
    return max(256, int(AUTO_TOKEN_BUDGET / count_parameters(policy)))


class Engine:
    def __init__(self, model: LoadedModel, settings: EngineSettings, ranks: Ranks = ONE_PROCESS) -> None:
        self.model = model
        self.ranks = ranks  # each rank holds its share of the batch's rows; gradients are summed over ranks
        self.policy = model.policy
        self.settings = settings
        self.reference = None
        if settings.kl_coef > 0:
            self.reference = copy.deepcopy(model.policy).eval()
            self.reference.requires_grad_(False)
            if model.autocast is not None:
                store_frozen_products(self.reference, model.autocast)
        self.set_parameter_groups([{"params": [p for p in self.policy.parameters() if p.requires_grad]}])
        if settings.gradient_checkpointing:  # transformers 5 renamed it; the old name warns
            enable = getattr(self.policy, "activation_checkpointing_enable", None)
            (enable or self.policy.gradient_checkpointing_enable)()
        self.micro_batch_tokens = micro_batch_tokens(settings, self.policy)

    def set_parameter_groups(self, groups: list[dict[str, Any]]) -> None:
        """A fresh optimizer over these groups (each may set its own ``lr``; default: the run's lr).
        Parameters whose gradient stays None in a step (``requires_grad`` off) are left untouched by AdamW."""
        s = self.settings
        self.optimizer = torch.optim.AdamW(groups, lr=s.lr, betas=(s.beta1, s.beta2), weight_decay=s.weight_decay)

    @property
    def device(self) -> torch.device:
        return next(self.policy.parameters()).device

    def sample(self, prompts: list[list[int]], max_new_tokens: int, seed: int) -> Generation:
        """One completion per prompt at the training temperature, reproducible from ``seed``."""
        self.policy.eval()
        generator = torch.Generator(device=self.device).manual_seed(seed)
        with self._sampling_weights():
            return generate(self.policy, prompts, max_new_tokens=max_new_tokens, eos_id=self.model.eos_token_id,
                            pad_id=self.model.pad_token_id, temperature=self.settings.temperature,
                            generator=generator)

    @contextmanager
    def _sampling_weights(self) -> Iterator[None]:
        """Merged copies of the projections for sampling, where the run's precision asks for them."""
        if not (self.model.merged_sampling and self.model.autocast is not None):
            yield
            return
        with self.model.computing(), sampling_copies(self.policy, self.model.autocast):
            yield

    def trainable_names(self) -> tuple[str, ...]:
        return tuple(n for n, p in self.policy.named_parameters() if p.requires_grad)

    def trainable(self, names: list[str] | None = None) -> list[torch.nn.Parameter]:
        """Trainable parameters, all of them or those named in ``names``."""
        params = {n: p for n, p in self.policy.named_parameters() if p.requires_grad}
        if names is None:
            return list(params.values())
        unknown = [n for n in names if n not in params]
        if unknown or not names:
            raise UsageError(f"not trainable parameters of this model: {unknown[:3] or 'an empty selection'}")
        return [params[n] for n in names]

    def passes(self, gen: Generation) -> PaddedPasses | SharedPromptPasses:
        """How the update's forward passes cover ``gen``: micro-batches of at most micro_batch_tokens tokens."""
        if self.settings.shared_prompts:
            return passes_for(self.policy, gen, self.micro_batch_tokens)
        return PaddedPasses(gen, self.micro_batch_tokens)

    def micro_batches(self, gen: Generation) -> list[Any]:
        return self.passes(gen).parts

    def batch_size(self, gen: Generation) -> tuple[int, int]:
        """Rows and generated tokens of the whole batch, every rank's share included (the loss normalisers)."""
        rows, tokens = self.ranks.sum_numbers([gen.sequences.shape[0], gen.generated_tokens])
        return int(rows), int(tokens)

    @torch.no_grad()
    def _logprobs(self, model: torch.nn.Module, passes: PaddedPasses | SharedPromptPasses) -> list[torch.Tensor]:
        session = passes.begin(model, grad=False)
        return [session.logprobs(part) for part in passes.parts]

    def objective_gradients(self, gen: Generation, advantages: torch.Tensor, parameter_names: list[str] | None = None,
                            with_kl: bool = False, clip_norm: float = 0.0) -> torch.Tensor:
        """Policy gradient of the surrogate for each advantage column, shape (K, D), D = chosen parameters.

        Gradients are taken at the current policy (ratio 1, where clipping is inactive), so without the KL term
        they are linear in the advantages: sum_k w_k g_k equals the gradient of the loss with advantages
        sum_k w_k A_k. ``with_kl`` adds the KL penalty's gradient to every g_k (the per-objective loss of the
        update); ``clip_norm`` > 0 scales each g_k as ``clip_grad_norm_`` would scale the whole model's gradient
        (its norm over every trainable parameter, not only the chosen ones) before the chosen part is returned.
        """
        self.policy.train()
        every = self.trainable()
        chosen = every if parameter_names is None else self.trainable(parameter_names)
        params = every if clip_norm > 0 else chosen
        passes = self.passes(gen)
        ref_logp = self._logprobs(self.reference, passes) if with_kl and self.reference is not None else None
        (rows, tokens), k_count = self.batch_size(gen), advantages.shape[1]
        how = self.settings.loss_aggregation
        session = passes.begin(self.policy, grad=True)
        targets = params + session.leaves
        totals: list[list[torch.Tensor | None]] = [[None] * len(targets) for _ in range(k_count)]
        for i, part in enumerate(passes.parts):
            mask = passes.mask(part)
            logp = session.logprobs(part)
            ratio = torch.exp(logp - logp.detach())
            kl = aggregate_part(kl_k3(logp, ref_logp[i]), mask, how, rows, tokens) if ref_logp is not None else None
            for k in range(k_count):
                loss_k = aggregate_part(-ratio * advantages[part, k].to(logp.dtype).unsqueeze(1), mask, how, rows,
                                        tokens)
                if kl is not None:
                    loss_k = loss_k + self.settings.kl_coef * kl
                grads = torch.autograd.grad(loss_k, targets, retain_graph=True, allow_unused=True)
                totals[k] = [g if t is None else t if g is None else t + g for t, g in zip(totals[k], grads)]
        flat = torch.zeros(k_count, sum(p.numel() for p in params), dtype=torch.float32, device=self.device)
        for k in range(k_count):
            through_prompt = session.prompt_gradients(totals[k][len(params):], params, retain=k + 1 < k_count)
            parts = []
            for p, g, extra in zip(params, totals[k][: len(params)], through_prompt):
                total = torch.zeros_like(p) if g is None else g
                parts.append((total if extra is None else total + extra).reshape(-1).float())
            flat[k] = torch.cat(parts)
        grads = self.ranks.sum_(flat)
        if clip_norm <= 0:
            return grads
        # clip_grad_norm_'s rule: scale by clip / (norm + 1e-6) when that is below 1
        grads = grads * (clip_norm / (grads.norm(dim=1, keepdim=True) + 1e-6)).clamp(max=1.0)
        if chosen is every:
            return grads
        keep = {id(p) for p in chosen}
        offsets, start = [], 0
        for p in every:
            if id(p) in keep:
                offsets.append((start, start + p.numel()))
            start += p.numel()
        return torch.cat([grads[:, a:b] for a, b in offsets], dim=1)

    def update(self, gen: Generation, advantages: torch.Tensor) -> dict[str, float]:
        """ppo_epochs clipped-surrogate steps with a KL penalty to the initial policy, micro-batched."""
        s = self.settings
        self.policy.train()
        passes = self.passes(gen)
        rows, tokens = self.batch_size(gen)
        ref_logp = self._logprobs(self.reference, passes) if self.reference is not None else None
        old_logp = self._logprobs(self.policy, passes) if s.ppo_epochs > 1 else None
        stats: dict[str, float] = {}
        for _ in range(s.ppo_epochs):
            self.optimizer.zero_grad(set_to_none=True)
            sums = {"loss": 0.0, "policy_loss": 0.0, "kl": 0.0, "clip_fraction": 0.0}
            session = passes.begin(self.policy, grad=True)
            for i, part in enumerate(passes.parts):
                mask = passes.mask(part)
                logp = session.logprobs(part)
                base = old_logp[i] if old_logp is not None else logp.detach()
                per_token, clipped = surrogate(logp, base, advantages[part], s.clip_eps or None)
                policy_loss = aggregate_part(per_token, mask, s.loss_aggregation, rows, tokens)
                kl = aggregate_part(kl_k3(logp, ref_logp[i]), mask, s.loss_aggregation, rows, tokens) \
                    if ref_logp is not None else torch.zeros((), dtype=logp.dtype)
                loss = policy_loss + s.kl_coef * kl
                loss.backward()
                sums["loss"] += float(loss.detach())
                sums["policy_loss"] += float(policy_loss.detach())
                sums["kl"] += float(kl.detach())
                sums["clip_fraction"] += float(aggregate_part(clipped.to(logp.dtype), mask, "token-mean", rows,
                                                              tokens))
            session.finish()
            self.ranks.sum_gradients(self.trainable())
            grad_norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), s.grad_clip or float("inf"))
            self.optimizer.step()
            stats = {**dict(zip(sums, self.ranks.sum_numbers(list(sums.values())))), "grad_norm": float(grad_norm)}
        return {k: stats[k] for k in ("loss", "policy_loss", "kl", "grad_norm", "clip_fraction")}

    def state_tensors(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any]]:
        """(policy weights, optimizer tensors, optimizer scalars) for a checkpoint."""
        weights = {n: p.detach().clone().contiguous() for n, p in self.policy.state_dict().items()}
        opt_tensors, opt_meta = flatten_optimizer(self.optimizer)
        return weights, opt_tensors, opt_meta

    def load_state_tensors(self, weights: dict[str, torch.Tensor], opt_tensors: dict[str, torch.Tensor],
                           opt_meta: dict[str, Any]) -> None:
        self.policy.load_state_dict(weights)
        self.optimizer.load_state_dict(unflatten_optimizer(opt_tensors, opt_meta))
