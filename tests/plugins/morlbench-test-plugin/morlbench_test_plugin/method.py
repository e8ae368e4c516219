"""A real (if simple) method and metric, written against morlbench's public surface only."""
import numpy as np

from morlbench.methods.base import Method


class FirstObjective(Method):
    name = "first-objective"
    description = "trains on the first objective alone (test plugin)"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 0])

    def weights(self):
        w = np.zeros(len(self.context.objectives))
        w[0] = 1.0
        return w
