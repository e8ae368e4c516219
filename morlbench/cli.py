"""Command-line interface: argument parsing only; the work is done by the library."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from morlbench import registry
from morlbench.errors import UsageError

DEFAULT_RUNS = Path("runs")


def _options(pairs: Sequence[str] | None, flag: str) -> dict[str, str]:
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {pair!r}: expected key=value")
        options[key.strip()] = value.strip()
    return options


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    from morlbench.engine.engine import EngineSettings
    from morlbench.engine.estimators import ESTIMATORS
    from morlbench.spec import RunSpec

    d, e = RunSpec(), EngineSettings()
    p.add_argument("--method", default=d.method, help=f"registered method (default {d.method}; see `morlbench list methods`)")
    p.add_argument("--task", default=d.task, help=f"registered task (default {d.task})")
    p.add_argument("--model", default=d.model, help="registered model, hub id or local directory (default: the task's, tiny-arith on arith)")
    p.add_argument("--data", default=None, help="task data: a hub id or a local directory (math tasks; same as "
                   "--task-opt data=...)")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seed of the whole run (default {d.seed})")
    p.add_argument("--steps", type=int, default=d.steps, help=f"budget in training steps (default {d.steps})")
    p.add_argument("--weights", default=None, help="comma-separated objective weights, e.g. 0.5,0.25,0.25 "
                   "(normalised to sum 1; default uniform)")
    p.add_argument("--objectives", default=None, help="comma-separated objectives, 2 to 4: the task's own or "
                   "registered extra ones (`morlbench list objectives`), e.g. accuracy,conciseness (default: the task's)")
    p.add_argument("--estimator", default=d.estimator, choices=ESTIMATORS, help=f"advantage estimator (default {d.estimator})")
    p.add_argument("--out", type=Path, default=None, help="run directory (default runs/TASK-METHOD-seedS)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    g = p.add_argument_group("batch and evaluation")
    g.add_argument("--prompts-per-step", type=int, default=d.prompts_per_step, help=f"prompts per step (default {d.prompts_per_step})")
    g.add_argument("--group-size", type=int, default=d.group_size, help=f"rollouts per prompt (default {d.group_size})")
    g.add_argument("--max-new-tokens", type=int, default=None, help="generation limit L (default: the task's)")
    g.add_argument("--eval-every", type=int, default=d.eval_every, help=f"steps between evaluations (default {d.eval_every})")
    g.add_argument("--eval-split", default=d.eval_split, help="split evaluated greedily (default: the task's, e.g. eval on arith, test on math tasks)")
    g.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help=f"steps between checkpoints (default {d.checkpoint_every})")
    g.add_argument("--gradient-cosine-every", type=int, default=d.gradient_cosine_every,
                   help="trade-off diagnostic: cosines between per-objective gradients at steps N, 2N, ..., at the cost "
                   f"of one forward and K backward passes on those steps, timed apart (default {d.gradient_cosine_every}; 0: off)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--lr", type=float, default=e.lr, help=f"AdamW learning rate (default {e.lr})")
    g.add_argument("--kl-coef", type=float, default=e.kl_coef, help=f"KL penalty to the initial policy (default {e.kl_coef})")
    g.add_argument("--clip-eps", type=float, default=e.clip_eps, help=f"PPO clip range, 0 disables (default {e.clip_eps})")
    g.add_argument("--grad-clip", type=float, default=e.grad_clip, help=f"gradient-norm clip (default {e.grad_clip})")
    g.add_argument("--ppo-epochs", type=int, default=e.ppo_epochs, help=f"updates per batch (default {e.ppo_epochs})")
    g.add_argument("--temperature", type=float, default=e.temperature, help=f"sampling temperature (default {e.temperature})")
    g.add_argument("--loss-aggregation", default=e.loss_aggregation, help=f"token-mean or sequence-mean (default {e.loss_aggregation})")
    g.add_argument("--micro-batch-tokens", type=int, default=e.micro_batch_tokens, help="tokens per forward pass; "
                   "gradients are accumulated exactly (default 0: chosen from the model size)")
    g.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in the backward "
                   "pass: less memory for large models, more time")
    g = p.add_argument_group("machine and plug-in settings")
    g.add_argument("--threads", type=int, default=d.threads, help=f"torch threads (default {d.threads})")
    g.add_argument("--device", default=d.device, help=f"cpu, cuda or auto (default {d.device})")
    g.add_argument("--lora-rank", type=int, default=d.lora_rank, help="train LoRA adapters of this rank on every "
                   "linear layer instead of all weights (default 0: all weights)")
    g.add_argument("--dtype", default=d.dtype, help="auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16 "
                   f"or float16 (default {d.dtype})")
    g.add_argument("--backend", default=d.backend, help="morlbench (the built-in engine) or trl (TRL's "
                   "GRPOTrainer samples and updates; methods that scalarise rewards linearly; docs/scaling.md) "
                   f"(default {d.backend})")
    g.add_argument("--task-opt", action="append", metavar="KEY=VALUE", help="task setting (repeatable)")
    g.add_argument("--method-opt", action="append", metavar="KEY=VALUE", help="method setting (repeatable)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def spec_from_args(args: argparse.Namespace):
    from morlbench.engine.engine import EngineSettings
    from morlbench.spec import RunSpec, parse_weights

    engine = EngineSettings(lr=args.lr, kl_coef=args.kl_coef, clip_eps=args.clip_eps, grad_clip=args.grad_clip,
                            ppo_epochs=args.ppo_epochs, temperature=args.temperature,
                            loss_aggregation=args.loss_aggregation, micro_batch_tokens=args.micro_batch_tokens,
                            gradient_checkpointing=args.gradient_checkpointing)
    return RunSpec(
        task=args.task, method=args.method, model=args.model, seed=args.seed, steps=args.steps,
        prompts_per_step=args.prompts_per_step, group_size=args.group_size,
        weights=parse_weights(args.weights) if args.weights else None, estimator=args.estimator, engine=engine,
        objectives=[n.strip() for n in args.objectives.split(",") if n.strip()] if args.objectives else None,
        max_new_tokens=args.max_new_tokens, eval_every=args.eval_every, eval_split=args.eval_split,
        checkpoint_every=args.checkpoint_every, threads=args.threads, device=args.device, dtype=args.dtype,
        lora_rank=args.lora_rank, backend=args.backend, gradient_cosine_every=args.gradient_cosine_every,
        task_options={**({"data": args.data} if args.data else {}), **_options(args.task_opt, "--task-opt")},
        method_options=_options(args.method_opt, "--method-opt"),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from morlbench.runner import execute

    spec = spec_from_args(args)
    out = args.out or DEFAULT_RUNS / f"{spec.task}-{spec.method}-seed{spec.seed}"
    execute(spec, out, resume=args.resume, progress=not args.no_progress)
    report = (out / "report.md").read_text()
    print(report.split("## Metrics")[0].rstrip())
    print(f"\nrun directory: {out}  (report.md, report.json, curves.png, front.png)")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from morlbench.sweep import load_suite, run_state, run_suite

    suite = load_suite(args.suite, args.out)
    if args.dry_run:
        for run in suite.runs:
            print(f"{run_state(run):8}  {run.out}")
        print(f"{len(suite.runs)} runs in {suite.path}")
        return 0
    rows = run_suite(suite, jobs=args.jobs, progress=not args.no_progress, executor=args.executor,
                     address=args.ray_address)
    failed = [r for r in rows if r["status"] == "failed"]
    for row in rows:
        detail = f"  {row['error']}" if row["status"] == "failed" else ""
        print(f"{row['status']:15} {row['dir']}{detail}")
    print(f"{len(rows) - len(failed)} of {len(rows)} runs complete in {suite.path} (record: sweep.json)")
    return 1 if failed else 0


def cmd_submit(args: argparse.Namespace) -> int:
    from morlbench.results.submission import submit

    for run_dir in args.runs:
        print(submit(run_dir, args.to, args.label))
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from morlbench.leaderboard import build, write_tables

    board = build(args.results, args.reference)
    if board.rejected:
        for line in board.rejected:
            print(f"morlbench leaderboard: rejected {line}", file=sys.stderr)
        print(f"morlbench leaderboard: error: {len(board.rejected)} result file(s) rejected; nothing written",
              file=sys.stderr)
        return 2
    write_tables(board, args.out)
    entries = sum(len(rows) for _, rows, _ in board.groups)
    print(f"{entries} entries in {len(board.groups)} comparability groups: "
          f"{args.out / 'README.md'}, results.csv, index.html")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from morlbench import registry

    kinds = [args.kind] if args.kind else list(registry.KINDS)
    for kind in kinds:
        rows = registry.entries(kind)
        print(f"{kind}:")
        width = max([len(e.name) for e in rows] + [4])
        pwidth = max([len(e.package) for e in rows] + [7])
        for entry in rows:
            print(f"  {entry.name:<{width}}  {entry.package:<{pwidth}}  {entry.description}{_extra(kind, entry)}")
        if not rows:
            print("  (none registered)")
    return 0


def _extra(kind: str, entry) -> str:
    """Version and split sizes of a task, so `list tasks` tells what a result would be compared on."""
    if kind != "tasks" or entry.error:
        return ""
    try:
        task = entry.value()
        sizes = ", ".join(f"{k} {v}" for k, v in task.split_sizes().items())
        return f"  [version {task.version}; {sizes}]"
    except Exception as exc:  # a task that cannot build its splits here still lists
        return f"  [unavailable: {exc}]"


def cmd_report(args: argparse.Namespace) -> int:
    from morlbench.report.comparison import find_runs, write_comparison
    from morlbench.report.run_report import write_run_report

    single = len(args.runs) == 1 and (args.runs[0] / "config.json").exists()
    runs = [] if single else find_runs(args.runs)
    if not single and not runs:
        raise UsageError(f"no finished runs (with report.json) under {', '.join(map(str, args.runs))}")
    for path in args.runs if single else [r.path for r in runs]:
        try:
            write_run_report(path, hv_ref=args.hv_ref)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {path / 'report.md'}")
    if not single:
        out = args.out or (args.runs[0] / "comparison" if len(args.runs) == 1 else Path("comparison"))
        print(f"wrote {write_comparison(runs, out, args.hv_ref)} and {out / 'index.html'}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from morlbench.serving import load_run

    questions = list(args.prompt or [])
    if args.prompts_file is not None:
        if not args.prompts_file.is_file():
            raise UsageError(f"--prompts-file {args.prompts_file}: no such file")
        questions += [line for line in args.prompts_file.read_text().splitlines() if line.strip()]
    if not questions:
        raise UsageError("no prompts: pass --prompt TEXT (repeatable) or --prompts-file FILE (one per line)")
    if args.temperature < 0:
        raise UsageError(f"--temperature {args.temperature} must be >= 0 (0 is greedy)")
    served = load_run(args.run, args.preference, args.device)
    completions = served.complete(questions, args.max_new_tokens, args.temperature, args.seed)
    for question, completion in zip(questions, completions):
        print(f"### {question}\n{completion}\n")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    from morlbench.models.card import write_card
    from morlbench.models.tiny_arith import PretrainRecipe, pretrain

    if (args.out / "model.safetensors").exists() and not args.force:
        raise UsageError(f"--out {args.out} already holds a checkpoint; pass --force to overwrite it")
    if not 0 <= args.signoff_rate < 1:
        raise UsageError(f"--signoff-rate {args.signoff_rate} must be in [0, 1)")
    recipe = PretrainRecipe(seed=args.seed, steps=args.steps, threads=args.threads, signoff_rate=args.signoff_rate)
    record = pretrain(recipe, args.out, progress=not args.no_progress)
    card = write_card(args.out, record)
    print(f"checkpoint built in {record['build_seconds']} s: {args.out}")
    print(f"greedy eval objectives (accuracy, conciseness, clarity): {card['eval']['objectives']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from morlbench.models.tiny_arith import PretrainRecipe

    parser = argparse.ArgumentParser(prog="morlbench", description="Benchmark for multi-objective RL alignment of language models.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="train a policy with RL under a fixed budget and write its report",
                       description="Train a policy with RL under a fixed budget and write a run directory.")
    add_run_arguments(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("sweep", help="run a suite: tasks x methods x settings x seeds under one budget",
                       description="Run every run of a suite file that is not done yet (docs/suites.md).")
    p.add_argument("suite", type=Path, help="suite file (TOML), e.g. baselines/arith.toml")
    p.add_argument("--out", type=Path, default=None, help="suite directory (default runs/sweeps/NAME)")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process (default 1)")
    p.add_argument("--executor", default="local", choices=("local", "ray"), help="local worker processes, or "
                   "Ray tasks (pip install 'morlbench[ray]'; default local)")
    p.add_argument("--ray-address", default=None, help="Ray cluster to connect to (e.g. auto or ray://host:10001; "
                   "default: a local Ray instance of --jobs CPUs); run directories must be on a shared filesystem")
    p.add_argument("--dry-run", action="store_true", help="list the planned runs and their state, run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("submit", help="turn finished runs into leaderboard result files",
                       description="Write the result file of each finished run under --to (docs/leaderboard.md).")
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--to", type=Path, default=Path("leaderboard/results"), help="results directory "
                   "(default leaderboard/results)")
    p.add_argument("--label", default=None, help="entry name (default: method, weights and method options)")
    p.set_defaults(func=cmd_submit)
    p = sub.add_parser("leaderboard", help="regenerate the leaderboard tables from stored result files",
                       description="Regenerate README.md, results.csv and index.html from result files.")
    p.add_argument("--results", type=Path, default=Path("leaderboard/results"), help="result files (default "
                   "leaderboard/results)")
    p.add_argument("--out", type=Path, default=Path("leaderboard"), help="where the tables go (default leaderboard)")
    p.add_argument("--reference", type=Path, default=Path("baselines/reference.json"),
                   help="HV_ref per task version (default baselines/reference.json)")
    p.set_defaults(func=cmd_leaderboard)
    p = sub.add_parser("list", help="registered tasks, methods, metrics and models",
                       description="List registered entries with their source package and description.")
    p.add_argument("kind", nargs="?", choices=registry.KINDS)
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("report", help="rebuild run reports; compare a suite or several runs",
                       description="Rebuild report.json, report.md and plots of run directories. Given a suite "
                       "directory or several runs, also write the comparison report (comparison.md, index.html, "
                       "PNGs).")
    p.add_argument("runs", nargs="+", type=Path, help="a run directory, several, or a suite directory")
    p.add_argument("--hv-ref", type=float, default=None, help="reference hypervolume for steps-to-front "
                   "(default in comparisons: the static grid's final front)")
    p.add_argument("--out", type=Path, default=None, help="where a comparison goes (default SUITE_DIR/comparison, "
                   "or ./comparison for several run directories)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("generate", help="completions from a trained run, for a preference if it serves any",
                       description="Print completions of a run's final policy. Runs of methods that serve "
                       "preferences (meta-policy, soups) need --preference.")
    p.add_argument("--run", type=Path, required=True, help="run directory")
    p.add_argument("--preference", default=None, help="comma-separated weights, one per objective, e.g. 0.6,0.2,0.2")
    p.add_argument("--prompt", action="append", help="a question (repeatable); the task's prompt format is applied")
    p.add_argument("--prompts-file", type=Path, default=None, help="a text file with one question per line")
    p.add_argument("--max-new-tokens", type=int, default=None, help="generation limit (default: the run's)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 decodes greedily (default); >0 samples")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.set_defaults(func=cmd_generate)
    r = PretrainRecipe()
    p = sub.add_parser("pretrain", help="rebuild the embedded tiny-arith checkpoint",
                       description="Rebuild tiny-arith with morlbench's deterministic supervised recipe.")
    p.add_argument("--out", type=Path, default=DEFAULT_RUNS / "pretrain" / "tiny-arith", help="checkpoint directory")
    p.add_argument("--steps", type=int, default=r.steps, help=f"optimiser steps (default {r.steps})")
    p.add_argument("--seed", type=int, default=r.seed, help=f"seed (default {r.seed})")
    p.add_argument("--threads", type=int, default=r.threads, help=f"torch threads (default {r.threads})")
    p.add_argument("--signoff-rate", type=float, default=r.signoff_rate,
                   help="share of solutions ending with a sign-off line (0.3 builds tiny-arith-signoff; default 0)")
    p.add_argument("--force", action="store_true", help="overwrite an existing checkpoint in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_pretrain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"morlbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("morlbench: interrupted; continue a run with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
