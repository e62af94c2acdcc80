"""What the healthy-corpus tests (nginx and Apache) share: the image's
accounts, writing its files, and what "healthy" means for a scan result."""

from __future__ import annotations

import os
from pathlib import Path

PASSWD = "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nwww-data:x:33:\n"


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)


def assert_healthy(result, justified: dict[tuple[str, str], str]) -> None:
    """No read error, no error-severity finding, and no warning other than the
    `justified` ones ((rule, file suffix) -> why the warning is right)."""
    assert [str(e) for e in result.errors] == []
    errors = [f"{f.rule} {f.span.file if f.span else ''}:{f.span.line if f.span else ''} {f.message}"
              for f in result.findings if f.severity == "error"]
    assert errors == [], errors
    unexplained = [f"{f.rule} {f.message}" for f in result.findings
                   if f.severity == "warning" and not any(
                       f.rule == rule and f.span is not None and f.span.file.endswith(suffix)
                       for rule, suffix in justified)]
    assert unexplained == []
