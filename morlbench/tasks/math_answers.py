"""Equivalence of MATH-style answers: math-verify under a hard time limit, with a normalised-string fallback.

sympy can hang on adversarial text (huge exponents, deep nesting), and signal-based timeouts only work in a
process's main thread. So every check runs in a child process started with ``subprocess`` (which works from
threads, worker processes and daemonic pool workers alike); a check that outlives ``time_limit`` seconds
kills the child, which is restarted for the next answer, and the answer is scored by the string rules alone.
"""
from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass

# -- the normalised-string fallback (the Hendrycks MATH ``strip_string`` rules) --------------------------------

_UNIT_TEXT = re.compile(r"\\text\{\s*[a-zA-Z ]*\}\s*$")
_SIMPLE_FRACTION = re.compile(r"^(-?\d+)/(\d+)$")


def _fix_sqrt(s: str) -> str:
    """\\sqrt3 -> \\sqrt{3}."""
    return re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", s)


def _fix_fracs(s: str) -> str:
    """\\frac12 -> \\frac{1}{2}, \\frac1{72} -> \\frac{1}{72}; braced arguments are kept."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac", i):
            out.append("\\frac")
            i += len("\\frac")
            for _ in range(2):
                if i < len(s) and s[i] != "{" and not s[i].isspace():
                    out.append("{" + s[i] + "}")
                    i += 1
                else:
                    depth_start = i
                    if i < len(s) and s[i] == "{":
                        depth, i = 1, i + 1
                        while i < len(s) and depth:
                            depth += {"{": 1, "}": -1}.get(s[i], 0)
                            i += 1
                    out.append(s[depth_start:i])
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def strip_string(text: str) -> str:
    """A canonical string form of an answer: spacing, LaTeX spelling, units, 'x =' prefixes and fractions."""
    s = text.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac").replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "").replace("\\$", "").replace("$", "")
    s = _UNIT_TEXT.sub("", s).replace("\\%", "").replace("%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if s.startswith("."):
        s = "0" + s
    parts = s.split("=")
    if len(parts) == 2 and len(parts[0].strip()) <= 2:  # "x = 3" -> "3"
        s = parts[1]
    s = _fix_sqrt(s).replace(" ", "")
    s = _fix_fracs(s)
    if s == "0.5":
        s = "\\frac{1}{2}"
    match = _SIMPLE_FRACTION.match(s)
    if match:
        s = f"\\frac{{{match.group(1)}}}{{{match.group(2)}}}"
    return s


def strings_equal(prediction: str, answer: str) -> bool:
    return strip_string(prediction) == strip_string(answer)


_OPEN, _CLOSE = "({[", ")}]"


def unwrap_groups(text: str) -> str:
    """``text`` without the braces and grouping parentheses that enclose all of it, however deep: ``{{42}}`` and
    ``((42))`` are 42, as one layer of them is to math-verify. Parentheses around a top-level comma or semicolon
    (a pair, an interval) are kept; escaped braces (``\\{1, 2\\}``, a set) are not grouping; unbalanced text
    is left as it is. One pass over the text plus one step per layer: linear in its length."""
    s = text.strip()
    partner: dict[int, int] = {}
    listing: set[int] = set()  # opening positions whose content holds a top-level comma or semicolon
    stack: list[int] = []
    i = 0
    while i < len(s):
        char = s[i]
        if char == "\\":
            i += 2  # an escaped character (\{, \}, \,) groups nothing
            continue
        if char in _OPEN:
            stack.append(i)
        elif char in _CLOSE:
            if not stack or _OPEN.index(s[stack[-1]]) != _CLOSE.index(char):
                return text
            partner[stack.pop()] = i
        elif char in ",;" and stack:
            listing.add(stack[-1])
        i += 1
    if stack:
        return text
    start, end = 0, len(s) - 1
    while start < end and s[start] in "{(" and partner.get(start) == end and not (
            s[start] == "(" and start in listing):
        start, end = start + 1, end - 1
        while start <= end and s[start].isspace():
            start += 1
        while end >= start and s[end].isspace():
            end -= 1
    return s[start : end + 1] if start else text


# -- math-verify in a killable child process ----------------------------------------------------------------


STARTUP_SECONDS = 120.0  # a worker's start-up (importing sympy) may take this long on a loaded machine


@dataclass
class VerifierStats:
    checks: int = 0
    timeouts: int = 0
    restarts: int = 0


class MathVerifier:
    """``equal(boxed, answer)``: math-verify equivalence within ``time_limit`` seconds, else the string rules.

    The limit covers the check alone: a worker restarted after an earlier kill (started at once, while the caller
    goes on) is waited for before the clock starts, so a score never depends on machine load. Each worker warms
    sympy up before it reports ready. Checks, timeouts and restarts are counted in ``stats``.
    """

    def __init__(self, time_limit: float = 5.0, max_answer_chars: int = 1000) -> None:
        self.time_limit = time_limit
        self.max_answer_chars = max_answer_chars
        self.stats = VerifierStats()
        self._child: subprocess.Popen | None = None
        self._ready = False
        self._spawn()
        self._wait_ready(time.monotonic() + STARTUP_SECONDS)  # a cold start imports sympy; never counted
        if not self._ready:
            self.close()
            raise RuntimeError("the math-verify worker did not start (is math-verify installed?)")

    def __call__(self, boxed: str | None, answer: str) -> bool:
        return self.equal(boxed, answer)

    def equal(self, boxed: str | None, answer: str) -> bool:
        if boxed is None or not boxed.strip():
            return False
        boxed, answer = unwrap_groups(boxed), unwrap_groups(answer)  # deep nesting scored as one layer is
        if not boxed:
            return False
        if strings_equal(boxed, answer):
            return True
        if len(boxed) > self.max_answer_chars:
            return False  # no reference answer is this long; never hand it to sympy
        self.stats.checks += 1
        return bool(self._ask({"prediction": boxed, "answer": answer}))

    def _ask(self, request: dict) -> bool:
        if self._child is None:
            self._spawn()
        if not self._wait_ready(time.monotonic() + STARTUP_SECONDS):  # start-up never counts against an answer
            raise RuntimeError(f"the math-verify worker did not restart within {STARTUP_SECONDS} s")
        deadline = time.monotonic() + self.time_limit
        child = self._child
        try:
            child.stdin.write(json.dumps(request) + "\n")
            child.stdin.flush()
            ready, _, _ = select.select([child.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = child.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.stats.timeouts += 1
            self.close()
            self._spawn()  # the replacement starts now, while the caller goes on
            self.stats.restarts += 1
            return False
        return bool(json.loads(line)["equal"])

    def wait_until_ready(self, seconds: float = STARTUP_SECONDS) -> bool:
        """Block until a (re)started worker answers, e.g. before timing-sensitive work."""
        if self._child is None:
            self._spawn()
        return self._wait_ready(time.monotonic() + seconds)

    def _spawn(self) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "morlbench.tasks.math_answers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        self._ready = False

    def _wait_ready(self, deadline: float) -> bool:
        if not self._ready and self._child is not None:
            ready, _, _ = select.select([self._child.stdout], [], [], max(0.0, deadline - time.monotonic()))
            self._ready = bool(ready) and self._child.stdout.readline().strip() == "ready"
        return self._ready

    def close(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            self._child = None
            self._ready = False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def _serve() -> None:
    """The child's loop: one JSON request per line in, one verdict per line out."""
    from math_verify import parse, verify

    verify(parse("$\\frac{1}{2}$"), parse("\\boxed{0.5}"))  # sympy's lazy imports, before the first timed check
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            gold = parse(f"${request['answer']}$", parsing_timeout=None)
            target = parse(f"\\boxed{{{request['prediction']}}}", parsing_timeout=None)
            equal = bool(gold) and bool(target) and bool(verify(gold, target, timeout_seconds=None))
        except Exception:
            equal = False
        print(json.dumps({"equal": equal}), flush=True)


if __name__ == "__main__":
    _serve()
