"""conditioned end to end on the embedded model: training rollouts read each group's preference, evaluations
sweep served preferences, and one artifact serves any preference through ``morlbench generate``."""
import json

import numpy as np
import pytest

from morlbench.cli import main
from morlbench.engine.engine import Engine
from morlbench.methods.conditioned import preference_line
from morlbench.run.execute import execute
from tests.factory import read, tiny_spec


@pytest.fixture(scope="module")
def conditioned_run(tmp_path_factory):
    """A tiny run that records the prompts the engine sampled from at every step."""
    out = tmp_path_factory.mktemp("conditioned") / "run"
    sampled = []
    original = Engine.sample

    def recording(self, prompts, *args, **kwargs):
        sampled.append([self.model.tokenizer.decode(p) for p in prompts])
        return original(self, prompts, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Engine, "sample", recording)
        execute(tiny_spec(method="conditioned"), out, progress=False)
    return out, sampled


def test_training_rollouts_read_their_groups_preference(conditioned_run):
    out, sampled = conditioned_run
    metrics = [json.loads(line) for line in read(out / "metrics.jsonl").splitlines()]
    assert len(sampled) == len(metrics) == 4
    for prompts, record in zip(sampled, metrics):
        rows = np.repeat(np.asarray(record["method"]["preferences"]), 4, axis=0)
        assert all(p.endswith(preference_line(w)) for p, w in zip(prompts, rows))


def test_evaluations_serve_the_protocols_preferences(conditioned_run):
    """Protocol 3: at every evaluation the artifact is served at each preference of W, the final one valued on the
    report split too."""
    from morlbench.preferences import default_preference_set

    out, _ = conditioned_run
    evals = [json.loads(line) for line in read(out / "eval.jsonl").splitlines()]
    served = [list(w) for w in default_preference_set(3)]
    assert all([p["preference"] for p in e["points"]] == served for e in evals)
    assert all("report" in p for p in evals[-1]["points"]) and not any("report" in p for p in evals[0]["points"])
    config = json.loads(read(out / "config.json"))
    assert config["resolved"]["method_capabilities"]["conditions_prompts"] is True
    assert "Served by one artifact" in read(out / "report.md")


def test_generate_conditions_on_the_preference(conditioned_run, capsys):
    """The served preference changes what the policy reads, and so what it writes."""
    from morlbench.serving import load_run

    out, _ = conditioned_run
    served = load_run(out, "1,0,0")
    questions = [p.prompt for p in served.task.split("report")[:8]]
    texts = {}
    for preference in ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]):
        served.method.serve(np.asarray(preference))
        texts[tuple(preference)] = [text for text, _ in served._generate(questions, 24, 0.0, 0)]
    assert texts[(1.0, 0.0, 0.0)] != texts[(0.0, 1.0, 0.0)]
    assert main(["generate", "--run", str(out), "--preference", "0,0,1", "--max-new-tokens", "8",
                 "--prompt", "Ann has 5 apples. She buys 3 apples."]) == 0
    assert capsys.readouterr().out.startswith("### Ann has 5 apples.")
