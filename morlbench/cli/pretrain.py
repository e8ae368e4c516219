"""``morlbench pretrain``: rebuild tiny-arith, or the SmolLM2 warm start, and print what was built."""
from __future__ import annotations

import argparse

from morlbench.cli.commands import DEFAULT_RUNS
from morlbench.errors import UsageError


def cmd_pretrain(args: argparse.Namespace) -> int:
    from morlbench.models.card import write_card
    from morlbench.models.pretraining import pretrain
    from morlbench.models.tiny_arith import PretrainRecipe

    if not 0 <= args.signoff_rate < 1:
        raise UsageError(f"--signoff-rate {args.signoff_rate} must be in [0, 1)")
    if args.model == "smollm2-135m":
        return warm_start_smollm2(args)
    args.out = args.out or DEFAULT_RUNS / "pretrain" / "tiny-arith"
    if (args.out / "model.safetensors").exists() and not args.force:
        raise UsageError(f"--out {args.out} already holds a checkpoint; pass --force to overwrite it")
    recipe = PretrainRecipe(seed=args.seed, steps=args.steps or PretrainRecipe.steps, threads=args.threads,
                            signoff_rate=args.signoff_rate)
    record = pretrain(recipe, args.out, progress=not args.no_progress)
    card = write_card(args.out, record)
    print(f"checkpoint built in {record['build_seconds']} s: {args.out}")
    print(f"greedy eval objectives (accuracy, conciseness, clarity): {card['eval']['objectives']}")
    return 0


def warm_start_smollm2(args: argparse.Namespace) -> int:
    from morlbench.models.warm_start import SHIPPED, WarmStartRecipe, shipped_card, warm_start, write_card

    recipe = WarmStartRecipe(seed=args.seed, steps=args.steps or WarmStartRecipe.steps, threads=args.threads,
                             signoff_rate=args.signoff_rate)
    out = args.out or DEFAULT_RUNS / "pretrain" / "smollm2-135m-arith"
    if out.exists() and any(out.iterdir()) and not args.force:
        raise UsageError(f"--out {out} exists and is not empty; pass --force to replace it")
    record = warm_start(recipe, out, progress=not args.no_progress)
    card = write_card(out, record, progress=not args.no_progress)
    start = card["eval"]
    print(f"warm start built in {record['build_seconds']} s: {out}")
    print(f"greedy objectives on arith's {start['split']} split ({', '.join(start['objective_names'])}): "
          f"{start['objectives']}; measured in {card['card_seconds']} s")
    same = (SHIPPED / "card.json").is_file() and record["adapters_sha256"] == shipped_card()["adapters_sha256"]
    print(f"its adapters {'are' if same else 'are not'} the shipped reference build's ({SHIPPED}); "
          + ("`--model smollm2-135m-arith` is this model" if same else
             f"`--model {out}` runs this build (its results form their own comparability group)"))
    return 0
