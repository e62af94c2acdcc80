"""A small part of ap_expr (server/util_expr_parse.y) for `<If>` and `Require expr`:
`true`/`false`, `!`, `&&`, `||`, parentheses, string comparisons (`==`,
`!=`, `=~`, `!~`, `-strmatch`, `-ip`, `in {...}`), `-f`/`-d`/`-z`/`-n`, and the
variables a request carries. Anything else is None: the caller states it as
an assumption instead of guessing.
"""

from __future__ import annotations

import ipaddress
import re

# a regex is /.../ or m followed by any of ap_expr's delimiters (util_expr_scan.l REG_SEP)
_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<var>%\{[^}]+\})"""
                    r"""|(?P<re>/(?:\\.|[^/])*/i?|m(?P<sep>[/#$%^|?!'",;:._-])(?:\\.|(?!(?P=sep)).)*(?P=sep)i?)"""
                    r"""|(?P<op>&&|\|\||==|!=|=~|!~|-[a-z]+|[(){},!<>])|(?P<word>[A-Za-z0-9_.:/-]+))""")


class _Unknown(Exception):
    pass


def evaluate(text: str, st) -> bool | None:
    try:
        tokens = _tokens(text)
        parser = _Parser(tokens, st)
        value = parser.expr()
        if parser.pos != len(tokens):
            return None
        return value
    except (_Unknown, re.error, IndexError, ValueError):
        return None


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _Unknown(text[pos:])
        kind = "re" if m.group("re") is not None else m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, tokens, st) -> None:
        self.t = tokens
        self.pos = 0
        self.st = st

    def peek(self):
        return self.t[self.pos] if self.pos < len(self.t) else (None, None)

    def take(self):
        tok = self.t[self.pos]
        self.pos += 1
        return tok

    def expr(self) -> bool:
        value = self.conj()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conj()
            value = value or right
        return value

    def conj(self) -> bool:
        value = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.unary()
            value = value and right
        return value

    def unary(self) -> bool:
        kind, tok = self.peek()
        if (kind, tok) == ("op", "!"):
            self.take()
            return not self.unary()
        if (kind, tok) == ("op", "("):
            self.take()
            value = self.expr()
            if self.take() != ("op", ")"):
                raise _Unknown(")")
            return value
        if kind == "word" and tok in ("true", "false"):
            self.take()
            return tok == "true"
        if kind == "op" and tok in ("-f", "-d", "-e", "-s", "-z", "-n", "-L", "-h", "-F", "-U", "-A", "-R"):
            self.take()
            value = self.word()
            if tok == "-z":
                return value == ""
            if tok == "-n":
                return value != ""
            if tok == "-R":
                return _ip_in(self.st.request.client_ip, value)
            test = self.st.file_test("-d" if tok == "-d" else "-l" if tok in ("-L", "-h") else "-f"
                                     if tok in ("-f", "-F", "-U") else "-e", value)
            if test is None:
                raise _Unknown(tok)
            return test
        left = self.word()
        kind, op = self.peek()
        if kind != "op" and not (kind == "word" and op == "in"):
            raise _Unknown(left)
        self.take()
        if op in ("=~", "!~"):
            kind, rx = self.take()
            if kind != "re":
                raise _Unknown(rx)
            body = rx[1:] if rx.startswith("/") else rx[2:]
            sep = "/" if rx.startswith("/") else rx[1]
            flags = re.I if body.endswith(sep + "i") else 0
            body = body[:-2] if body.endswith(sep + "i") else body[:-1]
            found = re.search(body, left, flags) is not None
            return found if op == "=~" else not found
        if op == "in":
            if self.take() != ("op", "{"):
                raise _Unknown("in")
            items = []
            while self.peek() != ("op", "}"):
                items.append(self.word())
                if self.peek() == ("op", ","):
                    self.take()
            self.take()
            return left in items
        right = self.word()
        if op in ("==", "-eq") and op == "==":
            return left == right
        if op == "!=":
            return left != right
        if op == "-ipmatch":
            return _ip_in(left, right)
        if op == "-strmatch":
            import fnmatch
            return fnmatch.fnmatchcase(left, right)
        if op == "-strcmatch":
            import fnmatch
            return fnmatch.fnmatch(left.lower(), right.lower())
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
            a, b = int(left), int(right)
            return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op]
        if op in ("<", ">"):
            return left < right if op == "<" else left > right
        raise _Unknown(op)

    def word(self) -> str:
        kind, tok = self.take()
        if kind == "str":
            body = tok[1:-1]
            return re.sub(r"%\{([^}]+)\}", lambda m: self.var(m.group(1)), body)
        if kind == "var":
            return self.var(tok[2:-1])
        if kind == "word":
            return tok
        raise _Unknown(tok)

    def var(self, name: str) -> str:
        value = self.st.variable(name)
        if value is None:
            raise _Unknown(name)
        return value


def _ip_in(ip: str, spec: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        raise _Unknown(spec) from None
