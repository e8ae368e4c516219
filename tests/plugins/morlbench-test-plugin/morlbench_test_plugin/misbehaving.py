"""Plugins that break the contract of their hook (docs/plugins.md, "The contract"), each in one way: morlbench
must refuse each with one line naming the plugin, never finish a run or accept its results."""
import numpy as np

from morlbench.methods.base import Method
from morlbench.tasks.objectives import Objective


class Impostor(Method):
    name = "static"
    description = "claims the built-in's name (test plugin): must be refused"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 1])


class NanAdvantages(Method):
    name = "nan-advantages"
    description = "returns NaN advantages (test plugin)"

    def advantages(self, batch):
        return np.full(len(batch.rewards), np.nan)


class WrongShape(Method):
    name = "wrong-shape"
    description = "returns one advantage too few (test plugin)"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 0])[:-1]


class BadWeights(Method):
    name = "bad-weights"
    description = "reports weights (-1, 1, 1) (test plugin)"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 0])

    def weights(self):
        return np.array([-1.0, 1.0, 1.0])


class NonJsonLog(Method):
    name = "non-json-log"
    description = "logs a value JSON cannot store (test plugin)"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 0])

    def after_step(self, info):
        return {"handle": object()}


class ShortObjective(Objective):
    name = "short-objective"
    description = "returns one training reward too few (test plugin)"

    def train_rewards(self, samples, ctx):
        return np.ones(len(samples) - 1)

    def eval_values(self, samples, ctx):
        return np.ones(len(samples))


class WildObjective(Objective):
    name = "wild-objective"
    description = "evaluates to 7.5, outside [0, 1] (test plugin)"

    def train_rewards(self, samples, ctx):
        return np.ones(len(samples))

    def eval_values(self, samples, ctx):
        return np.full(len(samples), 7.5)


class StringMetric:
    name = "string-metric"
    description = "returns a string instead of a number (test plugin)"
    kind = "front"
    higher_is_better = True

    def __call__(self, points):
        return "high"
