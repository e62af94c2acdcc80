"""Permission plans: the least change that lets the worker in, and nothing more.

Input: what the filesystem rules found (`confcheck.survey.Problem`s, or
`Access`/`Denial` objects from the access function), the worker `Identity`,
the view's `Accounts` (names for messages and commands) and, when there is one,
the `FsView` (to check that a `find` predicate selects exactly the files
confcheck saw, to read the immutable flag, to find a symlink target's owner).

Output: a `Plan`, a list of `Step`s. Each step names the path, the exact state
it expects (type, mode, owner, group; the ACL when it edits ACLs; the label
when it relabels), the commands, an applicability and a one-line reason.
`fixers.script.render_script` turns a plan into a guarded sh script;
`permission_fix` turns one finding's plan into the `fix` object of the JSON
contract.

Policy (for the worker identity only; never 777, never -R, never chown of
content; see POLICY below for the table):
- The worker's permission class on the path is computed from the metadata
  (owner, named ACL user, group class, other) exactly as the access function
  does, and the missing bit is granted in that class: `chmod u+x`/`g+x`/`o+x`.
- 'other' on a private directory (a human user's, or under /home, /root):
  a named ACL entry `setfacl -m u:WORKER:--x,m::--x` instead of opening it to
  every local user; `chmod o+x` is offered as the (unsafe) alternative.
- ACLs: the group-class bits of the mode are the mask, so `chmod g+x` would
  widen the mask rather than the group's entry; ACL cases are fixed with
  `setfacl` and an explicit mask (no recalculation): the mask only gains the
  bits the worker needs, and if that also widens what another entry gets, the
  step is unsafe and says whom it widens.
- A mask of --- (mode group bits 000): Linux skips the ACL, so named users and
  groups are 'other' to the kernel. A wider mask makes the ACL count again: the
  worker's entry keeps what 'other' gave it (x on a directory it lists), and
  the step is unsafe when named entries lose the 'other' bits they had.
- Many files with one cause: one `find TOP -type f -uid U -gid G -perm MODE
  -exec chmod o+r {} +` when the predicate selects exactly the files confcheck
  saw (checked on the view) and nothing under TOP looks private; otherwise
  one command per file.
- Private-looking names (.env, keys, .git/...) are never made readable: they
  are left out, with a note.
- Password files: `chgrp WORKERGROUP` + `chmod g+r` when the group bits are
  unused, else a named ACL entry: never readable by 'other'.
- SELinux labels: `semanage fcontext -a` + `restorecon` (display-only when
  semanage is not installed). Refused symlinks: advice only (display-only).
- The immutable flag: the script always checks it (`lsattr`) and stops before
  changing anything; a flag already known at plan time makes the fix
  display-only.
- Write is planned only for Wants marked `write` (a php-fpm pool's upload,
  session or cache folder, PHP105): `chmod u+w` when the identity owns the
  folder, else a named ACL entry for it alone (never g+w or o+w, which would let
  the group or every local user write too); any other `w` is a note.
"""

from __future__ import annotations

import os
import re
import stat as _stat
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from confcheck.fs.model import DIR, FILE, LINK, Denial, Identity, Meta, NotChecked
from confcheck.fs.private import PRIVATE_NAMES, looks_private  # noqa: F401 - part of this module's interface

from .shell import display, join

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"
_RANK = {SAFE: 0, UNSAFE: 1, DISPLAY: 2}

FIND_THRESHOLD = 5      # more paths than this with one cause: one `find` (when exact)
MANY_PER_FILE = 50      # more than this listed one by one: the script says why

_R, _W, _X = 4, 2, 1
_BIT = {"x": _X, "r": _R, "list": _R, "w": _W}

HUMAN_UIDS = range(1000, 60000)     # Debian's UID_MIN..UID_MAX

