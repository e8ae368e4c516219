"""Prefilling one evaluation batch (128 report problems of the embedded task) in one pass through the layers, and
in passes of about N prompt positions (``morlbench.engine.llama.PREFILL_POSITIONS``): time per prefill, best of
five, and whether the logits and cache are the same bits. `python benchmarks/prefill_passes.py`
(docs/performance.md)."""
import torch
from floor import best_seconds

from morlbench.engine import llama
from morlbench.engine.sampling import left_pad, positions_from_mask
from morlbench.models.tiny_arith import TinyArith
from morlbench.tasks.arith import ArithTask

BATCH, BUDGETS, REPEATS = 128, (None, 512, 1024, 2048), 5


def prefill(lean: llama.LeanLlama, ids: torch.Tensor, mask: torch.Tensor) -> tuple[float, list[torch.Tensor]]:
    """Best time of REPEATS prefills, and the logits and filled cache positions of one more."""
    def once():
        return lean.prefill(ids, mask, positions_from_mask(mask), ids.shape[1] + 96)

    seconds = best_seconds(once, REPEATS)
    logits, cache = once()
    return seconds, [logits, *cache.filled()]


@torch.no_grad()
def main() -> None:
    torch.set_num_threads(1)
    model = TinyArith().load(torch.device("cpu"), torch.float32)
    prompts = [model.encode_prompt(p.prompt) for p in ArithTask().split("report")[:BATCH]]
    ids, mask = left_pad(prompts, model.pad_token_id, torch.device("cpu"))
    lean, default = llama.LeanLlama(model.policy), llama.PREFILL_POSITIONS
    print(f"{BATCH} prompts of {int(mask.sum())} tokens, padded to {ids.shape[1]} positions each")
    reference = None
    for budget in BUDGETS:
        llama.PREFILL_POSITIONS = budget or 10**9
        seconds, states = prefill(lean, ids, mask)
        reference = reference or states
        same = all(torch.equal(a, b) for a, b in zip(reference, states))
        rows = BATCH if budget is None else max(1, budget // ids.shape[1])
        name = "one pass" if budget is None else f"{budget} positions ({rows} prompts) per pass"
        print(f"{name:>36}: {seconds * 1e3:6.0f} ms, {'same bits as one pass' if same else 'DIFFERENT from one pass'}")
    llama.PREFILL_POSITIONS = default


if __name__ == "__main__":
    main()
