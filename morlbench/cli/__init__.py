"""Command-line interface: argument parsing only; the work is done by the library (``commands``).

Building the parser imports no torch: ``morlbench --help`` and ``morlbench list`` stay fast.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from morlbench import registry
from morlbench.cli import challenge, commands
from morlbench.cli.commands import DEFAULT_RUNS
from morlbench.cli.flags import add_run_arguments
from morlbench.cli.generate import cmd_generate
from morlbench.cli.listing import cmd_list
from morlbench.cli.pretrain import cmd_pretrain
from morlbench.cli.values import check_values
from morlbench.errors import UsageError
from morlbench.isolation import watch_user_signals
from morlbench.models.warm_start import WarmStartRecipe
from morlbench.plugin_check import CHECKED_KINDS
from morlbench.registry import contained
from morlbench.spec import DEVICES, RunSpec


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("morlbench")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from morlbench.models.tiny_arith import PretrainRecipe

    parser = argparse.ArgumentParser(prog="morlbench",
                                     description="Benchmark for multi-objective RL alignment of language models.")
    parser.add_argument("--version", action="version", version=f"morlbench {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="train a policy with RL under a fixed budget and write its report",
                       description="Train a policy with RL under a fixed budget and write a run directory.")
    add_run_arguments(p)
    p.set_defaults(func=commands.cmd_run)
    p = sub.add_parser("sweep", help="run a suite: tasks x methods x settings x seeds under one budget",
                       description="Run every run of a suite file that is not done yet (docs/suites.md).")
    p.add_argument("suite", type=Path, help="suite file (TOML), e.g. baselines/arith.toml")
    p.add_argument("--out", default=None, help="suite directory (default runs/sweeps/NAME)")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process (default 1)")
    p.add_argument("--executor", default="local", choices=("local", "ray"), help="local worker processes, or "
                   "Ray tasks (pip install 'morlbench[ray]'; default local)")
    p.add_argument("--ray-address", default=None, help="Ray cluster to connect to (e.g. auto or ray://host:10001; "
                   "default: a local Ray instance of --jobs CPUs); run directories must be on a shared filesystem")
    p.add_argument("--dry-run", action="store_true", help="list the planned runs and their state, run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-comparison", action="store_true", help="do not write the comparison report at the end")
    p.add_argument("--reference", type=Path, default=None, help="reference file for the comparison (default "
                   "the one shipped with morlbench, baselines/reference.json)")
    p.set_defaults(func=commands.cmd_sweep)
    p = sub.add_parser("tune", help="the suite's [tune] search: every entry at every value on the tuning seeds",
                       description="Run the tuning search of a suite's [tune] table and write SUITE.tuning.json "
                       "beside it, the value chosen per entry, which `morlbench sweep` then uses (docs/suites.md).")
    p.add_argument("suite", type=Path, help="suite file (TOML) with a [tune] table")
    p.add_argument("--out", default=None, help="suite directory (default runs/sweeps/NAME; tuning runs "
                   "go to its tuning/)")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process (default 1)")
    p.add_argument("--dry-run", action="store_true", help="list the tuning runs and their state, run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=commands.cmd_tune)
    p = sub.add_parser("challenge", help="a method against the committed baselines, under a reference suite's protocol",
                       description="Run METHOD as the reference suite's entries ran (budget, preference set W, tuning "
                       "search, seeds; resumable), then compare it with the suite's committed result files: the "
                       "leaderboard's boards and verdicts, the challenger highlighted (docs/plugins.md).")
    p.add_argument("method", help="a registered method (built-in or plugin)")
    p.add_argument("--task", default="arith", help="task whose reference suite to use (default arith: "
                   "baselines/arith-v3.toml, shipped with morlbench)")
    p.add_argument("--suite", type=Path, default=None, help="another reference suite file (its tasks, budget, W, "
                   "[tune] and seeds)")
    p.add_argument("--method-opt", action="append", default=[], metavar="KEY=VALUE", help="a method setting "
                   "(repeatable; `morlbench list methods -v` lists them)")
    p.add_argument("--label", default=None, help="the challenger's entry name (default: the method)")
    p.add_argument("--seeds", type=int, default=None, help="the first N of the suite's seeds (fewer than 10: "
                   "listed unranked)")
    p.add_argument("--results", default=None, help="the committed baselines (default: the suite's "
                   "leaderboard directory, leaderboard/results)")
    p.add_argument("--out", default=None, help="where the challenger's runs go (default runs/challenge/LABEL)")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process (default 1)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and its estimated cost, run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=challenge.cmd_challenge)
    p = sub.add_parser("submit", help="turn finished runs into leaderboard result files",
                       description="Write the result file of each finished run under --to (docs/leaderboard.md).")
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--to", default="leaderboard/results", help="results directory "
                   "(default leaderboard/results)")
    p.add_argument("--label", default=None, help="entry name (default: method, weights and method options)")
    p.set_defaults(func=commands.cmd_submit)
    p = sub.add_parser("leaderboard", help="regenerate the leaderboard tables from stored result files",
                       description="Regenerate README.md, results.csv and index.html from result files.")
    p.add_argument("--results", default="leaderboard/results", help="result files (default "
                   "leaderboard/results)")
    p.add_argument("--out", default="leaderboard", help="where the tables go (default leaderboard)")
    p.add_argument("--reference", type=Path, default=None,
                   help="HV_ref per task version (default the one shipped with morlbench, "
                   "baselines/reference.json)")
    p.add_argument("--metric", action="append", default=[], metavar="NAME", help="a registered metric shown as an "
                   "extra column (repeatable; NAME/PART for one part of a mapping-valued metric, e.g. "
                   "steps-to-front/1.0; `morlbench list metrics`)")
    p.set_defaults(func=commands.cmd_leaderboard)
    p = sub.add_parser("verify", help="rerun submitted result files and say whether they reproduce",
                       description="Rerun each result file from its recorded spec in a temporary directory and "
                       "compare its evaluations: bit for bit on the machine class it was recorded on, within a "
                       "stated tolerance elsewhere (docs/leaderboard.md). Writes a verification record per file into "
                       "verified/ beside --results. Exit 1 if any does not reproduce.")
    p.add_argument("results_files", nargs="+", type=Path, metavar="RESULT", help="result files (morlbench submit)")
    p.add_argument("--results", default="leaderboard/results", help="the results directory they belong to: "
                   "records go to verified/ beside it (default leaderboard/results, records in leaderboard/verified)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=commands.cmd_verify)
    p = sub.add_parser("list", help="registered tasks, methods, metrics and models",
                       description="List registered entries with their source package and description.")
    p.add_argument("kind", nargs="?", choices=registry.KINDS)
    p.add_argument("-v", "--verbose", action="store_true", help="every setting of each entry with its default, "
                   "accepted range and help; a method's capabilities, a metric's kind")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("check-plugin", help="take a method, objective or metric through the plugin contract",
                       description="Run a registered method, objective or metric through the plugin contract on "
                       "the embedded task at a toy size (docs/plugins.md): it runs, keeps every contract check, is "
                       "deterministic, resumes to the same evaluations and submits. Exit 1 if a check fails.")
    p.add_argument("name", help="registered name (`morlbench list`)")
    p.add_argument("--kind", default=None, choices=CHECKED_KINDS,
                   help="the registry to look in, when the name is registered in several")
    p.set_defaults(func=commands.cmd_check_plugin)
    p = sub.add_parser("report", help="rebuild run reports; compare a suite or several runs",
                       description="Rebuild report.json, report.md and plots of run directories. Given a suite "
                       "directory or several runs, also write the comparison report (comparison.md, index.html, "
                       "PNGs).")
    p.add_argument("runs", nargs="+", type=Path, help="a run directory, several, a suite directory, or result "
                   "files (morlbench submit) and directories of them")
    p.add_argument("--hv-ref", type=float, default=None, help="reference hypervolume for steps-to-front "
                   "(default: from the reference file; none without one)")
    p.add_argument("--reference", type=Path, default=None, help="reference file (HV_ref and reference front per "
                   "task version) for steps-to-front and the pair metrics (default the one shipped with morlbench, "
                   "baselines/reference.json)")
    p.add_argument("--out", default=None, help="where a comparison goes (default SUITE_DIR/comparison, "
                   "or ./comparison for several paths or result files)")
    p.set_defaults(func=commands.cmd_report)
    p = sub.add_parser("generate", help="completions from a trained run, for a preference if it serves any",
                       description="Print completions of a run's final policy. Runs of methods that serve "
                       "preferences (meta-policy, soups, conditioned) need --preference.")
    p.add_argument("--run", type=Path, required=True, help="run directory")
    p.add_argument("--preference", default=None, help="comma-separated weights, one per objective, e.g. 0.6,0.2,0.2")
    p.add_argument("--prompt", action="append", help="a question (repeatable); the task's prompt format is applied")
    p.add_argument("--prompts-file", type=Path, default=None, help="a text file with one question per line")
    p.add_argument("--split", default=None, help="draw problems from this split of the run's task instead (e.g. "
                   "select, report, val): prints each completion with its score per objective")
    p.add_argument("--n", type=int, default=5, help="problems drawn with --split (default 5)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="generation limit (default: the run's)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 decodes greedily (default); >0 samples")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--device", default="auto", choices=DEVICES, help="default auto")
    threads = RunSpec().threads
    p.add_argument("--threads", type=int, default=threads, help=f"torch threads, as `run --threads` (default "
                   f"{threads}: many threads busy-wait on small models and shared cores)")
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("reference", help="compute a task version's HV_ref and reference front from reference runs",
                       description="From the result files of reference runs (a static grid recorded on seeds of its "
                       "own, e.g. baselines/arith-reference.toml), compute HV_ref and the reference front and store "
                       "them with their provenance in the reference file.")
    p.add_argument("results", type=Path, help="result files of the reference runs (e.g. baselines/reference-results)")
    p.add_argument("--suite", default="the reference runs", help="the suite that recorded them (provenance)")
    p.add_argument("--out", default="baselines/reference.json", help="reference file to update "
                   "(default baselines/reference.json)")
    p.set_defaults(func=commands.cmd_reference)
    p = sub.add_parser("probe", help="how a task's objectives relate at its starting policy (no training)",
                       description="Sample a run's first batches of each task from its default model and measure "
                       "the within-prompt reward correlation and the gradient cosine of its first two objectives "
                       "(docs/tasks/arith-variants.md).")
    p.add_argument("tasks", nargs="+", help="registered tasks, e.g. arith-conflict arith-aligned arith-independent")
    p.add_argument("--batches", type=int, default=8, help="batches sampled per task (default 8)")
    p.add_argument("--prompts-per-step", type=int, default=8, help="prompts per batch (default 8)")
    p.add_argument("--group-size", type=int, default=8, help="rollouts per prompt (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--model", default=None, help="model to probe (default: each task's own), with its run defaults "
                   "(e.g. LoRA for SmolLM2)")
    p.add_argument("--out", default=None, help="also write the numbers as JSON here")
    p.set_defaults(func=commands.cmd_probe)
    r = PretrainRecipe()
    w = WarmStartRecipe()
    p = sub.add_parser("pretrain", help="rebuild tiny-arith, or warm-start SmolLM2 on the arith answer styles",
                       description="Rebuild tiny-arith with morlbench's deterministic supervised recipe, or (--model "
                       "smollm2-135m) rebuild the LoRA warm start whose reference build the registered model "
                       "smollm2-135m-arith ships (it says whether this build's adapters are the shipped ones).")
    p.add_argument("--model", default="tiny-arith", choices=("tiny-arith", "smollm2-135m"),
                   help="tiny-arith (from scratch) or smollm2-135m (a LoRA warm start, merged; default tiny-arith)")
    tiny_out = DEFAULT_RUNS / "pretrain" / "tiny-arith"
    p.add_argument("--out", default=None, help=f"checkpoint directory (default {tiny_out}; for smollm2-135m "
                   f"{DEFAULT_RUNS / 'pretrain' / 'smollm2-135m-arith'})")
    p.add_argument("--steps", type=int, default=None,
                   help=f"optimiser steps (default {r.steps}; {w.steps} for smollm2-135m)")
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
    watch_user_signals()  # the user's Ctrl-C stops a run; a plugin raising KeyboardInterrupt fails alone
    try:
        check_values(args)  # every value, before anything is written
        with contained():
            return args.func(args)
    except UsageError as exc:
        print(f"morlbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("morlbench: interrupted; continue a run with --resume, a sweep by running it again", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
