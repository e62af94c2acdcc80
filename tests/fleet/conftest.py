"""The fleet's images and host files, built once per session (scans are real)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile

import pytest

from cc_helpers import REPO, need_root, run_cli
from confcheck.fleet import digest as fleet_digest
from fleet_images import build_fleet

ROLE_MODULE = os.path.join(REPO, "ansible", "roles", "confcheck", "library", "confcheck_scan.py")


@pytest.fixture(scope="session")
def fleet():
    """(base, {host: scan arguments}): four --root images in a fresh 0755 folder under /var/tmp."""
    need_root()
    base = tempfile.mkdtemp(prefix="confcheck-fleet-", dir="/var/tmp")
    os.chmod(base, 0o755)
    try:
        yield base, build_fleet(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def envelope(host: str, args: list[str]) -> dict:
    """What the Ansible role writes for a host: the real scan's exit code and JSON."""
    proc = run_cli("scan", "--format", "json", "--no-progress", *args)
    root = args[args.index("--root") + 1] if "--root" in args else None
    return {"confcheck_host": 1, "host": host, "names": [], "root": root, "command": ["scan", *args],
            "exit_code": proc.returncode, "stderr": proc.stderr.decode(), "scan": json.loads(proc.stdout),
            "error": None}


def write_json(path: str, doc) -> str:
    with open(path, "w") as fh:
        json.dump(doc, fh)
    return path


def role_module():
    """The role's scan module (ansible/roles/confcheck/library/confcheck_scan.py), to call what
    it writes on a host (the envelope's digest) without a playbook."""
    pytest.importorskip("ansible")
    spec = importlib.util.spec_from_file_location("confcheck_scan", ROLE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def digest_bytes(doc, causes: bool = True) -> bytes:
    """A host file as the role writes its digest (`confcheck digest` of the envelope); without
    its cause table, as the role wrote it before the table was added."""
    content = fleet_digest.digest_bytes(json.dumps(doc).encode())
    if causes:
        return content
    doc = json.loads(content)
    if isinstance(doc.get("digest"), dict):
        doc["digest"].pop("causes", None)
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()
