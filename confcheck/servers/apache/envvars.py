"""The request's environment (httpd's r->subprocess_env) as the model knows it.

httpd keeps it in an apr table, whose lookups ignore case, so these do too
(`SetEnvIf ... Trusted` satisfies `Require env trusted`). A name whose value
cannot be known offline (a SetEnvIf on Remote_Host with HostnameLookups on, on
a variable another module sets, an E= flag built from an unknown variable) is
kept apart with the directive that set it; reading such a name calls
`on_unknown(name, node, why)`, and decide.py then answers null naming them.
Only reads count, so an unknown name nothing looks at leaves the answer known.

An internal redirect (ap_internal_redirect: mod_rewrite's per-directory
rewrites, a local ErrorDocument) hands the new request the old environment
with every name prefixed REDIRECT_, plus REDIRECT_STATUS (http_request.c
rename_original_env, internal_internal_redirect).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from confcheck.parsers.syntax import Node

OnUnknown = Callable[[str, Node, str], None]


class RequestEnv:
    def __init__(self, on_unknown: OnUnknown | None = None) -> None:
        self._values: dict[str, tuple[str, str]] = {}            # lower name -> (name, value)
        # lower name -> (name, setter, why, set): `set` when the name is surely set and only
        # its value is unknown (an E= flag), else whether it is set is unknown too (SetEnvIf)
        self._unknown: dict[str, tuple[str, Node, str, bool]] = {}
        self.on_unknown = on_unknown

    # -- reads ---------------------------------------------------------------------
    def _read(self, name: str, value: bool) -> tuple[str, str] | None:
        key = name.lower()
        hidden = self._unknown.get(key)
        if hidden is not None:
            if not value and hidden[3]:
                return hidden[0], ""
            if self.on_unknown is not None:
                self.on_unknown(hidden[0], hidden[1], hidden[2])
        return self._values.get(key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._read(name, False) is not None

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self._read(name, True)
        return found[1] if found is not None else default

    def __getitem__(self, name: str) -> str:
        found = self._read(name, True)
        if found is None:
            raise KeyError(name)
        return found[1]

    # -- writes --------------------------------------------------------------------
    def __setitem__(self, name: str, value: str) -> None:
        self._unknown.pop(name.lower(), None)
        self._values[name.lower()] = (name, value)

    def pop(self, name: str, default: str | None = None) -> str | None:
        self._unknown.pop(name.lower(), None)
        found = self._values.pop(name.lower(), None)
        return found[1] if found is not None else default

    def set_unknown(self, name: str, node: Node, why: str, *, is_set: bool = False) -> None:
        """`name` holds a value that cannot be known offline; unless `is_set`, whether it is
        set at all cannot be known either."""
        self._values.pop(name.lower(), None)
        self._unknown[name.lower()] = (name, node, why, is_set)

    @contextmanager
    def muted(self):
        """Reads that only explain an answer already decided (which Require decided it) count not."""
        saved, self.on_unknown = self.on_unknown, None
        try:
            yield
        finally:
            self.on_unknown = saved

    # -- whole environments --------------------------------------------------------
    def items(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._values.values()))

    def copy(self) -> "RequestEnv":
        out = RequestEnv(self.on_unknown)
        out._values = dict(self._values)
        out._unknown = dict(self._unknown)
        return out

    def redirected(self, status: int) -> "RequestEnv":
        """The environment an internal redirect starts with (names prefixed REDIRECT_)."""
        out = RequestEnv(self.on_unknown)
        for name, value in self._values.values():
            out["REDIRECT_" + name] = value
        for name, node, why, is_set in self._unknown.values():
            out.set_unknown("REDIRECT_" + name, node, why, is_set=is_set)
        out["REDIRECT_STATUS"] = str(status)
        return out

    def __repr__(self) -> str:
        return f"RequestEnv({dict(self._values.values())!r}, unknown={sorted(self._unknown)!r})"