POLICY = """\
case                                             commands                                              applicability
x on a dir, worker is owner                      chmod u+x DIR                                         safe
x on a dir, group class (no ACL)                 chmod g+x DIR                                         safe
x on a dir, other, dir o+r or system-owned       chmod o+x DIR   (alt: setfacl -m u:W:--x,m::..)       safe
x on a dir, other, private (human/home/root)     setfacl -m u:W:--x,m::--x DIR   (alt: chmod o+x)      safe (alt unsafe)
ACL: mask strips the bit                         setfacl -m m::MASK+bit DIR                            safe, unsafe if it widens others
ACL: named user entry lacks the bit              setfacl -m u:W:PERM+bit,m::MASK+bit                   same
ACL: group class without the bit                 setfacl -m u:W:EFFECTIVE+bit,m::..                    same
ACL: mask --- (the kernel skips the ACL)         as above, the worker keeping its 'other' bits         same, unsafe if others lose bits
r on a file (owner/group/other)                  chmod u+r / g+r / o+r FILE                            safe
r on many files, one cause, exact predicate      find TOP -type f -uid U -gid G -perm M -exec chmod o+r {} +   safe
  ... but private names under TOP                one chmod per file (a note when very many)            safe
r on a private-looking file (.env, *.key ...)    nothing (note: deny it in the config or move it)      -
list (autoindex) on a dir                        as x, with r                                          as x
w on a dir (php-fpm upload/session folder only)  chmod u+w DIR (owner), else setfacl -m u:W:rwx,m::.. DIR   safe, unsafe if the mask widens others
password file, other                             chgrp WG FILE; chmod g+r FILE  (g bits unused)        safe
                                                 else setfacl -m u:W:r--,m::.. FILE                    safe
SELinux label                                    semanage fcontext -a -t httpd_sys_content_t 'RE';
                                                 restorecon -Rv DIR                                    unsafe (display-only w/o semanage)
symlink, disable_symlinks if_not_owner           chown -h TARGETOWNER LINK                             display-only
symlink, disable_symlinks on                     (config change)                                       display-only
immutable path (known at plan time)              the script's lsattr guard stops                       display-only
"""


# ---------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Want:
    """One thing the worker is refused, normalised from a Problem/Access/Denial."""

    denial: Denial
    need: str                       # x | r | list | symlink | label | loop | missing
    secret: bool = False            # a password file: never readable by 'other'
    symlink_mode: str | None = None  # disable_symlinks on | if_not_owner (Apache's Options mapped onto them)
    symlink_setting: str = ""        # the setting in force, for notes: "Options without FollowSymLinks..."
    write: bool = False             # w may be granted (a folder the application writes into, PHP105)

    @property
    def path(self) -> str:
        return self.denial.path


@dataclass(frozen=True, slots=True)
class Expect:
    """The state of one path as confcheck saw it (what the script checks first)."""

    path: str
    kind: str
    mode: int
    uid: int
    gid: int
    acl: str | None = None      # `getfacl -cEnp` text, when the step edits the ACL
    label: str | None = None    # `stat -c %C`, when the step relabels

    @classmethod
    def of(cls, meta: Meta, *, acl: bool = False, label: bool = False) -> "Expect":
        return cls(meta.path, meta.kind, meta.mode, meta.uid, meta.gid,
                   acl_text(meta) if acl else None, meta.label if label else None)

    @property
    def state(self) -> str:
        """What `stat -c '%A %u %g'` prints for it."""
        return f"{ls_mode(self.kind, self.mode)} {self.uid} {self.gid}"


@dataclass(frozen=True, slots=True)
class Selection:
    """The exact `find` predicate for many paths with one cause."""

    top: str
    ftype: str                  # f | d
    uid: int
    gid: int
    mode: int
    paths: tuple[str, ...]      # what it selects (checked on the view)

    @property
    def predicate(self) -> tuple[str, ...]:
        return ("-type", self.ftype, "-uid", str(self.uid), "-gid", str(self.gid),
                "-perm", f"{self.mode:04o}")


@dataclass(frozen=True, slots=True)
class Step:
    path: str                               # the path changed (the top of a selection)
    title: str
    why: str
    applicability: str                      # safe | unsafe | display-only
    commands: tuple[tuple[str, ...], ...]   # argv lists, paths included
    expect: tuple[Expect, ...] = ()
    selection: Selection | None = None
    alternative: tuple[tuple[str, ...], str, str] | None = None   # argv, applicability, why
    tools: tuple[tuple[str, str], ...] = ()  # (command, where it comes from)
    runnable: bool = True                   # False: advice, shown as comments only
    immutable: bool = False                 # known immutable at plan time

    @property
    def changes(self) -> tuple[str, ...]:
        """Every path the commands change."""
        if not self.runnable:
            return ()
        if self.selection is not None:
            return self.selection.paths
        return (self.path,)


