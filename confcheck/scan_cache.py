"""The answer of a config-only scan kept across runs (as ruff and mypy keep theirs).

An entry is found by a key made of everything the command line and its
surroundings decide (the arguments, the working directory, the settings read,
the baseline's bytes, whether stdout is a terminal and the colour variables,
confcheck's version and the size and time of every module of it), and it holds
what the scan wrote (stdout, stderr, exit code) with what that answer depended
on: the bytes of every file it opened (or that it was missing) and the names in
every directory it listed (include globs, folder searches). Those are recorded
as they happen, through Python's audit hooks ("open", "os.scandir",
"os.listdir"), so a reader added later is covered without telling this module.
A hit re-reads each of them and is used only when every one is unchanged:
never a stale answer. Scans that look at the disk as the worker sees it
(without --no-fs) are not cached; neither is stdin, nor an internal error.

The folder is $CONFCHECK_CACHE_DIR, else $XDG_CACHE_HOME/confcheck, else
~/.cache/confcheck; deleting it is always safe. Entries are written to a
temporary file and renamed into place, so concurrent runs never read half
of one.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import sys
from contextlib import contextmanager
from typing import Iterator

FORMAT = 1      # the layout of an entry; part of the key
_ENV = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "COLUMNS")


def cache_dir() -> str:
    explicit = os.environ.get("CONFCHECK_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "confcheck")


@functools.lru_cache(maxsize=1)
def _packages() -> tuple[str, ...]:
    """The folders of confcheck's code (analyzers and fixers sit beside confcheck in
    a checkout, inside it when installed)."""
    import confcheck
    from confcheck import analyzers, fixers
    return tuple(sorted({os.path.dirname(os.path.abspath(m.__file__)) for m in (confcheck, analyzers, fixers)}))


def _code_stamp() -> list:
    """confcheck's version and (path, size, mtime) of each of its modules: an edited
    checkout answers afresh, as a new release does."""
    import confcheck
    stamp: list = [confcheck.__version__]
    for package in _packages():
        for directory, dirs, files in os.walk(package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(directory, name))
                    stamp.append((os.path.join(directory, name), st.st_size, st.st_mtime_ns))
    return stamp


def entry_key(args, settings, baseline: str | None) -> str:
    import dataclasses
    material = {
        "format": FORMAT, "code": _code_stamp(), "args": dataclasses.asdict(args), "cwd": os.getcwd(),
        "settings": repr(settings), "baseline": _file_digest(baseline) if baseline else None,
        "tty": sys.stdout.isatty(), "env": [os.environ.get(name) for name in _ENV],
        "python": sys.version,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _listing_digest(path: str) -> str | None:
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _ignored(path: str) -> bool:
    """Python's own files (lazy imports of modules during the scan) are not inputs:
    the code stamp and the version in the key stand for them."""
    return path.endswith((".py", ".pyc", ".so")) or path.startswith(("/proc/", "/dev/")) \
        or "/__pycache__" in path or path.startswith(_PYTHON_DIRS) \
        or any(path == p or path.startswith(p + "/") for p in _packages())


_PYTHON_DIRS = tuple({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


class _Recorder:
    """The files opened and the directories listed while it is active."""

    def __init__(self) -> None:
        self.files: dict[str, tuple | None] = {}
        self.dirs: dict[str, tuple | None] = {}
        self.active = False

    def hook(self, event: str, args: tuple) -> None:
        if not self.active or event not in ("open", "os.scandir", "os.listdir"):
            return
        path = args[0] if args else "."
        if not isinstance(path, (str, bytes)):
            return              # a file descriptor: its path was recorded when it was opened
        path = os.path.abspath(os.fsdecode(path) or ".")
        if _ignored(path):
            return
        # the stat as it was read: an entry is not stored when one changed during the scan
        (self.files if event == "open" else self.dirs).setdefault(path, _stat(path))


def _stat(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


_recorder: _Recorder | None = None


def _get_recorder() -> _Recorder:
    # an audit hook cannot be removed: one per process, switched on and off
    global _recorder
    if _recorder is None:
        _recorder = _Recorder()
        sys.addaudithook(_recorder.hook)
    return _recorder


def lookup(key: str) -> dict | None:
    """The entry for `key` when everything it depended on is unchanged, else None."""
    path = os.path.join(cache_dir(), key[:2], key + ".json")
    try:
        with open(path, encoding="utf-8") as fh:
            entry = json.load(fh)
    except (OSError, ValueError):
        return None
    try:
        for name, digest in entry["files"]:
            if _file_digest(name) != digest:
                return None
        for name, digest in entry["dirs"]:
            if _listing_digest(name) != digest:
                return None
        return entry
    except (KeyError, TypeError, ValueError):
        return None


class _Tee(io.TextIOBase):
    """Writes through to `real` and keeps a copy."""

    def __init__(self, real) -> None:
        self.real = real
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.real.write(text)

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return self.real.isatty()

    def fileno(self) -> int:
        return self.real.fileno()

    @property
    def encoding(self):
        return getattr(self.real, "encoding", "utf-8")


@contextmanager
def recording() -> Iterator[dict]:
    """Run the scan inside: stdout and stderr are copied, the files and folders it
    reads recorded; the dict yielded is filled with them on the way out."""
    recorder = _get_recorder()
    recorder.files.clear()
    recorder.dirs.clear()
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    recorder.active = True
    captured: dict = {}
    try:
        yield captured
    finally:
        recorder.active = False
        sys.stdout, sys.stderr = saved
        captured.update(stdout=out.copy.getvalue(), stderr=err.copy.getvalue(),
                        files=dict(recorder.files), dirs=dict(recorder.dirs))


def machine_fallback(reading, captured: dict) -> bool:
    """A config kept outside its deployed place (a repository's nginx.conf, whose
    `include /etc/nginx/...` is read beside it when the repository has the file)
    that read or listed this machine's deployed folder instead: the answer then
    depends on a file *not* being beside it, which no audit event shows. Such
    answers are not kept."""
    if reading is None:
        return True
    prefixes = [item.config.mount for item in reading.loaded if item.config.mount]
    seen = [*captured["files"], *captured["dirs"]]
    return any((path + "/").startswith(deployed) and not path.startswith(beside)
               for deployed, beside in prefixes for path in seen)


def store(key: str, captured: dict, code: int) -> None:
    """Write the entry (atomically: a temporary file renamed into place). A cache
    that cannot be written only costs the next run its speed."""
    entry = {"code": code, "stdout": captured["stdout"], "stderr": captured["stderr"],
             "files": [(name, _file_digest(name)) for name in sorted(captured["files"])],
             "dirs": [(name, _listing_digest(name)) for name in sorted(captured["dirs"])]}
    seen = {**captured["files"], **captured["dirs"]}
    if any(_stat(name) != stat for name, stat in seen.items()):
        return          # something changed while the scan read it: its answer may be of neither version
    folder = os.path.join(cache_dir(), key[:2])
    try:
        os.makedirs(folder, exist_ok=True)
        import tempfile     # only a miss writes: a hit's start-up skips it
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.replace(tmp, os.path.join(folder, key + ".json"))
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
