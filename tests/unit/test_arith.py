import random
from collections import Counter

import pytest

from morlbench.errors import UsageError
from morlbench.tasks.arith import STYLES, ArithTask, generate_problem, generate_split
from morlbench.tasks.base import Sample


def test_splits_are_deterministic_balanced_and_disjoint():
    a, b = ArithTask(), ArithTask()
    for name in a.split_names:
        assert [p.prompt for p in a.split(name)] == [p.prompt for p in b.split(name)]
    assert a.split_sizes() == {"train": 4000, "val": 64, "select": 128, "report": 512}
    assert Counter(p.difficulty for p in a.split("report")) == {1: 128, 2: 128, 3: 128, 4: 128}
    prompts = {name: {p.prompt for p in a.split(name)} for name in a.split_names}
    for i, first in enumerate(a.split_names):
        for second in a.split_names[i + 1 :]:
            assert not prompts[first] & prompts[second], (first, second)


def test_evaluation_splits_hold_no_pretraining_problem_and_keep_the_old_eval_split():
    from morlbench.tasks.arith import SPLIT_SEEDS, pretraining_prompts, prompt_of

    task = ArithTask()
    seen = pretraining_prompts()
    assert len(seen) > 90_000
    for name in ("select", "report"):
        assert not {p.prompt for p in task.split(name)} & seen
    old_eval = [prompt_of(p) for p in generate_split(SPLIT_SEEDS["report"], 128)]
    assert [p.prompt for p in task.split("report")[:128]] == old_eval


def test_answers_are_integers_and_solutions_are_consistent():
    rng = random.Random(5)
    for _ in range(300):
        problem = generate_problem(rng)
        value = problem.start
        for step in problem.steps:
            value = {"+": value + step.operand, "-": value - step.operand, "*": value * step.operand,
                     "/": value // step.operand}[step.op]
            if step.op == "/":
                assert step.before % step.operand == 0
            assert value == step.after >= 0
        assert problem.answer == value and 1 <= len(problem.steps) <= 4


def test_every_solution_style_scores_as_intended():
    task = ArithTask()
    problem = generate_split(7, 1)[0]
    from morlbench.tasks.base import Problem

    p = Problem("x", "", str(problem.answer), len(problem.steps))
    vectors = {style: task.eval_vector([Sample(p, problem.solution(style), 10)]) for style in STYLES}
    assert all(v[0] == 1.0 for v in vectors.values())  # every style is correct when computed right
    assert vectors["numbered"][2] == 1.0 and vectors["direct"][2] == 0.0


def test_prompt_asks_for_boxed_answer():
    assert all("\\boxed{}" in p.prompt for p in ArithTask().split("report"))


def test_version_changes_with_scoring_settings():
    base = ArithTask().version
    assert ArithTask.from_options({"clarity_rule": "strict"}).version != base
    assert ArithTask.from_options({"conciseness_rule": "continuous"}).version != base


def test_bad_settings_are_usage_errors():
    with pytest.raises(UsageError, match="unknown setting 'evalsize'"):
        ArithTask.from_options({"evalsize": "3"})
    with pytest.raises(UsageError, match="not a valid int"):
        ArithTask.from_options({"report_size": "many"})
    with pytest.raises(UsageError, match="unknown split"):
        ArithTask().split("dev")