@dataclass(slots=True)
class Plan:
    identity: Identity
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wants: list[Want] = field(default_factory=list)

    @property
    def applicability(self) -> str:
        runnable = [s for s in self.steps if s.runnable]
        if not runnable or any(s.immutable for s in runnable):
            return DISPLAY
        return max((s.applicability for s in runnable), key=_RANK.__getitem__)

    @property
    def title(self) -> str:
        if len(self.steps) == 1:
            return self.steps[0].title
        if not self.steps:
            return self.notes[0] if self.notes else "nothing to change"
        paths = [s.path for s in self.steps]
        top = os.path.commonpath(paths) if all(p.startswith("/") for p in paths) else paths[0]
        return f"let {self.identity.user} in: {len(self.steps)} changes under {display(top)}"

    def commands(self) -> list[str]:
        """The commands without guards (the JSON `fix.commands`)."""
        out = []
        for step in self.steps:
            out.extend(join(argv) for argv in step.commands)
        return out

    def changes(self) -> set[str]:
        return {p for s in self.steps for p in s.changes}


# ---------------------------------------------------------------- helpers


def ls_mode(kind: str, mode: int) -> str:
    ftype = {FILE: _stat.S_IFREG, DIR: _stat.S_IFDIR, LINK: _stat.S_IFLNK}.get(kind, 0)
    text = _stat.filemode(ftype | mode)
    return text if ftype else "?" + text[1:]


def rwx(perm: int) -> str:
    return "".join(c if perm & b else "-" for c, b in (("r", _R), ("w", _W), ("x", _X)))


@dataclass(slots=True)
class _Acl:
    """The access ACL as entries, minimal (mode-only) ACLs included."""

    user_obj: int
    users: dict[int, int]
    group_obj: int
    groups: dict[int, int]
    mask: int | None
    other: int

    @classmethod
    def of(cls, meta: Meta) -> "_Acl":
        mode = meta.mode
        if not meta.acl:
            return cls((mode >> 6) & 7, {}, (mode >> 3) & 7, {}, None, mode & 7)
        acl = cls((mode >> 6) & 7, {}, (mode >> 3) & 7, {}, None, mode & 7)
        for e in meta.acl:
            if e.tag == "user_obj":
                acl.user_obj = e.perm
            elif e.tag == "user" and e.qualifier is not None:
                acl.users[e.qualifier] = e.perm
            elif e.tag == "group_obj":
                acl.group_obj = e.perm
            elif e.tag == "group" and e.qualifier is not None:
                acl.groups[e.qualifier] = e.perm
            elif e.tag == "mask":
                acl.mask = e.perm
            elif e.tag == "other":
                acl.other = e.perm
        return acl

    @property
    def effective_mask(self) -> int:
        return 7 if self.mask is None else self.mask

    @property
    def skipped(self) -> bool:
        """Mask --- (mode group bits 000): Linux does not read the ACL at all."""
        return self.mask == 0

    def granted(self, meta: Meta, ident: Identity) -> int:
        """The bits the kernel grants `ident` (not the owner) now. Linux reads an ACL
        only when the mode's group bits (the mask) are not all zero: with mask ---
        the owning group gets those zero bits and everyone else, named users and
        groups included, gets 'other'."""
        in_owning = ident.in_group(meta.gid)
        if self.skipped:
            return 0 if in_owning else self.other
        if ident.uid in self.users:
            return self.users[ident.uid] & self.effective_mask
        perms = [p for g, p in self.groups.items() if ident.in_group(g)]
        if in_owning:
            perms.append(self.group_obj)
        if not perms:
            return self.other
        out = 0
        for perm in perms:
            out |= perm
        return out & self.effective_mask


def acl_text(meta: Meta) -> str:
    """What `getfacl -cEnp PATH` prints, trailing newlines stripped (as `$(...)` does)."""
    a = _Acl.of(meta)
    lines = [f"user::{rwx(a.user_obj)}"]
    lines += [f"user:{uid}:{rwx(p)}" for uid, p in sorted(a.users.items())]
    lines.append(f"group::{rwx(a.group_obj)}")
    lines += [f"group:{gid}:{rwx(p)}" for gid, p in sorted(a.groups.items())]
    if a.mask is not None:
        lines.append(f"mask::{rwx(a.mask)}")
    lines.append(f"other::{rwx(a.other)}")
    return "\n".join(lines)


def _name_ok(name: str | None) -> bool:
    return bool(name) and re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*", name) is not None


def _user_word(identity: Identity, accounts) -> str:
    """The worker as setfacl/chown want it: its name if the view agrees, else the uid."""
    name = identity.user
    if accounts is not None and accounts.users.get(name, (None,))[0] != identity.uid:
        return str(identity.uid)
    return name if _name_ok(name) and not name.isdigit() else str(identity.uid)


