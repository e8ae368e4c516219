"""A supervised warm start of SmolLM2-135M-Instruct on the arith task's three answer styles
(``morlbench pretrain --model smollm2-135m``), so that the real model starts RL with signal on every objective.

Out of the box SmolLM2 solves none of the arith problems (it writes "63 + 36 = 100" and no box). The recipe trains
LoRA adapters on seeded problems of the task's training stream (the evaluation splits' problems are held out),
each solved in a style drawn from the mix (numbered steps, inline, boxed answer only), with the loss on the
solution only, under the run precision SmolLM2 gets here (bfloat16 autocast where the CPU has bfloat16 units),
then stores the adapters (bfloat16) and merges them in a fixed order into float32 weights (morlbench.models.adapters). A
build is deterministic for a given machine class only, so the registered model ``smollm2-135m-arith`` is the
reference build: its adapters and card ship in the package, and every machine merges them into the same bits,
once, under ``$MORLBENCH_CACHE/smollm2-135m-arith-<digest>``. docs/models/smollm2-135m-arith.md records its cost
and card.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from morlbench.errors import UsageError
from morlbench.models.base import LoadedModel, ModelSource

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class WarmStartRecipe:
    seed: int = 0
    steps: int = 120
    batch_size: int = 16
    lr: float = 1e-3  # LoRA adapters take a larger step than full weights
    warmup_steps: int = 10
    min_lr_ratio: float = 0.1
    lora_rank: int = 32
    bucket_batches: int = 8  # a pool of this many batches is sorted by length, then cut into batches
    style_mix: tuple[float, float, float] = (0.5, 0.25, 0.25)  # numbered, inline, direct
    signoff_rate: float = 0.0
    threads: int = 1


SHIPPED = Path(__file__).parent / "checkpoints" / "smollm2-135m-arith"  # the reference build's adapters and card
ADAPTERS_FILE = "adapters.safetensors"
# In a build's directory the adapters sit one level down: the checkpoint digest covers the top level's weights only
BUILT_ADAPTERS = Path("adapters") / ADAPTERS_FILE


def cache_dir() -> Path:
    """Where the registered model is merged once: keyed by the shipped adapters and the base GGUF."""
    from morlbench.models.hf import cache_root, smollm2_gguf
    from morlbench.results.atomic import file_sha256

    key = json.dumps({"adapters": file_sha256(SHIPPED / ADAPTERS_FILE), "base": file_sha256(smollm2_gguf())})
    return cache_root() / f"smollm2-135m-arith-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def shipped_card() -> dict[str, Any]:
    return json.loads((SHIPPED / "card.json").read_text())


def materialise(directory: Path) -> None:
    """The registered model: the shipped adapters merged into SmolLM2's float32 weights, saved once."""
    import torch

    from morlbench.models.adapters import load_adapters, merge_into
    from morlbench.models.hf import SmolLM2

    model = SmolLM2().load(torch.device("cpu"), torch.float32)
    merge_into(model.policy, *load_adapters(SHIPPED / ADAPTERS_FILE))
    card = shipped_card()
    save(model, directory, {"from": "the shipped adapters (morlbench/models/checkpoints/smollm2-135m-arith)",
                            "adapters_sha256": card["adapters_sha256"], "base_sha256": model.info["checkpoint_sha256"]},
         replace=False)


