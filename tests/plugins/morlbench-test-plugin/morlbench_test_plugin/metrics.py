"""One metric of every kind, written against the documented metric surface only (docs/plugins.md)."""
import numpy as np


class Spread:
    name = "spread"
    description = "largest minus smallest value of the first objective over the front (test plugin)"
    kind = "front"
    higher_is_better = True

    def __call__(self, points):
        pts = np.asarray(points, dtype=float)
        return float(pts[:, 0].max() - pts[:, 0].min())


class FirstGap:
    name = "first-gap"
    description = "best first objective of the front minus the reference front's (test plugin)"
    kind = "pair"
    higher_is_better = True

    def __call__(self, points, reference):
        return float(np.max(np.asarray(points)[:, 0]) - np.max(np.asarray(reference)[:, 0]))


class Evaluations:
    name = "evaluations"
    description = "evaluations whose step is at most HV_ref x 1000 (test plugin)"
    kind = "trajectory"
    higher_is_better = None

    def __call__(self, evals, hv_ref):
        return float(sum(e["step"] <= hv_ref * 1000 for e in evals))


class ServedCount:
    name = "served-count"
    description = "preferences the run's artifact served at its last evaluation (test plugin)"
    kind = "served"
    higher_is_better = None

    def __call__(self, preferences, objectives):
        return float(len(preferences))


class Broken:
    name = "broken-metric"
    description = "raises on every call (test plugin: a failing metric must not break the report)"
    kind = "front"

    def __call__(self, points):
        raise RuntimeError("this metric is broken on purpose")
