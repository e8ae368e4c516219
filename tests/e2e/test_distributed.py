"""Data parallelism under ``accelerate launch``: 2 CPU processes with the gloo backend."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(*args: str, timeout: int = 600, succeed: bool = True) -> subprocess.CompletedProcess:
    # --multi_gpu picks accelerate's torchrun launcher; without a GPU the ranks use CPU and gloo.
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--num_cpu_threads_per_process", "1", "--main_process_port", str(free_port()), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if succeed:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_reduced_gradients_equal_the_whole_batch(tmp_path):
    out = tmp_path / "exactness.json"
    launch(str(HERE / "distributed" / "exactness.py"), str(out))
    found = json.loads(out.read_text())
    assert found["processes"] == 2 and found["backend"] == "gloo"
    assert found["gradient_scale"] > 1e-3  # the comparison below is not between zeros
    assert found["objective_gradient_diff"] < 1e-6 * max(1.0, found["gradient_scale"])
    assert found["update_gradient_diff"] < 1e-6
    assert found["single_process_is_identity"]


@pytest.mark.slow
def test_run_under_two_processes_writes_a_normal_run(tmp_path):
    out = tmp_path / "run"
    launch("-m", "morlbench", "run", "--method", "gradient", "--steps", "2", "--prompts-per-step", "2",
           "--group-size", "4", "--eval-every", "2", "--gradient-cosine-every", "1", "--no-progress",
           "--out", str(out))
    config = json.loads((out / "config.json").read_text())
    assert config["resolved"]["processes"] == 2
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2]
    assert all(m["rollouts"] == 8 * m["step"] for m in metrics)  # both ranks' rollouts counted
    assert all("gradient_cosine" in m for m in metrics)
    assert all(len(m["method"]["influences"]) == 3 for m in metrics)
    evals = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0, 2]
    assert json.loads((out / "report.json").read_text())
    assert (out / "checkpoint" / "state.json").exists()


def test_meta_policy_refuses_several_processes(tmp_path):
    done = launch("-m", "morlbench", "run", "--method", "soups", "--steps", "4", "--no-progress",
                  "--out", str(tmp_path / "run"), succeed=False)
    assert done.returncode != 0
    assert "method soups does not run under several processes (2 launched)" in done.stderr
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_prompt_groups_must_split_evenly_over_the_processes():
    from morlbench.engine.distributed import Ranks
    from morlbench.errors import UsageError

    assert Ranks(1, 2).group_share(4) == slice(2, 4)
    with pytest.raises(UsageError, match="prompts_per_step=3 does not split over 2 processes"):
        Ranks(0, 2).group_share(3)
