"""`report --format json`: the fleet view (docs/contract-additions.md)."""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _string   # as json.dumps(ensure_ascii=True) writes a str

from confcheck import __version__


def host_document(host) -> dict:
    return {"host": host.host, "source": host.source, "status": "ok" if host.ok else "failed",
            "exit_code": host.exit_code, "failure": host.failure, "findings": host.findings,
            "counts": dict(host.counts), "new": host.new, "gone": host.gone, "baseline": host.baseline}


def cause_document(cause, with_baseline: bool) -> dict:
    doc = {"rule": cause.rule, "name": cause.name, "severity": cause.severity, "message": cause.message,
           "file": cause.file, "line": cause.line, "fs_path": cause.fs_path,
           "hosts": list(cause.hosts), "host_count": len(cause.hosts), "occurrences": cause.occurrences}
    if with_baseline:
        doc["new_hosts"] = [h for h in cause.hosts if h in cause.new_hosts]
    return doc


def write_report(view, out) -> None:
    """The document, written cause by cause: a large fleet's causes are never all
    turned into dicts and text at once."""
    import json

    doc = report_document(view, causes=False)
    head = json.dumps(doc, indent=2, ensure_ascii=True)
    out.write(head[:head.rindex("\n  \"summary\"")] + '\n  "causes": [')
    with_baseline = view.baseline is not None
    quoted = {h.host: _string(h.host) for h in view.hosts}
    if all(q[1:-1] == h for h, q in quoted.items()):
        quoted = None        # no name needs escaping: the lists are joined from the names themselves
    listed: dict = {}        # id of a list of hosts (causes share them) -> (the list, its text)
    write = out.write
    for number, cause in enumerate(view.causes):
        hosts = listed.get(id(cause.hosts))
        if hosts is None:
            hosts = listed[id(cause.hosts)] = (cause.hosts, _host_list(cause.hosts, quoted))
        before, after = _cause_text(cause, with_baseline, hosts[1])
        write(("," if number else "") + "\n    " + before)
        write(hosts[1])      # the longest part, written as it is (not copied into the cause's text)
        write(after)
    write(("\n  ]," if view.causes else "],") + head[head.rindex("\n  \"summary\""):] + "\n")


def _host_list(hosts: list, quoted: dict | None) -> str:
    """A list of hosts as json.dumps(indent=2, ensure_ascii=True) writes it in a cause: each
    host's name encoded once (a cause may list every host), or, when quoted is None (no name
    needs escaping), as it is."""
    if quoted is None:
        return '[\n        "' + '",\n        "'.join(hosts) + '"\n      ]' if hosts else "[]"
    return _string_list(list(map(quoted.__getitem__, hosts)))


def _cause_text(cause, with_baseline: bool, listed: str) -> tuple[str, str]:
    """cause_document(cause) as json.dumps(indent=2, ensure_ascii=True) writes it, indented
    by 4 more, before and after its list of hosts (listed: that list as _host_list writes it)."""
    hosts = cause.hosts
    before = (f'{{\n      "rule": {_string(cause.rule)},\n      "name": {_string(cause.name)},\n'
              f'      "severity": {_string(cause.severity)},\n      "message": {_string(cause.message)},\n'
              f'      "file": {_scalar(cause.file)},\n      "line": {_scalar(cause.line)},\n'
              f'      "fs_path": {_scalar(cause.fs_path)},\n      "hosts": ')
    after = f',\n      "host_count": {len(hosts)},\n      "occurrences": {cause.occurrences}'
    if with_baseline:
        new = cause.new_hosts
        if not new:
            new_list = "[]"
        elif len(new) == len(hosts):     # new on each of its hosts (new_hosts is a subset of them)
            new_list = listed
        else:
            new_list = _string_list([_string(h) for h in hosts if h in new])
        after += f',\n      "new_hosts": {new_list}'
    return before, after + "\n    }"


def _string_list(items: list) -> str:
    return "[\n        " + ",\n        ".join(items) + "\n      ]" if items else "[]"


def _scalar(value) -> str:
    if value is None:
        return "null"
    return _string(value) if isinstance(value, str) else str(value)


def report_document(view, causes: bool = True) -> dict:
    with_baseline = view.baseline is not None
    hosts = [host_document(h) for h in view.hosts]
    summary = {"hosts": len(hosts), "ok": sum(1 for h in view.hosts if h.ok), "failed": len(view.failed),
               "findings": sum(h.findings for h in view.hosts), "causes": len(view.causes)}
    if with_baseline:
        summary["new"] = sum(h.new or 0 for h in view.hosts)
    doc = {"version": 1, "kind": "fleet-report", "tool": {"name": "confcheck", "version": __version__},
           "hosts": hosts, "rules": view.rules()}
    if causes:
        doc["causes"] = [cause_document(c, with_baseline) for c in view.causes]
    doc["summary"] = summary
    return doc
