"""The RL engine: sampling, the policy update, and exact per-objective policy gradients."""
from __future__ import annotations

import copy
from typing import Any

import torch

from morlbench.engine.checkpoint import flatten_optimizer, unflatten_optimizer
from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.engine.losses import aggregate_part, completion_logprobs, kl_k3, surrogate
from morlbench.engine.sampling import Generation, generate
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
        self.set_parameter_groups([{"params": [p for p in self.policy.parameters() if p.requires_grad]}])
        if settings.gradient_checkpointing:
            self.policy.gradient_checkpointing_enable()
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
        return generate(self.policy, prompts, max_new_tokens=max_new_tokens, eos_id=self.model.eos_token_id,
                        pad_id=self.model.pad_token_id, temperature=self.settings.temperature,
                        generator=generator)

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

    def micro_batches(self, gen: Generation) -> list[slice]:
        n, width = gen.sequences.shape
        rows = max(1, self.micro_batch_tokens // width)
        return [slice(i, min(i + rows, n)) for i in range(0, n, rows)]

    def batch_size(self, gen: Generation) -> tuple[int, int]:
        """Rows and generated tokens of the whole batch, every rank's share included (the loss normalisers)."""
        rows, tokens = self.ranks.sum_numbers([gen.sequences.shape[0], gen.generated_tokens])
        return int(rows), int(tokens)

    def _logprobs(self, model: torch.nn.Module, gen: Generation, parts: list[slice]) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([completion_logprobs(model, gen.rows(part)) for part in parts])

    def objective_gradients(self, gen: Generation, advantages: torch.Tensor,
                            parameter_names: list[str] | None = None) -> torch.Tensor:
        """Policy gradient of the surrogate for each advantage column, shape (K, D), D = chosen parameters.

        Gradients are taken at the current policy (ratio 1, where clipping is inactive), so they are linear
        in the advantages: sum_k w_k g_k equals the gradient of the loss with advantages sum_k w_k A_k.
        """
        self.policy.train()
        params = self.trainable(parameter_names)
        (rows, tokens), k_count = self.batch_size(gen), advantages.shape[1]
        grads = torch.zeros(k_count, sum(p.numel() for p in params), dtype=torch.float32, device=self.device)
        for part in self.micro_batches(gen):
            sub = gen.rows(part)
            logp = completion_logprobs(self.policy, sub)
            ratio = torch.exp(logp - logp.detach())
            for k in range(k_count):
                loss_k = aggregate_part(-ratio * advantages[part, k].to(logp.dtype).unsqueeze(1), sub.completion_mask,
                                        self.settings.loss_aggregation, rows, tokens)
                flat = torch.autograd.grad(loss_k, params, retain_graph=k + 1 < k_count, allow_unused=True)
                grads[k] += torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1).float()
                                       for g, p in zip(flat, params)])
        return self.ranks.sum_(grads)

    def update(self, gen: Generation, advantages: torch.Tensor) -> dict[str, float]:
        """ppo_epochs clipped-surrogate steps with a KL penalty to the initial policy, micro-batched."""
        s = self.settings
        self.policy.train()
        parts = self.micro_batches(gen)
        rows, tokens = self.batch_size(gen)
        ref_logp = self._logprobs(self.reference, gen, parts) if self.reference is not None else None
        old_logp = self._logprobs(self.policy, gen, parts) if s.ppo_epochs > 1 else None
        stats: dict[str, float] = {}
        for _ in range(s.ppo_epochs):
            self.optimizer.zero_grad(set_to_none=True)
            sums = {"loss": 0.0, "policy_loss": 0.0, "kl": 0.0, "clip_fraction": 0.0}
            for part in parts:
                sub = gen.rows(part)
                logp = completion_logprobs(self.policy, sub)
                base = old_logp[part] if old_logp is not None else logp.detach()
                per_token, clipped = surrogate(logp, base, advantages[part], s.clip_eps or None)
                policy_loss = aggregate_part(per_token, sub.completion_mask, s.loss_aggregation, rows, tokens)
                kl = aggregate_part(kl_k3(logp, ref_logp[part]), sub.completion_mask, s.loss_aggregation, rows,
                                    tokens) \
                    if ref_logp is not None else torch.zeros((), dtype=logp.dtype)
                loss = policy_loss + s.kl_coef * kl
                loss.backward()
                sums["loss"] += float(loss.detach())
                sums["policy_loss"] += float(policy_loss.detach())
                sums["kl"] += float(kl.detach())
                sums["clip_fraction"] += float(aggregate_part(clipped.to(logp.dtype), sub.completion_mask,
                                                              "token-mean", rows, tokens))
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
