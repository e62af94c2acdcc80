"""Mutation fuzzing of real Apache configs and .htaccess files against the real httpd.

Each corpus file is mutated (deterministic seeds: line deleted, duplicated or
moved, a byte changed, a word added or dropped, a section tag broken, a regex
broken, the file cut short ...) and read both by httpd and by confcheck:

* a config file sits in a temporary copy of Debian's /etc/apache2 (real
  symlinks in *-enabled, a few more modules enabled, run/log dirs inside the
  copy); `apache2 -t` on that copy is the truth, `confcheck scan --no-fs` on
  its apache2.conf the prediction. Files Debian does not enable are included
  from conf-enabled/.
* a .htaccess sits in its own directory of one live Apache (127.0.0.1) under
  one of several AllowOverride settings; the real status and error-log reason
  of a GET are the truth, `confcheck why` for the same URL the prediction.

Run by hand for a long run:  python tests/fuzz/apache_mutation.py --count 2000
(tests/fuzz/test_apache_mutation.py runs a small fixed budget in CI.)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from cc_helpers import SHARED  # noqa: E402

CORPUS = Path(SHARED) / "corpus" / "apache"
DEBIAN = CORPUS / "debian"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULE_DIR = Path("/usr/lib/apache2/modules")
# Debian's default set plus modules the corpus snippets use (as a2enmod would enable them)
EXTRA_MODULES = ("rewrite", "headers", "expires", "include", "cgid", "userdir", "authz_groupfile")
NOT_CONFIG = {"LICENSE.txt", "README.md", "magic", "mime.types", "charset.conv", "envvars"}


def available() -> str | None:
    """Why the fuzz run cannot run here (None: it can)."""
    if not os.path.exists(APACHE) or not MODULE_DIR.is_dir():
        return "apache2 is not installed"
    if not CORPUS.is_dir():
        return f"no corpus at {CORPUS}"
    return None


def _link_target(path: Path) -> str | None:
    """The corpus keeps Debian's *-enabled symlinks as files holding their target."""
    if path.is_symlink():
        return os.readlink(path)
    if not path.parent.name.endswith("-enabled"):
        return None
    text = path.read_bytes().strip()
    if b"\n" in text or text.startswith(b"/") or not (path.parent / text.decode()).is_file():
        return None
    return text.decode()


class DebianTree:
    """A private copy of Debian's /etc/apache2 that `apache2 -t` and confcheck both read."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.conf = base / "apache2"
        self.main = self.conf / "apache2.conf"
        for sub in ("run", "lock", "log"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for src in sorted(DEBIAN.rglob("*")):
            out = self.conf / src.relative_to(DEBIAN)
            if src.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            target = _link_target(src)
            if target is not None:
                os.symlink(target, out)
            else:
                shutil.copyfile(src, out)
        for mod in EXTRA_MODULES:
            for ext in ("load", "conf"):
                if (self.conf / "mods-available" / f"{mod}.{ext}").exists():
                    link = self.conf / "mods-enabled" / f"{mod}.{ext}"
                    if not link.exists():
                        os.symlink(f"../mods-available/{mod}.{ext}", link)
        # the machine's /var/run/apache2 and /var/log/apache2 play no part
        self.env = {"APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data",
                    "APACHE_PID_FILE": f"{base}/run/apache2.pid", "APACHE_RUN_DIR": f"{base}/run",
                    "APACHE_LOCK_DIR": f"{base}/lock", "APACHE_LOG_DIR": f"{base}/log", "LANG": "C"}
        (self.conf / "envvars").write_text("".join(f"export {k}={v}\n" for k, v in self.env.items()))

    def run_with(self, place: str, data: bytes) -> "Verdict":
        """`apache2 -t` with `data` at `place` (relative to the copy's apache2/), then put back."""
        with self.placed(place, data):
            return self.apache_t()

    @contextlib.contextmanager
    def placed(self, place: str, data: bytes):
        path = self.conf / place
        old = path.read_bytes() if path.exists() else None
        path.write_bytes(data)
        try:
            yield path
        finally:
            if old is None:
                path.unlink()
            else:
                path.write_bytes(old)

    def apache_t(self) -> "Verdict":
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), **self.env,
               "APACHE_CONFDIR": str(self.conf)}
        proc = subprocess.run([APACHE, "-t", "-d", str(self.conf), "-f", str(self.main)],
                              capture_output=True, text=True, timeout=30, env=env)
        return apache_verdict(proc.returncode, proc.stderr + proc.stdout)


