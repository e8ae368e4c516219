"""Records grouped by comparability key into entries (one label, several seeds), and the static grid."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from morlbench.compare.records import RunRecord
from morlbench.errors import UsageError
from morlbench.metrics.front import record_entries

GRID = "static grid"


@dataclass
class Entry:
    label: str
    records: list[RunRecord] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.records]

    @property
    def method(self) -> str:
        return self.records[0].method

    @property
    def package(self) -> str:
        return self.records[0].package

    @property
    def linear_static(self) -> bool:
        """A point of the paper's static grid: fixed weights, linear scalarisation."""
        return self.method == "static" and self.records[0].method_settings.get("scalarisation", "linear") == "linear"


def group_records(records: list[RunRecord], refuse_collisions: bool = True) -> list[tuple[str, dict[str, Entry]]]:
    """(comparability key as sorted JSON, entries by label), groups in key order, each entry's runs by seed.

    An entry is an identity (distribution, method, resolved settings, plugin version); its label is only its
    name. A label that two identities use in one group is refused (``refuse_collisions``), or else the
    second one gets its identity appended."""
    groups: dict[str, dict[str, Entry]] = defaultdict(dict)
    identities: dict[str, dict[str, str]] = defaultdict(dict)  # group -> identity -> label
    for record in sorted(records, key=lambda r: (r.group_key, r.identity, r.seed)):
        taken = identities[record.group_key]
        label = taken.get(record.identity)
        if label is None:
            label = record.label
            if label in taken.values():
                if refuse_collisions:
                    owner = groups[record.group_key][label].records[0]
                    raise UsageError(f"label {label!r} names two entries in one group: method {owner.method} from "
                                     f"{owner.package or '?'} and method {record.method} from {record.package or '?'} "
                                     "with other settings; give one of them another label")
                label = f"{label}~{record.identity[:6]}"
            taken[record.identity] = label
        entry = groups[record.group_key].setdefault(label, Entry(label))
        if record.seed in entry.seeds:
            raise UsageError(f"entry {label!r} has seed {record.seed} twice in one group (the same run submitted "
                             "twice?); keep one result file per seed")
        entry.records.append(record)
    for entries in groups.values():
        for entry in entries.values():
            entry.records.sort(key=lambda r: r.seed)
    return [(key, groups[key]) for key in sorted(groups)]


def static_grid(entries: dict[str, Entry]) -> Entry | None:
    """The linear static entries together, per seed that all of them have, when there are at least two: at each step the
    points of all their runs (selection and report vectors), so the grid's front is chosen over all of them;
    rollouts, tokens and training seconds are the sums (the grid spends their budget)."""
    static = [e for e in entries.values() if e.linear_static]
    if len(static) < 2:
        return None
    by_seed: dict[int, list[RunRecord]] = defaultdict(list)
    for entry in static:
        for record in entry.records:
            by_seed[record.seed].append(record)
    grid = Entry(f"{GRID} ({len(static)} runs per seed)")
    for seed, records in sorted(by_seed.items()):
        if len(records) < len(static):
            continue  # a seed that not every grid point has yet: no grid run for it (never a partial grid)
        steps = sorted(set.intersection(*({e["step"] for e in r.evals} for r in records)))
        evals = []
        for step in steps:
            at = [next(e for e in r.evals if e["step"] == step) for r in records]
            evals.append({"step": step, "rollouts": sum(e["rollouts"] for e in at),
                          "tokens": sum(e["tokens"] for e in at),
                          "eval_tokens_total": sum(e.get("eval_tokens_total", 0) for e in at),
                          "points": [{k: p[k] for k in ("objectives", "report") if k in p}
                                     for e in at for p in record_entries(e)]})
        seconds = [r.train_seconds for r in records if r.train_seconds is not None]
        first = records[0]
        grid.records.append(RunRecord(grid.label, "static-grid", "static", first.package, seed, first.comparability,
                                      first.objective_names, evals, train_seconds=sum(seconds) if seconds else None))
    return grid if grid.records else None
