"""THE access function: may the worker open / list / enter / stat a path?

It mirrors the kernel's path walk, one component at a time:
- search (x) on every directory a lookup passes through, `/` first;
- exactly one permission class applies (owner, else named ACL user, else the
  group class -- owning group and named ACL groups, any granting entry wins,
  all masked -- else other); uid 0 bypasses DAC for read and search;
- a symlink is followed where the kernel meets it (absolute targets restart at
  `/` of the view, `..` is physical), under the server's symlink policy
  (nginx `disable_symlinks`);
- SELinux types are checked after DAC when the view says it is enforcing.

Outcomes a caller maps to statuses (server-behavior.md):
- `need="x"|"r"`: EACCES -> 403 (row 13: a missing file under a
  non-searchable directory is that directory's denial, not a 404);
- `need="symlink"`: nginx ELOOP on the final component -> 403 (rows 31, 33,
  N23); on an intermediate component nginx gets ENOTDIR -> 404 (row 32):
  callers tell them apart with `denial.path == access.path`;
- `need="missing"`: ENOENT/ENOTDIR -> nginx 404; for a dangling link the
  Access's `meta` is the link's own Meta (Apache answers 403 AH00037 there,
  row 35, nginx 404);
- `need="loop"`: ELOOP after 40 links -> nginx 403 (its static module maps
  ELOOP to 403 when openat is available);
- `need="label"`: SELinux EACCES -> 403;
- `not_checked`: the *scanner* could not look; never a worker problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import selinux
from .identity import Accounts
from .model import DIR, LINK, Access, Denial, FsView, Identity, Meta, NotChecked

WANTS = ("read", "list", "search", "stat", "auto", "write")
_MAX_LINKS = 40
_R, _W, _X = 4, 2, 1
_BITS = {"read": (_R,), "list": (_X, _R), "search": (_X,), "stat": (), "write": (_X, _W)}
_BIT_NAME = {_R: "r", _W: "w", _X: "x"}
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class SymlinkPolicy:
    """nginx `disable_symlinks off | on | if_not_owner [from=part]`.

    off: links are followed like the kernel does (nginx's default).
    on: any link component after `from_` is refused.
    if_not_owner: refused when the link's owner differs from the owner of
    what it finally points to. Components up to and including `from_` are
    never checked (only when `from_` is a prefix of the requested path).
    """

    mode: str = "off"
    from_: str | None = None
    # The configuration that set the policy, for messages: nginx's
    # "disable_symlinks on", Apache's "Options without FollowSymLinks".
    setting: str = ""

    def __post_init__(self) -> None:
        if self.mode not in ("off", "on", "if_not_owner"):
            raise ValueError(f"disable_symlinks mode {self.mode!r}")

    @classmethod
    def of(cls, symlinks) -> "SymlinkPolicy":
        """The policy a served place's symlink settings describe: nginx's (mode,
        from_ and the disable_symlinks node) or Apache's Options mapped onto them
        (mode, from_ and the setting's text)."""
        setting = getattr(symlinks, "setting", "")
        node = getattr(symlinks, "node", None)
        if not setting and node is not None:
            setting = " ".join([node.name] + [a.raw for a in node.args])
        return cls(symlinks.mode, symlinks.from_, setting)


# Resolution namespaces: the kernel's (link targets, symlinks allowed) and the
# server's own checks on the requested path (with or without `from`).
_KERNEL, _POLICY, _POLICY_FROM = "k", "p", "f"


def _split(path: str) -> tuple[str, str]:
    i = path.rfind("/")
    return (path[:i] or "/"), path[i + 1:]


def _join(parent: str, name: str) -> str:
    return parent + name if parent.endswith("/") else parent + "/" + name


def _normalize(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"paths given to check() are absolute: {path!r}")
    while "//" in path:
        path = path.replace("//", "/")
    return path.rstrip("/") or "/"


class Checker:
    """Access answers for one identity and policy, with per-directory caches.

    Reuse one Checker for many paths (a scan, a walk): each directory is
    looked up and judged once. Caches live in the instance, nothing global.
    """

    def __init__(self, fs: FsView, identity: Identity,
                 symlinks: SymlinkPolicy = SymlinkPolicy(), *,
                 selinux_booleans: frozenset[str] = frozenset(),
                 accounts: Accounts | None = None) -> None:
        self.fs = fs
        self.identity = identity
        self.symlinks = symlinks
        self.booleans = selinux_booleans
        self.enforcing = fs.selinux_enforcing() is True
        self.confinement = getattr(fs, "confinement", None)    # fs.apparmor.ConfinedFs
        self._accounts = accounts
        self._from = _normalize(symlinks.from_) if symlinks.from_ else None
        self._reach: dict[tuple[str, str], Access] = {}
        self._search: dict[str, Denial | None] = {}
        self._memo: dict[tuple[int, int, int, int, str], tuple[str, bool]] = {}
        self._granted: set[tuple] = set()    # own() keys answered "no denial" (see own)

    # ---- public -------------------------------------------------------

    def check(self, path: str, want: str) -> Access:
        if want not in WANTS:
            raise ValueError(f"want must be one of {WANTS}: {want!r}")
        path = _normalize(path)
        tag = self._tag(path)
        acc = self._resolve(path, tag, _MAX_LINKS)
        if not acc.ok:
            return acc if acc.path == path else _refuse(path, acc)
        meta = acc.meta
        assert meta is not None and acc.resolved is not None
        if want == "auto":
            want = "search" if meta.kind == DIR else "read"
        if want in ("list", "search", "write") and meta.kind != DIR:
            return Access(False, path, meta, Denial(acc.resolved, meta, "missing", None,
                          f"{acc.resolved} is not a directory"), acc.resolved)
        denial = self.own(meta, want, acc.resolved)
        if denial is not None:
            return Access(False, path, meta, denial, acc.resolved)
        return acc if acc.path == path else Access(True, path, meta, resolved=acc.resolved)

    def reach_dir(self, path: str) -> Access:
        """Can the worker look up directory `path` (every ancestor searchable,
        links resolved)? `resolved` is its real path. Not its own x bit."""
        path = _normalize(path)
        return self._reach_dir(path, self._tag(path), _MAX_LINKS)

    def child(self, parent: Access, meta: Meta) -> Access:
        """Lookup of an entry already lstat-ed inside reached directory `parent`
        (the walk's incremental step: no second lstat, no ancestor re-walk)."""
        path = meta.path
        if not parent.ok:
            return Access(False, path, None, parent.denial, None, parent.not_checked)
        assert parent.resolved is not None and parent.meta is not None
        denial = self._search_denial(parent.resolved, parent.meta)
        if denial is not None:
            return Access(False, path, None, denial)
        real = _join(parent.resolved, _split(path)[1])
        tag = self._tag(path)
        if meta.kind == LINK:
            return self._follow(meta, real, path, tag, _MAX_LINKS)
        res = Access(True, path, meta, resolved=real)
        if meta.kind == DIR:
            if len(self._reach) > _CACHE_LIMIT:
                self._reach.clear()
            self._reach[(path, tag)] = res
        return res

    def search_denial(self, dir_access: Access) -> Denial | None:
        """Why the worker cannot look up names inside a reached directory."""
        if not dir_access.ok:
            return dir_access.denial
        assert dir_access.resolved is not None and dir_access.meta is not None
        return self._search_denial(dir_access.resolved, dir_access.meta)

    def writable(self, meta: Meta, path: str | None = None) -> Denial | None:
        """w on the object itself, its ancestors aside: connecting to a unix socket
        (php-fpm's listen socket), creating files in a folder (uploads)."""
        if self.identity.uid == 0:
            return None     # CAP_DAC_OVERRIDE
        return self._perm(meta, _W, path or meta.path)

    @property
    def by_class(self) -> bool:
        """own()'s answer for an entry without an ACL depends on its kind, mode, owner
        and group alone: no SELinux label is in force and no AppArmor profile confines."""
        return not self.enforcing and self.confinement is None

    def own(self, meta: Meta, want: str, path: str | None = None) -> Denial | None:
        """The object's own bits and label for `want`, its ancestors aside.

        read: r; list: x then r (autoindex stats each entry); search: x;
        stat: nothing but the label; write (entries added to or removed from a
        directory): x then w, DAC only (callers judge SELinux and AppArmor themselves).
        """
        plain = meta.acl is None and not self.enforcing and self.confinement is None   # by_class, inline
        if plain:
            # without an ACL, a label in force or a confinement, the answer depends on these
            # alone; a walk asks it once per entry, and most entries are alike
            key = (meta.mode, meta.uid, meta.gid, meta.kind, want)
            if key in self._granted:
                return None
        path = path or meta.path
        if want == "auto":
            want = "search" if meta.kind == DIR else "read"
        bits = _BITS[want]
        for bit in bits:
            denial = self._perm(meta, bit, path)
            if denial is not None:
                return denial
        if want == "write":
            return None     # DAC only: callers judge SELinux and AppArmor themselves (dav.py)
        if plain:
            if len(self._granted) > _CACHE_LIMIT:
                self._granted.clear()
            self._granted.add(key)
            return None
        denial = self._label(meta, "search" if want == "search" else
                             "stat" if want == "stat" else "read", path)
        if denial is None and self.confinement is not None and want in ("read", "list"):
            # AppArmor mediates the open (not the path walk): r on the file, on "DIR/" to list
            why = self.confinement.refusal(path, "r", meta.uid == self.identity.uid, meta.kind == DIR)
            if why is not None:
                denial = Denial(path, meta, "r", None, why, confinement=self.confinement)
        return denial

    # ---- resolution ---------------------------------------------------

    def _tag(self, path: str) -> str:
        if self.symlinks.mode == "off":
            return _KERNEL
        f = self._from
        if f is not None and (path == f or path.startswith(f + "/") or f == "/"):
            return _POLICY_FROM
        return _POLICY

    def _policy_applies(self, path: str, tag: str) -> bool:
        if tag == _KERNEL:
            return False
        if tag == _POLICY_FROM:
            return len(path) > len(self._from or "")
        return True

    def _reach_dir(self, path: str, tag: str, budget: int) -> Access:
        key = (path, tag)
        hit = self._reach.get(key)
        if hit is not None:
            return hit
        if path == "/":
            try:
                meta = self.fs.lstat("/")
            except NotChecked as exc:
                res = Access(False, "/", not_checked=exc)
            else:
                res = Access(meta is not None, "/", meta, None if meta else
                             Denial("/", None, "missing", None, "/ does not exist"), "/")
        else:
            parent, name = _split(path)
            res = self._step(self._reach_dir(parent, tag, budget), name, path, tag, budget)
            if res.ok and res.meta is not None and res.meta.kind != DIR:
                res = Access(False, path, res.meta, Denial(res.resolved or path, res.meta,
                             "missing", None, f"{res.resolved} is not a directory"), res.resolved)
        if len(self._reach) > _CACHE_LIMIT:
            self._reach.clear()
        self._reach[key] = res
        return res

    def _resolve(self, path: str, tag: str, budget: int) -> Access:
        """Full resolution of `path`, following a final link."""
        if path == "/":
            return self._reach_dir("/", tag, budget)
        parent, name = _split(path)
        return self._step(self._reach_dir(parent, tag, budget), name, path, tag, budget)

    def _step(self, parent: Access, name: str, path: str, tag: str, budget: int) -> Access:
        """Look up `name` inside the already resolved `parent`."""
        if not parent.ok:
            return parent
        real_parent, pmeta = parent.resolved, parent.meta
        assert real_parent is not None and pmeta is not None
        denial = self._search_denial(real_parent, pmeta)
        if denial is not None:
            return Access(False, path, None, denial)
        if name in ("", "."):
            return parent
        if name == "..":
            # Physical: the parent of where we really are (never above /).
            return self._reach_dir(_split(real_parent)[0], _KERNEL, budget)
        child = _join(real_parent, name)
        try:
            meta = self.fs.lstat(child)
        except NotChecked as exc:
            return Access(False, path, not_checked=exc)
        if meta is None:
            box = pmeta.sandbox     # an empty directory the unit's namespace put there
            return Access(False, path, None, Denial(child, None, "missing", None, f"{child} does not exist"
                          + (f" ({box.note()})" if box is not None else ""), sandbox=box))
        if meta.kind != LINK:
            return Access(True, path, meta, resolved=child)
        return self._follow(meta, child, path, tag, budget)

    def _follow(self, link: Meta, real: str, path: str, tag: str, budget: int) -> Access:
        policed = self._policy_applies(path, tag)
        if policed and self.symlinks.mode == "on":
            return Access(False, path, link, Denial(real, link, "symlink", None,
                          f"{real} is a symlink and symlinks are disabled "
                          f"({self.symlinks.setting or 'disable_symlinks on'})"))
        if budget <= 0 or link.target is None:
            return Access(False, path, link, Denial(real, link, "loop", None,
                          f"too many levels of symbolic links at {real}"))
        target = link.target
        if not target.startswith("/"):
            target = _join(_split(real)[0], target)
        target = target.rstrip("/") or "/"
        while "//" in target:
            target = target.replace("//", "/")
        res = self._resolve(target, _KERNEL, budget - 1)
        if not res.ok:
            return res if res.denial is None or res.denial.need != "missing" else Access(
                False, path, link, Denial(res.denial.path, None, "missing", None,
                f"{real} points to {link.target}: {res.denial.detail}"), res.resolved)
        if policed and self.symlinks.mode == "if_not_owner":
            assert res.meta is not None
            if res.meta.uid != link.uid:
                names = self._names()
                return Access(False, path, link, Denial(real, link, "symlink", None,
                              f"{real} is a symlink owned by {names.user_name(link.uid)} to "
                              f"{res.resolved} owned by {names.user_name(res.meta.uid)} "
                              f"({self.symlinks.setting or 'disable_symlinks if_not_owner'})"), res.resolved)
        return Access(True, path, res.meta, resolved=res.resolved)

    # ---- permission bits ----------------------------------------------

    def _search_denial(self, real: str, meta: Meta) -> Denial | None:
        try:
            return self._search[real]
        except KeyError:
            pass
        denial = self._perm(meta, _X, real) or self._label(meta, "search", real)
        if len(self._search) > _CACHE_LIMIT:
            self._search.clear()
        self._search[real] = denial
        return denial

    def _perm(self, meta: Meta, bit: int, path: str) -> Denial | None:
        ident = self.identity
        if ident.uid == 0 and (meta.kind == DIR or bit == _R):
            return None     # CAP_DAC_READ_SEARCH (the worker is root only if misconfigured)
        if meta.acl is None:
            key = (meta.mode, meta.uid, meta.gid, bit, meta.kind)
            hit = self._memo.get(key)
            if hit is None:
                if ident.uid == 0:
                    hit = ("owner", bool(meta.mode & 0o111))
                elif meta.uid == ident.uid:
                    hit = ("owner", bool((meta.mode >> 6) & bit))
                elif ident.in_group(meta.gid):
                    hit = ("group", bool((meta.mode >> 3) & bit))
                else:
                    hit = ("other", bool(meta.mode & bit))
                self._memo[key] = hit
            if hit[1]:
                return None
            return Denial(path, meta, _BIT_NAME[bit], hit[0], self._detail(meta, path, hit[0], bit),
                          sandbox=meta.sandbox)
        if not meta.mode & 0o070 and (meta.uid != ident.uid and not ident.in_group(meta.gid)
                                      and meta.mode & bit):
            # Linux reads an ACL only when the mode's group bits (its mask) are not
            # all zero (acl_permission_check): with mask --- a named user or group
            # entry is skipped and the "other" bits grant. (Denials keep the ACL's
            # account: restoring the mask is what would grant through it.)
            return None
        return self._acl(meta, bit, path)

    def _acl(self, meta: Meta, bit: int, path: str) -> Denial | None:
        ident = self.identity
        acl = meta.acl or ()
        mask = next((e.perm for e in acl if e.tag == "mask"), 7)
        extra = ""
        if meta.uid == ident.uid:
            cls = shown = "owner"
            ok = bool(next((e.perm for e in acl if e.tag == "user_obj"),
                           meta.mode >> 6) & bit)
        else:
            named = next((e for e in acl if e.tag == "user" and e.qualifier == ident.uid), None)
            if named is not None:
                ok = bool(named.perm & mask & bit)
                shown = "acl-user"
                cls = "mask" if (named.perm & bit and not ok) else shown
                extra = f" (ACL user:{ident.user}:{_rwx(named.perm)}, mask {_rwx(mask)})"
            else:
                groups = [e for e in acl if (e.tag == "group_obj" and ident.in_group(meta.gid))
                          or (e.tag == "group" and e.qualifier is not None
                              and ident.in_group(e.qualifier))]
                if groups:
                    ok = any(e.perm & mask & bit for e in groups)
                    has_named = any(e.tag == "group" for e in groups)
                    shown = "acl-group" if has_named else "group"
                    cls = "mask" if any(e.perm & bit for e in groups) and not ok else shown
                    names = self._names()
                    listed = ",".join("group:" + ("" if e.tag == "group_obj" else
                                     names.group_name(e.qualifier or 0)) + ":" + _rwx(e.perm)
                                     for e in groups)
                    extra = f" (ACL {listed}, mask {_rwx(mask)})"
                else:
                    cls = shown = "other"
                    ok = bool(next((e.perm for e in acl if e.tag == "other"), meta.mode) & bit)
        if ok:
            return None
        if cls == "mask":
            extra = extra[:-1] + ": the mask removes it; getfacl shows #effective)"
        return Denial(path, meta, _BIT_NAME[bit], cls,
                      self._detail(meta, path, shown, bit) + extra)

    def _label(self, meta: Meta, want: str, path: str) -> Denial | None:
        if not self.enforcing:
            return None
        setype = meta.selinux_type
        if setype is None or selinux.allowed(setype, want, self.booleans):
            return None
        return Denial(path, meta, "label", None,
                      f"SELinux: httpd_t may not {want} {path} labeled {setype}; "
                      + selinux.explain(setype, want))

    def _names(self) -> Accounts:
        if self._accounts is None:
            try:
                self._accounts = Accounts.load(self.fs)
            except NotChecked:
                self._accounts = Accounts({}, {}, {}, {}, {}, False)
        return self._accounts

    def _detail(self, meta: Meta, path: str, cls: str, bit: int) -> str:
        names = self._names()
        return (f"{self.identity.user} is '{cls}' on {path} ({meta.perms} "
                f"{names.user_name(meta.uid)}:{names.group_name(meta.gid)}) "
                f"and has no {_BIT_NAME[bit]}"
                + (f" ({meta.sandbox.note()})" if meta.sandbox is not None else ""))


def _rwx(perm: int) -> str:
    return "".join(c if perm & b else "-" for c, b in (("r", 4), ("w", 2), ("x", 1)))


def _refuse(path: str, inner: Access) -> Access:
    """Re-address a failed lookup to the requested path (same denial object)."""
    return Access(False, path, inner.meta, inner.denial, inner.resolved, inner.not_checked)


def check(fs: FsView, identity: Identity, path: str, want: str, *,
          symlinks: SymlinkPolicy = SymlinkPolicy(),
          selinux_booleans: frozenset[str] = frozenset(),
          checker: Checker | None = None) -> Access:
    """May `identity` do `want` on `path`?

    want: "read" (open a file), "list" (read a directory for autoindex),
    "search" (enter a directory), "stat" (x on the ancestors only, as
    try_files needs), "auto" (read a file, search a directory).
    Pass `checker` (a Checker for the same fs/identity/policy) to share the
    per-directory caches across many calls.
    """
    if checker is None:
        checker = Checker(fs, identity, symlinks, selinux_booleans=selinux_booleans)
    return checker.check(path, want)


__all__ = ["Checker", "SymlinkPolicy", "check", "WANTS"]
