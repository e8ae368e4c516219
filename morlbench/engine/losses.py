"""Token log-probabilities, the clipped surrogate, the low-variance KL estimate, and loss aggregation."""
from __future__ import annotations

import torch
from transformers import PreTrainedModel

from morlbench.engine.sampling import Generation
from morlbench.spec import AGGREGATIONS


def completion_logprobs(model: PreTrainedModel, gen: Generation) -> torch.Tensor:
    """log pi(token | prefix) for every completion position, shape (N, C)."""
    width = gen.completion_ids.shape[1]
    # Completions are the last C columns and the logit at position i predicts token i + 1, so only the
    # last C + 1 positions need the vocabulary projection.
    logits = model(input_ids=gen.sequences, attention_mask=gen.attention_mask, position_ids=gen.position_ids,
                   use_cache=False, logits_to_keep=width + 1).logits
    return token_logprobs(logits[:, :-1, :], gen.completion_ids)


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[token] at every position, (rows, width), computed in float32. Low-precision logits
    (bfloat16 autocast) take ``GatheredLogprob``: no float32 copy of the whole vocabulary is kept."""
    if logits.dtype in (torch.bfloat16, torch.float16):
        return GatheredLogprob.apply(logits, tokens)
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


class GatheredLogprob(torch.autograd.Function):
    """The token's logit minus the float32 log-normaliser, taken ``POSITIONS`` positions of one row at a time;
    backward recomputes the softmax from the saved low-precision logits, as many at a time. With a 49k-token
    vocabulary (SmolLM2) a float32 log-softmax kept for backward is 4 bytes per vocabulary entry per token, twice the
    bfloat16 logits themselves; here the float32 work lives only in one slice. Logits are (rows, width, vocabulary);
    one row's positions are contiguous even where the rows are not (``logits[:, :-1]``), so no slice copies them."""

    POSITIONS = 256

    @staticmethod
    def slices(rows: int, width: int) -> list[tuple[int, slice]]:
        step = GatheredLogprob.POSITIONS
        return [(row, slice(start, start + step)) for row in range(rows) for start in range(0, width, step)]

    @staticmethod
    def forward(ctx, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        norm = torch.empty(tokens.shape, dtype=torch.float32, device=logits.device)
        for row, at in GatheredLogprob.slices(*tokens.shape):
            norm[row, at] = torch.logsumexp(logits[row, at].float(), dim=-1)
        picked = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1).float()
        ctx.save_for_backward(logits, tokens, norm)
        return picked - norm

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        logits, tokens, norm = ctx.saved_tensors
        out, grad = torch.empty(logits.shape, dtype=logits.dtype, device=logits.device), grad.float()
        for row, at in GatheredLogprob.slices(*tokens.shape):
            g = grad[row, at].unsqueeze(-1)
            d = torch.exp(logits[row, at].float() - norm[row, at].unsqueeze(-1)).mul_(-g)  # d/dlogit of the logsumexp
            out[row, at] = d.scatter_add_(-1, tokens[row, at].unsqueeze(-1), g)  # plus d/dlogit[token] of the logit
        return out, None


def aggregate(values: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """Mean of per-token ``values`` over the batch: over all tokens, or per sequence then over sequences."""
    return aggregate_part(values, mask, how, rows=mask.shape[0], tokens=int(mask.sum()))


def aggregate_part(values: torch.Tensor, mask: torch.Tensor, how: str, rows: int, tokens: int) -> torch.Tensor:
    """This micro-batch's share of the batch mean, for a batch of ``rows`` sequences and ``tokens`` tokens:
    the shares of all micro-batches sum to ``aggregate`` over the whole batch (gradient accumulation is exact)."""
    mask = mask.to(values.dtype)
    if how == "token-mean":
        return (values * mask).sum() / max(tokens, 1)
    if how == "sequence-mean":
        return ((values * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)).sum() / max(rows, 1)
    raise ValueError(f"unknown loss aggregation {how!r}; accepted: {', '.join(AGGREGATIONS)}")


def surrogate(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, clip_eps: float | None
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token PPO objective to minimise, and where clipping was active. ``clip_eps=None`` disables it."""
    ratio = torch.exp(logp - old_logp)
    adv = advantages.to(logp.dtype).unsqueeze(1)
    unclipped = ratio * adv
    if clip_eps is None:
        return -unclipped, torch.zeros_like(unclipped, dtype=torch.bool)
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * adv
    return -torch.min(unclipped, clipped), clipped < unclipped


def kl_k3(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Low-variance unbiased estimate of KL(pi || pi_ref) per token (Schulman's k3)."""
    delta = ref_logp - logp
    return torch.exp(delta) - delta - 1
