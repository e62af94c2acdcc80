"""Real-world configs nobody here wrote (wild_cases.py, data/), installed as their documentation
says, judged by the real nginx/Apache and read by confcheck's commands as a user runs them.

Per case (one namespace run of `nginx -t`/`apache2 -t`, one of the started server):
* the verdicts agree: where the server accepts the config, neither `scan --no-fs` nor
  `scan` reports an input error (nor a start-time refusal, FS100/FS110); where it refuses,
  confcheck names the server's message (an input error, or FS110 for what the machine lacks);
* `scan --no-fs`, `scan`, the lone files as pre-commit reads them, `why`, `explain` (on the
  server's own error log) and `fix --diff` end with 0, 1 or 2, never 3 or a traceback, and
  every file:line:column they name exists;
* `why` agrees with the started server on every request where it gives a status (null is
  allowed: what the model does not know; a status is never wrong).

Notes of what this found: tests/wild/NOTES.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from wild_cases import CASES
from wild_harness import Image, confcheck, namespaces_work, new_base

pytestmark = pytest.mark.realserver
MACHINE_RULES = {"FS100", "FS110"}


@pytest.fixture(scope="module")
def cert_cache():
    why_not = namespaces_work()
    if why_not and os.environ.get("CI"):
        pytest.fail(f"the real servers must run under CI: {why_not}", pytrace=False)
    if why_not:
        pytest.skip(why_not)
    base = new_base("certs")
    yield base
    shutil.rmtree(base, ignore_errors=True)


class Problems(list):
    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.append(what)


def _text(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read().split("\n")
    except OSError:
        return None


def _position(problems: Problems, root: str, where: str, item: dict, line_key="line", col_key="column") -> None:
    """The file:line:column an answer names exists (shown paths are the image's or its real path)."""
    file, line, column = item.get("file"), item.get(line_key), item.get(col_key)
    if not file:
        return
    lines = _text(file) if file.startswith(root) else (_text(root + file) or _text(file))
    problems.check(lines is not None, f"{where}: names {file}, which cannot be read")
    if lines is None or line is None:
        return
    problems.check(isinstance(line, int) and 1 <= line <= len(lines), f"{where}: {file}:{line} is not a line")
    if column is not None and isinstance(line, int) and 1 <= line <= len(lines):
        problems.check(isinstance(column, int) and 1 <= column <= len(lines[line - 1]) + 1,
                       f"{where}: {file}:{line}:{column} is not a column")


def _ran(problems: Problems, what: str, proc, json_out: bool = True) -> dict | None:
    """A command that ended as the contract says; its JSON (None when it printed none or is text)."""
    err = proc.stderr.decode("utf-8", "replace")
    problems.check(proc.returncode in (0, 1, 2), f"{what}: exit {proc.returncode}: {err.strip()[-300:]}")
    problems.check("Traceback" not in err, f"{what}: a traceback: {err[-500:]}")
    doc = None
    if json_out and proc.stdout.strip():
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            problems.append(f"{what}: stdout is not JSON: {proc.stdout[:300]!r}")
    if proc.returncode == 2:
        problems.check(bool(err.strip() or (doc or {}).get("errors")), f"{what}: exit 2 without a message")
    return doc


def _refusal(message: str) -> tuple[str, str | None, int | None]:
    """The server's refusal: (text, file, line) from "[emerg] 7#7: TEXT in FILE:LINE" (nginx)
    or "Syntax error on line LINE of FILE: TEXT" (Apache); file and line None when not named."""
    m = re.search(r"\[emerg\] \d+#\d+: (.*?)(?: in (/\S+):(\d+))?$", message, re.M)
    if m:
        return m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None
    m = re.search(r"Syntax error on line (\d+) of ([^:]+):\s*(.*)", message)
    if m:
        return m.group(3).strip(), m.group(2), int(m.group(1))
    return message.strip().splitlines()[-1] if message.strip() else "", None, None


def _scan_checks(problems: Problems, root: str, what: str, doc: dict | None, accepted: bool) -> list[dict]:
    """Positions of a scan's findings and errors; the errors and start-time refusals it reports."""
    if doc is None:
        return []
    for item in doc.get("errors", []):
        _position(problems, root, f"{what} error {item.get('message')}", item)
    for item in doc.get("findings", []):
        _position(problems, root, f"{what} {item.get('rule')}", item)
        _position(problems, root, f"{what} {item.get('rule')} end", item, "end_line", "end_column")
    refusals = list(doc.get("errors", []))
    refusals += [f for f in doc.get("findings", []) if f.get("rule") in MACHINE_RULES]
    if accepted:
        problems.check(not refusals, f"{what}: the server accepts the config, confcheck refuses it: "
                                     f"{[r['message'] for r in refusals]}")
    return refusals


def _names_refusal(root: str, refusals: list[dict], text: str, file: str | None, line: int | None) -> bool:
    """confcheck refuses with the server's words, or at the place the server names."""
    for item in refusals:
        if item["message"].startswith(text):
            return True
        shown = item.get("file") or ""
        if file and line and item.get("line") == line and (shown == file or shown == root + file):
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_world_config(case, cert_cache):
    base = new_base(case.name)
    try:
        _check_case(case, base, cert_cache)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _check_case(case, base, cert_cache) -> None:
    image = Image(case, base, cert_cache)
    root = str(image.root)
    accepted, message = image.real_test()
    # the fact the case stands on
    if case.rejects:
        assert not accepted and case.rejects in message, message
    else:
        assert accepted, message
    problems = Problems()

    no_fs = _ran(problems, "scan --no-fs", confcheck("scan", "--no-fs", "--root", root, "--format", "json"))
    full = _ran(problems, "scan", confcheck("scan", "--root", root, "--format", "json"))
    refusals = _scan_checks(problems, root, "scan --no-fs", no_fs, accepted)
    refusals += _scan_checks(problems, root, "scan", full, accepted)
    if not accepted:
        text, file, line = _refusal(message)
        problems.check(_names_refusal(root, refusals, text, file, line),
                       f"the server refuses ({text} at {file}:{line}); confcheck does not say so: "
                       f"{[(r['message'], r.get('file'), r.get('line')) for r in refusals]}")

    # each file of the case alone, as pre-commit reads a changed file (in the image: --root)
    for dest in case.files:
        lone = _ran(problems, f"scan --no-fs {dest}",
                    confcheck("scan", "--no-fs", "--root", root, dest, "--format", "json"))
        _scan_checks(problems, root, f"scan --no-fs {dest}", lone, accepted)

    _ran(problems, "fix --diff", confcheck("fix", "--root", root, "--diff"), json_out=False)

    if accepted and case.requests:
        statuses, log = image.real_statuses()
        batch = base / "requests.jsonl"
        batch.write_text("".join(json.dumps({"url": url, "method": method}) + "\n" for url, method in case.requests))
        proc = confcheck("why", "--batch", str(batch), "--root", root, "--format", "json")
        _ran(problems, "why --batch", proc, json_out=False)
        answers = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        problems.check(len(answers) == len(case.requests), f"why answered {len(answers)} of {len(case.requests)}")
        for (url, method), (real, real_location), answer in zip(case.requests, statuses, answers):
            said = answer.get("status")
            problems.check("error" not in answer, f"why {method} {url}: {answer.get('error')}")
            problems.check(said is None or said == real,
                           f"why {method} {url}: {said} ({answer.get('reason')}), the server answers {real}")
            location = answer.get("location")
            if said == real and location and real_location:
                if location.startswith("/"):     # a local target: the server adds its scheme and host
                    real_location = re.sub(r"^https?://[^/]+", "", real_location)
                problems.check(location == real_location,
                               f"why {method} {url}: Location {location}, the server sends {real_location}")
            problems.check(said is not None or bool(answer.get("reason")), f"why {method} {url}: null without a reason")
            problems.check(said is not None or not ({url, "*"} & set(case.known)),
                           f"why {method} {url}: null ({answer.get('reason')})")
            if answer.get("decided_by"):
                _position(problems, root, f"why {url} decided_by", answer["decided_by"], col_key="-")
        log_file = base / "error.log"
        log_file.write_text(log)
        explained = _ran(problems, "explain",
                         confcheck("explain", "--log", str(log_file), "--root", root, "--format", "json"))
        for cause in (explained or {}).get("causes", []):
            if isinstance(cause.get("decided_by"), dict):
                _position(problems, root, f"explain {cause.get('kind')} decided_by", cause["decided_by"], col_key="-")
    assert not problems, "\n".join(problems)
