"""Batched generation with a KV cache: left-padded prompts, per-row EOS, explicit position ids."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel


@dataclass
class Generation:
    """Prompts and completions of one batch, laid out for a single training forward pass.

    ``sequences`` is (N, W + C): prompts left-padded to width W, completions right-padded to C.
    ``completion_mask`` (N, C) marks generated tokens the loss sees (EOS included, padding after it not).
    """

    sequences: torch.Tensor
    attention_mask: torch.Tensor
    prompt_width: int
    completion_mask: torch.Tensor
    lengths: list[int]  # generated tokens per row, EOS excluded
    truncated: list[bool]  # True where the row hit max_new_tokens without EOS

    @property
    def completion_ids(self) -> torch.Tensor:
        return self.sequences[:, self.prompt_width :]

    @property
    def position_ids(self) -> torch.Tensor:
        return positions_from_mask(self.attention_mask)

    @property
    def generated_tokens(self) -> int:
        return int(self.completion_mask.sum())

    def rows(self, part: slice) -> "Generation":
        """The rows of a micro-batch (same padded widths)."""
        return Generation(self.sequences[part], self.attention_mask[part], self.prompt_width,
                          self.completion_mask[part], self.lengths[part], self.truncated[part])


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    return (mask.long().cumsum(dim=1) - 1).clamp(min=0)


def left_pad(prompts: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((len(prompts), width), dtype=torch.long, device=device)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long, device=device)
        mask[row, width - len(prompt) :] = 1
    return ids, mask


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    prompts: list[list[int]],
    *,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> Generation:
    """Sample (or greedily decode) one completion per prompt; stops early once every row has ended."""
    device = next(model.parameters()).device
    ids, prompt_mask = left_pad(prompts, pad_id, device)
    width, mask = ids.shape[1], prompt_mask
    cache = DynamicCache()
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions_from_mask(mask),
                past_key_values=cache, use_cache=True)
    logits = out.logits[:, -1, :].float()
    next_position = mask.sum(dim=1, keepdim=True)
    finished = torch.zeros(len(prompts), dtype=torch.bool, device=device)
    tokens, alive = [], []
    for _ in range(max_new_tokens):
        if greedy:
            token = logits.argmax(dim=-1)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        token = torch.where(finished, torch.full_like(token, pad_id), token)
        tokens.append(token)
        alive.append(~finished)
        finished = finished | (token == eos_id)
        if bool(finished.all()):
            break
        mask = torch.cat([mask, alive[-1].long().unsqueeze(1)], dim=1)  # EOS is attended, padding after it not
        out = model(input_ids=token.unsqueeze(1), attention_mask=mask, position_ids=next_position,
                    past_key_values=out.past_key_values, use_cache=True)
        logits = out.logits[:, -1, :].float()
        next_position = next_position + 1
    completion = torch.stack(tokens, dim=1)
    completion_mask = torch.stack(alive, dim=1).long()
    sequences = torch.cat([ids, completion], dim=1)
    attention = torch.cat([prompt_mask, completion_mask], dim=1)
    ended = (completion == eos_id) & completion_mask.bool()
    lengths = [int(row.sum()) - int(e.any()) for row, e in zip(completion_mask, ended)]
    truncated = [not bool(e.any()) for e in ended]
    return Generation(sequences, attention, width, completion_mask, lengths, truncated)