def warm_start(recipe: WarmStartRecipe, out_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Train, merge and save the warm start to ``out_dir`` (written to a temporary name, then renamed); returns
    the build record (also in ``out_dir/build.json``)."""
    import torch
    from tqdm import tqdm

    from morlbench.engine.precision import load_at, pick_precision
    from morlbench.models.adapters import adapter_state, merge_into
    from morlbench.models.hf import SmolLM2
    from morlbench.models.lora import apply_lora, unwrap_lora
    from morlbench.models.pretraining import collate, lr_factor, solution_batches
    from morlbench.tasks.arith import ArithTask

    torch.set_num_threads(recipe.threads)
    started = time.perf_counter()
    precision = pick_precision("auto", "cpu", SmolLM2.cpu_autocast)
    model = load_at(SmolLM2(), "cpu", precision)
    torch.manual_seed(recipe.seed)
    trainable = apply_lora(model.policy, recipe.lora_rank)  # the base stays float32: the adapters merge into it
    optimizer = torch.optim.AdamW(trainable, lr=recipe.lr, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, recipe))
    tokenizer = model.tokenizer

    def encode(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    batches = solution_batches(recipe, model.encode_prompt, encode, model.eos_token_id,
                               ArithTask().held_out_texts())
    losses, tokens_seen = [], 0
    model.policy.train()
    bar = tqdm(range(recipe.steps), desc="warm start", disable=not progress, unit="step")
    with model.computing():
        for _ in bar:
            input_ids, attention, labels = collate(next(batches), model.pad_token_id)
            loss = model.policy(input_ids=input_ids, attention_mask=attention, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            tokens_seen += int(attention.sum())
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")
    adapters, scaling = adapter_state(model.policy)
    unwrap_lora(model.policy)  # a plain model of the untouched base, into which what is stored is merged
    merge_into(model.policy, adapters, scaling)
    seconds = time.perf_counter() - started
    record = {"recipe": asdict(recipe), "base": model.info["source"], "base_sha256": model.info["checkpoint_sha256"],
              "precision": precision.name, "tokens_seen": tokens_seen, "build_seconds": round(seconds, 1),
              "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4), "torch": torch.__version__}
    save(model, out_dir, record, (adapters, scaling))
    return record


def save(model: Any, out_dir: Path, record: dict[str, Any], adapters: tuple[dict, float] | None = None,
         replace: bool = True) -> None:
    """The merged model, its tokenizer, ``build.json`` and (from a build) the adapters, under a temporary name that
    is then renamed: no half-written model. ``replace=False``: a model another process finished first in
    ``out_dir`` is kept (two jobs of a sweep may merge the same adapters at once; both get the same bits)."""
    import os
    import shutil

    from morlbench.models.adapters import save_adapters
    from morlbench.results.atomic import file_sha256

    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    try:
        model.policy.save_pretrained(tmp)
        model.tokenizer.save_pretrained(tmp)
        if adapters is not None:
            (tmp / BUILT_ADAPTERS).parent.mkdir()
            save_adapters(tmp / BUILT_ADAPTERS, *adapters)
            record["adapters_sha256"] = file_sha256(tmp / BUILT_ADAPTERS)[:16]
        record.update(conversion_versions())
        (tmp / "build.json").write_text(json.dumps(record, indent=2) + "\n")
        if replace and out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(out_dir)
    except OSError as exc:
        if not replace and (out_dir / "model.safetensors").is_file():
            return  # another process finished the same model first
        raise UsageError(f"cannot write {out_dir} ({exc.strerror or exc}); remove it and run again") from None
    finally:  # nothing half-written stays behind, whoever won
        shutil.rmtree(tmp, ignore_errors=True)


def conversion_versions() -> dict[str, dict[str, str]]:
    """What the merged bits depend on besides the GGUF and the adapters: the de-quantisation and the writer."""
    from importlib.metadata import version

    return {"versions": {name: version(name) for name in ("gguf", "transformers", "safetensors", "numpy")}}


def write_card(directory: Path, record: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """The warm start's card (card.json beside it): greedy objectives on the whole arith report split, the split a
    run's delivered policy is valued on, which is step 0 of every run from it; the styles it answers in."""
    import numpy as np

    from morlbench.engine.precision import load_at, pick_precision
    from morlbench.models.card import style_of
    from morlbench.models.local import LocalDirectory
    from morlbench.run.evaluation import evaluate
    from morlbench.tasks.arith import ArithTask

    started = time.perf_counter()
    precision = pick_precision("auto", "cpu", SmolLM2Arith.cpu_autocast)
    model = load_at(LocalDirectory(directory), "cpu", precision)
    task = ArithTask()
    problems = task.split("report")
    with model.computing():
        greedy = evaluate(model, task, problems, task.max_new_tokens, batch_size=64,
                          on_batch=(lambda done, total: print(f"card: {done}/{total} problems", flush=True))
                          if progress else None)
    card = {**record, "eval": {
        "task_version": task.version, "split": "report", "problems": len(problems), "precision": precision.name,
        "objective_names": list(task.objective_names), "objectives": [round(float(v), 4) for v in greedy.objectives],
        "by_difficulty": {d: [round(v, 4) for v in vec] for d, vec in greedy.by_difficulty.items()},
        "greedy_styles": {s: sum(style_of(x.text) == s for x in greedy.samples) for s in ("numbered", "inline",
                                                                                        "direct")},
        "mean_tokens": round(float(np.mean([x.num_tokens for x in greedy.samples])), 1)},
        "checkpoint_sha256": model.info["checkpoint_sha256"], "card_seconds": round(time.perf_counter() - started, 1)}
    (directory / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


class SmolLM2Arith(ModelSource):
    """``--model smollm2-135m-arith``: the reference build's shipped adapters merged into SmolLM2, from the cache."""

    name = "smollm2-135m-arith"
    description = ("SmolLM2-135M-Instruct warm-started on the arith answer styles (the reference build's LoRA "
                   "adapters, shipped and merged to the same bits on every machine; card: "
                   "docs/models/smollm2-135m-arith.md)")
    cpu_autocast = True
    run_defaults = {"lora_rank": 16}

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        import sys

        from morlbench.models.local import LocalDirectory

        directory = cache_dir()
        if not (directory / "model.safetensors").is_file():
            print(f"morlbench: merging the shipped warm-start adapters into SmolLM2-135M-Instruct, once (under a "
                  f"minute after the GGUF conversion; about 520 MB in {directory})", file=sys.stderr)
            materialise(directory)
        model = LocalDirectory(directory).load(device, dtype)
        expected = shipped_card()["checkpoint_sha256"]
        if model.info["checkpoint_sha256"] != expected:  # another GGUF conversion: its results form their own group
            print(f"morlbench: warning: smollm2-135m-arith merged here to weights {model.info['checkpoint_sha256']}, "
                  f"not the reference build's {expected}; its results will not compare with the committed ones",
                  file=sys.stderr)
        return dataclasses.replace(model, name=self.name, info={**model.info, "source": f"warm start {directory.name}"})

    @staticmethod
    def card() -> dict[str, Any] | None:
        """The reference build's measured card (shipped beside its adapters); refused where the base is missing."""
        from morlbench.models.hf import smollm2_gguf

        smollm2_gguf()
        return shipped_card()
