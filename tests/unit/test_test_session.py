"""The test session itself: it writes nothing into the user's caches."""
import os
import subprocess
import sys
from pathlib import Path

from morlbench.models.hf import cache_root


def test_model_cache_is_the_sessions_temporary_directory(morlbench_cache):
    assert cache_root() == morlbench_cache
    assert Path.home() not in cache_root().parents
    child = subprocess.run([sys.executable, "-c", "from morlbench.models.hf import cache_root; print(cache_root())"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == str(morlbench_cache) == os.environ["MORLBENCH_CACHE"]
