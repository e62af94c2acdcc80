"""The rule registry, filled by the `@rule` decorator (no hand-kept lists).

A rule module declares one class with its id, slug, severity and
documentation, and a `check(ctx)` generator. Modules under the `analyzers`
package are imported on first use so start-up stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass(frozen=True, slots=True)
class RuleDoc:
    what: str               # What it does
    why: str                # Why it answers 403 (or 404/500)
    example: str            # config/disk state that fires
    fixed: str              # the same, fixed
    fix_safety: str         # what a fix changes beyond the finding
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: str
    server: str             # nginx | apache | any
    needs_fs: bool          # False: runs in config-only (--no-fs) scans
    fixable: bool
    summary: str
    doc: RuleDoc
    check: Callable[..., Iterator]


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


def rule(*, id: str, name: str, severity: str, server: str, summary: str, doc: RuleDoc,
         needs_fs: bool = False, fixable: bool = False):
    """Decorator for a rule's check function; the function's module registers it."""

    def wrap(fn: Callable[..., Iterator]) -> Callable[..., Iterator]:
        fn.__confcheck_rule__ = Rule(id, name, severity, server, needs_fs, fixable,
                                     summary, doc, fn)
        return fn

    return wrap


def load_rules() -> Registry:
    """Import every module under confcheck.analyzers and collect its rules."""
    from confcheck import analyzers  # the installed name of the top-level analyzers/ folder

    registry = Registry()
    for info in pkgutil.walk_packages(analyzers.__path__, analyzers.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            found = getattr(value, "__confcheck_rule__", None)
            if isinstance(found, Rule) and value.__module__ == module.__name__:
                registry.add(found)
    return registry
