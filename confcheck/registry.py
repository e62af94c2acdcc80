"""The rule registry: every rule's metadata from a generated index, its code on first use.

A rule module declares one check function with the `@rule` decorator: its id,
slug, severity, documentation and what it reads. confcheck/rule_index.py holds
that metadata for every rule, so listing, selecting and skipping rules imports
no rule module, and a scan imports only the rules it runs (a small nginx scan
loads no Apache, WAF or app code). The index is generated from the modules by
`python -m confcheck.ruledocs`, which `--check` (and tests/speed/test_rule_index.py)
compares with them, so it cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleDoc:
    what: str               # What it does
    why: str                # Why it answers 403 (or 404/500)
    example: str            # config/disk state that fires
    fixed: str              # the same, fixed
    fix_safety: str         # what a fix changes beyond the finding
    references: tuple[str, ...] = ()


class Declared:
    """What a rule module's `@rule` says, with the check function itself."""

    __slots__ = ("id", "name", "severity", "server", "needs_fs", "fixable", "summary", "doc", "check")

    def __init__(self, id: str, name: str, severity: str, server: str, needs_fs: bool, fixable: bool,
                 summary: str, doc: RuleDoc, check: Callable[..., Iterator]) -> None:
        self.id, self.name, self.severity, self.server = id, name, severity, server
        self.needs_fs, self.fixable, self.summary, self.doc, self.check = needs_fs, fixable, summary, doc, check


class Rule:
    """One rule as the index knows it; `doc` and `check` import its module on first use.
    (Plain classes: a dataclass costs start-up time every scan pays.)"""

    __slots__ = ("id", "name", "severity", "server", "needs_fs", "fixable", "needs", "module", "summary",
                 "_declared")

    def __init__(self, id: str, name: str, severity: str, server: str, needs_fs: bool, fixable: bool,
                 needs: tuple[str, ...], module: str, summary: str, declared: Declared | None = None) -> None:
        self.id, self.name, self.severity = id, name, severity
        self.server = server            # nginx | apache | any
        self.needs_fs = needs_fs        # False: runs in config-only (--no-fs) scans
        self.fixable = fixable
        self.needs = needs              # what else it reads (READS): without any of it, it finds nothing
        self.module = module            # under confcheck.analyzers
        self.summary = summary
        self._declared = declared

    def __repr__(self) -> str:
        return f"Rule({self.id} {self.name}, {self.module})"

    def declared(self) -> Declared:
        if self._declared is None:
            import importlib
            module = importlib.import_module(f"{PACKAGE}.{self.module}")
            found = [d for d in _declared_in(module) if d.id == self.id]
            if not found:
                raise LookupError(f"{PACKAGE}.{self.module} declares no rule {self.id}: "
                                  "run python -m confcheck.ruledocs")
            self._declared = found[0]
        return self._declared

    @property
    def doc(self) -> RuleDoc:
        return self.declared().doc

    @property
    def check(self) -> Callable[..., Iterator]:
        return self.declared().check


PACKAGE = "confcheck.analyzers"     # the installed name of the top-level analyzers/ folder

# What a rule may need beyond the configurations of its server (a package's rules declare
# theirs in its __init__.py as NEEDS), and how a scan's context tells whether it has it.
READS = {
    "apps": lambda ctx: bool(ctx.apps),                                     # Django apps behind the proxy
    "waf": lambda ctx: any(t.waf is not None for t in ctx.targets()),       # ModSecurity loaded
    "pools": lambda ctx: ctx.pools is not None,                             # php-fpm configurations read
}
SERVERS = {
    "nginx": lambda ctx: bool(ctx.nginx),
    "apache": lambda ctx: bool(ctx.apache or ctx.htaccess),
    "any": lambda ctx: True,
}


class Registry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, rule: Rule) -> None:
        if rule.id in self._rules:
            raise ValueError(f"duplicate rule id {rule.id}")
        self._rules[rule.id] = rule

    def all(self) -> list[Rule]:
        return sorted(self._rules.values(), key=lambda r: r.id)

    def get(self, key: str) -> Rule | None:
        key_up = key.upper()
        if key_up in self._rules:
            return self._rules[key_up]
        for rule in self._rules.values():
            if rule.name == key:
                return rule
        return None


def has_inputs(rule: Rule, ctx) -> bool:
    """Whether the scan behind `ctx` has what `rule` reads; a rule without it would find
    nothing there (and complete), so the scan counts it as run without importing it."""
    return SERVERS[rule.server](ctx) and all(READS[need](ctx) for need in rule.needs)


def rule(*, id: str, name: str, severity: str, server: str, summary: str, doc: RuleDoc,
         needs_fs: bool = False, fixable: bool = False):
    """Decorator for a rule's check function; the function's module registers it."""

    def wrap(fn: Callable[..., Iterator]) -> Callable[..., Iterator]:
        fn.__confcheck_rule__ = Declared(id, name, severity, server, needs_fs, fixable, summary, doc, fn)
        return fn

    return wrap


def _declared_in(module) -> list[Declared]:
    return [found for value in vars(module).values()
            if isinstance(found := getattr(value, "__confcheck_rule__", None), Declared)
            and value.__module__ == module.__name__]


def load_rules() -> Registry:
    """Every rule of the index (no rule module is imported)."""
    from confcheck.rule_index import RULES

    registry = Registry()
    for row in RULES:
        registry.add(Rule(*row))
    return registry


def scan_modules() -> Registry:
    """Import every module under confcheck.analyzers and collect the rules they declare
    (what the index is made from), each already loaded."""
    import importlib
    import pkgutil

    analyzers = importlib.import_module(PACKAGE)
    registry = Registry()
    for info in pkgutil.walk_packages(analyzers.__path__, PACKAGE + "."):
        module = importlib.import_module(info.name)
        package = importlib.import_module(info.name.rsplit(".", 1)[0])
        needs = tuple(getattr(package, "NEEDS", ()))
        for found in _declared_in(module):
            registry.add(Rule(found.id, found.name, found.severity, found.server, found.needs_fs,
                              found.fixable, needs, info.name[len(PACKAGE) + 1:], found.summary, found))
    return registry


def index_source(registry: Registry) -> str:
    """The text of confcheck/rule_index.py for the rules of `registry`."""
    for rule in registry.all():
        unknown = [need for need in rule.needs if need not in READS]
        if unknown or rule.server not in SERVERS:
            raise ValueError(f"{rule.id}: unknown server {rule.server!r} or needs {unknown}")
    rows = "".join(f"    {row!r},\n" for row in (
        (r.id, r.name, r.severity, r.server, r.needs_fs, r.fixable, r.needs, r.module, r.summary)
        for r in registry.all()))
    return (f'"""Every rule\'s metadata, so that a scan imports only the rules it runs (confcheck/registry.py).\n\n'
            f'Generated from the rule modules by `python -m confcheck.ruledocs`; do not edit.\n"""\n\n'
            f"# id, name, severity, server, needs_fs, fixable, needs, module (under {PACKAGE}), summary\n"
            f"RULES = (\n{rows})\n")