@dataclass
class Verdict:
    refused: bool
    message: str = ""
    file: str | None = None
    line: int | None = None
    internal: bool = False


_SYNTAX = re.compile(r"Syntax error on line (\d+) of ([^:\n]+):\s*")
_UNCLOSED = re.compile(r"^(/[^:\n]+):(\d+): ")


def apache_verdict(rc: int, output: str) -> Verdict:
    """httpd's first refusal: the innermost `Syntax error on line N of FILE:` (an include
    nests them), with its message (`FILE:N: <X> was not closed.` names its own line)."""
    if rc == 0:
        return Verdict(False)
    found = list(_SYNTAX.finditer(output))
    if found:
        last = found[-1]
        file, line = last.group(2), int(last.group(1))
        rest = output[last.end():].strip()
        message = rest.splitlines()[0] if rest else ""
        message = message.split("\\n")[0]          # several unclosed sections: the first
        inner = _UNCLOSED.match(message)
        if inner:
            file, line, message = inner.group(1), int(inner.group(2)), message[inner.end():]
        return Verdict(True, message.replace("\\\\", "\\"), file, line)
    lines = [line for line in output.strip().splitlines() if "AH00014" not in line and "AH00558" not in line]
    return Verdict(True, lines[-1] if lines else f"rc {rc}")


# -- mutations ------------------------------------------------------------------------

# lines written in other places of real configs: moved into a random place they test the
# context checks (a vhost-only directive in a <Directory>, an auth one at the top ...)
FOREIGN = [
    "Listen 8080", "ServerName mutant.example", "Require all granted", "AllowOverride None",
    "Options +Indexes", "User nobody", "DocumentRoot /var/www/mutant", "RewriteEngine on",
    "Header set X-Mutant 1", "AuthType Basic", "Order allow,deny", "ServerRoot /etc/apache2",
    "<Directory /var/www/mutant>", "</Directory>", "<Location /mutant>", "</Location>",
    "<Limit GET>", "</Limit>", "<VirtualHost *:8080>", "</VirtualHost>", "php_value x 1",
    "DirectoryIndex index.html", "ErrorDocument 404 /missing.html", "Satisfy Any",
    "StartServers 2", "KeepAlive maybe", "Timeout", "Alias /a /b /c", "ExpiresActive on",
]


def _words_line(lines: list[bytes], rng: random.Random, want=lambda w: True) -> int | None:
    picks = [i for i, line in enumerate(lines)
             if line.strip() and not line.lstrip().startswith(b"#") and want(line.split())]
    return rng.choice(picks) if picks else None


def _directive(words) -> bool:
    return not words[0].startswith(b"<")


def m_delete_line(lines, rng):
    i = _words_line(lines, rng)
    return None if i is None else lines[:i] + lines[i + 1:]


def m_duplicate_line(lines, rng):
    i = _words_line(lines, rng)
    return None if i is None else lines[:i + 1] + [lines[i]] + lines[i + 1:]


def m_swap_lines(lines, rng):
    i = _words_line(lines, rng)
    if i is None or i + 1 >= len(lines):
        return None
    out = list(lines)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def m_truncate_lines(lines, rng):
    return lines[:rng.randrange(1, len(lines))] if len(lines) > 1 else None


def m_move_line(lines, rng):
    i = _words_line(lines, rng)
    if i is None:
        return None
    line = lines[i]
    rest = lines[:i] + lines[i + 1:]
    j = rng.randrange(0, len(rest) + 1)
    return rest[:j] + [line] + rest[j:]


