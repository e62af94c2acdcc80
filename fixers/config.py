"""Fix objects that carry what `confcheck fix` needs to act on them.

`Fix` (confcheck.findings) is what the JSON contract shows: applicability,
title, diff, commands. The fix command also needs the edits behind a diff
and the problems behind a permission plan, so rules attach these subclasses
(they are `Fix`es: JSON and text output do not see a difference):

- `ConfigFix`: byte edits on config files (`fixers.edits.Edit`); `diff` is the
  unified diff of this fix alone, relative to the scan's patch base, made on
  first use (a text scan never shows it; a big tree has thousands).
- `PermissionFix`: the normalised problems (`fixers.permissions.Want`) and the
  worker identity; one plan for every selected finding is built again by the
  fix command, so steps that touch one path combine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.findings import Fix

from .diff import edit_diff_of, inside, patch_base, unified_diff
from .edits import Edit, EditConflict, plan_files

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"


@dataclass(slots=True)
class ConfigFix(Fix):
    edits: list[Edit] = field(default_factory=list)
    base: str = "/"
    _diff: str | None = field(default=None, init=False, repr=False, compare=False)
    _plans: list | None = field(default=None, init=False, repr=False, compare=False)   # checked_fix's
    # (maker, key): maker.diff(key) is this fix's diff, or None when the maker cannot tell
    # (a look-alike server's fix filled from its representative's, analyzers/nginx/_shapes.py)
    _made_by: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def diff(self) -> str:
        if self._diff is None and self._made_by is not None:
            maker, key = self._made_by
            self._made_by = None
            self._diff = maker.diff(key)
        if self._diff is None:
            if len(self.edits) == 1:
                # one edit is one file's plan: no grouping, sorting or overlap to check
                self._diff = edit_diff_of(self.edits[0], self.base)
            else:
                plans = self._plans if self._plans is not None else plan_files(self.edits)
                self._diff = unified_diff(plans, self.base)
            self._plans = None
        return self._diff


def checked_fix(edits: list[Edit], base: str, title: str, applicability: str) -> ConfigFix | None:
    """A ConfigFix for `edits` relative to `base`, or None when the edits conflict
    or leave the base (a fixer bug, never a half fix). What makes the diff fail
    is checked here, so the diff itself can wait until something shows it."""
    try:
        plans = plan_files(edits)
    except EditConflict:
        return None
    if not all(inside(plan.path, base) for plan in plans):
        return None
    fix = ConfigFix(applicability=applicability, title=title, commands=[], edits=edits, base=base)
    fix._plans = plans
    return fix


@dataclass(slots=True)
class PermissionFix(Fix):
    wants: list = field(default_factory=list)       # fixers.permissions.Want
    identity: object = None                         # confcheck.fs.model.Identity
    accounts: object = None
    fs: object = None
    censuses: tuple = ()                            # confcheck.fs.alike.Census: proofs without a walk


# ---------------------------------------------------------------- config fixes


def scan_base(ctx, target=None) -> str:
    """The directory every patch of this scan is relative to: `--root` when
    given, else the deepest directory holding every config file read."""
    key = ("scan_base", id(target))
    if key not in ctx.memo:
        root = getattr(ctx.options, "root", None)
        targets = [target] if target is not None else list(ctx.nginx)
        paths = [sf.realpath for t in targets for sf in t.config.files.values()]
        ctx.memo[key] = patch_base(paths, root)
    return ctx.memo[key]


def config_fix(ctx, target, edits: list[Edit], title: str, applicability: str = SAFE) -> ConfigFix | None:
    """A ConfigFix for `edits` (None when they conflict: a fixer bug, never a half fix)."""
    edits = [e for e in edits if e is not None]
    if not edits:
        return None
    return checked_fix(edits, scan_base(ctx, target), title, applicability)


# ---------------------------------------------------------------- permission fixes


def _accounts(ctx):
    cached = ctx.memo.get("fix_accounts")
    if cached is None:
        from confcheck.fs.identity import Accounts
        cached = ctx.memo["fix_accounts"] = Accounts.load(ctx.fs)
    return cached


def permission_fix_for(ctx, target, items, *, secret: bool = False) -> PermissionFix | None:
    """The `fix` of a filesystem finding: the least permission change that lets
    the worker past `items` (survey Problems, or the Access of a password file
    with `secret=True`). None when there is nothing to offer."""
    from confcheck.servers.nginx.worker import IdentityProblem

    if ctx.fs is None:
        return None
    identity = ctx.identity(target)
    if identity is None or isinstance(identity, IdentityProblem):
        return None
    # the survey's walks prove a find predicate over what they covered (a password file's
    # fix needs no survey)
    censuses = () if secret else tuple(ctx.survey(target).censuses)
    return plan_fix(items, identity, _accounts(ctx), ctx.fs, secret=secret, censuses=censuses)


def plan_fix(items, identity, accounts, fs, *, secret: bool = False, censuses=()) -> PermissionFix | None:
    """The PermissionFix letting `identity` (the worker, a php-fpm pool's user) past `items`."""
    from .permissions import build_plan, to_wants

    wants = to_wants(items, secret=secret)
    plan = build_plan(wants, identity, accounts, fs, censuses=censuses)
    if not plan.steps:
        if not plan.notes:
            return None
        return PermissionFix(applicability=DISPLAY, title=plan.notes[0], commands=[],
                             wants=wants, identity=identity, accounts=accounts, fs=fs, censuses=censuses)
    return PermissionFix(applicability=plan.applicability, title=plan.title,
                         commands=plan.commands(), wants=wants, identity=identity,
                         accounts=accounts, fs=fs, censuses=censuses)


def reroot_plan(plan, root: str | None):
    """The plan with every path under `root` (a --root image seen from this
    machine): the script then changes the image's files, not this machine's.
    User and group names in commands stay names: they must mean the same here."""
    import dataclasses

    if not root:
        return plan
    top = root.rstrip("/")

    def move(path: str) -> str:
        return top + path if path.startswith("/") else path

    def argv_of(argv: tuple) -> tuple:
        if argv and argv[0] == "semanage":     # a regex for the policy, not a path
            return argv
        return tuple(argv[:1]) + tuple(move(a) for a in argv[1:])

    steps = []
    for step in plan.steps:
        selection = step.selection
        if selection is not None:
            selection = dataclasses.replace(selection, top=move(selection.top),
                                            paths=tuple(move(p) for p in selection.paths))
        alternative = step.alternative
        if alternative is not None:
            alternative = (argv_of(alternative[0]), alternative[1], alternative[2])
        steps.append(dataclasses.replace(
            step, path=move(step.path), commands=tuple(argv_of(a) for a in step.commands),
            expect=tuple(dataclasses.replace(e, path=move(e.path)) for e in step.expect),
            selection=selection, alternative=alternative))
    return dataclasses.replace(plan, steps=steps, notes=list(plan.notes))
