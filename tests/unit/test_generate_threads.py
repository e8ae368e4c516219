"""``morlbench generate --threads``: torch's threads set as ``run`` sets them, with run's default."""
import torch

from morlbench.cli import build_parser, main
from morlbench.spec import RunSpec


def test_generate_threads_defaults_to_runs_default():
    args = build_parser().parse_args(["generate", "--run", "x", "--prompt", "q"])
    assert args.threads == RunSpec().threads == 1


def test_generate_sets_threads_before_loading_the_run(tmp_path, capsys):
    try:
        assert main(["generate", "--run", str(tmp_path / "absent"), "--threads", "2", "--prompt", "q"]) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    assert main(["generate", "--run", str(tmp_path / "absent"), "--threads", "0", "--prompt", "q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "morlbench generate: error: --threads 0: must be at least 1"