def m_typo_name(lines, rng):
    i = _words_line(lines, rng)
    if i is None:
        return None
    line = lines[i]
    start = len(line) - len(line.lstrip())
    end = start
    while end < len(line) and line[end:end + 1] not in (b" ", b"\t", b">"):
        end += 1
    name = bytearray(line[start:end])
    lo = 2 if name.startswith(b"</") else 1 if name.startswith(b"<") else 0
    if len(name) <= lo:
        return None
    k = rng.randrange(lo, len(name))
    op = rng.randrange(3)
    letter = rng.choice(b"abcdefghijklmnopqrstuvwxyz")
    if op == 0:
        del name[k]
    elif op == 1:
        name.insert(k, letter)
    else:
        name[k] = letter
    return lines[:i] + [line[:start] + bytes(name) + line[end:]] + lines[i + 1:]


def m_extra_arg(lines, rng):
    i = _words_line(lines, rng, _directive)
    if i is None:
        return None
    return lines[:i] + [lines[i].rstrip() + b" extra"] + lines[i + 1:]


def _replace_last_word(lines, rng, word: bytes | None):
    """A directive line with two words or more, its last word dropped (None) or replaced."""
    i = _words_line(lines, rng, lambda w: _directive(w) and len(w) >= 2)
    if i is None:
        return None
    line = lines[i].rstrip()
    cut = max(line.rfind(b" "), line.rfind(b"\t"))
    return lines[:i] + [line[:cut] if word is None else line[:cut + 1] + word] + lines[i + 1:]


def m_drop_arg(lines, rng):
    return _replace_last_word(lines, rng, None)


def m_empty_arg(lines, rng):
    return _replace_last_word(lines, rng, b'""')


def m_break_tag(lines, rng):
    i = _words_line(lines, rng, lambda w: w[0].startswith(b"<"))
    if i is None:
        return None
    line = lines[i]
    op = rng.randrange(3)
    if op == 0 and b">" in line:
        k = line.rfind(b">")
        return lines[:i] + [line[:k] + line[k + 1:]] + lines[i + 1:]
    if op == 1:
        return lines[:i] + lines[i + 1:]
    return lines[:i] + [line.replace(b"</", b"</X", 1) if b"</" in line else line + b" >"] + lines[i + 1:]


def m_break_regex(lines, rng):
    pattern = re.compile(rb"(?i)^\s*(<(?:Directory|Location|Files)Match\s+\"?|<(?:Directory|Location|Files)\s+~\s+\"?"
                         rb"|RewriteRule\s+|RewriteCond\s+\S+\s+|AliasMatch\s+|RedirectMatch\s+(?:\S+\s+)?"
                         rb"|SetEnvIf(?:NoCase)?\s+\S+\s+|BrowserMatch(?:NoCase)?\s+\"?)")
    picks = [i for i, line in enumerate(lines) if pattern.match(line)]
    if not picks:
        return None
    i = rng.choice(picks)
    m = pattern.match(lines[i])
    insert = rng.choice([b"(", b"[", b"*", b"a{2,1}", b"(?<"])
    return lines[:i] + [lines[i][:m.end()] + insert + lines[i][m.end():]] + lines[i + 1:]


def m_backslash(lines, rng):
    if rng.random() < 0.5:
        return lines[:-1] + [lines[-1] + b" \\"] if lines else None
    i = _words_line(lines, rng)
    return None if i is None else lines[:i] + [lines[i].rstrip() + b" \\"] + lines[i + 1:]


def m_flip_byte(lines, rng):
    data = b"\n".join(lines)
    if not data:
        return None
    k = rng.randrange(len(data))
    byte = rng.choice(b"<>\"'\\#{}$ \x00abcXYZ019~")
    return (data[:k] + bytes([byte]) + data[k + 1:]).split(b"\n")


def m_foreign(lines, rng):
    j = rng.randrange(0, len(lines) + 1)
    return lines[:j] + [rng.choice(FOREIGN).encode()] + lines[j:]


def m_case(lines, rng):
    i = _words_line(lines, rng)
    if i is None:
        return None
    line = lines[i]
    return lines[:i] + [line.swapcase() if rng.random() < 0.3 else line.lower()] + lines[i + 1:]


