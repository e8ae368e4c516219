"""``morlbench list KIND -v``: every setting of each entry with its default, accepted range and help."""
import dataclasses

from morlbench.cli import main
from morlbench.methods.hypervolume import HypervolumeWeighting
from morlbench.settings import describe_settings
from morlbench.tasks.arith import ArithTask


def entry_block(text: str, name: str) -> list[str]:
    """The lines of one entry: its own line and the indented ones under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {name} "))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    return block


def test_list_methods_verbose_shows_every_setting_with_default_range_and_help(capsys):
    assert main(["list", "methods", "-v"]) == 0
    block = "\n".join(entry_block(capsys.readouterr().out, "hypervolume"))
    assert "capabilities: validation, linear_scalarisation" in block
    assert "settings (--method-opt NAME=VALUE):" in block
    for name, _, default, help_and_range in describe_settings(HypervolumeWeighting.Settings):
        line = next(line for line in block.splitlines() if line.strip().startswith(f"{name} = "))
        assert str(default) in line and help_and_range in line, line
    assert "eta = 1.0" in block and "(>= 0 and <= 1e+06)" in block
    assert "(one of origin, initial)" in block


def test_list_tasks_verbose_shows_task_options(capsys):
    assert main(["list", "tasks", "-v"]) == 0
    block = "\n".join(entry_block(capsys.readouterr().out, "arith"))
    assert "settings (--task-opt NAME=VALUE):" in block
    assert len([f for f in dataclasses.fields(ArithTask.Settings)]) == block.count(" = ")
    assert "report_size = 512" in block and "(>= 1 and <= 100000)" in block


def test_list_metrics_verbose_shows_kind_and_direction(capsys):
    assert main(["list", "metrics", "-v"]) == 0
    block = "\n".join(entry_block(capsys.readouterr().out, "igd-plus"))
    assert "kind pair; lower is better" in block


def test_list_without_verbose_shows_one_line_per_entry(capsys):
    assert main(["list", "methods"]) == 0
    assert "settings" not in capsys.readouterr().out
