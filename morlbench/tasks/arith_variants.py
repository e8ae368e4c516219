"""Variants of the embedded task whose two objectives have a known relationship (docs/tasks/arith-variants.md).

Same problems, splits and prompts as ``arith``; only the objective pair changes:

- ``arith-conflict``: accuracy vs a hard 8-token budget. Only a direct ``\\boxed{}`` answer fits, and direct
  answers are the least accurate style of the embedded model, so one objective is paid for with the other.
- ``arith-aligned``: accuracy with strict clarity (two or more "Step N:" lines). Numbered solutions are the
  most accurate style, so rewarding steps also rewards correct answers.
- ``arith-independent``: accuracy with a closing phrase. Its starting policy (``tiny-arith-signoff``) writes
  the phrase after a share of its solutions whatever their style, so the phrase costs and buys no accuracy.
"""
from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from morlbench.tasks.arith import DATA_VERSION, SCORING_VERSION, ArithSizes, ArithTask
from morlbench.tasks.objectives import Accuracy, Clarity, ClosingPhrase, LengthBudget, Objective

# Bump when a variant's objective pair or its parameters change.
VARIANT_VERSION = 1


class _ArithVariant(ArithTask):
    Settings = ArithSizes  # no scoring rules to choose: the objective pair is the variant
    relationship: ClassVar[str]

    @property
    def version(self) -> str:
        return f"{self.name}-d{DATA_VERSION}s{SCORING_VERSION}v{VARIANT_VERSION}"


class ArithConflict(_ArithVariant):
    name = "arith-conflict"
    relationship = "conflicting"
    description = "arith: accuracy vs a hard 8-token budget only unworked answers meet (conflicting objectives)"

    @cached_property
    def objectives(self) -> tuple[Objective, ...]:
        return (Accuracy(), LengthBudget(8))


class ArithAligned(_ArithVariant):
    name = "arith-aligned"
    relationship = "aligned"
    description = "arith: accuracy with numbered steps, the most accurate style (aligned objectives)"

    @cached_property
    def objectives(self) -> tuple[Objective, ...]:
        return (Accuracy(), Clarity("strict"))


class ArithIndependent(_ArithVariant):
    name = "arith-independent"
    relationship = "independent"
    description = "arith: accuracy with a closing phrase written regardless of style (independent objectives)"
    default_model = "tiny-arith-signoff"

    @cached_property
    def objectives(self) -> tuple[Objective, ...]:
        return (Accuracy(), ClosingPhrase("Done."))