MUTATORS = [m_delete_line, m_duplicate_line, m_swap_lines, m_truncate_lines, m_move_line, m_typo_name,
            m_typo_name, m_extra_arg, m_extra_arg, m_drop_arg, m_empty_arg, m_break_tag, m_break_regex,
            m_backslash, m_flip_byte, m_foreign, m_foreign, m_case]


def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """One deterministic mutant of `data` for `seed`: (operator name, bytes)."""
    rng = random.Random(seed)
    lines = data.split(b"\n")
    for _ in range(20):
        op = rng.choice(MUTATORS)
        out = op(lines, rng)
        if out is not None:
            result = b"\n".join(out)
            if result != data:
                return op.__name__[2:], result
    return "none", data


# -- targets ------------------------------------------------------------------------------

@dataclass
class Target:
    name: str            # corpus-relative
    data: bytes
    place: str           # path in the Debian copy, relative to apache2/ ("conf-enabled/zz-mutant.conf")


def config_targets(tree: "DebianTree") -> list[Target]:
    """Corpus config files and where each is read in the Debian copy: enabled files in place,
    the rest included from conf-enabled/ (only those `apache2 -t` accepts unmutated)."""
    out: list[Target] = []
    in_place = {"apache2.conf", "ports.conf", "sites-available/000-default.conf"}
    for link in sorted((tree.conf / "conf-enabled").iterdir()) + sorted((tree.conf / "mods-enabled").glob("*.conf")):
        in_place.add(str(link.resolve().relative_to(tree.conf.resolve())))
    for rel in sorted(in_place):
        out.append(Target("debian/" + rel, (tree.conf / rel).read_bytes(), rel))
    candidates = [p for p in sorted(CORPUS.rglob("*.conf"))
                  if p.name not in NOT_CONFIG and "-enabled" not in p.parent.name
                  and str(p.relative_to(DEBIAN) if p.is_relative_to(DEBIAN) else "") not in in_place]
    for path in candidates:
        target = Target(str(path.relative_to(CORPUS)), path.read_bytes(), "conf-enabled/zz-mutant.conf")
        if tree.run_with(target.place, target.data).refused is False:
            out.append(target)
    return out


def htaccess_sources() -> list[Target]:
    """Real .htaccess files, and the h5bp snippets written to be pasted into one."""
    out = [Target(str(p.relative_to(CORPUS)), p.read_bytes(), ".htaccess")
           for p in sorted(CORPUS.rglob("*")) if p.is_file() and "htaccess" in p.name]
    out += [Target(str(p.relative_to(CORPUS)), p.read_bytes(), ".htaccess")
            for p in sorted((CORPUS / "h5bp" / "h5bp").rglob("*.conf"))]
    return out


# -- confcheck's verdicts ---------------------------------------------------------------------

def run_confcheck(argv: list[str]) -> tuple[int, str, str]:
    """The command line in this process (a child per mutant would cost more than the run)."""
    from confcheck.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:        # typer may exit
            rc = exc.code if isinstance(exc.code, int) else 1
    return rc, out.getvalue(), err.getvalue()


def confcheck_scan(main: Path) -> tuple[Verdict, list[dict]]:
    import json
    rc, out, err = run_confcheck(["scan", "--no-fs", "--format", "json", str(main)])
    if rc == 3 or "internal error" in err:
        return Verdict(False, err.strip(), internal=True), []
    errors = []
    if out.strip():
        try:
            errors = json.loads(out).get("errors") or []
        except ValueError:
            pass
    if rc == 2:
        first = errors[0] if errors else {}
        return Verdict(True, first.get("message", err.strip()), first.get("file"), first.get("line")), errors
    return Verdict(False), errors


# -- the run ------------------------------------------------------------------------------

