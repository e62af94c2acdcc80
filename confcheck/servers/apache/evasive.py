"""mod_evasive (Debian's libapache2-mod-evasive 1.10.1, mod_evasive20.c): a rate limit in
the access checker, like nginx's limit_req (confcheck/servers/nginx/limits.py).

A single request is never limited: the first request of a page or a client only starts
its count. Under load, more than DOSPageCount requests for one URI within
DOSPageInterval seconds, or more than DOSSiteCount requests within DOSSiteInterval,
put the client on hold for DOSBlockingPeriod seconds, during which every request it
sends is answered DOSHTTPResponseCode (403 unless set; Debian's patch). So `why` answers
what the request gets otherwise and names the limit with its status under load.

Facts from the module's source and Debian's build:
- the settings are process globals: the last line read applies to every virtual host;
  a value that is not a positive number keeps the default (strtol, n <= 0);
- the client is the connection's address (mod_remoteip's address is not used; checked
  on the real server), skipped when DOSWhitelist names it (a.b.c.d, a.b.c.*, a.b.*.*, a.*.*.*);
- internal redirects and subrequests are not counted (r->prev, r->main);
- the counts are per server process: with several processes a client needs more requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from confcheck.parsers.syntax import Node

MODULE = "evasive20_module"
DEFAULTS = {"dospagecount": 2, "dospageinterval": 1, "dossitecount": 50, "dossiteinterval": 1,
            "dosblockingperiod": 10}
SETTINGS = tuple(DEFAULTS) + ("doshttpresponsecode", "doswhitelist")


@dataclass(frozen=True)
class EvasiveLimit:
    directive: Node            # the line named: DOSPageCount, else the LoadModule line (all defaults)
    values: dict               # setting -> number in force
    nodes: dict                # setting -> the line that set it (absent: the default)
    status: int | None         # the status under load (None: DOSHTTPResponseCode not a number)
    status_node: Node | None
    zone: str = "mod_evasive"

    def _where(self, key: str) -> str:
        node = self.nodes.get(key)
        return f" ({node.file}:{node.line})" if node is not None else " (default)"

    def describe(self) -> str:
        v = self.values
        said = (f"DOSHTTPResponseCode at {self.status_node.file}:{self.status_node.line}" if self.status_node
                else "the default; DOSHTTPResponseCode changes it")
        status = self.status if self.status is not None else "the status DOSHTTPResponseCode names"
        node = self.directive
        return (f"mod_evasive ({node.name} at {node.file}:{node.line}): a single request is not limited; "
                f"with more than {v['dospagecount']} requests for one page in {v['dospageinterval']} s"
                f"{self._where('dospagecount')} or more than {v['dossitecount']} requests to the server in "
                f"{v['dossiteinterval']} s{self._where('dossitecount')} from one client, the client is "
                f"refused for {v['dosblockingperiod']} s{self._where('dosblockingperiod')}: Apache answers "
                f"{status} ({said})")

    def to_json(self) -> dict:
        node = self.directive
        return {"directive": node.name, "file": node.file, "line": node.line, "zone": self.zone,
                "status_under_load": self.status, "dry_run": False,
                "page_count": self.values["dospagecount"], "page_interval": self.values["dospageinterval"],
                "site_count": self.values["dossitecount"], "site_interval": self.values["dossiteinterval"],
                "blocking_period": self.values["dosblockingperiod"]}


_STRTOL = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def _number(node: Node | None) -> int | None:
    """strtol(value, NULL, 0): the leading number (0x.. hex, 0.. octal), None when there is none."""
    if node is None or not node.values:
        return None
    m = _STRTOL.match(node.values[0])
    if m is None:
        return None
    sign, digits = m.groups()
    value = int(digits, 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10)
    return -value if sign == "-" else value


def settings(conf) -> dict[str, list[Node]]:
    """Every line of each setting, the main server's first, then the virtual hosts' (the order
    Debian's apache2.conf reads them: sites-enabled last)."""
    found: dict[str, list[Node]] = {key: [] for key in SETTINGS}
    for server in [conf.main, *conf.vhosts]:
        for node in server.scope:
            if node.key in found:
                found[node.key].append(node)
    return found


def limit(conf) -> EvasiveLimit | None:
    """The limit mod_evasive applies, or None when the module is not loaded."""
    if MODULE not in conf.modules:
        return None
    lines = settings(conf)
    values, nodes = {}, {}
    for key, default in DEFAULTS.items():
        node = lines[key][-1] if lines[key] else None
        number = _number(node)
        values[key] = number if number is not None and number > 0 else default
        if node is not None:
            nodes[key] = node
    status_node = lines["doshttpresponsecode"][-1] if lines["doshttpresponsecode"] else None
    status = 403
    if status_node is not None:
        status = _number(status_node)
    load = next((n for n in conf.main.all("loadmodule") if n.values[:1] == [MODULE]), None)
    named = nodes.get("dospagecount") or nodes.get("dossitecount") or load
    if named is None:
        return None
    return EvasiveLimit(named, values, nodes, status, status_node)


def whitelisted(conf, ip: str) -> Node | None:
    """The DOSWhitelist line naming this client (is_whitelisted: exact, or 1-3 leading octets + *)."""
    octets = ip.split(".")
    keys = {ip}
    if len(octets) == 4:
        keys |= {".".join(octets[:n] + ["*"] * (4 - n)) for n in (1, 2, 3)}
    for node in settings(conf)["doswhitelist"]:
        if any(value in keys for value in node.values):
            return node
    return None