def _group_word(identity: Identity, accounts) -> str:
    name = identity.group_name or (accounts.group_name(identity.gid) if accounts else None)
    if name and accounts is not None and accounts.groups.get(name) != identity.gid:
        name = None
    return name if _name_ok(name) and not name.isdigit() else str(identity.gid)


def _owner_text(meta: Meta, accounts) -> str:
    if accounts is None:
        return f"{meta.uid}:{meta.gid}"
    return f"{accounts.user_name(meta.uid)}:{accounts.group_name(meta.gid)}"


def _is_immutable(meta: Meta, fs) -> bool:
    if meta.immutable:
        return True
    probe = getattr(fs, "is_immutable", None)
    if probe is None or meta.kind not in (FILE, DIR):
        return False
    try:
        return probe(meta.path) is True
    except (OSError, NotChecked):
        return False


def _private_dir(meta: Meta, path: str) -> bool:
    """A directory someone keeps to themselves: a human user's, or under /home, /root."""
    if meta.kind != DIR or meta.mode & 0o004:
        return False
    return (meta.uid in HUMAN_UIDS or path == "/root" or path.startswith("/root/")
            or path.startswith("/home/"))


# ---------------------------------------------------------------- input


def to_wants(items: Iterable, *, secret: bool = False) -> list[Want]:
    """Normalise Problems (confcheck.survey), Access and Denial objects."""
    out: list[Want] = []
    for item in items:
        if isinstance(item, Want):
            out.append(item)
            continue
        mode, setting = None, ""
        if isinstance(item, Denial):
            denial, need = item, item.need
            if need == "r" and item.meta is not None and item.meta.kind == DIR:
                need = "list"
        elif hasattr(item, "place") and hasattr(item, "need"):      # survey.Problem
            denial, need = item.denial, item.need
            symlinks = getattr(item.place, "symlinks", None)
            if symlinks is not None:
                from confcheck.fs.access import SymlinkPolicy
                policy = SymlinkPolicy.of(symlinks)
                mode, setting = policy.mode, policy.setting
        else:                                                        # Access
            denial = getattr(item, "denial", None)
            if denial is None:
                continue
            need = denial.need
            if need == "r" and denial.meta is not None and denial.meta.kind == DIR:
                need = "list"
        if need == "symlink" and mode is None:
            mode = "if_not_owner" if "if_not_owner" in denial.detail else "on"
        out.append(Want(denial, need, secret, mode, setting))
    return out


# ---------------------------------------------------------------- planning


def build_plan(items: Iterable, identity: Identity, accounts=None, fs=None, *,
               secret: bool = False, censuses=()) -> Plan:
    """The least change that lets `identity` past every refusal in `items`.
    `censuses`: what the survey's walks of `fs` saw (confcheck.fs.alike.Census),
    so a find predicate under them is proved without walking again."""
    wants = to_wants(items, secret=secret)
    plan = Plan(identity, wants=wants)
    planner = _Planner(plan, identity, accounts, fs, censuses)
    planner.run(wants)
    return plan


