"""The input stage's request and result: small, and the same for every command."""

from __future__ import annotations

from dataclasses import dataclass, field


class InputError(Exception):
    """The command line names something confcheck cannot read (exit 2)."""


@dataclass
class InputRequest:
    """What the command line says about inputs (scan, why, fix, explain alike)."""

    paths: list[str] = field(default_factory=list)     # PATH arguments: server paths, `-` for stdin
    configs: list[str] = field(default_factory=list)   # --config FILE|DIR
    server: str | None = None                          # --server nginx|apache
    root: str | None = None                            # --root DIR (absolute)
    no_fs: bool = False                                # --no-fs: every PATH is config
    context: bool = False                              # --context: files inside the mains including them


@dataclass
class Config:
    """One configuration to read: a main with its includes, or a file alone."""

    server: str                 # "nginx" | "apache"
    role: str                   # "main" | "lone" | "dump" | "htaccess" | "foreign" (found, neither server's)
    #                             | "unreadable" (found, confcheck may not read it)
    path: str                   # local path (a dump: where it came from, "<stdin>")
    data: bytes | None = None   # a dump's bytes
    prefix: str | None = None   # nginx conf prefix / Apache ServerRoot (server view); None: the file's folder
    mount: tuple[str, str] | None = None   # (deployed prefix, local dir): see confcheck.inputs.deploy
    found: bool = False         # found by a search (or --context), not named as this very file


@dataclass
class Skipped:
    path: str
    reason: str
    kind: str = ""              # "not enabled" | "not config": how the text line counts them


@dataclass
class Inputs:
    """Everything the command line resolved to, before anything is parsed."""

    configs: list[Config] = field(default_factory=list)
    trees: list[str] = field(default_factory=list)          # served trees (server paths): limit the walk
    tree_notes: dict[str, str] = field(default_factory=dict)   # tree -> why it is one
    standard: bool = False                                   # the machine's standard locations were read
    standard_reason: str = ""
    skipped: list[Skipped] = field(default_factory=list)    # found but not read, and why
    root: str | None = None

    @property
    def nginx(self) -> list[Config]:
        return [c for c in self.configs if c.server == "nginx"]

    @property
    def apache(self) -> list[Config]:
        return [c for c in self.configs if c.server == "apache"]
