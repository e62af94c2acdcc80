#!/usr/bin/python
"""Ansible module: run `confcheck scan --format json` (or `confcheck snapshot`) on the host
and keep the result in one file there, for `fetch` to bring back; with `digest`, also
the scan's fleet digest in a second file, as `confcheck digest` writes it: the same
envelope with, in place of the scan, only what `confcheck report` reads of it (no
fixes), its texts listed once, its findings as columns of indexes into them and the
host's causes worked out (docs/contract-additions.md). The report merges a fleet of
digests several times faster than of full scans (a sixth of the size).

The result file is rewritten only when its content changes, and the task reports
`changed` only then: a second run over an unchanged host changes nothing. In check
mode nothing is written; the task says whether the result would change. The scan
only reads, so it runs in check mode too.

Exit codes 0 and 1 are a scan that ran (1: it found something). 2 and 3 (could not
run as asked, internal error) are recorded in the result file with the reason,
for `confcheck report`, and do not fail the play: the other hosts still report.
"""

DOCUMENTATION = r"""
module: confcheck_scan
short_description: run confcheck on the host and keep its JSON result for fetch
options:
  confcheck: {description: the confcheck executable in the role's virtualenv, required: true, type: path}
  command: {description: scan or snapshot, default: scan, type: str, choices: [scan, snapshot]}
  args: {description: arguments after `confcheck scan --format json` (or `confcheck snapshot`), type: list, elements: str, default: []}
  dest: {description: the result file on the host, required: true, type: path}
  host: {description: the inventory name written into the result, required: true, type: str}
  names: {description: the host's other names (masked when causes are compared across hosts), type: list, elements: str, default: []}
  root: {description: the --root the scan uses, if any, type: str, default: ''}
  digest: {description: where to write the scan's fleet digest (empty: none), type: path, default: ''}
"""

import json
import os
import subprocess
import tempfile

from ansible.module_utils.basic import AnsibleModule

ENV = {"NO_COLOR": "1", "LC_ALL": "C.UTF-8", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def root_of(args, given):
    """The scan's --root: as the role was told, else as the arguments give it
    (`--root DIR` or `--root=DIR`, the last one counting, as the CLI reads it)."""
    if given:
        return given
    root = None
    for i, arg in enumerate(args):
        if arg == "--root" and i + 1 < len(args):
            root = args[i + 1]
        elif arg.startswith("--root="):
            root = arg[len("--root="):]
    return root


def scan_envelope(params):
    argv = [params["confcheck"], "scan", "--format", "json", "--no-progress"] + list(params["args"])
    envelope = {"confcheck_host": 1, "host": params["host"], "names": sorted(set(params["names"])),
                "root": root_of(list(params["args"]), params["root"]), "command": argv[1:], "exit_code": None,
                "stderr": "", "scan": None, "error": None}
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, timeout=3600)
    except OSError as exc:
        envelope["error"] = "cannot run %s: %s" % (argv[0], exc.strerror)
        return envelope
    except subprocess.TimeoutExpired:
        envelope["error"] = "the scan did not finish within an hour"
        return envelope
    envelope["exit_code"] = proc.returncode
    envelope["stderr"] = proc.stderr.decode("utf-8", "replace")[-4000:]
    try:
        envelope["scan"] = json.loads(proc.stdout)
    except ValueError:
        last = [line for line in envelope["stderr"].splitlines() if line.strip()]
        envelope["error"] = "the scan printed no JSON result (exit %d)%s" % (
            proc.returncode, ": " + last[-1].strip() if last else "")
    return envelope


def digest_bytes(params, envelope):
    """The envelope with the scan's fleet digest in place of the scan, as `confcheck digest`
    writes it (with the host's causes worked out); the envelope itself, compact, when that
    cannot run (the report reads a whole scan too, only slower)."""
    whole = _json_bytes(envelope, separators=(",", ":"))
    try:
        proc = subprocess.run([params["confcheck"], "digest", "-"], input=whole, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=ENV, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return whole
    return proc.stdout if proc.returncode == 0 and proc.stdout.startswith(b"{") else whole


def first_problem(scan, stderr):
    """The first input error or internal error the scan reported, else the last line on stderr."""
    errors = scan.get("errors") or []
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        where = ":".join(str(first[k]) for k in ("file", "line", "column") if first.get(k) is not None)
        return "%s: %s" % (where, first.get("message", ""))
    internal = scan.get("internal_errors") or []
    if internal and isinstance(internal[0], dict):
        return "internal error in confcheck: %s: %s" % (internal[0].get("where", ""), internal[0].get("error", ""))
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def snapshot_bytes(params, module):
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=os.path.dirname(params["dest"]))
    os.close(fd)
    try:
        argv = [params["confcheck"], "snapshot"] + list(params["args"]) + ["-o", tmp]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, timeout=3600)
        if proc.returncode != 0:
            module.fail_json(msg="confcheck snapshot exited %d: %s" % (
                proc.returncode, proc.stderr.decode("utf-8", "replace").strip()))
        with open(tmp, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            confcheck=dict(type="path", required=True),
            command=dict(type="str", default="scan", choices=["scan", "snapshot"]),
            args=dict(type="list", elements="str", default=[]),
            dest=dict(type="path", required=True),
            host=dict(type="str", required=True),
            names=dict(type="list", elements="str", default=[]),
            root=dict(type="str", default=""),
            digest=dict(type="path", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if module.check_mode and not os.path.exists(params["confcheck"]):
        module.exit_json(changed=True, msg="confcheck is not installed yet: it would be, then scan")
    if params["command"] == "snapshot":
        files = {params["dest"]: snapshot_bytes(params, module)}
        result = {}
    else:
        envelope = scan_envelope(params)
        files = {params["dest"]: _json_bytes(envelope, indent=1)}
        if params["digest"]:
            files[params["digest"]] = digest_bytes(params, envelope)
        scan = envelope["scan"] if isinstance(envelope["scan"], dict) else {}
        failed_scan = envelope["error"] is not None or envelope["exit_code"] not in (0, 1)
        result = {"exit_code": envelope["exit_code"], "failed_scan": failed_scan,
                  "reason": envelope["error"] or first_problem(scan, envelope["stderr"]),
                  "findings": len(scan.get("findings") or [])}
    changed = False
    for dest, content in files.items():
        if _differs(dest, content):
            changed = True
            if not module.check_mode:
                _replace(dest, content)
    module.exit_json(changed=changed, dest=params["dest"], **result)


def _json_bytes(doc, **layout):
    return (json.dumps(doc, ensure_ascii=True, **layout) + "\n").encode("ascii")


def _differs(path, content):
    try:
        with open(path, "rb") as fh:
            return fh.read() != content
    except OSError:
        return True


def _replace(path, content):
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