@dataclass
class Case:
    target: str
    seed: int
    op: str
    apache: Verdict
    ours: Verdict
    errors: list = field(default_factory=list)   # confcheck's input errors (file, line, message)

    @property
    def same_place(self) -> bool:
        if self.apache.line is None:
            return False       # a .htaccess refusal in the error log names no line
        return any(e.get("line") == self.apache.line and e.get("file") == self.apache.file for e in self.errors)

    @property
    def same_words(self) -> bool:
        return any(_norm(self.apache.message) in _norm(e.get("message", "")) for e in self.errors)

    def describe(self) -> str:
        where = f"{self.apache.file}:{self.apache.line}" if self.apache.line else ""
        return f"{self.target} seed {self.seed} ({self.op}) apache: {where} {self.apache.message!r}; confcheck: " + (
            f"{self.ours.file}:{self.ours.line} {self.ours.message!r}" if self.ours.refused else
            ("internal error " + self.ours.message) if self.ours.internal else "clean")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\n", " ")).strip().lower()


# Refusals confcheck does not make, each with the reason (a miss outside these is a bug)
EXPLAINED = [
    (r"is not a directory, or is not readable|Cannot access directory .* for log file|bad user name"
     r"|bad group name|No such file or directory",
     "depends on the machine (a directory or account that does not exist here); scan reads no disk with --no-fs"),
    (r"No MPM loaded",
     "no MPM loaded: not judged (a repository often keeps a main with only some of its LoadModule lines); "
     "without any module loaded nothing that depends on modules is judged"),
    (r"^Header (requires three arguments|has too many arguments)|^Unknown parameter:|^Too many arguments to directive"
     r"|^Can't parse envclause/expression|^Missing envariable expression for|^Unknown keyword '.*' for FileETag"
     r"|bad expires code|^ExpiresByType|^Either all Options must start with \+ or -|^Invalid ForceLanguagePriority"
     r"|^Invalid RequestReadTimeout|^Invalid Method",
     "a module's own parsing of its words (mod_headers, mod_setenvif, mod_expires, mod_negotiation, mod_reqtimeout, "
     "<Limit> methods, FileETag; Options words in a .htaccess are judged when the request reaches them): not modelled"),
]


def explain_miss(case: "Case") -> str | None:
    for pattern, why in EXPLAINED:
        if re.search(pattern, case.apache.message):
            return why
    return None


@dataclass
class Report:
    kind: str
    cases: list[Case] = field(default_factory=list)

    def refused(self):
        return [c for c in self.cases if c.apache.refused]

    def agreed(self):
        return [c for c in self.refused() if c.ours.refused]

    def missed(self):
        return [c for c in self.refused() if not c.ours.refused and not c.ours.internal]

    def false_refusals(self):
        return [c for c in self.cases if not c.apache.refused and c.ours.refused]

    def internal(self):
        return [c for c in self.cases if c.ours.internal]

    def summary(self) -> str:
        refused, agreed = self.refused(), self.agreed()
        lines = [f"{self.kind}: {len(self.cases)} mutants; the server refuses {len(refused)}, confcheck refuses "
                 f"{len(agreed)} of them ({sum(c.same_place for c in agreed)} at the same line, "
                 f"{sum(c.same_words for c in agreed)} in the same words); missed {len(self.missed())}; "
                 f"false refusals {len(self.false_refusals())}; internal errors {len(self.internal())}"]
        unexplained = [c for c in self.missed() if explain_miss(c) is None]
        lines[0] += f"; misses left unexplained {len(unexplained)}"
        reasons: dict[str, int] = {}
        for c in self.missed():
            why = explain_miss(c)
            if why:
                reasons[why] = reasons.get(why, 0) + 1
        for why, n in reasons.items():
            lines.append(f"  missed, explained ({n}): {why}")
        for title, cases in (("missed, unexplained", unexplained), ("false refusals", self.false_refusals()),
                             ("internal errors", self.internal()),
                             ("refused elsewhere or in other words",
                              [c for c in agreed if not c.same_words or (c.apache.line and not c.same_place)])):
            if cases:
                lines.append(f"  {title}:")
                lines += [f"    {c.describe()}" for c in cases]
        return "\n".join(lines)


