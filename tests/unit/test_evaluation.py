"""Greedy evaluation (morlbench/run/evaluation.py) decodes in batches of similar prompt lengths and returns every
problem's sample in the problems' own order, whatever the batch size."""
from morlbench.run.evaluation import evaluate
from morlbench.tasks.arith import ArithTask


def test_samples_keep_the_problems_order_and_do_not_depend_on_the_batch_size(embedded_model):
    task = ArithTask()
    problems = task.split("report")[:12]
    lengths = [len(embedded_model.encode_prompt(p.prompt)) for p in problems]
    assert lengths != sorted(lengths)  # else the order would be kept even without putting samples back
    alone = [evaluate(embedded_model, task, [p], 24, batch_size=1) for p in problems]
    for batch_size in (5, 12):
        evaluation = evaluate(embedded_model, task, problems, 24, batch_size=batch_size)
        assert [s.problem for s in evaluation.samples] == problems
        assert [(s.text, s.num_tokens) for s in evaluation.samples] == [
            (a.samples[0].text, a.samples[0].num_tokens) for a in alone]
        assert evaluation.generated_tokens == sum(a.generated_tokens for a in alone)
