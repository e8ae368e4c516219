"""Plugin code that tries to end the program (issue #34): SystemExit and KeyboardInterrupt raised by a plugin at
import or when called are reported in one line naming the entry point; the built-ins keep working; the user's own
Ctrl-C still stops a run resumably."""
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from morlbench import isolation, registry
from morlbench.cli import main

EXIT_PLUGIN = Path(__file__).parents[1] / "plugins" / "morlbench-exit-plugin"
TINY_FLAGS = ["--steps", "2", "--prompts-per-step", "2", "--group-size", "4", "--max-new-tokens", "48",
              "--eval-every", "2", "--task-opt", "select_size=12", "--task-opt", "report_size=16", "--task-opt",
              "val_size=4", "--no-progress"]
ENTRY = "(from morlbench-exit-plugin)"


@pytest.fixture(scope="module")
def exit_plugin(tmp_path_factory):
    """tests/plugins/morlbench-exit-plugin installed with pip and importable in this process while the module runs."""
    site = tmp_path_factory.mktemp("exit-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(EXIT_PLUGIN)], check=True,
                   env={**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("exit-build"))})
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    registry.entries.cache_clear()
    yield site
    sys.path.remove(str(site))
    importlib.invalidate_caches()
    registry.entries.cache_clear()


def _lines(text):
    return [line for line in text.strip().splitlines() if line]


def test_list_survives_plugins_that_exit_at_import_and_shows_each_error_on_one_line(exit_plugin, capsys):
    assert main(["list", "methods"]) == 0
    out, err = capsys.readouterr()
    assert "static" in out and "exits-in-advantages" in out
    warnings = {line.split("'")[1]: line for line in _lines(err)}
    assert "SystemExit: 3" in warnings["exits-at-import"]
    assert warnings["multi-line-import-error"].endswith(
        "ImportError: first line of the error second line third, indented")
    assert "FAILED TO LOAD: SystemExit: 3" in next(line for line in out.splitlines() if "exits-at-import" in line)


def test_a_builtin_runs_and_a_metric_calling_sys_exit_fails_alone(exit_plugin, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--method", "static", *TINY_FLAGS, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["metrics_not_computed"]["exits-when-called"] == (
        "failed: PluginError: metric 'exits-when-called' (from morlbench-exit-plugin) raised SystemExit(3); plugin "
        "code must raise an exception, not end the program")
    assert "KeyboardInterrupt()" in report["metrics_not_computed"]["interrupts-when-called"]
    assert report["metrics"]["hypervolume"] is not None  # the others are computed
    capsys.readouterr()
    board, results = tmp_path / "board", tmp_path / "results"
    assert main(["submit", str(out), "--to", str(results)]) == 0
    assert main(["leaderboard", "--results", str(results), "--out", str(board)]) == 0
    assert (board / "README.md").exists()


@pytest.mark.parametrize("method, raised", [("exits-in-advantages", "SystemExit(4)"),
                                            ("interrupts-in-after-step", 'KeyboardInterrupt("not the user\'s")')])
def test_a_method_that_tries_to_end_the_program_fails_its_run_in_one_line(exit_plugin, tmp_path, capsys, method,
                                                                         raised):
    out = tmp_path / "run"
    assert main(["run", "--method", method, *TINY_FLAGS, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert _lines(err) == [f"morlbench run: error: method {method!r} {ENTRY} raised {raised}; plugin code must raise "
                           "an exception, not end the program"], err
    failure = json.loads((out / "failure.json").read_text())  # a failed run, never taken for an interrupted one
    assert failure["error"].startswith(f"PluginError: method {method!r} {ENTRY} raised")


def test_the_users_interrupt_is_never_taken_for_a_plugins(monkeypatch):
    monkeypatch.setattr(isolation, "_watching", False)
    monkeypatch.setattr(isolation, "_user_signals", 0)
    assert isolation.plugin_error(KeyboardInterrupt(), "x") is None  # nobody watches: the user's
    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(signal, "getsignal", lambda signum: signal.default_int_handler)
    try:
        isolation.watch_user_signals()
        assert isinstance(isolation.plugin_error(KeyboardInterrupt(), "x"), isolation.PluginError)
        assert isinstance(isolation.plugin_error(SystemExit(0), "x"), isolation.PluginError)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        assert isolation.plugin_error(KeyboardInterrupt(), "x") is None  # the user pressed Ctrl-C
        assert isinstance(isolation.plugin_error(SystemExit(0), "x"), isolation.PluginError)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_stops_a_run_resumably(tmp_path):
    out = tmp_path / "run"
    flags = [f if f != "2" or i != 1 else "400" for i, f in enumerate(TINY_FLAGS)]
    run = subprocess.Popen([sys.executable, "-m", "morlbench", "run", *flags, "--out", str(out)],
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ((out / "metrics.jsonl").exists() and (out / "metrics.jsonl").read_text()):
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert _lines(err)[-1].startswith("morlbench: interrupted; continue a run with --resume")
    assert not (out / "failure.json").exists()
