"""Shell quoting for generated scripts: correct for any bytes a path can hold.

Paths are `str` as the filesystem layer gives them (undecodable bytes kept as
surrogates, `os.fsdecode`); scripts are written as bytes with
`encode_script`, so a name that is not UTF-8 reaches the command unchanged.

Two renderings, never mixed up:
- `quote`: a shell word. Single quotes keep every byte literal except the
  single quote itself, written `'\\''`; newlines inside single quotes are
  fine in sh. Words made only of harmless characters stay bare (readable
  commands in the JSON output). Quoting never stops a word that starts with
  `-` from being read as an option: `quote_path` takes absolute paths only.
- `display`: for comments and messages only. A comment ends at the first
  newline, so a raw name with a newline in a comment would turn the rest of
  the name into code. `display` escapes newlines, control characters,
  invisible/bidi characters and undecodable bytes; it is never executed.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9@%+=:,./_-]+\Z")


def quote(word: str) -> str:
    """`word` as one sh word, whatever it contains."""
    if "\0" in word:
        raise ValueError("a shell word cannot hold a NUL byte")
    if _BARE.match(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def quote_path(path: str) -> str:
    """An absolute path as one sh word. Relative paths are refused: a name
    starting with `-` would then read as an option to the command."""
    if not path.startswith("/"):
        raise ValueError(f"generated commands use absolute paths only: {display(path)}")
    return quote(path)


def join(argv) -> str:
    return " ".join(quote(a) for a in argv)


def display_command(argv) -> str:
    """A command for a comment, to be copied and run: the shell words themselves when
    `display` would only double their backslashes (a doubled one ends the quoted word
    early, and the rest of a name such as `q' $(cmd)` would run); escaped, and marked so, when a name
    holds what a one-line comment cannot carry (a newline, a control, an undecodable byte)."""
    text = join(argv)
    shown = display(text)
    if shown == text.replace("\\", "\\\\"):
        return text
    return shown + "   (names escaped: not runnable as shown)"


def display(text: str) -> str:
    """`text` on one line, safe inside a comment: \\n, \\t, \\\\, \\xNN, \\uNNNN."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0xDC80 <= code <= 0xDCFF:          # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def encode_script(text: str) -> bytes:
    """The script's bytes: names come back exactly as they are on disk."""
    return text.encode("utf-8", "surrogateescape")
