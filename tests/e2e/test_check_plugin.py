"""`morlbench check-plugin`: every built-in passes the plugin contract; a broken plugin fails with a named reason."""
import pytest

from morlbench import registry
from morlbench.plugin_check import CHECKED_KINDS, check_plugin
from tests.factory import run_cli

BUILT_INS = [(kind, e.name) for kind in CHECKED_KINDS for e in registry.entries(kind) if e.package == "morlbench"]


def test_a_broken_method_fails_with_the_contract_it_broke(test_plugin):
    out = run_cli(test_plugin, "check-plugin", "nan-advantages")
    assert out.returncode == 1, out.stderr
    assert ("FAIL  runs on the embedded task: morlbench.contract.ContractError: method 'nan-advantages' (from "
            "morlbench-test-plugin): advantages() returned 4 non-finite values") in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "nan-advantages: failed: runs on the embedded task"
    assert "Traceback" not in out.stderr


def test_an_unknown_name_is_refused_in_one_line(test_plugin):
    out = run_cli(test_plugin, "check-plugin", "statik")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == ("morlbench check-plugin: error: 'statik' is not a registered "
                                                  "method, objective or metric (`morlbench list`)")


@pytest.mark.slow
def test_a_metric_returning_a_string_fails_check_plugin(test_plugin):
    out = run_cli(test_plugin, "check-plugin", "string-metric")
    assert out.returncode == 1
    assert "FAIL  returns a value a result file can store: morlbench.contract.ContractError: metric " \
           "'string-metric' (from morlbench-test-plugin): returned str 'high'" in out.stdout, out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind, name", BUILT_INS, ids=[f"{k}:{n}" for k, n in BUILT_INS])
def test_every_built_in_passes_check_plugin(kind, name, tmp_path):
    checks = check_plugin(name, kind, tmp_path)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert len(checks) >= 3
