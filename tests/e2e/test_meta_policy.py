"""meta-policy and soups: the multi-LoRA mix, the schedule, preference sweeps, served metrics, generate."""
import copy
import json

import numpy as np
import pytest
import torch

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.methods.base import MethodContext
from morlbench.methods.meta_policy import MetaPolicy, MetaPolicySettings, Soups, split_steps
from morlbench.methods.multi_lora import MixedExperts, MultiLoRALinear
from morlbench.metrics.pareto import (
    best_stored_utility,
    controllability,
    served_utility,
)
from morlbench.preferences import das_dennis, default_preference_set, dirichlet, vertices_and_midpoints
from morlbench.run.execute import execute
from tests.factory import ARITH_PROMPTS, interrupt_then_resume, read
from tests.factory import tiny_spec as small_spec

NAMES = ("accuracy", "conciseness", "clarity")


def logits(policy, ids):
    with torch.no_grad():
        return policy(input_ids=ids).logits


@pytest.fixture()
def experts_on_random_model(tiny_random_model):
    """A copy of the random model with three LoRA experts whose B matrices are random (as if trained)."""
    policy = copy.deepcopy(tiny_random_model.policy)
    base = copy.deepcopy(policy)
    torch.manual_seed(1)
    experts = MixedExperts(policy, 3, rank=4, lora_alpha=8.0, mixer_hidden=16)
    for layer in experts.layers:
        for b in layer.lora_b:
            b.data.normal_(0, 0.2)
    return base, policy, experts


def soup_of(base, policy, w):
    """Rewarded Soups computed independently: every expert's delta merged into the base weights with weight w_e."""
    merged = copy.deepcopy(base)
    targets = dict(merged.named_modules())
    for name, module in policy.named_modules():
        if isinstance(module, MultiLoRALinear):
            delta = sum(w[e] * module.scale * (module.lora_b[e] @ module.lora_a[e]) for e in range(len(w)))
            targets[name].weight.data += delta
    return merged


@pytest.fixture()
def ids():
    return torch.randint(2, 100, (3, 9), generator=torch.Generator().manual_seed(0))


def test_untrained_mixer_reproduces_soups_exactly(experts_on_random_model, ids):
    base, policy, experts = experts_on_random_model
    for w in ([1.0, 0.0, 0.0], [0.2, 0.5, 0.3], [1 / 3] * 3):
        experts.set_preferences(torch.tensor([w]))
        mixed = logits(policy, ids)
        merged = logits(soup_of(base, policy, w), ids)
        assert torch.allclose(mixed, merged, atol=1e-5), w
    experts.set_preferences(None)  # no preference: the bare base
    assert torch.allclose(logits(policy, ids), logits(base, ids), atol=1e-6)


def test_a_trained_mixer_departs_from_soups_and_gets_gradients(experts_on_random_model, ids):
    base, policy, experts = experts_on_random_model
    w = [0.2, 0.5, 0.3]
    experts.train_only(None)
    experts.set_preferences(torch.tensor([w]))
    policy(input_ids=ids).logits.logsumexp(-1).sum().backward()
    last = experts.mixer.net[2]
    assert last.weight.grad is not None and last.weight.grad.abs().sum() > 0
    with torch.no_grad():
        last.bias.add_(0.3)
    assert not torch.allclose(logits(policy, ids), logits(soup_of(base, policy, w), ids), atol=1e-4)


def test_per_row_preferences_mix_each_row_on_its_own(experts_on_random_model, ids):
    _, policy, experts = experts_on_random_model
    rows = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0.3, 0.3, 0.4]])
    experts.set_preferences(rows)
    together = logits(policy, ids)
    for r in range(3):
        experts.set_preferences(rows[r : r + 1])
        assert torch.allclose(together[r], logits(policy, ids[r : r + 1])[0], atol=1e-5)


def test_per_row_preferences_follow_rows_as_generation_drops_ended_ones(embedded_model):
    """Generate drops rows that ended; each remaining row must keep its own preference (greedy, so the tokens
    of a row decoded in a batch equal those decoded alone)."""
    from morlbench.engine.sampling import generate
    m = embedded_model
    policy = copy.deepcopy(m.policy)
    torch.manual_seed(2)
    experts = MixedExperts(policy, 3, rank=4, lora_alpha=8.0, mixer_hidden=16)
    for layer in experts.layers:
        for b in layer.lora_b:
            b.data.normal_(0, 0.05)
    prompts = [m.encode_prompt(p) for p in ARITH_PROMPTS]
    rows = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]])
    kwargs = dict(max_new_tokens=64, eos_id=m.eos_token_id, pad_id=m.pad_token_id, greedy=True)
    experts.set_preferences(rows)
    together = generate(policy, prompts, **kwargs)
    assert len(set(together.lengths)) > 1
    for r in range(len(prompts)):
        experts.set_preferences(rows[r : r + 1])
        alone = generate(policy, prompts[r : r + 1], **kwargs)
        n = alone.lengths[0] + 1
        assert together.lengths[r] == alone.lengths[0]
        assert torch.equal(together.completion_ids[r, :n], alone.completion_ids[0, :n])


