"""The metric surface. A metric is a registry entry (``morlbench.metrics``) with a ``kind`` saying what it reads,
and ``higher_is_better`` saying which way is better (None: neither, e.g. a count):

- ``front``: the points of a run, (n, K) -> a number;
- ``pair``: the points of a run and a reference front (m, K) -> a number;
- ``trajectory``: a run's eval records and HV_ref -> a number, a mapping of named numbers, or None (unreached);
- ``served``: preferences (n, K) and the objectives J(w) of the policies served for them (n, K) -> a number or
  one number per objective.

Run reports, comparison reports and the leaderboard compute every registered metric the same way
(``morlbench.metrics.compute``); a metric that raises is reported with its error, never stops the others.
"""
from __future__ import annotations

from typing import ClassVar

KINDS = ("front", "pair", "trajectory", "served")


class Metric:
    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]
    higher_is_better: ClassVar[bool | None] = True
