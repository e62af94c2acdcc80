"""A permission plan as a POSIX sh script: every check first, then every change.

The script:
- `#!/bin/sh` and `set -eu`; a header saying what it was generated from, when,
  by which confcheck, for which worker;
- phase 1 checks every path it will touch: the type, mode, owner and group
  `stat -c '%A %u %g'` prints (GNU stat; lstat, links are not followed), the
  ACL (`getfacl -cEnp`) where it edits ACLs, the SELinux context where it
  relabels, the immutable flag (`lsattr -d`), the tools it needs, and for a
  `find` step how many entries the predicate selects. Any difference stops the
  script before anything was changed (a stale plan is never half-applied);
- phase 2 runs the changes, each under a comment with its reason and
  applicability, and the alternative when there is one;
- advice (display-only steps) and notes come last, as comments.

Paths are single-quoted shell words (`fixers.shell.quote`); in comments they
appear escaped (`display`), because a raw newline would end the comment. The
result is bytes: names that are not UTF-8 come back exactly as on disk.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Sequence

from .permissions import DISPLAY, UNSAFE, Plan, Step
from .shell import display, display_command, encode_script, quote, quote_path

_HELPERS = {
    "refuse": """\
cc_refuse() {
\tprintf 'confcheck: %s\\n' "$1" >&2
\texit 1
}""",
    "state": """\
cc_state() {
\tcc_found=$(stat -c '%A %u %g' "$1" 2>/dev/null) || cc_found=missing
\t[ "$cc_found" = "$2" ] || cc_refuse "$1 changed since the scan (expected $2, found $cc_found); not touching it, nothing was changed"
}""",
    "acl": """\
cc_acl() {
\tcc_found=$(getfacl -cEnp "$1" 2>/dev/null) || cc_found=unreadable
\t[ "$cc_found" = "$2" ] || cc_refuse "the ACL of $1 changed since the scan; not touching it, nothing was changed"
}""",
    "label": """\
cc_label() {
\tcc_found=$(stat -c '%C' "$1" 2>/dev/null) || cc_found=unknown
\t[ "$cc_found" = "$2" ] || cc_refuse "the SELinux label of $1 changed since the scan (expected $2, found $cc_found); nothing was changed"
}""",
    "mutable": """\
cc_mutable() {
\tcc_found=$(lsattr -d "$1" 2>/dev/null) || return 0
\tcase ${cc_found%% *} in
\t*i*) cc_refuse "$1 is immutable (chattr +i): changing it would fail; run chattr -i on it first if the change is wanted; nothing was changed" ;;
\tesac
}""",
    "count": """\
cc_count() {
\tcc_want=$1
\tshift
\tcc_found=$(find "$@" -printf x | wc -c)
\t[ "$cc_found" -eq "$cc_want" ] || cc_refuse "what find selects under $1 changed since the scan (expected $cc_want entries, found $cc_found); nothing was changed"
}""",
    "mutable_all": """\
cc_mutable_all() {
\tfind "$@" -exec sh -c 'for f do a=$(lsattr -d "$f" 2>/dev/null) || continue; case ${a%% *} in *i*) exit 1 ;; esac; done' cc {} + ||
\t\tcc_refuse "an entry under $1 that this script would change is immutable (chattr +i), or find failed; nothing was changed"
}""",
    "tool": """\
