"""Mutate real nginx configs and compare confcheck's verdict with `nginx -t`'s.

Every corpus config nginx accepts as it is (a main with the files it
includes, or a vhost/snippet wrapped in a minimal main at the level where
nginx accepts it) is mutated with deterministic seeds: truncation, byte
flips, NUL bytes, deleted braces and semicolons, duplicated and deleted
lines, dropped and extra arguments, corrupted values. Real nginx tests each
mutant (`nginx -t`, in private mount and network namespaces: the tree is
bind-mounted on /etc/nginx, /run, /var/log/nginx and /var/lib/nginx are
empty tmpfs, so nothing of the machine is read or written and no port is
taken), confcheck reads it as a config-only scan does after its input stage
(loader, validator, request model; a lone vhost or snippet is read on its
own, as pre-commit does), and the verdicts are compared:

* refused by both: agreed (and whether confcheck names nginx's line);
* refused by nginx only: a miss, explained by KNOWN_GAPS or listed;
* refused by confcheck only: a false refusal (always a failure);
* an internal error of confcheck (always a failure).

Refusals that depend on the machine rather than the text (a user, a
certificate or a log directory that does not exist, an address this host
does not have) are counted apart (MACHINE).

    python tests/fuzz/nginx_mutants.py --count 4000 [--jobs 2] [--seed-base 0]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "parsers"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from nginx_helpers import CORPUS, _is_link_stub as is_link_stub  # noqa: E402
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# (tree folder under the corpus, main file in it, files of the tree to mutate)
MAINS = [
    ("debian", "nginx.conf", ["nginx.conf", "sites-available/default", "mime.types"]),
    ("h5bp", "nginx.conf", ["nginx.conf", "conf.d/no-ssl.default.conf",
                            "h5bp/basic.conf", "h5bp/location/security_file_access.conf",
                            "h5bp/web_performance/cache_expiration.conf"]),
    ("nginx-upstream/conf", "nginx.conf", ["nginx.conf"]),
    ("crossplane-tests/tests/configs/simple", "nginx.conf", ["nginx.conf"]),
    ("crossplane-tests/tests/configs/messy", "nginx.conf", ["nginx.conf"]),
    ("crossplane-tests/tests/configs/with-comments", "nginx.conf", ["nginx.conf"]),
    ("crossplane-tests/tests/configs/includes-regular", "nginx.conf",
     ["nginx.conf", "conf.d/server.conf"]),
    ("crossplane-tests/tests/configs/includes-globbed", "nginx.conf",
     ["nginx.conf", "http.conf", "servers/server1.conf", "locations/location1.conf"]),
    ("crossplane-tests/tests/configs/empty-value-map", "nginx.conf", ["nginx.conf"]),
    ("crossplane-tests/tests/configs/comments-between-args", "nginx.conf", ["nginx.conf"]),
]
# Files no main includes: (corpus tree they belong to, the file in it). nginx
# tests them wrapped in a minimal main at the first level it accepts, with
# their tree mounted (for the files they include).
LONE = [
    ("debian", "mailman3-nginx.conf"),
    ("debian", "snippets/fastcgi-php.conf"),
    ("debian", "snippets/snakeoil.conf"),
    ("debian", "fastcgi.conf"),
    ("debian", "proxy_params"),
    ("h5bp", "conf.d/templates/example.com.conf"),
    ("h5bp", "conf.d/templates/no-ssl.example.com.conf"),
    ("h5bp", "h5bp/tls/policy_strict.conf"),
]
WRAPPERS = {
    # with a server: nginx compiles http-level values (fastcgi_param ...) only
    # when it merges them into a server, as every real config has
    "http": "events {}\nhttp {\n    include /etc/nginx/%s;\n    server {\n    }\n}\n",
    "server": "events {}\nhttp {\n    server {\n        include /etc/nginx/%s;\n    }\n}\n",
    "location": ("events {}\nhttp {\n    server {\n        location / {\n"
                 "            include /etc/nginx/%s;\n        }\n    }\n}\n"),
    # last: without a server nginx loads no certificate (snakeoil's is not on every machine)
    "http, no server": "events {}\nhttp {\n    include /etc/nginx/%s;\n}\n",
}
WRAPPER_NAME = "cc-wrapper.conf"

# nginx refusals caused by the machine, not by the text (first [emerg] line).
MACHINE = [
    (re.compile(r'getpwnam\("|getgrnam\("'), "a user or group that does not exist here"),
    (re.compile(r'cannot load certificate|BIO_new_file|SSL_CTX_use_PrivateKey|PEM_read_bio'),
     "a certificate or key file that does not exist here"),
    (re.compile(r'bind\(\) to .* failed'), "an address this host does not have"),
    (re.compile(r'host not found in'), "a host name that does not resolve here"),
    (re.compile(r'mkdir\(\) ".*" failed'), "a directory that cannot be created here"),
    (re.compile(r'^open\(\) "/(?!etc/nginx/).*" failed'), "a file outside the config tree"),
    (re.compile(r'^unknown directive "(stream|mail)"'), "a module not installed here"),
]

# Misses (nginx refuses, confcheck does not) that are understood. Each entry:
# (pattern on nginx's message, on which inputs, why confcheck cannot or should not refuse).
KNOWN_GAPS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r'^unknown directive "[a-z_][a-z0-9_]*"$'), "any",
     "a lower-case word no nginx directive is near: a third-party module's directive "
     "(more_set_headers, content_by_lua_block ...) would look the same, and which modules "
     "nginx has is this machine's business"),
    (re.compile(r'^could not build \w+_hash'), "any",
     "the size of a hash nginx builds (types, server names, variables) from its own bucket "
     "algorithm: not modelled"),
    (re.compile(r'^unknown ".*" variable$'), "lone",
     "a vhost or snippet read alone: the map or set that would define the variable may be in "
     "the main, which confcheck does not see, so variables are judged on mains only"),
]


@dataclass
class Input:
    name: str          # shown in reports
    tree: Path         # the corpus folder mounted on /etc/nginx
    main: str          # the main file nginx reads, relative to the tree
    target: str        # the file mutated, relative to the tree
    lone: bool = False  # confcheck reads `target` alone (a vhost or snippet)


@dataclass
class Verdict:
    refused: bool
    message: str = ""
    file: str = ""
    line: int | None = None
    internal: str | None = None


@dataclass
class Outcome:
    input: Input
    seed: int
    op: str
    nginx: Verdict
    confcheck: Verdict
    machine: str | None = None
    n: int = 0          # the mutant's number in the run

    @property
    def kind(self) -> str:
        if self.confcheck.internal:
            return "internal"
        if self.nginx.refused and self.machine:
            return "machine"
        if self.nginx.refused and self.confcheck.refused:
            return "agreed"
        if self.nginx.refused:
            return "miss"
        if self.confcheck.refused:
            return "false-refusal"
        return "both-accept"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped_inputs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    def unexplained_misses(self) -> list[Outcome]:
        return [o for o in self.of("miss") if explain_gap(o) is None]


def explain_gap(outcome: Outcome) -> str | None:
    for pattern, where, why in KNOWN_GAPS:
        if pattern.search(outcome.nginx.message) and (
                where == "any" or (where == "lone") == outcome.input.lone):
            return why
    return None


# --- the inputs -----------------------------------------------------------------

def copy_tree(src: Path, dest: Path) -> None:
    """`src` copied to `dest`, link stubs made real relative symlinks."""
    for path in sorted(src.rglob("*")):
        out = dest / path.relative_to(src)
        if path.is_dir() and not path.is_symlink():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            os.symlink(os.readlink(path), out)
        elif is_link_stub(path):
            os.symlink(path.read_text().strip(), out)
        else:
            shutil.copyfile(path, out)
    os.chmod(dest, 0o755)


def inputs(work: Path) -> tuple[list[Input], list[str], list[tuple[Input, Verdict]]]:
    """Every input nginx accepts unmutated (templates under `work`), what was
    left out, and the mains nginx refuses as they are (with its verdict)."""
    out, skipped, refused = [], [], []
    for folder, main, targets in MAINS:
        tree = work / "tpl" / folder.replace("/", "_")
        copy_tree(CORPUS / folder, tree)
        verdict = nginx_test(tree, main)
        if verdict.refused:
            skipped.append(f"{folder}/{main}: nginx refuses it unmutated: {verdict.message}")
            refused.append((Input(f"{folder}/{main}", tree, main, main), verdict))
            continue
        for target in targets:
            out.append(Input(f"{folder}/{target}", tree, main, target))
    for folder, lone in LONE:
        tree = work / "tpl" / f"lone-{lone.replace('/', '_')}"
        copy_tree(CORPUS / folder, tree)
        if not (tree / lone).exists():
            shutil.copyfile(CORPUS / lone, tree / lone)
        refusals = []
        for level, wrapper in WRAPPERS.items():
            (tree / WRAPPER_NAME).write_text(wrapper % lone)
            verdict = nginx_test(tree, WRAPPER_NAME)
            if not verdict.refused:
                out.append(Input(f"{lone} (in {level})", tree, WRAPPER_NAME, lone, lone=True))
                break
            refusals.append(f"{level}: {verdict.message}")
        else:
            skipped.append(f"{lone}: nginx refuses it at every level ({'; '.join(refusals)})")
    return out, skipped, refused


# --- mutations ------------------------------------------------------------------

OPS = ("truncate", "flip", "nul", "del_brace", "del_semi", "dup_line", "del_line",
       "drop_arg", "extra_arg", "bad_value")
FLIP_BYTES = b"abcxyz019 \t\n{};\"'$#\\()*~^=/.:-_"
EXTRA_WORDS = ("extra", "on", "1", "$foo", "off", "/x", "10m", "default")


def _code_lines(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every line holding more than a comment."""
    out, pos = [], 0
    for line in data.split(b"\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _directive_lines(data: bytes) -> list[tuple[int, int]]:
    return [(s, e) for s, e in _code_lines(data) if data[s:e].rstrip().endswith(b";")]


def mutate(data: bytes, op: str, rng: random.Random) -> bytes | None:
    """`data` mutated by `op`, None when `op` has nothing to work on."""
    lines = _code_lines(data)
    if not lines:
        return None
    if op == "truncate":
        return data[:rng.randrange(len(data))]
    if op in ("flip", "nul"):
        start, end = rng.choice(lines)
        at = rng.randrange(start, end)
        if op == "nul":
            return data[:at] + b"\0" + data[at:]
        return data[:at] + bytes([rng.choice(FLIP_BYTES)]) + data[at + 1:]
    if op in ("del_brace", "del_semi"):
        chars = b"{}" if op == "del_brace" else b";"
        spots = [i for s, e in lines for i in range(s, e) if data[i] in chars]
        if not spots:
            return None
        at = rng.choice(spots)
        return data[:at] + data[at + 1:]
    if op in ("dup_line", "del_line"):
        start, end = rng.choice(lines)
        line = data[start:end + 1]
        return data[:start] + (line + line if op == "dup_line" else b"") + data[end + 1:]
    directive = _directive_lines(data)
    if not directive:
        return None
    start, end = rng.choice(directive)
    text = data[start:end]
    semi = text.rindex(b";")
    head, tail = text[:semi], text[semi:]
    words = [m for m in re.finditer(rb"\S+", head)]
    if op == "extra_arg":
        new = head + b" " + rng.choice(EXTRA_WORDS).encode() + tail
    elif op == "drop_arg":
        if len(words) < 2:
            return None
        m = rng.choice(words[1:])
        new = head[:m.start()] + head[m.end():] + tail
    else:  # bad_value: one argument corrupted the way typos do
        if len(words) < 2:
            return None
        m = rng.choice(words[1:])
        word = m.group()
        if word.startswith(b"$"):
            bad = word + b"_x"
        elif re.fullmatch(rb"\d+[a-zA-Z]?", word):
            bad = word[:-1] + b"q" if word[-1:].isalpha() else word + b"zz"
        elif word.lower() in (b"on", b"off"):
            bad = word + b"n"
        else:
            bad = rng.choice([b"(", word + b"(", b"-1", b"0x"])
        new = head[:m.start()] + bad + head[m.end():] + tail
    return data[:start] + new + data[end:]


# --- the two verdicts -----------------------------------------------------------

_EMERG = re.compile(r"\[emerg\] \d+#\d+: (.*?)(?: in (/\S+):(\d+))?$", re.M)
_NS_SCRIPT = (
    'mount --bind "$1" /etc/nginx && for d in /run /var/log/nginx /var/lib/nginx; do '
    '[ -d "$d" ] && mount -t tmpfs none "$d"; done; ip link set lo up 2>/dev/null; '
    'exec "$3" -t -q -c "/etc/nginx/$2"'
)


def namespaces_work() -> str | None:
    """None when nginx can be run in private namespaces here, else why not."""
    if os.geteuid() != 0:
        return "needs root (private mount namespace)"
    if not os.path.exists(NGINX) or not shutil.which("unshare"):
        return "needs nginx and unshare"
    if not os.path.isdir("/etc/nginx"):
        return "needs /etc/nginx as a mount point"
    probe = subprocess.run(["unshare", "-m", "-n", "--", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare -m -n fails here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def require_namespaces() -> None:
    """For tests: skip when nginx cannot run in private namespaces here (fail under CI)."""
    import pytest

    why_not = namespaces_work()
    if why_not and os.environ.get("CI"):
        pytest.fail(f"real nginx must run under CI: {why_not}", pytrace=False)
    if why_not:
        pytest.skip(why_not)


def nginx_test(tree: Path, main: str) -> Verdict:
    proc = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", "--", "sh", "-c",
                           _NS_SCRIPT, "sh", str(tree), main, NGINX],
                          capture_output=True, timeout=60)
    if proc.returncode == 0:
        return Verdict(False)
    text = proc.stderr.decode("utf-8", "replace")
    m = _EMERG.search(text)
    if m is None:
        return Verdict(True, text.strip().splitlines()[0] if text.strip() else f"exit {proc.returncode}")
    return Verdict(True, m.group(1), m.group(2) or "", int(m.group(3)) if m.group(3) else None)


def confcheck_test(tree: Path, inp: Input) -> Verdict:
    """What a config-only scan decides about the input: read (the tree standing
    for /etc/nginx), validated, and built into the request model, as
    `confcheck scan --no-fs` does after its input stage."""
    from confcheck.parsers.nginx_directives import validate
    from confcheck.parsers.nginx_loader import load_nginx
    from confcheck.servers.nginx.conf import build_http
    from confcheck.servers.nginx.model import build_model
    from confcheck.source import Diagnostics

    local = str(tree / (inp.target if inp.lone else inp.main))
    diags = Diagnostics()
    try:
        config = load_nginx(local, diags, mount=("/etc/nginx/", str(tree) + "/"))
        validate(config, diags)
        build_model(config.nodes, conf_prefix=config.prefix.rstrip("/") or "/")
        build_http(config.nodes)
    except Exception as exc:  # noqa: BLE001 - an internal error is what is being counted
        return Verdict(True, internal=f"{type(exc).__name__}: {exc}")
    errors = diags.errors
    if not errors:
        return Verdict(False)
    first = errors[0]
    pos = first.position()
    file = pos["file"] or ""
    if file.startswith(str(tree) + "/"):
        file = "/etc/nginx/" + file[len(str(tree)) + 1:]
    return Verdict(True, first.message, file, pos["line"])


def machine_reason(message: str) -> str | None:
    for pattern, why in MACHINE:
        if pattern.search(message):
            return why
    return None


def run(count: int, jobs: int = 2, seed_base: int = 0, work: Path | None = None) -> Report:
    """`count` mutants spread evenly over the inputs (seeds seed_base, seed_base+1, ...)."""
    started = time.monotonic()
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="cc-ngx-mutants-", dir="/var/tmp")) if own else work
    os.chmod(work, 0o755)
    try:
        items, skipped, refused = inputs(work)
        # the corpus itself first: what nginx accepts or refuses as it is
        unmutated = [Outcome(inp, -1, "unmutated", Verdict(False), confcheck_test(inp.tree, inp))
                     for inp in items]
        for inp, verdict in refused:
            outcome = Outcome(inp, -1, "unmutated", verdict, confcheck_test(inp.tree, inp))
            outcome.machine = machine_reason(verdict.message)
            unmutated.append(outcome)
        plan = []
        for n in range(count):
            inp = items[n % len(items)]
            seed = seed_base + n // len(items)
            plan.append((n, inp, seed))

        def one(entry) -> Outcome | None:
            n, inp, seed = entry
            rng = random.Random(f"{inp.name}:{seed}")
            op = OPS[seed % len(OPS)]
            data = (inp.tree / inp.target).read_bytes()
            mutated = mutate(data, op, rng)
            if mutated is None or mutated == data:
                return None
            tree = work / f"m{n}"
            copy_tree(inp.tree, tree)
            (tree / inp.target).write_bytes(mutated)
            nginx = nginx_test(tree, inp.main)
            outcome = Outcome(inp, seed, op, nginx, Verdict(False), n=n)
            outcome.machine = machine_reason(nginx.message) if nginx.refused else None
            return outcome

        with ThreadPoolExecutor(jobs) as pool:
            outcomes = [o for o in pool.map(one, plan) if o is not None]
        # confcheck runs in this process, one mutant after the other (the trees are still there)
        for o in outcomes:
            tree = work / f"m{o.n}"
            o.confcheck = confcheck_test(tree, o.input)
            shutil.rmtree(tree, ignore_errors=True)
        return Report(unmutated + outcomes, skipped, time.monotonic() - started)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def render(report: Report) -> str:
    out = []
    refused = [o for o in report.outcomes if o.nginx.refused]
    syntax = [o for o in refused if not o.machine]
    agreed = report.of("agreed")
    same_line = [o for o in agreed if o.nginx.line is None or o.nginx.line == o.confcheck.line]
    corpus = [o for o in report.outcomes if o.op == "unmutated"]
    out.append(f"corpus inputs as they are: {len(corpus)} (nginx refuses "
               f"{sum(o.nginx.refused for o in corpus)}, confcheck agrees on "
               f"{sum(o.nginx.refused == o.confcheck.refused for o in corpus)})")
    out.append(f"mutants tested: {len(report.outcomes) - len(corpus)}; the counts below include the "
               f"corpus inputs ({report.seconds:.1f} s)")
    out.append(f"nginx refuses: {len(refused)} ({len(syntax)} for the text, "
               f"{len(report.of('machine'))} for this machine)")
    out.append(f"confcheck refuses too: {len(agreed)} of {len(syntax)}"
               f" ({100 * len(agreed) / max(1, len(syntax)):.1f}%); same line as nginx: {len(same_line)}")
    out.append(f"nginx accepts: {len(report.outcomes) - len(refused)}; "
               f"false refusals by confcheck: {len(report.of('false-refusal'))}")
    out.append(f"internal errors: {len(report.of('internal'))}")
    for skipped in report.skipped_inputs:
        out.append(f"input left out: {skipped}")
    groups: dict[str, list[Outcome]] = {}
    for o in report.of("miss"):
        why = explain_gap(o)
        key = f"explained: {why}" if why else "UNEXPLAINED"
        groups.setdefault(key, []).append(o)
    for key, items in sorted(groups.items()):
        out.append(f"misses, {key}: {len(items)}")
        for o in items[:40 if key == "UNEXPLAINED" else 3]:
            out.append(f"  {o.input.name} seed {o.seed} {o.op}: nginx: {o.nginx.message}"
                       f" ({o.nginx.file}:{o.nginx.line})")
    for kind in ("false-refusal", "internal"):
        for o in report.of(kind):
            out.append(f"{kind}: {o.input.name} seed {o.seed} {o.op}: "
                       f"confcheck: {o.confcheck.internal or o.confcheck.message} "
                       f"({o.confcheck.file}:{o.confcheck.line})")
    machine: dict[str, int] = {}
    for o in report.of("machine"):
        machine[o.machine] = machine.get(o.machine, 0) + 1
    for why, n in sorted(machine.items()):
        out.append(f"machine-dependent refusals, {why}: {n}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed-base", type=int, default=0)
    args = parser.parse_args(argv)
    why_not = namespaces_work()
    if why_not:
        print(f"cannot run: {why_not}", file=sys.stderr)
        return 2
    report = run(args.count, args.jobs, args.seed_base)
    print(render(report))
    bad = report.of("internal") or report.of("false-refusal") or report.unexplained_misses()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
