"""llama.cpp's CPU decoding of SmolLM2's GGUF, for the engine's greedy decoding to be compared against: through
llama-cpp-python where it is installed (PyPI ships it as source, so it compiles), else through node-llama-cpp's
prebuilt binary (`npm ci --prefix benchmarks/llamacpp`, no compiler). Both decode the engine's own prompt token ids
greedily on one thread, each prompt from an empty cache, counting generated tokens up to and including EOS as the
engine does, after one warm-up prompt; node-llama-cpp also batches (every prompt a sequence of one context)."""
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
    rows: list[int]  # tokens generated per prompt, EOS included
    via: str  # which binding ran llama.cpp

    @property
    def tokens(self) -> int:
        return sum(self.rows)


def greedy(prompts: list[list[int]], eos: int, max_tokens: int, batched: bool) -> Decoded | str:
    """Seconds and generated tokens of decoding every prompt; else why llama.cpp could not run here."""
    if not batched:
        found = python_binding(prompts, eos, max_tokens)
        if found is not None:
            return found
    return node_binding(prompts, eos, max_tokens, batched)


def python_binding(prompts: list[list[int]], eos: int, max_tokens: int) -> Decoded | None:
    try:
        import llama_cpp
    except (ImportError, OSError):
        return None
    llm = llama_cpp.Llama(model_path=str(smollm2_gguf()), n_threads=1, n_threads_batch=1, n_ctx=512, verbose=False)

    def decode(prompt: list[int], limit: int) -> int:
        llm.reset()  # from an empty cache, not the previous prompt's prefix
        count = 0
        for token in llm.generate(prompt, temp=0.0, reset=True):
            count += 1
            if token == eos or count >= limit:
                break
        return count

    decode(prompts[0], 4)
    start = time.perf_counter()
    rows = [decode(p, max_tokens) for p in prompts]
    return Decoded(time.perf_counter() - start, rows, f"llama-cpp-python {llama_cpp.__version__}")


def node_binding(prompts: list[list[int]], eos: int, max_tokens: int, batched: bool) -> Decoded | str:
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH (node-llama-cpp needs it)"
    if not (NODE_DIR / "node_modules" / "node-llama-cpp").is_dir():
        return "node-llama-cpp is not installed (npm ci --prefix benchmarks/llamacpp installs it, prebuilt)"
    job = {"gguf": str(smollm2_gguf()), "prompts": prompts, "max_tokens": max_tokens, "eos": eos, "threads": 1,
           "batched": batched}
    command = [node, str(NODE_DIR / "greedy.mjs")]
    done = subprocess.run(command, input=json.dumps(job), capture_output=True, text=True, cwd=NODE_DIR, timeout=900)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    out = json.loads(lines[-1])
    version = json.loads((NODE_DIR / "node_modules" / "node-llama-cpp" / "package.json").read_text())["version"]
    info = out["system_info"].removeprefix("CPU :")  # "CPU : SSE3 = 1 | AVX = 1 | ... |": the features it runs with
    features = [f.split("=")[0].strip() for f in info.split("|") if f.strip().endswith("= 1")]
    return Decoded(out["seconds"], out["rows"], f"node-llama-cpp {version}; {' '.join(features)}")
