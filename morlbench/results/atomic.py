"""Atomic file writes (a reader sees the old file or the new one, never half of one), and file digests."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes, exclusive: bool = False) -> None:
    """``exclusive``: create ``path`` only if it does not exist (FileExistsError otherwise), in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if path exists: checking and creating are one step
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, exclusive: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), exclusive)


def atomic_write_json(path: Path, obj: Any, exclusive: bool = False) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n", exclusive)


def atomic_write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in records))


def read_jsonl(path: Path, key: str | None = None) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; a line that is not a JSON object (with a whole-number ``key``, when given)
    is refused in one line naming it."""
    from morlbench.errors import UsageError

    if not path.exists():
        return []
    records = []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: unreadable ({type(exc).__name__})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            record = None
        if not isinstance(record, dict) or key is not None and not isinstance(record.get(key), int):
            raise UsageError(f"{path} line {number}: not a record of this run (damaged?)")
        records.append(record)
    return records


def write_together(directory: Path, files: dict[str, str]) -> None:
    """Write several files as one update: all are staged first, then renamed into place while holding an
    exclusive lock on the directory, so two writers never interleave and a failure leaves the old files."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".write.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        staged = tempfile.mkdtemp(dir=directory, prefix=".staged-")
        try:
            for name, text in files.items():
                path = Path(staged) / name
                path.write_text(text, encoding="utf-8")
                os.chmod(path, _default_mode())
            for name in files:
                os.replace(Path(staged) / name, directory / name)
        finally:
            for leftover in Path(staged).iterdir():
                leftover.unlink()
            os.rmdir(staged)


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (hex), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
