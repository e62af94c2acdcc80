"""AppArmor profiles as apparmor_parser reads them, for their file rules.

What is read (apparmor.d(5), AppArmor 3.0 as Debian 12 ships it): `include`
and `#include` of `<file>` (under /etc/apparmor.d), `"file"` and `if exists`
(a directory includes every file in it, sorted); variables `@{NAME} = a b` and
`+=`; profiles (`profile NAME [ATTACH] [flags=(...)] {`, `/attach/path {`),
hats (`^NAME {`, `hat NAME {`); file rules `[audit] [deny] [owner] [file] PATH
PERMS [-> X],` and `PERMS PATH,`, and `file,`. Rules about other things
(capability, network, signal, ...) are read and set aside. Anything else makes
the profile's answers unknown (`Profile.unknown`), never allowed.

Globbing (apparmor.d(5) "Globbing"): `*` any characters but `/`, `**` any
characters including `/` (either needs at least one character right after a
`/`), `?` one character but `/`, `[...]`/`[^...]` classes, `{a,b}`
alternation; variables expand to each of their values. Checked against the
matcher of apparmor-utils (apparmor.aare) in tests.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from confcheck.source import SourceFile, Span

BASE = "/etc/apparmor.d"
_NOT_FILE = ("capability", "network", "signal", "ptrace", "dbus", "unix", "mount", "umount", "remount",
             "pivot_root", "change_profile", "set", "rlimit", "abi", "userns", "mqueue", "io_uring", "link")
_PERM_RE = re.compile(r"^[rwaxmlkdiupcPUICix]+$")
_KEYWORDS = ("audit", "deny", "owner", "allow", "file")


@dataclass(frozen=True, slots=True)
class FileRule:
    pattern: str            # as written, variables unexpanded
    perms: str
    deny: bool
    owner: bool
    span: Span
    regex: object = None    # compiled, variables expanded

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}:{self.span.column}"

    @property
    def text(self) -> str:
        return self.span.text.rstrip(",").strip()


@dataclass
class Profile:
    name: str
    attach: str | None
    span: Span
    flags: tuple[str, ...] = ()
    rules: list[FileRule] = field(default_factory=list)
    hats: dict[str, "Profile"] = field(default_factory=dict)
    children: dict[str, "Profile"] = field(default_factory=dict)   # `profile NAME {` inside: NAME//child
    unknown: list[str] = field(default_factory=list)
    all_files: list[Span] = field(default_factory=list)   # bare `file,` rules

    @property
    def complain(self) -> bool:
        return "complain" in self.flags

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}:{self.span.column}"

    def decide(self, path: str, perm: str, owner: bool) -> tuple[bool | None, object]:
        """(allowed, the rule or profile that decides) for `perm` ('r', 'w') on `path`
        (a directory ends in '/'); owner: the worker's fsuid owns the file.
        None when the profile holds something not understood."""
        if self.unknown:
            return None, self
        grant = None
        for rule in self.rules:
            if perm not in rule.perms:
                continue
            if rule.owner and not owner:
                continue
            if rule.regex.fullmatch(path) is None:
                continue
            if rule.deny:
                return False, rule
            grant = grant or rule
        if grant is not None:
            return True, grant
        if self.all_files:
            return True, self.all_files[0]
        return False, self


# -- globbing ----------------------------------------------------------------------------

def glob_regex(pattern: str) -> str:
    """The regular expression an AppArmor path pattern (variables expanded) stands for."""
    out, i, n, depth = [], 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            # right after a '/' of the matched name (wherever the pattern put it, e.g.
            # inside {a,**}) a glob needs at least one character: a lookbehind says so
            double = pattern.startswith("**", i)
            body = "[^\\x00]" if double else "[^/\\x00]"
            out.append(f"(?:(?<=/){body}+|(?<!/){body}*)")
            i += 2 if double else 1
            continue
        if ch == "?":
            out.append("[^/\\x00]")
        elif ch == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                raise ValueError(f"unclosed [ in {pattern!r}")
            body = pattern[i + 1:j]
            neg = body.startswith("^")
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]")
            i = j + 1
            continue
        elif ch == "{":
            depth += 1
            out.append("(?:")
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
        elif ch == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(ch))
        i += 1
    if depth:
        raise ValueError(f"unclosed {{ in {pattern!r}")
    return "".join(out)


def expand(pattern: str, variables: dict[str, list[str]], seen: tuple = ()) -> list[str]:
    m = re.search(r"@\{([^}]+)\}", pattern)
    if m is None:
        return [pattern]
    name = m.group(1)
    if name in seen or name not in variables:
        raise KeyError(name)
    out = []
    for value in variables[name]:
        for v in expand(value, variables, seen + (name,)):
            out.extend(expand(pattern[:m.start()] + v + pattern[m.end():], variables, seen))
    return out


def _compile(pattern: str, variables) -> re.Pattern:
    alternatives = [glob_regex(re.sub("/+", "/", p)) for p in expand(pattern, variables)]
    return re.compile("(?:" + "|".join(alternatives) + ")")


# -- reading ---------------------------------------------------------------------------------

@dataclass
class _Reader:
    fs: object
    display: object
    variables: dict[str, list[str]] = field(default_factory=dict)
    profiles: list[Profile] = field(default_factory=list)
    stack: list[Profile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    depth: int = 0
    included: set = field(default_factory=set)   # apparmor_parser -p pulls a file in once

    def include(self, target: str, optional: bool, where: str) -> None:
        if self.depth > 30:
            self.problems.append(f"{where}: includes nested too deeply")
            return
        from confcheck.fs.model import NotChecked
        key = (id(self.stack[-1]) if self.stack else None, target)   # once per profile (a child has its own)
        if key in self.included:
            return
        self.included.add(key)
        try:
            meta = self.fs.lstat(target)
            if meta is not None and meta.kind == "dir":
                names = sorted(posixpath.basename(m.path) for m in self.fs.scandir(target)
                               if not posixpath.basename(m.path).startswith(".") and m.kind != "dir")
                for name in names:
                    self.read(posixpath.join(target, name))
                return
            data = self.fs.read_bytes(target)
        except NotChecked as exc:
            data = None
            self.problems.append(f"{where}: {exc}")
        if data is None:
            if not optional:
                self._unknown(f"{where}: include {target} does not exist")
            return
        self.read(target, data)

    def read(self, path: str, data: bytes | None = None) -> None:
        if data is None:
            data = self.fs.read_bytes(path)
            if data is None:
                return
        source = SourceFile(path, data, path, self.display(path) if self.display else path)
        self.depth += 1
        try:
            self._statements(source)
        finally:
            self.depth -= 1

    def _unknown(self, why: str) -> None:
        if self.stack:
            self.stack[-1].unknown.append(why)
        else:
            self.problems.append(why)

    def _statements(self, source: SourceFile) -> None:
        text = source.text
        i, n = 0, len(text)
        start = None
        quote = False
        alt = paren = 0   # inside @{VAR}/{a,b} or (a, b): braces and commas are not the statement's
        line = False      # includes and variables end with their line
        while i < n:
            ch = text[i]
            if start is None:
                if ch.isspace():
                    i += 1
                    continue
                start = i
                alt = paren = 0
                line = self._line_statement(text[i:i + 9])
            if ch == '"':
                quote = not quote
            elif quote:
                pass
            elif ch == "#" and i == start and not text.startswith("#include", i):
                end = text.find("\n", i)
                i = n if end == -1 else end
                start = None
                continue
            elif ch == "\n" and line:
                self._statement(source, start, i)
                start = None
            elif line:
                pass
            elif ch == "(":
                paren += 1
            elif ch == ")" and paren:
                paren -= 1
            elif ch == "{" and i > start and not text[i - 1].isspace() and text[i - 1] != ")":
                alt += 1
            elif ch == "}" and alt:
                alt -= 1
            elif not alt and not paren and ch in ",{}":
                self._statement(source, start, i + 1)
                start = None
            i += 1
        if start is not None and text[start:].strip():
            self._statement(source, start, n)

    @staticmethod
    def _line_statement(chunk: str) -> bool:
        """Statements that end at the end of their line: includes and variables."""
        s = chunk.strip()
        return s.startswith(("#include", "include", "@{"))

    def _statement(self, source: SourceFile, start: int, end: int) -> None:
        raw = source.text[start:end]
        body = raw.split("#", 1)[0] if not raw.lstrip().startswith("#include") else raw
        stmt = body.strip()
        b0 = len(source.text[:start].encode("utf-8", "surrogateescape"))
        span = Span(source, b0, b0 + len(raw.rstrip().encode("utf-8", "surrogateescape")))
        where = f"{span.file}:{span.line}:{span.column}"
        if not stmt:
            return
        m = re.match(r'^#?include\s+(if\s+exists\s+)?(<([^>]+)>|"([^"]+)"|(\S+))\s*$', stmt)
        if m:
            target = m.group(3) or m.group(4) or m.group(5)
            target = target if target.startswith("/") else posixpath.join(BASE, target)
            self.include(target, bool(m.group(1)), where)
            return
        m = re.match(r"^@\{([^}]+)\}\s*(\+?=)\s*(.*)$", stmt)
        if m:
            values = [v.strip('"') for v in m.group(3).split()]
            if m.group(2) == "+=":
                self.variables.setdefault(m.group(1), []).extend(values)
            else:
                self.variables[m.group(1)] = values
            return
        if stmt == "}":
            if self.stack:
                self.stack.pop()
            else:
                self.problems.append(f"{where}: unbalanced }}")
            return
        if stmt.endswith("{"):
            self._open(stmt[:-1].strip(), span, where)
            return
        if not stmt.endswith(","):
            self._unknown(f"{where}: {stmt!r} not understood")
            return
        self._rule(stmt[:-1].strip(), span, where)

    def _open(self, head: str, span: Span, where: str) -> None:
        flags = ()
        m = re.search(r"(?:flags\s*=\s*)?\(([^)]*)\)\s*$", head)
        if m:
            flags = tuple(f.strip() for f in m.group(1).replace(",", " ").split())
            head = head[:m.start()].strip()
        words = head.split()
        if not words:
            self._unknown(f"{where}: a block without a name")
            self.stack.append(Profile("?", None, span))
            return
        if words[0] in ("profile", "hat") or words[0].startswith(("/", "^", "@{", '"')):
            hat = words[0] == "hat" or words[0].startswith("^")
            if words[0] in ("profile", "hat"):
                name = words[1].strip('"') if len(words) > 1 else "?"
                attach = words[2].strip('"') if len(words) > 2 else (name if name.startswith("/") else None)
            else:
                name = words[0].lstrip("^").strip('"')
                attach = name if name.startswith(("/", "@{")) else None
            profile = Profile(name, attach, span, flags)
            if self.stack and hat:
                self.stack[-1].hats[name] = profile
            elif self.stack:
                # a child profile confines only what changes into it (php-fpm's apparmor_hat):
                # the parent's own rules are untouched
                self.stack[-1].children[name] = profile
            else:
                self.profiles.append(profile)
            self.stack.append(profile)
            return
        # `if ... {`, `dbus ... {` blocks and the like: not modelled
        self._unknown(f"{where}: block {head!r} not understood")
        self.stack.append(Profile("?", None, span))

    def _rule(self, stmt: str, span: Span, where: str) -> None:
        if not self.stack:
            if not stmt.startswith("abi "):
                self.problems.append(f"{where}: a rule outside any profile")
            return
        profile = self.stack[-1]
        words = stmt.split()
        deny = owner = False
        while words and words[0] in _KEYWORDS and not (words[0] == "file" and len(words) == 1):
            w = words.pop(0)
            deny |= w == "deny"
            owner |= w == "owner"
        if not words:
            return
        if words == ["file"]:
            if not deny:
                profile.all_files.append(span)
            return
        if words[0] in _NOT_FILE or words[0].startswith(("capability", "network")):
            return
        if "->" in words:
            words = words[:words.index("->")]
        if len(words) == 2:
            path, perms = (words if not _PERM_RE.match(words[0]) or words[0].startswith(("/", "@")) else words[::-1])
            path = path.strip('"')
            if path.startswith(("/", "@{")) and _PERM_RE.match(perms):
                try:
                    regex = _compile(path, self.variables)
                except (KeyError, ValueError, re.error) as exc:
                    profile.unknown.append(f"{where}: {path}: {exc!r}")
                    return
                profile.rules.append(FileRule(path, perms, deny, owner, span, regex))
                return
        profile.unknown.append(f"{where}: rule {stmt!r} not understood")


def load_profiles(fs, paths: list[str], display=None) -> tuple[list[Profile], list[str]]:
    """Every profile in `paths` (files under /etc/apparmor.d), with their includes."""
    profiles, problems = [], []
    for path in paths:
        reader = _Reader(fs, display)
        reader.read(path)
        profiles += reader.profiles
        problems += reader.problems
    return profiles, problems


def top_level_profiles(fs, display=None) -> tuple[list[Profile], list[str]] | None:
    """Every profile of /etc/apparmor.d's top-level files, with the problems met reading
    them; None when the folder cannot be read."""
    from confcheck.fs.model import NotChecked
    try:
        names = sorted(posixpath.basename(m.path) for m in fs.scandir(BASE) if m.kind == "file")
    except (NotChecked, OSError):
        return None
    return load_profiles(fs, [posixpath.join(BASE, n) for n in names], display)


def profile_for(fs, binaries: tuple[str, ...], display=None) -> Profile | None:
    """The profile attached to the first of `binaries` that has one (the profiles are read once)."""
    found = top_level_profiles(fs, display)
    if found is None:
        return None
    profiles, _problems = found
    for binary in binaries:
        for profile in profiles:
            attach = profile.attach or profile.name
            try:
                if _compile(attach, {}).fullmatch(binary) or profile.name == binary:
                    return profile
            except (KeyError, ValueError, re.error):
                continue
    return None


__all__ = ["FileRule", "Profile", "glob_regex", "expand", "load_profiles", "profile_for", "top_level_profiles"]
