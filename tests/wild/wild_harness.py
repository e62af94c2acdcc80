"""Real configs nobody here wrote, installed the way their documentation says, run by
the real nginx/Apache and read by confcheck.

An *image* is a folder laid out as `/` (etc/nginx or etc/apache2 from Debian's
package, as the corpus holds it, plus the case's files at their documented paths,
stub certificates and a small served tree). confcheck reads it with `--root`.
The real server reads the same files at their real paths: it runs in private
mount, network and pid namespaces where each top folder of the image is an
overlay (the machine's folder below, the image's above; the image's
etc/nginx, etc/apache2 and served roots hide the machine's), /run is a tmpfs and
only loopback exists. Nothing of the machine is written and no port of the
machine is taken; when the namespace's first process ends, every server it
started ends with it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "fuzz"))
from cc_helpers import SHARED  # noqa: E402
# Debian's package tree from the corpus, its *-enabled links made real
from nginx_mutants import copy_tree  # noqa: E402

CORPUS = Path(SHARED) / "corpus"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
# the machine's folders that stand under an image in the servers' namespace (besides /run and /tmp,
# which are empty tmpfs there)
WRITABLE = ("etc", "home", "opt", "srv", "usr", "var")
# what Debian's packages (and boot: /run) make besides /etc, so that the image is a machine the
# server can start on: confcheck --root sees only the image
SKELETON = {
    "nginx": {"/run/": "", "/var/log/nginx/": "", "/var/lib/nginx/": "",
              "/var/www/html/index.nginx-debian.html": "<html>Welcome to nginx!</html>\n"},
    "apache": {"/run/": "", "/run/lock/": "", "/var/log/apache2/": "", "/usr/share/apache2/icons/": "",
               "/var/www/html/index.html": "<html>It works!</html>\n"},
}


@dataclass
class Case:
    name: str
    server: str                       # "nginx" or "apache"
    source: str                       # where the file comes from
    licence: str
    files: dict[str, str]             # path in the image -> data file (under data/)
    certs: tuple[str, ...] = ()       # certificate paths the config names (key: *.key, privkey*, key.pem)
    tree: dict[str, str] = field(default_factory=dict)   # served files: path -> content ("DIR/": a folder)
    hide: tuple[str, ...] = ()        # folders of the image that hide the machine's
    modules: tuple[str, ...] = ()     # Apache modules enabled beyond Debian's default set
    requests: tuple[tuple[str, str], ...] = ()           # (url, method) asked of both
    rejects: str | None = None        # the real server refuses the config: its message (a fact we check)
    edits: tuple[tuple[str, str, str], ...] = ()         # (path, old, new): a step the documentation gives
    remove: tuple[str, ...] = ()      # files of Debian's tree the documentation removes
    hosts: tuple[str, ...] = ()       # names the config resolves at start (given 127.0.0.2 in /etc/hosts)
    known: tuple[str, ...] = ()       # request URLs `why` must answer with a status ("*": every one)


def _certificate(cache: Path) -> tuple[bytes, bytes]:
    crt, key = cache / "stub.crt", cache / "stub.key"
    if not crt.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=stub.test", "-keyout", str(key), "-out", str(crt)],
                       check=True, capture_output=True, timeout=60)
    return crt.read_bytes(), key.read_bytes()


def _is_key(path: str) -> bool:
    name = os.path.basename(path)
    return name.endswith(".key") or name.startswith("privkey") or name == "key.pem"


class Image:
    """One case laid out under a fresh 0755 folder in /var/tmp."""

    def __init__(self, case: Case, base: Path, cert_cache: Path):
        self.case = case
        self.base = base
        self.root = base / "root"
        self.root.mkdir(parents=True)
        etc = self.root / "etc"
        if case.server == "nginx":
            copy_tree(CORPUS / "nginx" / "debian", etc / "nginx")
        else:
            copy_tree(CORPUS / "apache" / "debian", etc / "apache2")
            for mod in case.modules:
                for ext in ("load", "conf"):
                    if (etc / "apache2" / "mods-available" / f"{mod}.{ext}").exists():
                        link = etc / "apache2" / "mods-enabled" / f"{mod}.{ext}"
                        if not link.exists():
                            os.symlink(f"../mods-available/{mod}.{ext}", link)
        for path, text in SKELETON[case.server].items():
            if path.endswith("/"):
                (self.root / path.strip("/")).mkdir(parents=True, exist_ok=True)
            else:
                self.put(path, text.encode())
        # the accounts the worker runs as, for confcheck's --root view
        for name in ("passwd", "group"):
            shutil.copyfile(f"/etc/{name}", etc / name)
        if case.server == "apache":
            # Debian's apache2 depends on media-types, whose /etc/mime.types mime.conf's TypesConfig
            # names: without it Apache does not start (AH01597), so the image has it as the machine does
            shutil.copyfile("/etc/mime.types", etc / "mime.types")
        for dest, data in case.files.items():
            self.put(dest, (DATA / data).read_bytes())
        for path, old, new in case.edits:
            text = (self.root / path.lstrip("/")).read_text()
            assert old in text, (path, old)
            self.put(path, text.replace(old, new).encode())
        for path in case.remove:
            (self.root / path.lstrip("/")).unlink()
        if case.hosts:
            hosts = Path("/etc/hosts").read_text() + "".join(f"127.0.0.2 {h}\n" for h in case.hosts)
            self.put("/etc/hosts", hosts.encode())
        crt, key = _certificate(cert_cache)
        for path in case.certs:
            self.put(path, key if _is_key(path) else crt)
        for path, text in case.tree.items():
            if path.endswith("/"):
                (self.root / path.strip("/")).mkdir(parents=True, exist_ok=True)
            else:
                self.put(path, text.encode())
        for folder in case.hide:
            (self.root / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for dirpath, dirs, _ in os.walk(self.root):
            for d in dirs:
                os.chmod(os.path.join(dirpath, d), 0o755)

    def put(self, path: str, data: bytes) -> None:
        out = self.root / path.lstrip("/")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        os.chmod(out, 0o644)

    def local(self, path: str) -> str:
        return str(self.root / path.lstrip("/"))

    # -- the real server, in its namespaces ------------------------------------------------
    def _ns_script(self, body: str) -> str:
        work = self.base / "work"
        lines = ["set -e"]
        hidden = {"etc/nginx", "etc/apache2", *(h.strip("/") for h in self.case.hide)}
        for h in sorted(hidden):
            if (self.root / h).is_dir():
                # an opaque folder of the upper layer hides the machine's folder below it
                lines.append(f"setfattr -n trusted.overlay.opaque -v y {shlex.quote(str(self.root / h))}")
        # every folder a server may write to is an overlay (logs, caches, temp files land in the
        # image), whether or not the case puts files there
        for top in WRITABLE:
            (self.root / top).mkdir(exist_ok=True)
        for top in sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name not in ("run", "tmp")):
            if not os.path.isdir(f"/{top}") or os.path.islink(f"/{top}"):
                raise RuntimeError(f"/{top} is not a folder here: the image cannot stand over it")
            (work / top).mkdir(parents=True, exist_ok=True)
            lines.append(f"mount -t overlay overlay -o lowerdir=/{top},upperdir={shlex.quote(str(self.root / top))},"
                         f"workdir={shlex.quote(str(work / top))} /{top}")
        lines += ["mount -t tmpfs none /run", "mount -t tmpfs none /tmp", "mkdir -p /run/lock /run/php /run/nginx /run/apache2 /run/lock/apache2",
                  "ip link set lo up", "set +e", body]
        return "\n".join(lines)

    def in_namespace(self, body: str, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["unshare", "-m", "-n", "-p", "-f", "--propagation", "private", "--",
                               "sh", "-c", self._ns_script(body)],
                              capture_output=True, text=True, timeout=timeout)

    def _server_test(self) -> str:
        if self.case.server == "nginx":
            return f"{NGINX} -t -q 2>&1"
        return f". /etc/apache2/envvars && {APACHE} -t 2>&1"

    def _server_start(self) -> str:
        if self.case.server == "nginx":
            return f"{NGINX} -g 'daemon off;' 2>>/run/cc-start.err &"
        return f". /etc/apache2/envvars && {APACHE} -DFOREGROUND 2>>/run/cc-start.err &"

    def real_test(self) -> tuple[bool, str]:
        """(accepted, message) from `nginx -t` / `apache2 -t`."""
        proc = self.in_namespace(self._server_test() + "\necho CC-RC=$?")
        m = re.search(r"CC-RC=(\d+)", proc.stdout)
        text = (proc.stdout[:m.start()] if m else proc.stdout + proc.stderr).strip()
        if m is None:
            raise RuntimeError(f"namespace run failed: {proc.stderr.strip()}")
        return m.group(1) == "0", text

    def real_statuses(self) -> tuple[list[tuple[int | None, str | None]], str]:
        """(status, Location) of each of the case's requests from the started server, and its error log."""
        asks = []
        for url, method in self.case.requests:
            scheme, rest = url.split("://", 1)
            host = rest.split("/", 1)[0]
            port = 443 if scheme == "https" else 80
            asks.append(f"curl -sk --path-as-is -o /dev/null -X {shlex.quote(method)} -w 'CC-STATUS %{{http_code}} %{{redirect_url}}\\n' "
                        f"--max-time 10 --resolve {shlex.quote(f'{host}:{port}:127.0.0.1')} {shlex.quote(url)}")
        log = "/var/log/nginx/error.log" if self.case.server == "nginx" else "/var/log/apache2/error.log"
        body = "\n".join([
            self._server_start(),
            # up when a request gets any answer
            "i=0; while [ $i -lt 100 ]; do curl -s -o /dev/null --max-time 1 http://127.0.0.1/ && break; "
            "i=$((i+1)); sleep 0.05; done",
            *asks,
            f"echo CC-LOG-BEGIN; cat {log} /run/cc-start.err 2>/dev/null; echo CC-LOG-END",
        ])
        proc = self.in_namespace(body)
        found = re.findall(r"^CC-STATUS (\d+) ?(.*)$", proc.stdout, re.M)
        statuses = [(int(code) if code != "000" else None, location or None) for code, location in found]
        log_text = proc.stdout.split("CC-LOG-BEGIN", 1)[-1].split("CC-LOG-END", 1)[0] if "CC-LOG-BEGIN" in proc.stdout else ""
        if len(statuses) != len(self.case.requests):
            raise RuntimeError(f"requests not answered: {proc.stdout}\n{proc.stderr}")
        return statuses, log_text


def namespaces_work() -> str | None:
    """None when servers can run in private namespaces with overlays here, else why not."""
    if os.geteuid() != 0:
        return "needs root (private mount namespace)"
    for tool in ("unshare", "setfattr", "curl", "openssl"):
        if not shutil.which(tool):
            return f"needs {tool}"
    probe = subprocess.run(["unshare", "-m", "-n", "-p", "-f", "--propagation", "private", "--", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        return f"unshare fails here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def new_base(name: str) -> Path:
    base = Path(tempfile.mkdtemp(prefix=f"cc-wild-{name}-", dir="/var/tmp"))
    os.chmod(base, 0o755)
    return base


def confcheck(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "confcheck", *args], input=stdin, capture_output=True,
                          env=env, timeout=300)


def json_out(proc: subprocess.CompletedProcess) -> dict:
    return json.loads(proc.stdout)
