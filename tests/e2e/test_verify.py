"""`morlbench verify` (issue #34): a submitted result rerun from its recorded spec reproduces bit for bit on this
machine; a tampered copy is refused naming the step and field that differ; the leaderboard reads the records."""
import json
import shutil

import pytest

from morlbench.cli import main
from morlbench.results.submission import submit
from morlbench.run.execute import execute
from morlbench.verify import HV_TOLERANCE, compare_evals, judge, verified, verified_dir
from tests.factory import tiny_spec


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    run = execute(tiny_spec(), root / "run", progress=False)
    return submit(run, root / "board" / "results")


def test_a_result_reproduces_bit_for_bit_and_a_tampered_copy_is_refused_naming_the_field(submitted, capsys):
    results = submitted.parents[1]
    data = json.loads(submitted.read_text())
    step2 = next(e for e in data["evals"] if e["step"] == 2)
    recorded = step2["objectives"][0]
    step2["objectives"][0] = round(recorded - 0.1, 6)  # a point that was never on the front: the claims still hold
    tampered = results / "tampered" / "static-seed0-tampered.json"
    tampered.parent.mkdir()
    tampered.write_text(json.dumps(data))

    assert main(["verify", str(submitted), str(tampered), "--results", str(results), "--no-progress"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{submitted}: reproduced bit for bit, on the recorded machine class"
    assert out[1] == (f"{tampered}: does not reproduce: evals[step 2].objectives[0]: recorded "
                      f"{step2['objectives'][0]}, rerun {recorded}")
    assert out[2] == f"1 of 2 reproduced; records in {verified_dir(results)}"

    record = json.loads((verified_dir(results) / submitted.name).read_text())
    assert (record["verdict"], record["same_machine_class"], record["difference"]) == ("bit-for-bit", True, None)
    assert set(verified(results)) == {submitted.name}  # the tampered copy's record says it did not reproduce

    edited = results / "edited"  # a verified file changed afterwards is no longer verified
    shutil.copytree(submitted.parent, edited / submitted.parent.name)
    shutil.copytree(verified_dir(results), verified_dir(edited))
    copy = edited / submitted.parent.name / submitted.name
    copy.write_text(copy.read_text() + " ")
    assert verified(edited) == {}


def test_a_result_whose_claims_were_tampered_is_refused_before_any_rerun(submitted, tmp_path, capsys):
    data = json.loads(submitted.read_text())
    data["evals"][-1]["report"][0] = 1.0  # the delivered point: its claimed hypervolume no longer holds
    forged = tmp_path / "results" / "v" / "forged.json"
    forged.parent.mkdir(parents=True)
    forged.write_text(json.dumps(data))
    assert main(["verify", str(forged), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tampered: claimed" in err, err
    assert not verified_dir(tmp_path / "results").exists()


def test_elsewhere_a_rerun_is_judged_by_its_schedule_and_front_within_the_tolerance(submitted):
    evals = json.loads(submitted.read_text())["evals"]
    drifted = json.loads(json.dumps(evals))
    drifted[-1]["tokens"] += 3  # rounding drift: other tokens sampled, the front moved a little
    drifted[-1]["report"] = [round(v * (1 - HV_TOLERANCE / 10), 6) for v in drifted[-1]["report"]]  # delivered
    assert judge(evals, drifted, same_class=True)["verdict"] == "differs"
    verdict = judge(evals, drifted, same_class=False)
    assert verdict["verdict"] == "within-tolerance" and verdict["reproduced"]
    last = evals[-1]["step"]
    assert verdict["difference"].startswith(f"evals[step {last}].")  # the first field that differs, named
    moved = json.loads(json.dumps(drifted))
    moved[-1]["report"] = [0.0] * len(moved[-1]["report"])
    assert judge(evals, moved, same_class=False)["verdict"] == "differs"
    assert judge(evals, evals[:-1], same_class=False)["verdict"] == "differs"  # the schedule must be whole


def test_fields_only_the_rerun_has_are_not_compared():
    assert compare_evals([{"step": 0, "objectives": [0.5]}], [{"step": 0, "objectives": [0.5], "new": 1}]) is None
    assert compare_evals([{"step": 0, "flag": True}], [{"step": 0, "flag": 1}]) == \
        "evals[step 0].flag: recorded true, rerun 1"