def test_train_only_switches_exactly_one_level(experts_on_random_model):
    _, policy, experts = experts_on_random_model
    experts.train_only(1)
    trainable = {n for n, p in policy.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("lora_a.1", "lora_b.1")) for n in trainable)
    experts.train_only(None)
    trainable = {n for n, p in policy.named_parameters() if p.requires_grad}
    assert trainable and all(".mixer." in n for n in trainable)
    assert sum(isinstance(m, MultiLoRALinear) for m in policy.modules()) == 2 * 7  # every linear in 2 blocks


def test_model_without_blocks_is_refused():
    with pytest.raises(UsageError, match="no linear layers inside numbered transformer blocks"):
        MixedExperts(torch.nn.Sequential(torch.nn.Linear(3, 3)), 2, 2, 4.0, 4)


def test_schedule_splits_the_budget_between_levels():
    assert split_steps(10, 3) == [4, 3, 3]
    method = MetaPolicy(MetaPolicySettings(mixer_share=0.25))
    method.objectives = NAMES
    method.setup(MethodContext(NAMES, np.full(3, 1 / 3), "grpo", 4, 60, 1e-4, 0))
    assert method.expert_steps == 45 and method.chunks == [15, 15, 15]
    assert [method.expert_at(s) for s in (0, 14, 15, 44)] == [0, 0, 1, 2]
    assert method.expert_at(45) is None and method.expert_at(59) is None
    soups = Soups()
    soups.setup(MethodContext(NAMES, np.full(3, 1 / 3), "grpo", 4, 60, 1e-4, 0))
    assert soups.expert_steps == 60 and soups.expert_at(59) == 2
    with pytest.raises(UsageError, match="needs at least one step per expert"):
        Soups().setup(MethodContext(NAMES, np.full(3, 1 / 3), "grpo", 4, 2, 1e-4, 0))


def test_upper_level_preferences_cover_vertices_midpoints_and_the_interior():
    method = MetaPolicy()
    method.objectives = NAMES
    method.setup(MethodContext(NAMES, np.full(3, 1 / 3), "grpo", 4, 60, 1e-4, 5))
    drawn = np.vstack([method.draw_preferences(step, 8) for step in range(40)])
    assert np.allclose(drawn.sum(axis=1), 1) and (drawn >= 0).all()
    fixed = vertices_and_midpoints(3)
    on_fixed = np.array([any(np.allclose(d, f) for f in fixed) for d in drawn])
    assert 0.35 < on_fixed.mean() < 0.65  # vertex_share 0.5
    assert np.array_equal(method.draw_preferences(3, 8), method.draw_preferences(3, 8))


def test_preference_grids():
    grid = das_dennis(3, 4)
    assert grid.shape == (15, 3) and np.allclose(grid.sum(axis=1), 1)
    assert das_dennis(2, 4).shape == (5, 2) and das_dennis(4, 2).shape == (10, 4)
    held = dirichlet(3, 10, 2026)
    assert np.array_equal(held, dirichlet(3, 10, 2026))
    assert not any(np.allclose(h, g) for h in held for g in grid)


def test_served_metrics_hand_checked():
    w = [[1, 0], [0, 1], [0.5, 0.5]]
    j = [[0.8, 0.1], [0.2, 0.9], [0.5, 0.5]]
    assert served_utility(w, j) == pytest.approx((0.8 + 0.9 + 0.5) / 3)
    assert best_stored_utility(w, [[0.8, 0.1], [0.2, 0.9]]) == pytest.approx((0.8 + 0.9 + 0.55) / 3)
    assert controllability(w, j) == pytest.approx([1.0, 1.0])
    assert controllability(w, [[0.2, 0.9], [0.8, 0.1], [0.5, 0.5]]) == pytest.approx([-1.0, -1.0])
    assert controllability(w, [[0.5, 0.1], [0.5, 0.9], [0.5, 0.5]])[0] is None  # constant objective


def tiny_meta_spec(method="meta-policy", **overrides):
    options = dict(overrides.pop("method_options", {}))
    return small_spec(method=method, steps=4, eval_every=2, checkpoint_every=2, method_options=options,
                      **overrides)


@pytest.fixture(scope="module")
def meta_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("meta") / "run"
    execute(tiny_meta_spec(), out, progress=False)
    return out


