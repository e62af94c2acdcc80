"""Snapshot files: the disk as the worker would see it, frozen into JSON.

Format version 1 (one JSON object; UTF-8, in fact pure ASCII)::

    {"format": "confcheck-snapshot", "version": 1,
     "roots": ["/var/www/site"],          # trees captured recursively
     "selinux_enforcing": null,           # true / false / null (unknown)
     "columns": ["path", "kind", "mode", "uid", "gid", "size", "target",
                 "acl", "label", "immutable", "listed"],
    "entries": [
    ["/", "dir", 493, 0, 0, 4096, null, null, null, false, false],
    ...one entry per line...
    ],
    "not_checked": [["/root/x", "the scanner cannot list it: ..."]],
    "files": {"/etc/passwd": "root:x:0:0:...", "/etc/group": "..."},   # null if missing
    "users": {"0": "root"}, "groups": {"0": "root"}}                   # names for display

- An entry row follows `columns`; `mode` is the permission bits (07777) as a
  number, `kind` file | dir | link | other, `target` the symlink text,
  `acl` null or a list of [tag, qualifier, perm] (tag user_obj | user |
  group_obj | group | mask | other; the full access ACL, present only when it
  has entries beyond the three base ones), `label` the SELinux context,
  `immutable` chattr +i, `listed` true when the directory's entries were
  all captured (trees); ancestors of each root up to `/` and the chains of
  symlink targets are captured too, but not listed.
- Names that are not UTF-8 keep their bytes: paths are Python's
  `os.fsdecode` strings (undecodable bytes become lone surrogates U+DC80..
  U+DCFF) and JSON's ASCII escaping writes them as `\\udcXX`, which
  `json.loads` gives back unchanged; `os.fsencode` returns the exact bytes.
  The files' contents use the same convention (surrogateescape).
- Readers may `json.load` the whole file; `SnapshotFs.load` instead reads it
  line by line (it still accepts any valid layout, and rows written as
  objects keyed by column name, which is handy for hand-written fixtures).
- A duplicate row for a path replaces the earlier one except that `listed`
  is kept if either says so.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
from dataclasses import replace
from typing import IO, Iterable, Iterator

from .identity import Accounts
from .model import DIR, LINK, AclEntry, Meta, NotChecked

FORMAT, VERSION = "confcheck-snapshot", 1
COLUMNS = ("path", "kind", "mode", "uid", "gid", "size", "target",
           "acl", "label", "immutable", "listed")
_MAX_LINKS = 40


# ---------------------------------------------------------------- writing

def _norm(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"snapshot paths are absolute: {path!r}")
    return posixpath.normpath(path).replace("//", "/") if path != "/" else "/"


def _row(meta: Meta, immutable: bool, listed: bool) -> str:
    acl = [[e.tag, e.qualifier, e.perm] for e in meta.acl] if meta.acl else None
    return json.dumps([meta.path, meta.kind, meta.mode, meta.uid, meta.gid, meta.size,
                       meta.target, acl, meta.label, immutable, listed],
                      ensure_ascii=True, separators=(",", ":"))


class _Writer:
    def __init__(self, out: IO[str], fs) -> None:
        self.out, self.fs = out, fs
        self.first = True
        self.seen: set[str] = set()          # chain entries only (trees are unique)
        self.uids: set[int] = set()
        self.gids: set[int] = set()
        self.not_checked: list[tuple[str, str]] = []
        self.missing: set[str] = set()       # looked up and absent (a root that does not exist)

    def emit(self, meta: Meta, listed: bool = False) -> None:
        immutable = meta.immutable
        if not immutable and meta.kind in ("file", "dir") and hasattr(self.fs, "is_immutable"):
            immutable = bool(self.fs.is_immutable(meta.path))
        self.uids.add(meta.uid)
        self.gids.add(meta.gid)
        self.out.write(("" if self.first else ",\n") + _row(meta, immutable, listed))
        self.first = False

    def chain(self, path: str, budget: int = _MAX_LINKS) -> Meta | None:
        """Capture `path` and all its ancestors, following links on the way."""
        cur = "/"
        meta = self._once("/")
        parts = [p for p in path.split("/") if p]
        i = 0
        while i < len(parts) and meta is not None:
            name = parts[i]
            i += 1
            if name == ".":
                continue
            if name == "..":
                cur = posixpath.dirname(cur)
                meta = self._once(cur)
                continue
            cur = cur.rstrip("/") + "/" + name
            meta = self._once(cur)
            if meta is not None and meta.kind == LINK and meta.target and budget > 0:
                budget -= 1
                target = meta.target
                base = "/" if target.startswith("/") else posixpath.dirname(cur)
                parts = [p for p in target.split("/") if p] + parts[i:]
                i = 0
                cur = base
                meta = self._once(base)
        return meta

    def _once(self, path: str) -> Meta | None:
        try:
            meta = self.fs.lstat(path)
        except NotChecked as exc:
            self.not_checked.append((exc.path, exc.reason))
            return None
        if meta is None:
            self.missing.add(path)
        elif path not in self.seen:
            self.seen.add(path)
            self.emit(meta)
        return meta

    def tree(self, top: str) -> None:
        meta = self.chain(top)
        if meta is None:
            return
        # A root that is a link (releases/current) is captured at its target.
        if meta.kind == LINK:
            top = self._real(top)
            try:
                meta = self.fs.lstat(top)
            except NotChecked:
                return
            if meta is None:
                return
        if meta.kind != DIR:
            return
        stack = [meta]
        while stack:
            d = stack.pop()
            try:
                children = []
                for m in self.fs.scandir(d.path):
                    children.append(m)      # one directory at a time, not the tree
            except NotChecked as exc:
                self.not_checked.append((exc.path, exc.reason))
                self.emit(d, listed=False)
                continue
            self.emit(d, listed=True)
            for m in children:
                if m.kind == DIR:
                    stack.append(m)
                    continue
                self.emit(m)
                if m.kind == LINK:
                    self.chain(m.path)      # the target and its ancestors

    def _real(self, path: str) -> str:
        for _ in range(_MAX_LINKS):
            meta = self.fs.lstat(path)
            if meta is None or meta.kind != LINK or meta.target is None:
                return path
            path = _norm(posixpath.join(posixpath.dirname(path), meta.target))
        return path


def write_snapshot(paths: Iterable[str], out: str | os.PathLike | IO[str], fs, *,
                   extra_files: Iterable[str] = ("/etc/passwd", "/etc/group")) -> None:
    """Capture each tree in `paths` (recursively), their ancestors and link
    targets, plus `extra_files`, as a version 1 snapshot written to `out`."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="ascii", newline="\n") as fh:
            write_snapshot(paths, fh, fs, extra_files=extra_files)
        return
    roots = sorted({_norm(p) for p in paths})
    # A root inside another root is already covered by the outer walk.
    roots = [r for r in roots if not any(r != o and (r.startswith(o.rstrip("/") + "/"))
                                         for o in roots)]
    header = {"format": FORMAT, "version": VERSION, "roots": roots,
              "selinux_enforcing": fs.selinux_enforcing(), "columns": list(COLUMNS)}
    head = json.dumps(header, ensure_ascii=True)
    out.write(head[:-1] + ",\n\"entries\": [\n")
    w = _Writer(out, fs)
    for root in roots:
        w.tree(root)
    out.write("\n],\n")
    files = {}
    for path in extra_files:
        try:
            data = fs.read_bytes(path)
        except NotChecked as exc:
            w.not_checked.append((exc.path, exc.reason))
            data = None
        files[path] = None if data is None else data.decode("utf-8", "surrogateescape")
    try:
        acc = Accounts.load(fs)
    except NotChecked:
        acc = Accounts({}, {}, {}, {}, {}, False)
    trailer = {
        "not_checked": [list(x) for x in w.not_checked],
        "missing": sorted(w.missing),
        "files": files,
        "users": {str(u): acc.user_names[u] for u in sorted(w.uids) if u in acc.user_names},
        "groups": {str(g): acc.group_names[g] for g in sorted(w.gids) if g in acc.group_names},
    }
    out.write(json.dumps(trailer, ensure_ascii=True)[1:] + "\n")