def run_configs(base: Path, count: int, seed: int, deadline: float | None = None) -> Report:
    tree = DebianTree(base)
    report = Report("Apache configs (apache2 -t)")
    targets = config_targets(tree)
    for k in range(count):
        if deadline is not None and time.monotonic() > deadline:
            break
        target = targets[k % len(targets)]
        case_seed = seed * 100003 + k
        op, data = mutate(target.data, case_seed)
        with tree.placed(target.place, data):
            apache = tree.apache_t()
            ours, errors = confcheck_scan(tree.main)
        report.cases.append(Case(target.name, case_seed, op, apache, ours, errors))
    return report


# -- .htaccess files on a live server ------------------------------------------------------

# AllowOverride settings the mutants sit under (directory name -> the lines in its <Directory>)
OVERRIDES = {
    "all": "AllowOverride All",
    "auth": "AllowOverride AuthConfig Limit",
    "info": "AllowOverride FileInfo Indexes Options",
    "list": "AllowOverride None\n    AllowOverrideList Header RewriteEngine RewriteRule Redirect",
}
DEBIAN_MODULES = ("mpm_event", "authz_core", "authz_host", "authz_user", "authn_core", "authn_file",
                  "auth_basic", "access_compat", "alias", "dir", "autoindex", "mime", "env", "setenvif",
                  "filter", "deflate", "negotiation", "reqtimeout", "status")
_LOG_REASON = re.compile(r"\] (/\S+/\.htaccess): (.*)$")