cc_tool() {
\tcommand -v "$1" >/dev/null 2>&1 || cc_refuse "$1 is not installed ($2); nothing was changed"
}""",
}
_ORDER = ("refuse", "tool", "state", "acl", "label", "mutable", "count", "mutable_all")


def _conflicts(steps: list[Step]) -> None:
    """Two changes to one path must commute (symbolic chmods do; setfacl with
    exact entries computed from the old state does not)."""
    seen: dict[str, Step] = {}
    for step in steps:
        if not step.runnable:
            continue
        for path in step.changes:
            other = seen.get(path)
            if other is not None and other.commands != step.commands:
                if not all(c[0] == "chmod" for s in (other, step) for c in s.commands):
                    raise ValueError(f"two plans change {display(path)} in ways that do not "
                                     "combine: build one plan from all the problems")
            seen[path] = step


def render_script(plans: Plan | Iterable[Plan], *, source: Sequence[str] = (),
                  when: datetime | None = None, version: str | None = None,
                  include_unsafe: bool = True) -> bytes:
    """The guarded script for `plans` (one plan per finding, or one for all).

    source: lines saying what the plan was generated from (the command line,
    the config files, the snapshot). when: defaults to now (UTC).
    include_unsafe: False leaves unsafe steps as comments only.
    """
    if isinstance(plans, Plan):
        plans = [plans]
    plans = list(plans)
    if version is None:
        from confcheck import __version__ as version
    when = when or datetime.now(timezone.utc)
    # each step once, in order (steps are frozen: a dict finds the repeats without comparing
    # every pair, which took minutes for the ~10,000 steps of a million-entry tree)
    steps: list[Step] = list(dict.fromkeys(step for plan in plans for step in plan.steps))
    notes = [n for plan in plans for n in plan.notes]
    notes = list(dict.fromkeys(notes))
    _conflicts(steps)
    runnable = [s for s in steps if s.runnable and (include_unsafe or s.applicability != UNSAFE)]
    chosen = {id(s) for s in runnable}      # the steps are distinct: identity is equality here
    skipped = [s for s in steps if id(s) not in chosen]

    workers = list(dict.fromkeys(
        f"{p.identity.user} (uid {p.identity.uid}, gid {p.identity.gid})" for p in plans))
    out: list[str] = ["#!/bin/sh",
                      f"# Permission changes generated by confcheck {display(str(version))}"]
    for i, line in enumerate(source or ("(not recorded)",)):
        out.append(("# from: " if i == 0 else "#       ") + display(line))
    out.append(f"# at: {_iso(when)}")
    out.append(f"# for the worker: {', '.join(display(w) for w in workers) or '(none)'}")
    out += ["#",
            "# Review it before running it; run it as root (sh THIS-FILE).",
            "# It first checks that every path still has the type, mode, owner and group",
            "# (and ACL, label, immutable flag) confcheck saw; if anything differs it",
            "# stops before changing anything. Each change says why it is needed and",
            "# whether it is safe (only the worker gains access) or unsafe (read its note).",
            "set -eu",
            ""]

    checks: list[str] = []
    used: set[str] = {"refuse"}
    tools: dict[str, str] = {}
    for step in runnable:
        for name, where in step.tools:
            tools.setdefault(name, where)
    for name, where in tools.items():
        checks.append(f"cc_tool {quote(name)} {quote(where)}")
        used.add("tool")
    for step in runnable:
        for exp in step.expect:
            checks.append(f"cc_state {quote_path(exp.path)} {quote(exp.state)}")
            used.add("state")
            if exp.acl is not None:
                checks.append(f"cc_acl {quote_path(exp.path)} {quote(exp.acl)}")
                used.add("acl")
            if exp.label is not None:
                checks.append(f"cc_label {quote_path(exp.path)} {quote(exp.label)}")
                used.add("label")
        if step.selection is not None:
            sel = step.selection
            pred = " ".join(quote(a) for a in sel.predicate)
            checks.append(f"cc_count {len(sel.paths)} {quote_path(sel.top)} {pred}")
            checks.append(f"cc_mutable_all {quote_path(sel.top)} {pred}")
            used.update(("count", "mutable_all"))
        elif step.commands and step.commands[0][0] not in ("semanage",):
            for exp in step.expect:
                if exp.kind in ("file", "dir"):
                    checks.append(f"cc_mutable {quote_path(exp.path)}")
                    used.add("mutable")

    if runnable:
        for name in _ORDER:
            if name in used:
                out.append(_HELPERS[name])
        out.append("")
        out.append("# 1. Check that nothing changed since the scan (stops before any change).")
        out += checks
        out.append("")
        out.append("# 2. Change.")
        for step in runnable:
            out.append(f"# {display(step.path)}: {display(step.why)} [{step.applicability}]")
            for argv in step.commands:
                out.append(_command(argv))
            if step.alternative is not None:
                argv, app, why = step.alternative
                out.append(f"# alternative [{app}]: {display_command(argv)}"
                           + (f" ({display(why)})" if why else ""))
        total = sum(len(s.changes) for s in runnable)
        out.append(f"echo 'confcheck: done, {total} path{'s' if total != 1 else ''} changed'")
    else:
        out.append("# Nothing to run.")
    if skipped or notes:
        out.append("")
        out.append("# Not done by this script:")
        for step in skipped:
            why = "advice only" if step.applicability == DISPLAY or not step.runnable else step.applicability
            out.append(f"# [{why}] {display(step.why)}")
            for argv in step.commands:
                out.append(f"#   {display_command(argv)}")
        for note in notes:
            out.append(f"# {display(note)}")
    return encode_script("\n".join(out) + "\n")


def _command(argv: tuple[str, ...]) -> str:
    words = [argv[0]]
    for arg in argv[1:]:
        words.append(quote_path(arg) if arg.startswith("/") else quote(arg))
    return " ".join(words)


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def permission_script(items: Iterable, identity, accounts=None, *, fs=None, secret: bool = False,
                      source: Sequence[str] = (), when: datetime | None = None) -> bytes:
    """One plan for all `items` (Problems/Access/Denials), rendered."""
    from .permissions import build_plan
    return render_script(build_plan(items, identity, accounts, fs, secret=secret),
                         source=source, when=when)


__all__ = ["render_script", "permission_script"]
