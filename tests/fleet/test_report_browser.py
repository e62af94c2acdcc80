"""The HTML fleet report in real headless Chromium (Debian's package): its script
filters and sorts from the URL fragment, and --dump-dom shows the DOM after it ran.
Expected rows come from `report --format json` of the same host files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

from cc_helpers import run_cli
from conftest import envelope, write_json

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def page(fleet):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (.ci/run installs it)")
        pytest.skip("needs Debian's chromium")
    _, hosts = fleet
    out = tempfile.mkdtemp(prefix="confcheck-html-", dir="/var/tmp")
    os.chmod(out, 0o755)
    try:
        folder = os.path.join(out, "hosts")
        os.makedirs(folder)
        for host, args in hosts.items():
            write_json(os.path.join(folder, f"{host}.json"), envelope(host, args))
        html = os.path.join(out, "fleet.html")
        assert run_cli("report", folder, "--format", "html", "-o", html).returncode == 2
        doc = json.loads(run_cli("report", folder, "--format", "json").stdout)
        yield out, html, doc
    finally:
        shutil.rmtree(out, ignore_errors=True)


def chromium(out: str, *args: str) -> bytes:
    profile = tempfile.mkdtemp(prefix="profile-", dir=out)
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          timeout=180, env={**os.environ, "HOME": profile})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


class Rows(HTMLParser):
    """Cause rows (their data attributes, hidden or not, cell texts), host rows, and #shown."""

    def __init__(self):
        super().__init__()
        self.causes, self.hosts, self.shown, self.ready, self.sorted = [], [], None, False, {}
        self._row, self._cell, self._in_hosts = None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.ready = a.get("data-ready") == "1"
        if tag == "table":
            self._in_hosts = a.get("id") == "hosts"
        if tag == "th" and "aria-sort" in a:
            self.sorted[a.get("data-key")] = a["aria-sort"]
        if tag == "span" and a.get("id") == "shown":
            self.shown = a
        if tag == "tr" and "cause" in (a.get("class") or "").split():
            self._row = {**a, "hidden": "hidden" in a, "cells": []}
            self.causes.append(self._row)
        elif tag == "tr" and self._in_hosts and "data-host" in a:
            self.hosts.append({"host": a["data-host"], "hidden": "hidden" in a})
        if tag == "td" and self._row is not None:
            self._cell = []
            self._row["cells"].append(self._cell)

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def dom(out: str, html: str, fragment: str = "") -> Rows:
    parsed = Rows()
    parsed.feed(chromium(out, "--dump-dom", f"file://{html}{fragment}").decode())
    assert parsed.ready, "the page's script did not finish"
    return parsed


def visible(rows: Rows) -> list[tuple[str, str]]:
    return [(r["data-rule"], r["data-hosts"]) for r in rows.causes if not r["hidden"]]


def expected(doc, keep) -> list[tuple[str, str]]:
    return [(c["rule"], " ".join(c["hosts"])) for c in doc["causes"] if keep(c)]


def test_every_cause_is_one_row_with_its_hosts_and_counts(page):
    out, html, doc = page
    rows = dom(out, html)
    assert visible(rows) == expected(doc, lambda c: True)
    for row, cause in zip(rows.causes, doc["causes"]):
        hosts_cell, findings_cell = "".join(row["cells"][2]), "".join(row["cells"][3])
        assert (int(hosts_cell), int(findings_cell)) == (cause["host_count"], cause["occurrences"])
    shared = [r for r in rows.causes if r["data-hosts"] == "web1 web2"]
    assert {r["data-rule"] for r in shared} == {"NGX101", "NGX102", "NGX104"}
    assert rows.shown["data-causes"] == str(len(doc["causes"]))
    assert rows.shown["data-findings"] == str(doc["summary"]["findings"])
    assert [(h["host"], h["hidden"]) for h in rows.hosts] == [(h["host"], False) for h in doc["hosts"]]


def test_the_filter_in_the_fragment_hides_the_other_rows(page):
    out, html, doc = page
    rows = dom(out, html, "#host=web3")
    assert visible(rows) == expected(doc, lambda c: "web3" in c["hosts"]) != []
    assert [h["host"] for h in rows.hosts if not h["hidden"]] == ["web3"]
    rows = dom(out, html, "#q=DEPLOY&severity=error")

    def matches(cause):
        text = " ".join([cause["rule"], cause["name"], cause["message"], *cause["hosts"],
                         cause["file"] or "", cause["fs_path"] or ""]).lower()
        return cause["severity"] == "error" and "deploy" in text
    assert visible(rows) == expected(doc, matches) != []
    assert len(visible(rows)) < len(doc["causes"])
    assert rows.shown["data-causes"] == str(len(visible(rows)))
    shown_findings = sum(c["occurrences"] for c in doc["causes"] if matches(c))
    assert rows.shown["data-findings"] == str(shown_findings)


def test_sorting_by_a_column(page):
    out, html, doc = page
    rows = dom(out, html, "#sort=hosts")
    counts = [int("".join(r["cells"][2])) for r in rows.causes]
    assert counts == sorted(c["host_count"] for c in doc["causes"])
    assert rows.sorted == {"hosts": "ascending"}
    rows = dom(out, html, "#sort=-rule")
    assert [r["data-rule"] for r in rows.causes] == sorted((c["rule"] for c in doc["causes"]), reverse=True)


def test_screenshot(page):
    out, html, _ = page
    shot = os.path.join(out, "fleet.png")
    chromium(out, "--window-size=1280,1000", "--hide-scrollbars", f"--screenshot={shot}", f"file://{html}")
    with open(shot, "rb") as fh:
        data = fh.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
