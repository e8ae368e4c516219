import os
import stat

from morlbench.results.atomic import atomic_write_jsonl, read_jsonl


def test_atomic_writes_replace_whole_files_with_normal_permissions(tmp_path):
    path = tmp_path / "x.jsonl"
    atomic_write_jsonl(path, [{"a": 1}])
    atomic_write_jsonl(path, [{"a": 1}, {"a": 2}])
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}]
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o044  # readable by others, unlike mkstemp's 0600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