def test_meta_policy_run_records_levels_sweeps_and_served_metrics(meta_run):
    metrics = [json.loads(l) for l in read(meta_run / "metrics.jsonl").splitlines()]
    assert [m["method"]["level"] for m in metrics] == ["expert", "expert", "expert", "mixer"]
    assert [m["method"]["expert"] for m in metrics[:3]] == list(NAMES)
    assert metrics[-1]["method"]["mixer_residual"] > 0  # the upper level moved phi away from zero
    evals = [json.loads(l) for l in read(meta_run / "eval.jsonl").splitlines()]
    # protocol 3: the protocol serves the artifact at each w of W at every evaluation, the method has no say
    preference_set = [list(w) for w in default_preference_set(3)]
    assert all([p["preference"] for p in e["points"]] == preference_set for e in evals)
    final = evals[-1]  # only what is delivered is valued on the report split
    assert all("report" in p for p in final["points"]) and "held_out" not in final
    assert not any("report" in p for e in evals[:-1] for p in e["points"])
    report = json.loads(read(meta_run / "report.json"))
    served = report["served"]
    assert served["utility_grid"] == pytest.approx(np.mean([np.dot(w, p["report"]) for w, p in
                                                            zip(preference_set, final["points"])]), abs=1e-6)
    assert set(served["controllability"]) == set(NAMES) and "utility_held_out" not in served
    assert (meta_run / "preferences.png").exists()
    assert "Served by one artifact" in read(meta_run / "report.md")


def test_meta_policy_resumes_exactly(meta_run, tmp_path, monkeypatch):
    interrupt_then_resume(tiny_meta_spec(), tmp_path / "cut", monkeypatch)
    assert read(tmp_path / "cut" / "eval.jsonl") == read(meta_run / "eval.jsonl")


