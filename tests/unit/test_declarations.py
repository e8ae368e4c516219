"""Capability declarations: a hook of a capability the method did not declare, and class attributes that look like
a declaration but are not read, each stop with one line naming ``declares = Capabilities(...)``."""
import numpy as np
import pytest

from morlbench import registry
from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, RewardBatch


class UndeclaredGradients(Method):
    """Calls batch.objective_gradients without declaring objective_gradients."""

    name = "undeclared-gradients"
    description = "test method"

    def advantages(self, batch):
        batch.objective_gradients(np.zeros((len(batch.rewards), batch.num_objectives)))
        return batch.estimate(batch.rewards.sum(axis=1))


def test_an_undeclared_capability_names_its_declaration():
    batch = RewardBatch(np.zeros((4, 2)), 2, 0, lambda column: column)
    with pytest.raises(UsageError, match=r"add `declares = Capabilities\(objective_gradients=True\)`"):
        batch.objective_gradients(np.zeros((4, 2)))


def test_a_run_of_a_method_calling_an_undeclared_capability_stops_in_one_line(tmp_path, monkeypatch, capsys):
    lookup = registry.lookup
    monkeypatch.setattr(registry, "lookup", lambda kind, name: UndeclaredGradients if name == UndeclaredGradients.name
                        else lookup(kind, name))
    out = tmp_path / "run"
    assert main(["run", "--method", "undeclared-gradients", "--steps", "1", "--prompts-per-step", "2",
                 "--group-size", "2", "--task-opt", "select_size=4", "--task-opt", "report_size=4",
                 "--max-new-tokens", "8", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["morlbench run: error: batch.objective_gradients is only given to a method that declares it: add "
                   "`declares = Capabilities(objective_gradients=True)` to the method's class (docs/plugins.md)"], err
    assert (out / "failure.json").exists()  # never taken for a finished run


@pytest.mark.parametrize("body, message", [
    ({"needs_objective_gradients": True}, "sets needs_objective_gradients = True, which morlbench does not read: "
                                          "declare `declares = Capabilities(objective_gradients=True)`"),
    ({"objective_gradients": True}, "declare `declares = Capabilities(objective_gradients=True)`"),
    ({"supports_processes": False}, "declare `declares = Capabilities(data_parallel=False)`"),
    ({"capabilities": Capabilities(validation=True)}, "declare capabilities as `declares = Capabilities(...)`"),
    ({"declares": {"objective_gradients": True}}, "declare capabilities as `declares = Capabilities(...)`"),
])
def test_a_declaration_morlbench_would_not_read_is_refused_when_the_class_is_defined(body, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        type("OldStyle", (Method,), {"name": "old", "description": "x", **body})


def test_declared_capabilities_and_hooks_are_accepted():
    class Fine(Method):
        name = "fine"
        description = "x"
        declares = Capabilities(objective_gradients=True)

        def capabilities(self):
            return self.declares

        def validate_run(self, objectives, steps):
            pass

    assert Fine().capabilities().objective_gradients
