"""llama.cpp's CPU decoding of SmolLM2's GGUF, for the engine's greedy decoding to be compared against: through
llama-cpp-python where it is installed (PyPI ships it as source, so it compiles), else through node-llama-cpp's
prebuilt binary (`npm ci --prefix benchmarks/llamacpp`, no compiler). Greedy, one sequence at a time (neither API
batches generation), one thread, the GGUF's own chat template, one warm-up prompt."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from morlbench.models.hf import smollm2_gguf

NODE_DIR = Path(__file__).parent / "llamacpp"


@dataclass(frozen=True)
class Decoded:
    seconds: float
    tokens: int
    via: str  # which binding ran llama.cpp


def greedy(prompts: list[str], max_tokens: int) -> Decoded | None:
    """Seconds and completion tokens of decoding every prompt; None where neither binding is installed."""
    return python_binding(prompts, max_tokens) or node_binding(prompts, max_tokens)


def python_binding(prompts: list[str], max_tokens: int) -> Decoded | None:
    try:
        from llama_cpp import Llama
    except ImportError:
        return None
    llm = Llama(model_path=str(smollm2_gguf()), n_threads=1, n_ctx=512, verbose=False)
    llm.create_chat_completion([{"role": "user", "content": prompts[0]}], max_tokens=4, temperature=0.0)
    start, tokens = time.perf_counter(), 0
    for prompt in prompts:
        out = llm.create_chat_completion([{"role": "user", "content": prompt}], max_tokens=max_tokens,
                                         temperature=0.0)
        tokens += out["usage"]["completion_tokens"]
    return Decoded(time.perf_counter() - start, tokens, "llama-cpp-python")


def node_binding(prompts: list[str], max_tokens: int) -> Decoded | None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "node-llama-cpp").is_dir():
        return None
    job = {"gguf": str(smollm2_gguf()), "prompts": prompts, "max_tokens": max_tokens, "threads": 1}
    done = subprocess.run([node, str(NODE_DIR / "greedy.mjs")], input=json.dumps(job), capture_output=True,
                          text=True, check=True, cwd=NODE_DIR)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    version = json.loads((NODE_DIR / "node_modules" / "node-llama-cpp" / "package.json").read_text())["version"]
    return Decoded(out["seconds"], out["tokens"], f"node-llama-cpp {version}, chat format {out['chat_wrapper']}")