class _Planner:
    def __init__(self, plan: Plan, identity: Identity, accounts, fs, censuses=()) -> None:
        self.plan = plan
        self.ident = identity
        self.accounts = accounts
        self.fs = fs
        self.censuses = censuses
        self.user = identity.user

    def note(self, text: str) -> None:
        if text not in self.plan.notes:
            self.plan.notes.append(text)

    # ---- dispatch -----------------------------------------------------

    def run(self, wants: list[Want]) -> None:
        bits: dict[str, list[Want]] = {}
        labels: list[Want] = []
        for want in wants:
            meta = want.denial.meta
            if want.need in _BIT:
                if want.need == "w" and not want.write:
                    self.note(f"{display(want.path)}: write is not granted by this plan")
                    continue
                if meta is None:
                    self.note(f"{display(want.path)}: no metadata, nothing to change")
                    continue
                if not want.secret and looks_private(want.path):
                    self.note(f"{display(want.path)} looks private: not made readable; "
                              "deny it in the config or move it out of the served tree")
                    continue
                bits.setdefault(want.path, []).append(want)
            elif want.need == "label":
                labels.append(want)
            elif want.need == "symlink":
                self.symlink(want)
            elif want.need == "loop":
                self.note(f"{display(want.path)}: a symlink loop; no permission change helps")
            else:
                self.note(f"{display(want.path)}: {want.need}; no permission change helps")
        self.bit_steps(bits)
        if labels:
            self.label_steps(labels)

    # ---- permission bits ----------------------------------------------

    def bit_steps(self, by_path: dict[str, list[Want]]) -> None:
        # Paths with one need and one cause group together (a find candidate).
        groups: dict[tuple, list[tuple[str, Meta, int, bool]]] = {}
        singles: list[tuple[str, Meta, int, bool, str]] = []
        for path, ws in by_path.items():
            meta = ws[0].denial.meta
            assert meta is not None
            need_bits = 0
            for w in ws:
                need_bits |= _BIT[w.need]
            secret = any(w.secret for w in ws)
            needs = "+".join(sorted({w.need for w in ws}))
            if len(ws) == 1 and not meta.acl:
                key = (needs, meta.kind, meta.uid, meta.gid, meta.mode, secret)
                groups.setdefault(key, []).append((path, meta, need_bits, secret))
            else:
                singles.append((path, meta, need_bits, secret, needs))
        order: list[tuple] = []
        for key, members in groups.items():
            order.append(("group", key, members))
        for single in singles:
            order.append(("single", None, single))
        # Keep the input order: sort by the first path's position.
        position = {p: i for i, p in enumerate(by_path)}
        order.sort(key=lambda o: position[o[2][0][0] if o[0] == "group" else o[2][0]])
        for what, key, members in order:
            if what == "single":
                path, meta, need_bits, secret, needs = members
                self.add(self.grant(path, meta, need_bits, secret, needs))
                continue
            needs = key[0]
            if len(members) > FIND_THRESHOLD and self.fs is not None:
                step = self.find_step(members, needs)
                if step is not None:
                    self.add(step)
                    continue
            if len(members) > MANY_PER_FILE:
                top = os.path.commonpath([m[0] for m in members])
                self.note(f"{len(members)} paths under {display(top)} are changed one by one: "
                          "one find command would also select paths confcheck did not "
                          "report, or names that look private live there")
            for path, meta, need_bits, secret in members:
                self.add(self.grant(path, meta, need_bits, secret, needs))

    def add(self, step: Step | None) -> None:
        if step is not None:
            self.plan.steps.append(step)

    def grant(self, path: str, meta: Meta, need: int, secret: bool, needs: str) -> Step | None:
        """One path: the change in the worker's own class."""
        cmd, why, app, alt, acl_edit = self.change(meta, path, need, secret)
        if cmd is None:
            self.note(f"{display(path)}: {why}")
            return None
        verb = _verb(meta, needs)
        immutable = _is_immutable(meta, self.fs)
        if immutable:
            why += "; it is immutable (chattr +i): the script stops until `chattr -i` is run"
        tools = (("setfacl", "Debian: apt-get install acl"),
                 ("getfacl", "Debian: apt-get install acl")) if acl_edit else ()
        return Step(path=path, title=f"let {self.user} {verb} {display(path)}", why=why,
                    applicability=app, commands=tuple(c + (path,) for c in cmd),
                    expect=(Expect.of(meta, acl=acl_edit),),
                    alternative=(alt[0] + (path,), alt[1], alt[2]) if alt else None,
                    tools=tools, immutable=immutable)

    def change(self, meta: Meta, path: str, need: int, secret: bool):
        """(commands without the path, why, applicability, alternative, edits ACL)."""
        ident = self.ident
        acl = _Acl.of(meta)
        who = f"{self.user} is"
        bits = rwx(need).replace("-", "")
        if need & _W and meta.kind == DIR:
            need |= _R | _X     # creating files needs x too; PHP lists session folders to expire them
            bits = rwx(need).replace("-", "")
        if need & _W and ident.uid != meta.uid:
            # write for this identity alone: g+w/o+w would let the group or everyone write too
            return (*self.named(meta, acl, need, f"{self.user} must write into it and does not own it; a "
                                f"named ACL entry lets only {self.user} write"), None, True)
        if ident.uid == meta.uid:
            if acl.user_obj & need == need:
                return None, "the owner already has the bits", SAFE, None, False
            return ([("chmod", f"u+{bits}")], f"{who} its owner and the owner lacks {bits}",
                    SAFE, None, False)
        if ident.uid in acl.users:
            return (*self.named(meta, acl, need, f"{who} named in its ACL"), None, True)
        group_entries = self.worker_groups(meta, acl)
        if group_entries:
            if not meta.acl:
                return ([("chmod", f"g+{bits}")],
                        f"{who} in its group {self.group_name(meta.gid)} and the group lacks {bits}",
                        SAFE, None, False)
            return (*self.named(meta, acl, need, f"{who} in its ACL's group class"), None, True)
        # 'other'
        if secret:
            return self.secret_other(meta, acl, need)
        alt_named = self.named(meta, acl, need, "")
        chmod = [("chmod", f"o+{bits}")]
        if meta.kind == DIR and _private_dir(meta, path):
            owner = self.user_name(meta.uid)
            why = (f"{who} 'other' on this private directory (owner {owner}); a named ACL "
                   f"entry lets only {self.user} {'in' if need == _X else 'list it'}")
            alt = (chmod[0], UNSAFE, f"lets every local user {'enter' if need & _X else 'list'} it")
            return alt_named[0], why + alt_named[1], alt_named[2], alt, True
        if meta.kind == DIR:
            if meta.mode & 0o004 and need == _X:
                why = f"{who} 'other' and the directory is already readable by 'other'"
            else:
                why = f"{who} 'other' on a directory owned by {self.user_name(meta.uid)} (not a user's private directory)"
        else:
            why = f"{who} 'other' on it; served content may be readable by local users"
        alt = (alt_named[0][0], alt_named[2], f"only {self.user} gains access" + alt_named[1])
        return chmod, why, SAFE, alt, False

    def named(self, meta: Meta, acl: _Acl, need: int, why: str):
        """A named ACL entry for the worker (or a wider mask when its entry is there).

        The worker keeps the bits it has now: with mask --- the kernel skips the
        ACL and the worker gets 'other'; a wider mask makes it read the ACL again,
        so the worker's entries must carry what 'other' gave it (x to enter a
        directory it is asked to list)."""
        mask = acl.mask if acl.mask is not None else acl.group_obj
        ident = self.ident
        current = acl.users.get(ident.uid)
        word = _user_word(ident, self.accounts)
        group_perm = 0
        for perm in self.worker_groups(meta, acl).values():
            group_perm |= perm
        had = acl.granted(meta, ident)
        want = had | need
        bits = rwx(need).replace("-", "")
        if current is not None and current & want == want:
            spec = f"m::{rwx(mask | want)}"                     # the mask strips it
            reason = f"; the ACL mask {rwx(mask)} removes {bits}"
        elif current is None and group_perm & want == want and acl.mask is not None:
            spec = f"m::{rwx(mask | want)}"                     # group entries have it, masked
            reason = f"; the ACL mask {rwx(mask)} removes it from the group entries"
        else:
            if current is not None:                             # its entry lacks the bit
                reason = f"; its entry {rwx(current)} lacks {rwx(want & ~current).replace('-', '')}"
                want |= current
            elif self.worker_groups(meta, acl):                 # keep what the groups gave
                reason = (f"; its group entries give {rwx(had)}: "
                          f"a named entry adds {bits} for {self.user} alone")
            else:                                               # 'other': keep other's bits
                reason = ""
            spec = f"u:{word}:{rwx(want)},m::{rwx(mask | want)}"
        if acl.skipped and had & ~need:
            reason += (f"; with mask --- the kernel skips the ACL and {self.user} is 'other' "
                       f"({rwx(acl.other)}): the change keeps {rwx(had).replace('-', '')} for it")
        widened, narrowed = self.widened(meta, acl, mask, mask | want)
        app = SAFE
        if widened:
            app = UNSAFE
            reason += f"; the wider mask also gives {', '.join(widened)}"
        if narrowed:
            app = UNSAFE
            reason += (f"; and takes {', '.join(narrowed)} (they were 'other' while the "
                       "mask was ---)")
        return [("setfacl", "-m", spec)], (why and why + reason) or reason, app

    def widened(self, meta: Meta, acl: _Acl, old: int, new: int) -> tuple[list[str], list[str]]:
        """Who else in the group class gains (first list) or loses (second) a bit
        when the mask goes from old to new. With mask --- the kernel skipped the
        ACL: named users and groups had 'other', the owning group nothing."""
        gains: list[str] = []
        losses: list[str] = []
        if not meta.acl:
            return gains, losses
        skipped = acl.skipped
        entries = [("group " + self.group_name(meta.gid) + " (owning group)", acl.group_obj,
                    acl.group_obj & old)]
        entries += [("user " + self.user_name(u), p, acl.other if skipped else p & old)
                    for u, p in acl.users.items() if u != self.ident.uid]
        entries += [("group " + self.group_name(g), p, acl.other if skipped else p & old)
                    for g, p in acl.groups.items()]
        for name, perm, before in entries:
            after = perm & new
            if after & ~before:
                gains.append(f"{rwx(after & ~before).replace('-', '')} to {name}")
            if before & ~after:
                losses.append(f"{rwx(before & ~after).replace('-', '')} from {name}")
        return gains, losses

    def worker_groups(self, meta: Meta, acl: _Acl) -> dict[str, int]:
        found = {}
        if self.ident.in_group(meta.gid):
            found["group_obj"] = acl.group_obj
        for gid, perm in acl.groups.items():
            if self.ident.in_group(gid):
                found[f"group:{gid}"] = perm
        return found

    def secret_other(self, meta: Meta, acl: _Acl, need: int):
        group = _group_word(self.ident, self.accounts)
        if not meta.acl and not meta.mode & 0o070:
            return ([("chgrp", group), ("chmod", "g+r")],
                    f"{self.user} is 'other' on this password file; its group bits are unused, so "
                    f"giving it to group {group} with g+r keeps it unreadable to other users",
                    SAFE, None, False)
        cmd, why, app = self.named(meta, acl, need, f"{self.user} is 'other' on this password "
                                   "file; its group is in use, so a named ACL entry lets only "
                                   f"{self.user} read it")
        return cmd, why, app, None, True

    # ---- many paths, one cause ------------------------------------------

    def find_step(self, members, needs: str) -> Step | None:
        paths = [m[0] for m in members]
        meta = members[0][1]
        top = os.path.commonpath(paths)
        selected, private, top_meta = self.select(top, meta, paths)
        if selected is None or private or set(selected) != set(paths):
            return None
        if any(_is_immutable(m[1], self.fs) for m in members):
            return None       # per-path steps carry the immutable marker
        cmd, why, app, alt, acl_edit = self.change(meta, paths[0], members[0][2], members[0][3])
        if cmd is None or len(cmd) != 1 or acl_edit:
            return None
        sel = Selection(top, "d" if meta.kind == DIR else "f", meta.uid, meta.gid,
                        meta.mode, tuple(sorted(selected)))
        argv = ("find", top) + sel.predicate + ("-exec",) + cmd[0] + ("{}", "+")
        noun = "directories" if meta.kind == DIR else "files"
        verb = _verb(meta, needs)
        return Step(path=top, title=f"let {self.user} {verb} {len(paths)} {noun} under {display(top)}",
                    why=f"{why}; the predicate selects exactly the {len(paths)} {noun} "
                        f"confcheck saw ({ls_mode(meta.kind, meta.mode)} {_owner_text(meta, self.accounts)})",
                    applicability=app, commands=(argv,), expect=(Expect.of(top_meta),),
                    selection=sel)

    def select(self, top: str, meta: Meta, paths: list[str]):
        """What the predicate selects under `top` on the view (None when it cannot be
        told, or when it is more than `paths`, what it should select), whether private
        names live there, and top's own metadata."""
        from confcheck.fs.alike import select_alike
        return select_alike(self.fs, top, meta, paths, self.censuses)

    # ---- labels -------------------------------------------------------

    def label_steps(self, wants: list[Want]) -> None:
        paths = [w.path for w in wants]
        top = os.path.commonpath(paths) if len(paths) > 1 else paths[0]
        metas = {w.path: w.denial.meta for w in wants}
        meta = metas.get(top)
        if meta is None and self.fs is not None:
            try:
                meta = self.fs.lstat(top)
            except NotChecked:
                meta = None
        is_dir = meta is None or meta.kind == DIR
        regex = _regex(top) + ("(/.*)?" if is_dir else "")
        commands = (("semanage", "fcontext", "-a", "-t", "httpd_sys_content_t", regex),
                    ("restorecon", "-Rv" if is_dir else "-v", top))
        import shutil       # (and zlib, bz2, lzma with it) only for an SELinux label fix
        have = shutil.which("semanage") is not None and shutil.which("restorecon") is not None
        seen = sorted({m.selinux_type for m in metas.values() if m is not None and m.selinux_type})
        why = (f"httpd_t may not read {'/'.join(seen) or 'the current label'}; a file-context "
               "rule survives relabels (chcon would not)")
        if top == "/home" or top.startswith("/home/"):
            why += "; for home directories `setsebool -P httpd_read_user_content 1` is the alternative"
        if not have:
            why += "; semanage/restorecon are not installed here (policycoreutils-python-utils)"
        expect = ()
        if meta is not None:
            expect = (Expect.of(meta, label=bool(meta.label)),)
        self.add(Step(path=top, title=f"label {display(top)} httpd_sys_content_t", why=why,
                      applicability=UNSAFE if have else DISPLAY, commands=commands,
                      expect=expect, runnable=have,
                      tools=(("semanage", "policycoreutils-python-utils"),
                             ("restorecon", "policycoreutils"))))

    # ---- symlinks -----------------------------------------------------

    def symlink(self, want: Want) -> None:
        link = want.denial.meta
        path = want.path
        apache = want.symlink_setting.startswith("Options")
        setting = want.symlink_setting or f"disable_symlinks {want.symlink_mode or 'on'}"
        if want.symlink_mode != "if_not_owner" or link is None:
            change = ("add `Options +FollowSymLinks` where it applies" if apache else "change disable_symlinks")
            self.note(f"{display(path)} is a symlink and {setting} refuses every link: "
                      f"no permission change helps ({change}, or serve the real path)")
            return
        owner = self.target_owner(path)
        relax = "allow FollowSymLinks instead" if apache else "relax disable_symlinks"
        if owner is None:
            self.note(f"{display(path)}: make the link's owner match its target's owner "
                      f"(chown -h OWNER LINK), or {relax}")
            return
        word = (self.accounts.user_name(owner) if self.accounts else str(owner))
        if not _name_ok(word):
            word = str(owner)
        self.add(Step(path=path, title=f"give the link {display(path)} its target's owner",
                      why=f"{setting} refuses links whose owner differs from "
                          "the target's; changing a link's owner changes nothing else, but decide "
                          "whether the link is trusted first",
                      applicability=DISPLAY, commands=(("chown", "-h", word, path),),
                      expect=(Expect.of(link),), runnable=False))

    def target_owner(self, path: str) -> int | None:
        if self.fs is None:
            return None
        from confcheck.fs.access import Checker
        root = Identity("root", 0, 0, frozenset({0}))
        try:
            access = Checker(self.fs, root).check(path, "stat")
        except (NotChecked, OSError, ValueError):
            return None
        return access.meta.uid if access.ok and access.meta is not None else None

    # ---- names --------------------------------------------------------

    def user_name(self, uid: int) -> str:
        return self.accounts.user_name(uid) if self.accounts else str(uid)

    def group_name(self, gid: int) -> str:
        return self.accounts.group_name(gid) if self.accounts else str(gid)


