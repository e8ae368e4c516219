"""Plugin code that tries to end the program when morlbench calls it."""
import sys

from morlbench.methods.base import Method


class ExitsInAdvantages(Method):
    name = "exits-in-advantages"
    description = "calls sys.exit(4) in advantages() (test plugin)"

    def advantages(self, batch):
        sys.exit(4)


class InterruptsInAfterStep(Method):
    name = "interrupts-in-after-step"
    description = "raises KeyboardInterrupt in after_step(), though nobody pressed Ctrl-C (test plugin)"

    def advantages(self, batch):
        return batch.estimate(batch.rewards[:, 0])

    def after_step(self, info):
        raise KeyboardInterrupt("not the user's")


class ExitingMetric:
    name = "exits-when-called"
    description = "calls sys.exit(3) when called (test plugin)"
    kind = "front"
    higher_is_better = True

    def __call__(self, points):
        sys.exit(3)


class InterruptingMetric:
    name = "interrupts-when-called"
    description = "raises KeyboardInterrupt when called, though nobody pressed Ctrl-C (test plugin)"
    kind = "front"
    higher_is_better = True

    def __call__(self, points):
        raise KeyboardInterrupt
