"""LoRA experts on a frozen base, mixed per layer by coefficients that a preference network computes.

peft can merge adapters with fixed weights (``add_weighted_adapter``) or route whole rows to one adapter, but
not mix several adapters with coefficients that are differentiable in another network and differ per row.
This module does that in a few lines: every linear layer inside a transformer block gets one LoRA pair
(A_e, B_e) per expert, and its output is

    y = W x + (lora_alpha / rank) * sum_e alpha[row, block, e] * B_e A_e x

with alpha = w + phi(w) for the row's preference w. phi's last layer starts at zero, so the untrained mix is
exactly w: the expert deltas interpolated linearly, i.e. Rewarded Soups.
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch
from torch import nn

from morlbench.errors import UsageError

BLOCK_PATTERN = re.compile(r"(?:^|\.)(?:layers|h|blocks)\.(\d+)\.")
ATTACHED_AS = "morlbench_experts"


class MixState:
    """What the layers read during a forward: the mixing coefficients (rows or 1, blocks, experts)."""

    alpha: torch.Tensor | None = None


class MultiLoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, experts: int, rank: int, lora_alpha: float, block: int,
                 state: MixState) -> None:
        super().__init__()
        self.base = base
        self.block = block
        self.scale = lora_alpha / rank
        self._state = state  # a plain object, so it is not registered as a submodule
        dtype, device = base.weight.dtype, base.weight.device
        self.lora_a = nn.ParameterList()
        self.lora_b = nn.ParameterList()
        for _ in range(experts):
            a = torch.empty(rank, base.in_features, dtype=dtype, device=device)
            nn.init.kaiming_uniform_(a, a=math.sqrt(5))  # the usual LoRA initialisation: A random, B zero
            self.lora_a.append(nn.Parameter(a))
            self.lora_b.append(nn.Parameter(torch.zeros(base.out_features, rank, dtype=dtype, device=device)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.base(x)
        alpha = self._state.alpha
        if alpha is None:
            return out
        mix = alpha[:, self.block, :].to(x.dtype)  # (rows or 1, experts)
        for e, (a, b) in enumerate(zip(self.lora_a, self.lora_b)):
            coefficient = mix[:, e]
            # Experts with a zero coefficient that no gradient needs are skipped: one expert trains at a time.
            if not coefficient.requires_grad and not a.requires_grad and not bool(coefficient.any()):
                continue
            delta = (x @ a.T) @ b.T
            out = out + self.scale * coefficient.view(-1, *([1] * (x.dim() - 1))) * delta
        return out


class PreferenceMixer(nn.Module):
    """phi: preference w (K,) -> per-block mixing coefficients over the experts, alpha = w + phi(w)."""

    def __init__(self, objectives: int, blocks: int, hidden: int) -> None:
        super().__init__()
        self.blocks, self.experts = blocks, objectives
        self.net = nn.Sequential(nn.Linear(objectives, hidden), nn.Tanh(), nn.Linear(hidden, blocks * objectives))
        nn.init.zeros_(self.net[2].weight)
        nn.init.zeros_(self.net[2].bias)

    def forward(self, preferences: torch.Tensor) -> torch.Tensor:
        rows = preferences.shape[0]
        residual = self.net(preferences).view(rows, self.blocks, self.experts)
        return preferences.unsqueeze(1) + residual


class MixedExperts(nn.Module):
    """The experts' layers and the mixer, attached to a policy; ``set_preferences`` chooses the mix."""

    def __init__(self, policy: nn.Module, objectives: int, rank: int, lora_alpha: float, mixer_hidden: int) -> None:
        super().__init__()
        self.state = MixState()
        self.layers: list[MultiLoRALinear] = []
        targets = [(name, module) for name, module in policy.named_modules()
                   if isinstance(module, nn.Linear) and BLOCK_PATTERN.search(name)]
        if not targets:
            raise UsageError("meta-policy: the model has no linear layers inside numbered transformer blocks "
                             "(model.layers.N / h.N / blocks.N) to put LoRA experts on")
        blocks = sorted({int(BLOCK_PATTERN.search(name).group(1)) for name, _ in targets})
        index = {b: i for i, b in enumerate(blocks)}
        for param in policy.parameters():
            param.requires_grad_(False)
        for name, module in targets:
            parent_name, _, child = name.rpartition(".")
            layer = MultiLoRALinear(module, objectives, rank, lora_alpha,
                                    index[int(BLOCK_PATTERN.search(name).group(1))], self.state)
            setattr(policy.get_submodule(parent_name), child, layer)
            self.layers.append(layer)
        self.mixer = PreferenceMixer(objectives, len(blocks), mixer_hidden)
        self.preferences: torch.Tensor | None = None
        self._rows: torch.Tensor | None = None  # the rows still decoding, while generate drops ended ones
        policy.add_module(ATTACHED_AS, self)  # its weights travel in the policy's state dict and checkpoints
        policy.register_forward_pre_hook(self._refresh)

    def _refresh(self, module: nn.Module, args: tuple) -> None:
        """Recompute alpha at every forward, so that each loss forward has its own graph through the mixer."""
        preferences = self.preferences
        if preferences is not None and self._rows is not None and preferences.shape[0] > 1:
            preferences = preferences[self._rows.to(preferences.device)]
        self.state.alpha = None if preferences is None else self.mixer(preferences)

    def select_rows(self, rows: torch.Tensor | None) -> None:
        """Follow generate's batch as ended rows leave it (original row indices), or all rows again (None)."""
        self._rows = rows

    def set_preferences(self, preferences) -> None:
        """One preference for every row (rows, K), one for all rows (1, K), or None for the bare base
        (numpy arrays or tensors)."""
        device = next(self.mixer.parameters()).device
        if preferences is None:
            self.preferences = None
        elif isinstance(preferences, torch.Tensor):
            self.preferences = preferences.detach().to(device=device, dtype=torch.float32)
        else:  # a copy: the preference grids are read-only arrays
            self.preferences = torch.as_tensor(np.array(preferences, dtype=np.float64), dtype=torch.float32,
                                               device=device)

    def mean_residual(self, grid) -> float:
        """Mean |phi(w)| over the preferences ``grid``: how far the learned mix has moved from soups."""
        with torch.no_grad():
            w = torch.as_tensor(np.asarray(grid, dtype=np.float32), device=next(self.mixer.parameters()).device)
            return float((self.mixer(w) - w.unsqueeze(1)).abs().mean())

    def expert_parameters(self, expert: int) -> list[nn.Parameter]:
        return [p for layer in self.layers for p in (layer.lora_a[expert], layer.lora_b[expert])]

    def train_only(self, expert: int | None) -> None:
        """Make one expert trainable (and nothing else), or the mixer alone when ``expert`` is None."""
        for e in range(self.mixer.experts):
            for param in self.expert_parameters(e):
                param.requires_grad_(e == expert)
        for param in self.mixer.parameters():
            param.requires_grad_(expert is None)


def attached_experts(policy: nn.Module) -> MixedExperts | None:
    return getattr(policy, ATTACHED_AS, None)