# ---------------------------------------------------------------- reading

class SnapshotFs:
    """FsView over a snapshot file."""

    def __init__(self, header: dict, rows: dict[str, tuple], listed: set[str],
                 not_checked: dict[str, str], files: dict[str, str | None],
                 users: dict[str, str], groups: dict[str, str],
                 missing: Iterable[str] = ()) -> None:
        self.header = header
        self._missing = set(missing)
        self.roots: list[str] = list(header.get("roots") or [])
        self._rows = rows
        self._listed = listed
        self._not_checked = not_checked
        self._files = files
        self.users = users
        self.groups = groups
        self._children: dict[str, list[str]] | None = None

    @classmethod
    def load(cls, source: str | os.PathLike | IO[str] | IO[bytes]) -> "SnapshotFs":
        if isinstance(source, (str, os.PathLike)):
            with open(source, "r", encoding="utf-8") as fh:
                return cls._read(fh)
        if isinstance(source, io.BufferedIOBase) or "b" in getattr(source, "mode", ""):
            return cls._read(io.TextIOWrapper(source, encoding="utf-8"))  # type: ignore[arg-type]
        return cls._read(source)  # type: ignore[arg-type]

    @classmethod
    def _read(cls, fh: IO[str]) -> "SnapshotFs":
        first = fh.readline()
        second = fh.readline()
        if first.endswith(",\n") and second.strip() == '"entries": [':
            header = json.loads(first[:-2] + "}")
            rows_iter = _stream_rows(fh)
            body = None
        else:   # any other valid JSON layout
            body = json.loads(first + second + fh.read())
            header = {k: v for k, v in body.items() if k != "entries"}
            rows_iter = iter(body.get("entries") or [])
        if header.get("format", FORMAT) != FORMAT or header.get("version", VERSION) != VERSION:
            raise ValueError(f"not a version {VERSION} confcheck snapshot")
        columns = tuple(header.get("columns") or COLUMNS)
        rows: dict[str, tuple] = {}
        listed: set[str] = set()
        for raw in rows_iter:
            row = _as_row(raw, columns)
            path = row[0]
            if row[10]:
                listed.add(path)
            rows[path] = row
        trailer = body if body is not None else json.loads("{" + fh.read())
        return cls(header, rows, listed,
                   {p: r for p, r in trailer.get("not_checked") or []},
                   trailer.get("files") or {}, trailer.get("users") or {},
                   trailer.get("groups") or {}, trailer.get("missing") or ())

    # ---- FsView -------------------------------------------------------

    def lstat(self, path: str) -> Meta | None:
        """Like lstat(2): links in the middle of `path` are followed, a final one is not."""
        path = _norm(path)
        row = self._rows.get(path)
        if row is not None:
            return _meta(row)
        parent, name = posixpath.split(path)
        if parent in self._listed or self._is_missing(path):
            return None
        real = self._real_dir(parent)
        if real is not None and real != parent:
            found = self.lstat(posixpath.join(real, name))
            return None if found is None else replace(found, path=path)
        if real is None and self._real_dir(parent, missing_ok=True) == "":
            return None
        reason = self._not_checked.get(path) or self._not_checked.get(parent)
        raise NotChecked(path, reason or "not in snapshot")

    def _is_missing(self, path: str) -> bool:
        while path not in ("/", ""):
            if path in self._missing:
                return True
            path = posixpath.dirname(path)
        return False

    def _real_dir(self, path: str, missing_ok: bool = False) -> str | None:
        """`path` with every link in it resolved, as far as the snapshot knows.

        None when a component is not captured; with `missing_ok`, "" when a
        component is known not to exist.
        """
        cur = "/"
        todo = [p for p in path.split("/") if p]
        todo.reverse()
        budget = _MAX_LINKS
        while todo:
            name = todo.pop()
            if name == ".":
                continue
            if name == "..":
                cur = posixpath.dirname(cur)
                continue
            nxt = posixpath.join(cur, name)
            row = self._rows.get(nxt)
            if row is None:
                if missing_ok and (cur in self._listed or self._is_missing(nxt)):
                    return ""
                return None
            meta = _meta(row)
            if meta.kind == LINK and meta.target is not None and budget > 0:
                budget -= 1
                if meta.target.startswith("/"):
                    cur = "/"
                todo.extend(reversed([p for p in meta.target.split("/") if p]))
                continue
            cur = nxt
        return cur

    def scandir(self, path: str) -> Iterator[Meta]:
        """Like os.scandir: links in `path` are followed; entries keep `path` as their prefix."""
        path = _norm(path)
        if path not in self._listed:
            real = self._real_dir(path)
            if real is not None and real != path and real in self._listed:
                prefix = "" if path == "/" else path
                for meta in self.scandir(real):
                    yield replace(meta, path=prefix + "/" + posixpath.basename(meta.path))
                return
            raise NotChecked(path, self._not_checked.get(path) or "not in snapshot (directory not listed)")
        if self._children is None:
            children: dict[str, list[str]] = {}
            for p in self._rows:
                if p != "/":
                    parent = posixpath.dirname(p)
                    if parent in self._listed:
                        children.setdefault(parent, []).append(p)
            self._children = children
        for p in self._children.get(path, ()):
            yield _meta(self._rows[p])

    def read_bytes(self, path: str) -> bytes | None:
        text = self._files.get(path)
        return None if text is None else text.encode("utf-8", "surrogateescape")

    def selinux_enforcing(self) -> bool | None:
        value = self.header.get("selinux_enforcing")
        return None if value is None else bool(value)

    def __len__(self) -> int:
        return len(self._rows)


def _stream_rows(fh: IO[str]) -> Iterator[list]:
    for line in fh:
        text = line.rstrip("\n")
        if text.startswith("]"):
            return
        if text.endswith(","):
            text = text[:-1]
        if text:
            yield json.loads(text)


_DEFAULTS = {"size": 0, "target": None, "acl": None, "label": None,
             "immutable": False, "listed": False}


def _as_row(raw, columns: tuple[str, ...]) -> tuple:
    if isinstance(raw, dict):
        values = raw
    else:
        values = dict(zip(columns, raw))
    out = []
    for col in COLUMNS:
        if col in values:
            out.append(values[col])
        elif col in _DEFAULTS:
            out.append(_DEFAULTS[col])
        else:
            raise ValueError(f"snapshot entry without {col!r}: {raw!r}")
    out[0] = _norm(out[0])
    if isinstance(out[2], str):       # "0755" in hand-written fixtures
        out[2] = int(out[2], 8)
    if out[7]:
        out[7] = tuple(AclEntry(t, q, p) for t, q, p in out[7])
    return tuple(out)


def _meta(row: tuple) -> Meta:
    return Meta(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                row[7] or None, row[8], bool(row[9]))
