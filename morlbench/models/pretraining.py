"""The deterministic supervised recipe that builds the embedded tiny-arith checkpoints (``morlbench pretrain``)."""
from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from morlbench.models.base import count_parameters
from morlbench.models.tiny_arith import EOS, PAD, SIGNOFF, PretrainRecipe
from morlbench.tasks.arith import STYLES, ArithProblem, ArithTask, generate_problem, prompt_of, training_stream


def build_tokenizer(recipe: PretrainRecipe) -> PreTrainedTokenizerFast:
    """Byte-level BPE with one token per digit, trained offline on generated problems and solutions."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    rng = random.Random(recipe.seed + 17)
    corpus = []
    for _ in range(4000):
        problem = generate_problem(rng)
        corpus.append(prompt_of(problem) + problem.solution(rng.choice(STYLES)))
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=recipe.vocab_size,
        special_tokens=[PAD, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token=PAD, eos_token=EOS)


def build_model(recipe: PretrainRecipe, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=recipe.hidden_size,
        intermediate_size=recipe.mlp_size,
        num_hidden_layers=recipe.layers,
        num_attention_heads=recipe.heads,
        num_key_value_heads=recipe.heads,
        max_position_embeddings=recipe.max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(recipe.seed)
    return LlamaForCausalLM(config)


def _batches(recipe: PretrainRecipe, tokenizer, held_out: frozenset[str]) -> Iterator[list[tuple[list[int], int]]]:
    """Batches of (token ids, prompt length), bucketed by length, from a fresh seeded problem stream."""

    def encode(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    return solution_batches(recipe, encode, encode, tokenizer.eos_token_id, held_out)


def solution_batches(recipe: Any, encode_prompt: Callable[[str], list[int]], encode: Callable[[str], list[int]],
                     eos: int, held_out: frozenset[str]) -> Iterator[list[tuple[list[int], int]]]:
    """Batches of (prompt ids + solution ids + EOS, prompt length), bucketed by length, from a fresh seeded stream
    of training problems, each solved in a style drawn from ``recipe.style_mix`` (numbered, inline, direct);
    ``recipe`` gives seed, batch_size, bucket_batches, style_mix and signoff_rate."""
    problems = training_stream(recipe.seed, held_out)
    rng = random.Random(recipe.seed + 1)
    signoff_rng = random.Random(recipe.seed + 2)  # apart, so the problem and style streams stay the same
    while True:
        pool = []
        for _ in range(recipe.batch_size * recipe.bucket_batches):
            problem: ArithProblem = next(problems)
            style = rng.choices(STYLES, weights=recipe.style_mix)[0]
            prompt_ids = encode_prompt(prompt_of(problem))
            solution = problem.solution(style)
            if recipe.signoff_rate and signoff_rng.random() < recipe.signoff_rate:
                solution += SIGNOFF
            solution_ids = encode(solution)
            pool.append((prompt_ids + solution_ids + [eos], len(prompt_ids)))
        pool.sort(key=lambda item: len(item[0]))
        chunks = [pool[i : i + recipe.batch_size] for i in range(0, len(pool), recipe.batch_size)]
        rng.shuffle(chunks)
        yield from chunks


def collate(batch: list[tuple[list[int], int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    for row, (ids, prompt_len) in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention[row, : len(ids)] = 1
        labels[row, prompt_len : len(ids)] = torch.tensor(ids[prompt_len:])  # loss on the solution only
    return input_ids, attention, labels


def lr_factor(step: int, recipe: PretrainRecipe) -> float:
    if step < recipe.warmup_steps:
        return (step + 1) / recipe.warmup_steps
    progress = (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps)
    return recipe.min_lr_ratio + (1 - recipe.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def pretrain(recipe: PretrainRecipe, out_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Train tiny-arith from scratch and save it to ``out_dir``; returns the build record."""
    torch.set_num_threads(recipe.threads)
    started = time.perf_counter()
    tokenizer = build_tokenizer(recipe)
    model = build_model(recipe, tokenizer)
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=recipe.lr,
        betas=recipe.betas,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, recipe))
    held_out = ArithTask().held_out_texts()
    batches = _batches(recipe, tokenizer, held_out)
    losses: list[float] = []
    tokens_seen = 0
    bar = tqdm(range(recipe.steps), desc="pretraining", disable=not progress, unit="step")
    for _ in bar:
        input_ids, attention, labels = collate(next(batches), tokenizer.pad_token_id)
        loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        tokens_seen += int(attention.sum())
        losses.append(float(loss.detach()))
        if len(losses) % 50 == 0:
            bar.set_postfix(loss=f"{sum(losses[-50:]) / 50:.3f}")
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    record = {
        "recipe": asdict(recipe),
        "parameters": count_parameters(model),
        "tokens_seen": tokens_seen,
        "build_seconds": round(seconds, 1),
        "final_loss": round(sum(losses[-100:]) / min(100, len(losses)), 4),
        "torch": torch.__version__,
    }
    (out_dir / "build.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
