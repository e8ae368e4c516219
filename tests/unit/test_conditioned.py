"""conditioned (Rewards-in-Context style): the preference in the prompt, one w per prompt group, each group's
rewards scalarised by its own w; the prompt hook (Method.condition) as the loop and the evaluations apply it."""
import numpy as np
import pytest

from morlbench.errors import UsageError
from morlbench.estimators import estimate
from morlbench.methods.base import MethodContext, RewardBatch, Rollout
from morlbench.methods.conditioned import Conditioned, conditioned_prompt, preference_line
from morlbench.methods.static import Static
from morlbench.run.evaluation import ConditionedModel, conditioned_texts, policy_view

OBJECTIVES = ("accuracy", "conciseness", "clarity")
W = np.array([0.5, 0.25, 0.25])


def method(**options) -> Conditioned:
    m = Conditioned.from_options(options)
    m.setup(MethodContext(OBJECTIVES, W, "grpo", 2, 3, 1e-4, 0))
    return m


class FakeLoop:
    """The public loop's primitives, recording what the method hands them."""

    prompts_per_step, group_size, total_steps = 3, 2, 2

    def __init__(self, method):
        self.method, self.seen, self.advantages, self.logs = method, [], [], []
        self.rewards = np.random.default_rng(0).integers(0, 2, size=(6, 3)).astype(float)

    def remaining_steps(self):
        yield from range(self.total_steps)

    def rollout(self, step):
        self.seen.append(conditioned_texts(self.method, [f"q{g}" for g in range(3) for _ in range(2)]))
        return Rollout(step, [], None, self.rewards, 1.0)

    def reward_batch(self, rollout, with_gradients=False):
        return RewardBatch(rollout.rewards, 2, rollout.step, lambda c: estimate("grpo", c, 2))

    def update(self, rollout, advantages):
        self.advantages.append(advantages)
        return {}

    def end_step(self, rollout, stats, log):
        self.logs.append(log)


def test_each_group_reads_and_is_scalarised_by_its_own_preference():
    m = method()
    loop = FakeLoop(m)
    m.train(loop)
    for step, (texts, log, advantages) in enumerate(zip(loop.seen, loop.logs, loop.advantages)):
        preferences = np.asarray(log["preferences"])
        assert np.allclose(preferences, m.draw_preferences(step, 3), atol=1e-4)
        rows = np.repeat(m.draw_preferences(step, 3), 2, axis=0)
        assert texts == [f"q{i // 2}" + preference_line(rows[i]) for i in range(6)]
        assert np.allclose(advantages, estimate("grpo", (loop.rewards * rows).sum(1), 2))
    assert not np.allclose(m.draw_preferences(0, 3), m.draw_preferences(1, 3))  # a new draw every step
    assert m.rows is None  # outside a rollout, prompts read the served preference
    assert conditioned_texts(m, ["q"]) == ["q" + preference_line(W)]


def test_preferences_are_seeded_by_the_run_and_the_step():
    assert np.array_equal(method().draw_preferences(5, 8), method().draw_preferences(5, 8))
    drawn = method(vertex_share=1.0).draw_preferences(0, 20)
    assert all(sorted(row.tolist()) in ([0, 0, 1], [0, 0.5, 0.5]) for row in drawn)


def test_serving_conditions_every_prompt_on_the_served_preference():
    m = method(position="start")
    m.serve(np.array([0.0, 0.0, 1.0]))
    assert conditioned_texts(m, ["a", "b"]) == ["preference 0.00 0.00 1.00\na", "preference 0.00 0.00 1.00\nb"]
    m.serve(None)  # the run's --weights
    assert conditioned_texts(m, ["a"]) == [preference_line(W) + "a"]
    assert conditioned_prompt("x", np.array([1 / 3] * 3), "end") == "xpreference 0.33 0.33 0.33\n"
    unset = Conditioned()
    with pytest.raises(UsageError, match="give one"):
        unset.condition(["a"])


def test_the_model_view_encodes_conditioned_prompts(tiny_random_model):
    m = method()
    m.serve(np.array([1.0, 0.0, 0.0]))
    view = policy_view(tiny_random_model, m)
    assert isinstance(view, ConditionedModel) and view.policy is tiny_random_model.policy
    assert view.encode_prompt("q") == tiny_random_model.encode_prompt("q" + preference_line([1, 0, 0]))
    static = Static()
    assert policy_view(tiny_random_model, static) is tiny_random_model  # methods that do not condition
    assert conditioned_texts(static, ["q"]) == ["q"]


def test_a_condition_that_breaks_the_contract_is_named():
    class Broken(Conditioned):
        def condition(self, prompts):
            return prompts[:-1]

    with pytest.raises(TypeError, match="conditioned: condition\\(prompts\\) must return a list of one str"):
        conditioned_texts(Broken(), ["a", "b"])


def test_serving_a_preference_and_none_the_runs_weights():
    m = method()
    m.serve(np.array([0.0, 1.0, 0.0]))
    assert np.allclose(m.served, [0.0, 1.0, 0.0])
    m.serve(None)
    assert np.allclose(m.served, W)
    assert Conditioned.declares.serves_preferences and Conditioned.declares.conditions_prompts