def _verb(meta: Meta, needs: str) -> str:
    if "w" in needs.split("+"):
        return "write into"
    if meta.kind != DIR:
        return "read"
    return {"x": "traverse", "list": "list", "list+x": "enter and list",
            "r": "list"}.get(needs, "enter")


_REGEX_SPECIAL = re.compile(r"([\\.^$*+?()\[\]{}|])")


def _regex(path: str) -> str:
    """`path` as a literal in a file-context regular expression."""
    return _REGEX_SPECIAL.sub(r"\\\1", path)


# ---------------------------------------------------------------- integration


def permission_fix(finding_problems: Iterable, identity: Identity, accounts=None, *,
                   fs=None, secret: bool = False):
    """The `fix` of one filesystem finding, or None when there is nothing to offer.

    `finding_problems`: the finding's group (list of `survey.Problem`), or
    `Access`/`Denial` objects (FS105 passes the Access of the password file
    with `secret=True`). `commands` are the changes without their guards;
    the guarded script is `fixers.script.render_script(build_plan(...))`.
    """
    from confcheck.findings import Fix

    plan = build_plan(finding_problems, identity, accounts, fs, secret=secret)
    if not plan.steps:
        if not plan.notes:
            return None
        return Fix(applicability=DISPLAY, title=plan.notes[0], commands=[])
    return Fix(applicability=plan.applicability, title=plan.title,
               commands=plan.commands())


def iter_steps(plans: Iterable[Plan]) -> Iterator[Step]:
    for plan in plans:
        yield from plan.steps


__all__ = ["Want", "Expect", "Selection", "Step", "Plan", "build_plan", "permission_fix",
           "to_wants", "acl_text", "looks_private", "POLICY", "SAFE", "UNSAFE", "DISPLAY"]