def test_generate_serves_a_preference_from_the_artifact(meta_run, capsys):
    assert main(["generate", "--run", str(meta_run), "--preference", "0.6,0.2,0.2", "--max-new-tokens", "8",
                 "--prompt", "Ann has 5 apples. She buys 3 apples."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Ann has 5 apples.")


@pytest.mark.parametrize("args, message", [
    (["--preference", "0.6,0.4"], "--preference has 2 values; the task has 3 objectives"),
    (["--preference", "0.6,-0.2,0.2"], "every weight must be a finite number >= 0"),
    (["--preference", "0,0,0"], "at least one weight must be positive"),
    ([], "serves preferences: pass --preference with 3 weights"),
])
def test_generate_rejects_bad_preferences_in_one_line(meta_run, args, message, capsys):
    assert main(["generate", "--run", str(meta_run), *args, "--prompt", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_generate_refuses_a_preference_for_a_single_policy_run(tmp_path, capsys):
    out = tmp_path / "static"
    execute(small_spec(steps=1, eval_every=1, checkpoint_every=1), out, progress=False)
    assert main(["generate", "--run", str(out), "--preference", "1,0,0", "--prompt", "x"]) == 2
    assert "trains one policy" in capsys.readouterr().err
    assert main(["generate", "--run", str(out), "--max-new-tokens", "4", "--prompt", "x"]) == 0
    capsys.readouterr()
    # problems drawn from a split, each completion with its score per objective
    assert main(["generate", "--run", str(out), "--split", "report", "--n", "3", "--max-new-tokens", "8"]) == 0
    shown = capsys.readouterr().out
    assert shown.count("### ") == 3 and shown.count("(reference answer: ") == 3
    assert shown.count("-> accuracy ") == 3 and "conciseness " in shown and "clarity " in shown
    assert main(["generate", "--run", str(out), "--split", "tets"]) == 2
    assert "--split 'tets': the task's splits are train, val, select, report" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    ("mixer_share=1", "setting mixer_share 1.0: must be > 0 and <= 0.99"),
    ("anchor_objective=style", "anchor_objective 'style' is not an objective of this task"),
    ("rank=0", "setting rank 0: must be >= 1"),
])
def test_bad_meta_policy_settings(option, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", "--method", "meta-policy", "--method-opt", option, "--out", str(out), "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def mean_served_length(served, problems, preference):
    from morlbench.engine.sampling import generate

    served.method.serve(np.asarray(preference))
    gen = generate(served.model.policy, [served.model.encode_prompt(p.prompt) for p in problems],
                   max_new_tokens=served.max_new_tokens, eos_id=served.model.eos_token_id,
                   pad_id=served.model.pad_token_id, greedy=True)
    return float(np.mean(gen.lengths))


@pytest.mark.slow
def test_one_artifact_serves_short_answers_for_conciseness_and_long_ones_for_accuracy(tmp_path):
    """Small experts trained end to end; the same artifact answers shorter when conciseness weighs most."""
    from morlbench.serving import load_run

    out = tmp_path / "soups"
    spec = small_spec(method="soups", steps=24, prompts_per_step=8, group_size=8, eval_every=24,
                      checkpoint_every=24, max_new_tokens=None,
                      method_options={"expert_lr": 3e-3})
    execute(spec, out, progress=False)
    served = load_run(out, "0.8,0.1,0.1")
    problems = served.task.split("report")
    accuracy_heavy = mean_served_length(served, problems, [0.8, 0.1, 0.1])
    concise_heavy = mean_served_length(served, problems, [0.1, 0.8, 0.1])
    assert concise_heavy < 0.8 * accuracy_heavy, (accuracy_heavy, concise_heavy)


@pytest.mark.parametrize("level", ["mixer", "expert"])
def test_micro_batched_update_with_per_row_preferences_equals_the_whole_batch(tiny_random_model, level):
    """The meta-policy's rows carry different preferences; a micro-batched update must feed each slice its own
    rows' preferences (engine.rows_followed) and end exactly where the whole-batch update ends."""
    from morlbench.engine.engine import Engine
    from morlbench.models.base import LoadedModel
    from morlbench.spec import EngineSettings

    rng = np.random.default_rng(3)
    preferences = rng.dirichlet(np.ones(3), size=12)
    advantages = torch.as_tensor(rng.normal(size=12))
    prompts = [tiny_random_model.encode_prompt(p) for p in ARITH_PROMPTS[:3] for _ in range(4)]
    finals, gradients = [], []
    for micro in (0, 100):  # 0: auto, the whole batch in one pass; 100 tokens: several micro-batches
        policy = copy.deepcopy(tiny_random_model.policy)
        model = LoadedModel(policy, tiny_random_model.tokenizer, "random", {})
        engine = Engine(model, EngineSettings(micro_batch_tokens=micro))
        torch.manual_seed(1)
        experts = MixedExperts(policy, 3, rank=4, lora_alpha=8.0, mixer_hidden=16)
        for layer in experts.layers:
            for b in layer.lora_b:
                b.data.normal_(0, 0.2)
        experts.train_only(None if level == "mixer" else 1)
        engine.set_parameter_groups([{"params": [p for p in policy.parameters() if p.requires_grad]}])
        experts.set_preferences(preferences)
        gen = engine.sample(prompts, max_new_tokens=8, seed=5)
        assert (len(engine.micro_batches(gen)) > 1) == (micro > 0)
        gradients.append(engine.objective_gradients(gen, advantages.unsqueeze(1)))
        engine.update(gen, advantages)
        finals.append([p.detach().clone() for p in policy.parameters() if p.requires_grad])
    assert torch.allclose(gradients[0], gradients[1], rtol=1e-4, atol=1e-7)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(*finals))


@pytest.mark.parametrize("options, expert_lr", [({}, 3e-4), ({"expert_lr": "1e-3"}, 1e-3)])
def test_experts_learn_at_the_runs_learning_rate_unless_expert_lr_is_set(tiny_random_model, options, expert_lr):
    """The experts follow the run's --lr (what a tuning search varies); expert_lr > 0 pins them (the old 1e-3);
    the mixer keeps its own mixer_lr."""
    from morlbench.engine.engine import Engine
    from morlbench.models.base import LoadedModel
    from morlbench.spec import EngineSettings

    model = LoadedModel(copy.deepcopy(tiny_random_model.policy), tiny_random_model.tokenizer, "random", {})
    engine = Engine(model, EngineSettings(lr=3e-4, kl_coef=0.0))
    method = MetaPolicy.from_options(options)
    engine.set_parameter_groups(method.prepare_policy(model.policy, NAMES))
    rates = [group["lr"] for group in engine.optimizer.param_groups]
    assert rates == [expert_lr] * 3 + [method.settings.mixer_lr]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["meta-policy", "soups"])
def test_preference_serving_runs_train_and_serve_under_bfloat16_autocast(method, tmp_path, monkeypatch, capsys):
    """Their adapters (float32, trained) over a base whose frozen linear weights are stored in bfloat16: the run
    trains, serves W from the one artifact, resumes to the same bits, and `generate` serves at the run's precision."""
    spec = tiny_meta_spec(method, dtype="bfloat16-autocast")
    out = tmp_path / "whole"
    execute(spec, out, progress=False)
    assert json.loads(read(out / "config.json"))["resolved"]["dtype"] == "bfloat16-autocast"
    final = [json.loads(line) for line in read(out / "eval.jsonl").splitlines()][-1]
    assert len(final["points"]) == 3 and all(np.isfinite(p["report"]).all() for p in final["points"])
    interrupt_then_resume(spec, tmp_path / "cut", monkeypatch)
    assert read(tmp_path / "cut" / "eval.jsonl") == read(out / "eval.jsonl")
    assert main(["generate", "--run", str(out), "--preference", "0.6,0.2,0.2", "--max-new-tokens", "8",
                 "--prompt", "Ann has 5 apples. She buys 3 apples."]) == 0
    assert capsys.readouterr().out.startswith("### Ann has 5 apples.")
