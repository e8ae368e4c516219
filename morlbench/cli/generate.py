"""``morlbench generate``: completions of a trained run, for a preference if it serves any, or of the task's own
problems with their scores."""
from __future__ import annotations

import argparse

from morlbench.errors import UsageError


def set_threads(threads: int) -> None:
    """torch's CPU threads, set as ``run`` sets them (one SmolLM2 completion: 36 s on 1 thread, 9 min on all of a
    shared machine's)."""
    import torch

    if threads < 1:
        raise UsageError(f"--threads {threads}: must be at least 1")
    torch.set_num_threads(threads)


def cmd_generate(args: argparse.Namespace) -> int:
    from morlbench.serving import load_run

    set_threads(args.threads)
    if args.split is not None:
        return generate_on_split(args)
    questions = list(args.prompt or [])
    if args.prompts_file is not None:
        if not args.prompts_file.is_file():
            raise UsageError(f"--prompts-file {args.prompts_file}: no such file")
        questions += [line for line in args.prompts_file.read_text().splitlines() if line.strip()]
    if not questions:
        raise UsageError("no prompts: pass --prompt TEXT (repeatable), --prompts-file FILE (one per line) or "
                         "--split NAME to draw the task's own problems")
    if args.temperature < 0:
        raise UsageError(f"--temperature {args.temperature} must be >= 0 (0 is greedy)")
    served = load_run(args.run, args.preference, args.device)
    completions = served.complete(questions, args.max_new_tokens, args.temperature, args.seed)
    for question, completion in zip(questions, completions):
        print(f"### {question}\n{completion}\n")
    return 0


def generate_on_split(args: argparse.Namespace) -> int:
    """``generate --split S --n N``: N problems drawn (seeded) from a split, each completion with its scores."""
    import random

    from morlbench.serving import load_run

    if args.prompt or args.prompts_file:
        raise UsageError("--split draws the task's problems: give it without --prompt or --prompts-file")
    if args.n < 1:
        raise UsageError(f"--n {args.n}: must be at least 1")
    served = load_run(args.run, args.preference, args.device)
    if args.split not in served.task.split_names:
        raise UsageError(f"--split {args.split!r}: the task's splits are {', '.join(served.task.split_names)}")
    pool = served.task.split(args.split)
    problems = random.Random(args.seed).sample(pool, min(args.n, len(pool)))
    for problem, (text, scores) in zip(problems, served.score(problems, args.max_new_tokens, args.temperature,
                                                               args.seed)):
        shown = ", ".join(f"{name} {value:.2f}" for name, value in scores.items())
        print(f"### {problem.prompt.strip()}\n(reference answer: {problem.answer})\n{text}\n-> {shown}\n")
    return 0