class HtaccessServer:
    """One Apache on 127.0.0.1 serving every mutant from a directory of its own."""

    def __init__(self, base: Path) -> None:
        sys.path.insert(0, str(HERE.parent / "realserver"))
        from realserver_harness.runner import free_port
        self.base = base
        self.www = base / "www"
        self.port = free_port()
        for sub in ("run", "logs", "www"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for path in (base, self.www):
            path.chmod(0o755)
        self.conf = base / "httpd.conf"
        self.error_log = base / "logs" / "error.log"
        self.proc = None

    def write_config(self) -> None:
        mods = [*DEBIAN_MODULES, *EXTRA_MODULES]
        loads = "".join(f"LoadModule {m}_module {MODULE_DIR}/mod_{m}.so\n" for m in mods
                        if (MODULE_DIR / f"mod_{m}.so").exists())
        dirs = "".join(f"<Directory {self.www}/{name}>\n    {lines}\n</Directory>\n" for name, lines in OVERRIDES.items())
        b = self.base
        self.conf.write_text(f"""ServerRoot {b}
DefaultRuntimeDir {b}/run
PidFile {b}/run/httpd.pid
Mutex file:{b}/run default
{loads}User www-data
Group www-data
Listen 127.0.0.1:{self.port}
ServerName localhost
ErrorLog {self.error_log}
LogLevel warn
TypesConfig /etc/mime.types
DirectoryIndex index.html
DocumentRoot {self.www}
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory {self.www}>
    Require all granted
</Directory>
{dirs}""")

    def place(self, override: str, k: int, data: bytes) -> str:
        d = self.www / override / f"m{k}"
        d.mkdir(parents=True, exist_ok=True)
        for path in (d.parent, d):
            path.chmod(0o755)
        (d / ".htaccess").write_bytes(data)
        (d / "index.html").write_text("ok\n")
        for name in (".htaccess", "index.html"):
            (d / name).chmod(0o644)
        return f"/{override}/m{k}/index.html"

    def __enter__(self):
        sys.path.insert(0, str(HERE.parent / "realserver"))
        from realserver_harness.runner import set_pdeathsig
        self.write_config()
        check = subprocess.run([APACHE, "-t", "-f", str(self.conf), "-d", str(self.base)],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(check.stderr)
        self.proc = subprocess.Popen([APACHE, "-f", str(self.conf), "-d", str(self.base), "-DFOREGROUND"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=set_pdeathsig)
        import socket
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("apache did not come up")

    def __exit__(self, *exc) -> None:
        import signal
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def get(self, path: str) -> int:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": "localhost"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def reasons(self) -> dict[str, str]:
        """.htaccess path -> the first reason the error log gives for it."""
        out: dict[str, str] = {}
        text = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        for line in text.splitlines():
            m = _LOG_REASON.search(line)
            if m:
                out.setdefault(m.group(1), m.group(2))
        return out


def confcheck_why(conf: Path, port: int):
    """The `why` model of the server's config, once for every request (`why --batch`)."""
    from confcheck.why import WhyOptions, explain, prepare
    from confcheck.servers.nginx.request import Request
    prepared = prepare(WhyOptions(configs=[str(conf)], server="apache"))
    assert not prepared.errors, prepared.errors

    def ask(path: str) -> Verdict:
        try:
            outcome = explain(prepared, Request.parse(f"http://localhost:{port}{path}"))
        except Exception as exc:  # noqa: BLE001 - an internal error is what the run counts
            return Verdict(False, f"{type(exc).__name__}: {exc}", internal=True)
        if outcome.status is None and "internal error" in (outcome.reason or ""):
            return Verdict(False, outcome.reason, internal=True)
        if outcome.status == 500 and ".htaccess" in (outcome.reason or ""):
            reason = outcome.reason
            m = re.search(r"(/\S+/\.htaccess): (.*)$", reason)
            return Verdict(True, m.group(2) if m else reason, m.group(1) if m else None)
        return Verdict(False, f"{outcome.status} {outcome.reason}")
    return ask


def run_htaccess(base: Path, count: int, seed: int) -> Report:
    report = Report(".htaccess files (a live server's 500 and its error-log reason)")
    sources = htaccess_sources()
    server = HtaccessServer(base)
    placed = []
    for k in range(count):
        source = sources[k % len(sources)]
        case_seed = seed * 100003 + k
        op, data = mutate(source.data, case_seed)
        override = list(OVERRIDES)[(k // len(sources)) % len(OVERRIDES)]
        path = server.place(override, k, data)
        placed.append((source.name + f" [{override}]", case_seed, op, path, data))
    with server:
        statuses = [server.get(path) for *_, path, _ in placed]
    reasons = server.reasons()
    ask = confcheck_why(server.conf, server.port)
    for (name, case_seed, op, path, data), status in zip(placed, statuses):
        htaccess = str(server.www) + path.rsplit("/", 1)[0] + "/.htaccess"
        reason = reasons.get(htaccess)
        if reason is not None:
            # the error log escapes backslashes; `FILE:N: <X> was not closed.` names its line
            reason = reason.replace("\\\\", "\\")
            inner = _UNCLOSED.match(reason)
            reason = reason[inner.end():] if inner else reason
        apache = Verdict(status == 500 and reason is not None, reason or f"status {status}", htaccess)
        ours = ask(path)
        lone = lone_scan(Path(htaccess))
        if lone.internal:
            ours = lone
        report.cases.append(Case(name, case_seed, op, apache, ours,
                                 [{"file": ours.file, "line": None, "message": ours.message}] if ours.refused else []))
    return report


def lone_scan(path: Path) -> Verdict:
    """`scan --no-fs` of the .htaccess alone must not fail inside (its verdict depends on the
    AllowOverride it will live under, which the file does not say)."""
    rc, _, err = run_confcheck(["scan", "--no-fs", str(path)])
    return Verdict(False, err.strip(), internal=rc == 3 or "internal error" in err)


# -- command line ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=600, help="config mutants (default 600)")
    parser.add_argument("--htaccess-count", type=int, default=None, help=".htaccess mutants (default: --count)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    why_not = available()
    if why_not:
        print(f"cannot run: {why_not}", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="ccfuzz-apache-"))
    base.chmod(0o755)
    try:
        started = time.monotonic()
        configs = run_configs(base / "conf", args.count, args.seed)
        print(configs.summary().replace(str(base), "<tmp>"))
        hcount = args.count if args.htaccess_count is None else args.htaccess_count
        htaccess = run_htaccess(base / "ht", hcount, args.seed) if hcount else None
        if htaccess is not None:
            print(htaccess.summary().replace(str(base), "<tmp>"))
        print(f"({time.monotonic() - started:.0f} s)")
        internal = configs.internal() + (htaccess.internal() if htaccess else [])
        return 1 if internal else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
