"""Where a decoding step's time goes: one step of the lean decoder on the embedded model, 64 rows (8 prompts x 8
rollouts, sharing their prompt's keys and values) at a cache of about 100 positions, profiled in place, beside the
same per-row matrix products on small tensors that stay in cache.
`python benchmarks/decode_profile.py` (docs/performance.md)."""
import time

import torch
from torch.profiler import ProfilerActivity, profile

from morlbench.engine.llama import LeanLlama
from morlbench.engine.sampling import left_pad, positions_from_mask
from morlbench.models.tiny_arith import TinyArith
from morlbench.tasks.arith import ArithTask

ROWS_PER_PROMPT, PROMPTS, STEPS_BEFORE = 8, 8, 30


def per_call_us(fn, repeats: int = 200) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1e6


@torch.no_grad()
def main() -> None:
    torch.set_num_threads(1)
    model = TinyArith().load(torch.device("cpu"), torch.float32)
    problems = ArithTask().split("train")[:PROMPTS]
    ids, mask = left_pad([model.encode_prompt(p.prompt) for p in problems for _ in range(ROWS_PER_PROMPT)],
                         model.pad_token_id, torch.device("cpu"))
    lean = LeanLlama(model.policy)
    logits, cache = lean.prefill(ids, mask, positions_from_mask(mask), ids.shape[1] + 96)
    token, position = logits.argmax(-1), mask.sum(dim=1, keepdim=True)
    for _ in range(STEPS_BEFORE):
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        lean.decode(token, position, mask, cache)
        position = position + 1
    length, key_mask = cache.length, torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)

    def step() -> None:
        cache.length = length  # the same step again: same shapes, same memory
        lean.decode(token, position, key_mask, cache)

    print(f"one decoding step, {ids.shape[0]} rows, cache of {length + 1} positions: {per_call_us(step):.0f} us")
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(50):
            step()
    print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=8,
                                                             max_name_column_width=24, max_shapes_column_width=60))
    rows, heads, dim, hidden = ids.shape[0], lean.heads, lean.head_dim, model.policy.config.hidden_size
    own = length + 1 - getattr(cache, "width", 0)  # positions each row reads alone (its prompt's are shared)
    q, keys = torch.randn(rows * heads, 1, dim), torch.randn(rows * heads, own, dim)
    x, w = torch.randn(rows, hidden), torch.randn(4 * hidden, hidden)
    print("the same products on small tensors in cache, per call: "
          f"scores bmm over {own} positions {per_call_us(lambda: torch.bmm(q, keys.transpose(1, 2))):.0f} us, "
          f"{hidden}->{4 * hidden} projection {per_call_us(lambda: torch.nn.functional.linear(x, w)):.0f} us")


if __name__ == "__main__":
    main()
