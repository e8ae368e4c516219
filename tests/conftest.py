import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

TEST_PLUGIN = Path(__file__).parent / "plugins" / "morlbench-test-plugin"

# One thread: deterministic and free of busy-waiting on the shared 2-core machines.
torch.set_num_threads(1)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# A suite started in the background (`pytest ... &` from a script) inherits Ctrl-C ignored, and so would every run
# it starts; the interrupt tests (tests/e2e/test_plugin_exits.py) need Ctrl-C to act as it does in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def morlbench_cache():
    """Model conversions (SmolLM2's is 517 MB) go to a directory of this test session, removed at its end, never to
    the user's ~/.cache/morlbench; within one session the cache stays warm. Subprocesses inherit it."""
    before = os.environ.get("MORLBENCH_CACHE")
    with tempfile.TemporaryDirectory(prefix="morlbench-cache-") as cache:
        os.environ["MORLBENCH_CACHE"] = cache
        try:
            yield Path(cache)
        finally:
            if before is None:
                os.environ.pop("MORLBENCH_CACHE", None)
            else:
                os.environ["MORLBENCH_CACHE"] = before


@pytest.fixture(scope="session")
def tiny_random_model():
    """A 2-layer random Llama with the embedded tokenizer: fast, for engine tests."""
    from morlbench.models.base import LoadedModel
    from morlbench.models.pretraining import build_tokenizer
    from morlbench.models.tiny_arith import PretrainRecipe
    from tests.factory import random_llama

    tokenizer = build_tokenizer(PretrainRecipe())
    return LoadedModel(random_llama(tokenizer, heads=2, kv_heads=2, seed=0), tokenizer, "random",
                       {"checkpoint_sha256": "random"})


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded tiny-arith checkpoint: answers end with EOS at different lengths, unlike the random model."""
    from morlbench.models.tiny_arith import TinyArith

    return TinyArith().load(torch.device("cpu"), torch.float32)


@pytest.fixture(scope="session")
def test_plugin(tmp_path_factory):
    """tests/plugins/morlbench-test-plugin installed with pip into a directory of its own (put it on PYTHONPATH:
    ``tests.factory.run_cli``), so that its entry points are found through importlib.metadata as users' are."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(TEST_PLUGIN)],
                   check=True, env={**os.environ, "TMPDIR": str(build)})
    return target
