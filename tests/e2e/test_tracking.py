"""--log-to: TensorBoard event files and an offline W&B run carry every step, evaluation and the final report."""
import pytest

from morlbench.cli import main
from morlbench.run.execute import execute
from morlbench.spec import RunSpec

TINY = dict(task="arith", steps=4, prompts_per_step=2, group_size=2, max_new_tokens=16, eval_every=2,
            gradient_cosine_every=0)


def test_tensorboard_event_files_are_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "run"
    execute(RunSpec(**TINY, weights=[0.5, 0.25, 0.25]), out, progress=False, log_to=["tensorboard"])
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"rewards/accuracy/mean", "train/loss", "train/kl", "weights/accuracy", "eval/accuracy",
            "eval/front_hypervolume", "final/hypervolume"} <= tags
    assert [e.step for e in events.Scalars("rewards/conciseness/mean")] == [1, 2, 3, 4]
    assert [e.step for e in events.Scalars("eval/hypervolume")] == [0, 2, 4]
    assert [round(e.value, 3) for e in events.Scalars("weights/accuracy")] == [0.5] * 4
    assert "report/text_summary" in events.Tags()["tensors"]  # the report's text


def test_an_unknown_tracker_is_refused_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--log-to", "mlflow", "--out", str(tmp_path / "never")])
    assert "invalid choice: 'mlflow'" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


@pytest.mark.slow
def test_an_offline_wandb_run_is_written_into_the_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    out = tmp_path / "run"
    execute(RunSpec(**TINY), out, progress=False, log_to=["wandb"])
    runs = list((out / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and list(runs[0].glob("*.wandb"))
