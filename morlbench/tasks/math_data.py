"""Rows of MATH-style data: loading local parquet or JSONL splits, cutting hub splits reproducibly, and reading a
row's question, answer and difficulty in any of the layouts the tasks accept."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.tasks.objectives import last_boxed

PROMPT_SUFFIX = " Let's think step by step and output the final answer within \\boxed{}."
SPLIT_SEED = 42
SPLITS = ("train", "val", "test")


def difficulty_of(level: Any) -> int:
    text = str(level or "0").replace("Level", "").strip()
    return int(text) if text.isdigit() else 0


def question_of(row: dict[str, Any]) -> str:
    """The problem text without the released prompt suffix (the task adds its own)."""
    if row.get("prompt"):
        text = row["prompt"][-1]["content"]
        return text[: -len(PROMPT_SUFFIX)] if text.endswith(PROMPT_SUFFIX) else text
    return row.get("problem") or row["question"]


def answer_of(row: dict[str, Any]) -> str:
    if row.get("reward_model"):
        return str(row["reward_model"]["ground_truth"])
    if "answer" in row and row["answer"] is not None:
        answer = str(row["answer"])
        return answer.split("####")[-1].strip().replace(",", "") if "####" in answer else answer
    boxed = last_boxed(row.get("solution", ""))
    if boxed is None:
        raise UsageError(f"a row has no answer field and no \\boxed{{}} in its solution: {str(row)[:120]}")
    return boxed


def quiet_datasets() -> None:
    import datasets

    datasets.disable_progress_bars()  # morlbench draws its own progress; per-file bars are noise


def rows_of(dataset) -> list[dict[str, Any]]:
    return [dict(row) for row in dataset]


def load_local(path: Path) -> dict[str, list[dict[str, Any]]]:
    from datasets import load_dataset

    quiet_datasets()
    found = {}
    for split in SPLITS:
        for suffix, builder in ((".parquet", "parquet"), (".jsonl", "json")):
            file = path / f"{split}{suffix}"
            if file.exists():
                found[split] = rows_of(load_dataset(builder, data_files=str(file), split="train"))
                break
    missing = [s for s in SPLITS if s not in found]
    if missing:
        raise UsageError(f"data {path}: missing {', '.join(missing)} (expected train/val/test as .parquet or .jsonl)")
    return found


def seeded_cut(rows: list[dict[str, Any]], sizes: list[int]) -> list[list[dict[str, Any]]]:
    import random

    order = list(range(len(rows)))
    random.Random(SPLIT_SEED).shuffle(order)
    parts, start = [], 0
    for size in sizes:
        parts.append([rows[i] for i in order[start : start + size]])
        start += size
    return parts
