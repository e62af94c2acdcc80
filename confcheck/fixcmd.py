"""`confcheck fix`: the fixable findings as one reviewable patch and one guarded script.

    confcheck fix /etc/nginx /var/www              # = --diff: print both, change nothing
    confcheck fix /etc/nginx --output-dir out/      # out/confcheck.patch, out/confcheck-permissions.sh
    confcheck fix /etc/nginx --apply [--yes]        # apply the config patch (never the script)

What is included: fixes whose applicability is `safe`; `unsafe` ones too with
--unsafe-fixes; `display-only` ones are advice (comments in the script, a
line in the summary). Config fixes combine into one set of byte edits per file
(`fixers.edits`); two fixes that would touch the same bytes are not combined:
the later one is left out with a note (apply, re-run, fix again). Permission
fixes combine into one plan per identity (`fixers.permissions.build_plan`), so two findings
that need the same directory get one change.

--apply, in order: print the patch; ask (a terminal) or require --yes; check
that every file to change still has the sha256 it had when it was read;
back each file up (`--backup-dir`, default /var/backups/confcheck/<time>/,
under --root when there is one: never next to the file, where an
`include sites-enabled/*;` would load it); write each file atomically (a
temporary file in the same directory with the same owner, mode, ACL and
other xattrs, fsync, rename); scan again; if any file no longer parses or a
fixed finding is still there, restore every file
from its backup (byte for byte, same metadata) and exit 3.

Exit codes (contract): 2 could not run as asked (bad options, a config with
parse errors, a stale file, no --yes without a terminal, the user said no);
3 a fix that did not work (rolled back); otherwise 1 when findings at or
above --fail-on remain (after --apply: in the new scan), else 0.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone

import typer

from confcheck.inputs.model import InputError
from confcheck.output.text import printable

PATCH_NAME = "confcheck.patch"
SCRIPT_NAME = "confcheck-permissions.sh"
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class FixFailed(Exception):
    """A fix did not work (did not parse, or did not remove its finding): rolled back."""


# ---------------------------------------------------------------- selection


# how each server's configuration is tested and reloaded (Debian's units and tools)
_RELOAD = {"nginx": "nginx -t && systemctl reload nginx", "apache": "apache2ctl configtest && systemctl reload apache2"}


@dataclass
class Item:
    finding: object             # confcheck.findings.Finding
    fix: object                 # ConfigFix | PermissionFix | Fix
    included: bool
    reason: str = ""            # why it is left out, when it is

    def to_json(self) -> dict:
        doc = {k: v for k, v in self.finding.to_json().items()
               if k in ("rule", "name", "file", "line", "column", "fs_path", "fix")}
        doc["included"] = self.included
        doc["reason"] = self.reason or None
        return doc


@dataclass
class FixSet:
    """Everything `confcheck fix` would do, computed without touching anything."""

    items: list[Item] = field(default_factory=list)
    file_plans: list = field(default_factory=list)      # fixers.edits.FilePlan
    base: str = "/"
    patch: str = ""
    plan: object = None                                  # fixers.permissions.Plan (the first identity's)
    plans: list = field(default_factory=list)            # one Plan per identity (the worker, a php-fpm pool's user)
    root: str | None = None
    unsafe: bool = False
    all_findings: list = field(default_factory=list)     # the scan's, fixable or not
    reading: object = None                               # confcheck.inputs.Reading: what was read

    @property
    def config_items(self) -> list[Item]:
        from confcheck.fixers.config import ConfigFix
        return [i for i in self.items if i.included and isinstance(i.fix, ConfigFix)]

    @property
    def permission_items(self) -> list[Item]:
        from confcheck.fixers.config import PermissionFix
        return [i for i in self.items if i.included and isinstance(i.fix, PermissionFix)]

    def script(self, *, source=(), when: datetime | None = None, reroot: bool = True) -> bytes | None:
        """The guarded permission script (paths under --root when `reroot`), or None."""
        if self.plan is None:
            return None
        from confcheck.fixers.config import reroot_plan
        from confcheck.fixers.script import render_script
        plans = [reroot_plan(p, self.root) if (reroot and self.root) else p for p in self.plans or [self.plan]]
        return render_script(plans, source=source, when=when, include_unsafe=self.unsafe)


def collect(findings, *, unsafe: bool = False, root: str | None = None) -> FixSet:
    """Choose the fixes to include and combine them (pure: reads nothing)."""
    from confcheck.fixers.config import DISPLAY, SAFE, UNSAFE, ConfigFix, PermissionFix
    from confcheck.fixers.diff import patch_base, unified_diff
    from confcheck.fixers.edits import EditConflict, plan_files
    from confcheck.fixers.permissions import build_plan

    findings = list(findings)
    out = FixSet(root=root, unsafe=unsafe, all_findings=findings)
    edits: list = []
    by_file: dict = {}          # real path -> the included edits of that file
    by_identity: dict = {}
    censuses: dict = {}     # identity key -> the censuses its fixes' proofs may use, by id
    for finding in findings:
        fix = finding.fix
        if fix is None:
            continue
        if isinstance(fix, PermissionFix):
            # every permission fix goes into the one plan: the script keeps unsafe
            # steps as comments unless --unsafe-fixes, and advice as comments
            out.items.append(Item(finding, fix, fix.applicability != DISPLAY,
                                  "advice only (in the script as a comment)" if fix.applicability == DISPLAY else
                                  ("" if fix.applicability == SAFE or unsafe else
                                   "unsafe steps stay comments in the script (--unsafe-fixes runs them)")))
            # one plan per identity: the worker's wants, and a php-fpm pool user's apart
            key = (fix.identity.uid, fix.identity.gid, fix.identity.groups)
            by_identity.setdefault(key, (fix, []))[1].extend(fix.wants)
            censuses.setdefault(key, {}).update((id(c), c) for c in fix.censuses)
            continue
        if not isinstance(fix, ConfigFix):
            out.items.append(Item(finding, fix, False, "no edit attached (advice only)"))
            continue
        if fix.applicability == DISPLAY:
            out.items.append(Item(finding, fix, False, "advice only"))
            continue
        if fix.applicability == UNSAFE and not unsafe:
            out.items.append(Item(finding, fix, False, "unsafe: --unsafe-fixes includes it"))
            continue
        # checked against the included edits of the files it touches only (plan_files works
        # file by file): re-planning every included edit made 4,000 fixes take ten seconds
        touched = {edit.key for edit in fix.edits}
        try:
            plan_files([e for key in touched for e in by_file.get(key, ())] + list(fix.edits))
        except EditConflict:
            out.items.append(Item(finding, fix, False,
                                  "touches the same text as another fix: apply the patch, scan again, fix again"))
            continue
        edits.extend(fix.edits)
        for edit in fix.edits:
            by_file.setdefault(edit.key, []).append(edit)
        out.items.append(Item(finding, fix, True))
    if edits:
        out.file_plans = plan_files(edits)
        bases = {i.fix.base for i in out.config_items}
        out.base = bases.pop() if len(bases) == 1 else patch_base([p.path for p in out.file_plans], root)
        out.patch = unified_diff(out.file_plans, out.base)
    out.plans = [build_plan(wants, fix.identity, fix.accounts, fix.fs,
                            censuses=tuple(censuses[key].values()))
                 for key, (fix, wants) in by_identity.items()]
    out.plan = out.plans[0] if out.plans else None
    return out


# ---------------------------------------------------------------- writing files


def file_meta(path: str) -> tuple[os.stat_result, dict[str, bytes]]:
    st = os.stat(path)
    xattrs: dict[str, bytes] = {}
    try:
        names = os.listxattr(path)
    except OSError:
        names = []
    for name in names:
        try:
            xattrs[name] = os.getxattr(path, name)
        except OSError:
            pass
    return st, xattrs


def atomic_write(path: str, data: bytes, like: tuple[os.stat_result, dict[str, bytes]]) -> None:
    """Replace `path` with `data`: a temporary file in the same directory gets the
    owner, mode, ACL and other xattrs of `like`, is fsynced, then renamed over."""
    st, xattrs = like
    directory = os.path.dirname(path) or "."
    base = os.path.basename(path)
    import tempfile
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".confcheck-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            try:
                os.fchown(fh.fileno(), st.st_uid, st.st_gid)
            except PermissionError:
                if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                    raise
            os.fchmod(fh.fileno(), st.st_mode & 0o7777)
            for name, value in xattrs.items():
                try:
                    os.setxattr(fh.fileno(), name, value)
                except OSError as exc:
                    if name.startswith(("system.posix_acl", "security.selinux")):
                        raise OSError(exc.errno, f"cannot copy {name} to the new file: {exc.strerror}") from None
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def default_backup_dir(root: str | None, when: datetime) -> str:
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    return os.path.join(root or "/", "var/backups/confcheck", stamp)


@dataclass
class Backup:
    path: str           # the file changed
    copy: str           # its backup
    meta: tuple


def backup_file(path: str, backup_dir: str, root: str | None = None) -> Backup:
    """Copy `path` (its bytes, owner, mode and xattrs) to backup_dir + path
    (the path as the server sees it, under --root)."""
    meta = file_meta(path)
    shown = path
    if root:
        top = os.path.abspath(root).rstrip("/")
        if path.startswith(top + "/"):
            shown = path[len(top):]
    dest = os.path.join(backup_dir, shown.lstrip("/"))
    os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
    os.chmod(backup_dir, 0o700)
    with open(path, "rb") as fh:
        data = fh.read()
    if os.path.lexists(dest):
        raise FileExistsError(f"{dest} already exists: not overwriting a backup")
    atomic_write_new(dest, data, meta)
    return Backup(path, dest, meta)


def atomic_write_new(dest: str, data: bytes, meta) -> None:
    """Write a new file (for backups): same content and metadata as the original."""
    with open(dest, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    st, xattrs = meta
    os.chown(dest, st.st_uid, st.st_gid)
    os.chmod(dest, st.st_mode & 0o7777)
    for name, value in xattrs.items():
        try:
            os.setxattr(dest, name, value)
        except OSError:
            pass


def restore(backups: list[Backup]) -> None:
    """Every file back from its backup, byte for byte, with its old metadata."""
    for b in backups:
        with open(b.copy, "rb") as fh:
            data = fh.read()
        atomic_write(b.path, data, b.meta)


class StaleFile(Exception):
    pass


def check_unchanged(file_plans) -> None:
    for plan in file_plans:
        try:
            with open(plan.path, "rb") as fh:
                now = fh.read()
        except OSError as exc:
            raise StaleFile(f"{plan.path}: cannot read it any more ({exc.strerror}); nothing was changed") from None
        if hashlib.sha256(now).hexdigest() != plan.source.sha256:
            raise StaleFile(f"{plan.path} changed after it was analysed (sha256 differs); "
                            "nothing was changed: run confcheck fix again")


def _key(finding) -> tuple:
    return (finding.rule, finding.span.source.realpath if finding.span is not None else None, finding.fs_path)


def apply_patch(fixset: FixSet, options, *, backup_dir: str, rescan=None):
    """Write the config patch, verify it with a new scan, roll back on failure.

    Returns (backups, new scan result). Raises StaleFile (nothing written) or
    FixFailed (everything restored).
    """
    from collections import Counter

    from confcheck.engine import run_scan

    check_unchanged(fixset.file_plans)
    backups: list[Backup] = []
    try:
        for plan in fixset.file_plans:
            backups.append(backup_file(plan.path, backup_dir, fixset.root))
        for plan in fixset.file_plans:
            check_unchanged([plan])     # again, just before replacing it
            atomic_write(plan.path, plan.new_data(), file_meta(plan.path))
    except StaleFile:
        restore(backups)
        raise
    except OSError:
        restore(backups)
        raise
    try:
        result = (rescan or run_scan)(options)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the files go back
        restore(backups)
        raise FixFailed(f"the scan after the fix failed ({type(exc).__name__}: {exc}); every file was restored") from None
    touched = {p.path for p in fixset.file_plans}
    broken = [e for e in result.errors
              if e.span is not None and e.span.source.realpath in touched or e.file in touched]
    problems = [f"{e}" for e in (broken or result.errors)]
    original = Counter(_key(f) for f in fixset.all_findings)
    fixed = Counter(_key(i.finding) for i in fixset.config_items)
    after = Counter(_key(f) for f in result.findings)
    for key, count in fixed.items():
        if after[key] > original[key] - count:
            problems.append(f"{key[0]} is still reported after its fix")
    if problems:
        restore(backups)
        raise FixFailed("the patched configuration was not right, so every file was restored from its backup: "
                        + "; ".join(problems))
    return backups, result


# ---------------------------------------------------------------- the command


def _source_lines(argv: list[str], fixset: FixSet, options) -> list[str]:
    lines = ["confcheck " + " ".join(shlex.quote(a) for a in argv)]
    if options.fs_snapshot:
        lines.append(f"filesystem: snapshot {options.fs_snapshot}")
    elif options.root:
        lines.append(f"filesystem: live disk under {options.root} (paths below are on this machine)")
    else:
        lines.append("filesystem: live disk")
    return lines


def _describe(item: Item, root: str | None = None) -> str:
    from confcheck.inputs import shown
    f = item.finding
    where = f"{shown(f.span.file, root)}:{f.span.line}" if f.span is not None else (f.fs_path or "")
    state = item.fix.applicability + ("" if item.included else ", not included")
    text = f"{f.rule} {where} [{state}] {item.fix.title}"
    if item.reason:
        text += f" ({item.reason})"
    return text


def _summary(fixset: FixSet) -> list[str]:
    lines = [f"# {_describe(i, fixset.root)}" for i in fixset.items]
    if not fixset.items:
        lines.append("# nothing to fix: no finding has a fix")
    return lines


def run_fix(*, paths: list[str], config: list[str], server: str | None, root: str | None,
            fs_snapshot: str | None, no_fs: bool, worker_user: str | None, diff: bool,
            output_dir: str | None, apply: bool, yes: bool, unsafe_fixes: bool,
            backup_dir: str | None, fmt: str, fail_on: str, app_settings: list[str] | None = None) -> None:
    """`confcheck fix` after cli.py parsed it: exits through typer.Exit (or InputError)."""
    from confcheck.engine import ScanOptions, run_scan
    from confcheck.findings import severity_rank

    if no_fs and fs_snapshot:
        raise InputError("--no-fs and --fs-snapshot contradict each other: pick one")
    if apply and diff:
        raise InputError("--diff shows the changes, --apply makes them: pick one")
    if yes and not apply:
        raise InputError("--yes only goes with --apply")
    if backup_dir and not apply:
        raise InputError("--backup-dir only goes with --apply")
    options = ScanOptions(paths=list(paths or []), configs=list(config), server=server,
                          root=root, fs_snapshot=fs_snapshot, no_fs=no_fs, worker_user=worker_user,
                          app_settings=list(app_settings or []))
    result = run_scan(options, stdin=sys.stdin)
    if fmt == "text" and result.reading is not None:
        from confcheck.inputs import inputs_line
        sys.stdout.write(f"# {inputs_line(result.reading)}\n")
    if result.errors:
        for diag in result.errors:
            sys.stderr.write(f"confcheck: {diag}\n")
        raise InputError("the configuration has errors (above): fix them first, a patch over them cannot be checked")
    fixset = collect(result.findings, unsafe=unsafe_fixes, root=options.root)
    fixset.reading = result.reading
    when = datetime.now(timezone.utc)
    argv = ["fix", *sys.argv[2:]] if len(sys.argv) > 1 and sys.argv[1] == "fix" else ["fix", *(paths or [])]
    # With a snapshot the disk is the server's, not this machine's: keep the server's paths.
    script = fixset.script(source=_source_lines(argv, fixset, options), when=when,
                           reroot=not options.fs_snapshot)
    threshold = severity_rank(fail_on)

    def code_for(findings, failures=()) -> int:
        if failures:
            # contained internal errors (confcheck.isolation): named after the output, exit 3
            from confcheck.isolation import report_lines
            sys.stderr.write("".join(line + "\n" for line in report_lines(list(failures))))
            return EXIT_INTERNAL
        return EXIT_FINDINGS if any(severity_rank(f.severity) >= threshold for f in findings) else EXIT_OK

    written: dict[str, str] = {}
    if output_dir:
        try:
            written = _write_outputs(output_dir, fixset.patch, script)
        except OSError as exc:      # a file where the folder should be, a read-only place
            raise InputError(f"--output-dir {printable(output_dir)}: cannot write "
                             f"{printable(exc.filename or output_dir)}: {exc.strerror}") from None
    if not apply:
        _emit(fmt, fixset, script, written, None, None)
        raise typer.Exit(code_for(result.findings, result.failures))

    # --apply
    if not fixset.file_plans:
        _emit(fmt, fixset, script, written, None, None)
        sys.stderr.write("confcheck: no config change to apply\n")
        raise typer.Exit(code_for(result.findings, result.failures))
    if fmt == "text":
        sys.stdout.write(_text_patch(fixset))
        sys.stdout.flush()
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("--apply asks before changing files, but stdin is not a terminal: "
                             "pass --yes to apply without asking")
        sys.stderr.write(f"Apply this patch to {len(fixset.file_plans)} file(s)? [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise InputError("not applied: nothing was changed")
    target_dir = backup_dir or default_backup_dir(root, when)
    try:
        backups, after = apply_patch(fixset, options, backup_dir=target_dir)
    except StaleFile as exc:
        raise InputError(str(exc)) from None
    except FixFailed as exc:
        sys.stderr.write(f"confcheck: {exc}\n")
        raise typer.Exit(EXIT_INTERNAL) from None
    except OSError as exc:
        raise InputError(f"could not write the fix ({exc}); every file written was restored") from None
    _emit(fmt, fixset, script, written, backups, after, printed_patch=True)
    raise typer.Exit(code_for(after.findings, after.failures))


def _write_outputs(directory: str, patch: str, script: bytes | None) -> dict[str, str]:
    os.makedirs(directory, exist_ok=True)
    written = {}
    if patch:
        path = os.path.join(directory, PATCH_NAME)
        _write_plain(path, patch.encode("utf-8", "surrogateescape"), 0o644)
        written["patch"] = path
    if script is not None:
        path = os.path.join(directory, SCRIPT_NAME)
        _write_plain(path, script, 0o644)       # not executable: read it, then `sh` it
        written["script"] = path
    return written


def _write_plain(path: str, data: bytes, mode: int) -> None:
    tmp = path + ".confcheck-tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _text_patch(fixset: FixSet) -> str:
    if not fixset.patch:
        return "# config patch: no config change\n"
    base = shlex.quote(fixset.base)
    return (f"# config patch ({len(fixset.config_items)} fix(es); paths relative to {fixset.base}): "
            f"cd {base} && patch -p1 < {PATCH_NAME}   (or git apply)\n" + fixset.patch)


def _emit(fmt, fixset: FixSet, script, written, backups, after, printed_patch: bool = False) -> None:
    if fmt == "json":
        from confcheck.output import json_text
        doc = {
            "version": 1,
            "base": fixset.base,
            "patch": fixset.patch or None,
            "script": script.decode("utf-8", "surrogateescape") if script is not None else None,
            "fixes": [i.to_json() for i in fixset.items],
            "written": written or None,
            "applied": backups is not None,
            "backups": [{"file": b.path, "backup": b.copy} for b in backups] if backups else None,
            "remaining": [f.to_json() for f in after.findings] if after is not None else None,
        }
        if fixset.reading is not None:
            from confcheck.inputs import inputs_json
            doc["inputs"] = inputs_json(fixset.reading)
        json_text.write(doc, sys.stdout)
        sys.stdout.write("\n")
        return
    out = sys.stdout
    lines = _summary(fixset)
    out.write("\n".join(lines) + "\n")
    if written:
        for kind, path in written.items():
            out.write(f"# wrote {path}\n")
        if "script" in written:
            out.write(f"# review {written['script']}, then run it as root: sh {shlex.quote(written['script'])}\n")
    elif not printed_patch:
        out.write(_text_patch(fixset))
        if script is not None:
            out.write("# permission script (not run; save it, read it, then run it as root with sh):\n")
            out.buffer.write(script) if hasattr(out, "buffer") else out.write(script.decode("utf-8", "surrogateescape"))
            out.flush()
    elif script is not None:
        out.write("# permission script (not run; save it, read it, then run it as root with sh):\n")
        out.flush()
        out.buffer.write(script) if hasattr(out, "buffer") else out.write(script.decode("utf-8", "surrogateescape"))
        out.flush()
    if backups is not None:
        out.write(f"# applied {len(fixset.config_items)} fix(es) to {len(backups)} file(s); backups:\n")
        for b in backups:
            out.write(f"#   {b.path} -> {b.copy}\n")
        out.write("# the configuration parses and the fixed findings are gone; test and reload the server ("
                  + "; ".join(_RELOAD.get(server, _RELOAD["nginx"]) for server in
                              sorted({i.finding.server for i in fixset.config_items} & set(_RELOAD)) or ["nginx"])
                  + ")\n")
        remaining = after.findings if after is not None else []
        if remaining:
            out.write(f"# {len(remaining)} finding(s) remain:\n")
            for f in remaining:
                out.write(f"#   {f.rule} {f.message}\n")
    out.flush()
