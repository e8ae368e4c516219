"""Registries are filled from entry points of installed distributions, plugins exactly like built-ins.

The plugin test installs a real distribution (tests/plugins/morlbench-test-plugin) with pip into a
temporary directory and runs the CLI in a subprocess whose path includes it, so discovery goes through
importlib.metadata as it does for users.
"""

import pytest

from morlbench import registry
from morlbench.errors import UsageError
from tests.factory import run_cli


def test_builtins_are_registered_through_entry_points():
    assert "arith" in registry.names("tasks")
    assert "static" in registry.names("methods")
    assert {"hypervolume", "front", "c-metric", "steps-to-front"} <= set(registry.names("metrics"))
    assert "tiny-arith" in registry.names("models")
    assert all(e.package == "morlbench" for e in registry.entries("tasks") if e.name == "arith")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UsageError, match=r"unknown method 'statik'; did you mean static\?"):
        registry.lookup("methods", "statik")
    with pytest.raises(UsageError, match=r"unknown task 'zzz'; registered: .*arith"):
        registry.lookup("tasks", "zzz")


def cli(test_plugin, *args):
    return run_cli(test_plugin, *args)


def test_installed_plugin_is_listed_with_its_package(test_plugin):
    out = cli(test_plugin, "list", "methods")
    assert out.returncode == 0, out.stderr
    line = next(l for l in out.stdout.splitlines() if "first-objective" in l)
    assert "morlbench-test-plugin" in line and "trains on the first objective" in line
    assert "static" in out.stdout  # the built-ins still load


def test_broken_plugin_is_reported_by_name_and_spares_the_others(test_plugin):
    out = cli(test_plugin, "list", "methods")
    assert "broken-method" in out.stderr and "this plugin is broken on purpose" in out.stderr
    assert "first-objective" in out.stdout
    out = cli(test_plugin, "run", "--method", "broken-method", "--steps", "1")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("morlbench run: error: method 'broken-method' from "
                                                           "morlbench-test-plugin failed to load: ImportError")


def test_unknown_method_exits_nonzero_with_one_line(test_plugin, tmp_path):
    out = cli(test_plugin, "run", "--method", "first-objectiv", "--out", str(tmp_path / "r"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == ("morlbench run: error: unknown method 'first-objectiv'; "
                                                  "did you mean first-objective?")
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_plugin_metric_is_listed(test_plugin):
    out = cli(test_plugin, "list", "metrics")
    assert "spread" in out.stdout and "morlbench-test-plugin" in out.stdout
