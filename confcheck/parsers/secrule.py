"""ModSecurity's rule language, read from parsed Apache-syntax nodes with spans.

Apache's reader (apache_parser) has already split each directive into words
the way httpd does (quotes, `\\"`, backslash-newline continuation), keeping each
word's raw text and span. This module reads inside those words: the targets of
a SecRule (`ARGS|!REQUEST_COOKIES:/__utm/`), its operator (`!@rx ...`), its
action list (`id:942100,phase:2,ctl:ruleRemoveTargetById=942100;ARGS:content`),
and the removals and updates that change other rules. Every piece keeps the
span of its exact bytes (file:line:column, patchable).

The action and target lists follow ModSecurity 2.9's msre_parse_generic
(apache2/re.c): names end at `:`, `,`, `|` or white space; a value is either
up to `,`, `|` or white space, or single-quoted with `\\'` and `\\\\` as the
only escapes; pairs are separated by any run of white space, `,` and `|`.
libmodsecurity 3 (nginx) reads the CRS the same way.

msc_pyparser (the CRS project's parser) was evaluated and is not used: it
gives a line per rule and per action but no column or byte offsets (nothing to
patch at), stops at the first directive it does not know (Debian's own
/etc/nginx/modsecurity.conf: SecRequestBodyJsonDepthLimit), raises instead
of recovering, and takes 4 s for CRS 3.3 (PLY) where this reader takes a
fraction of Apache's own parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.parsers.syntax import Arg, Node
from confcheck.source import Diagnostics, Span

CODE = "modsecurity"

RULE = "secrule"
ACTION = "secaction"
MARKER = "secmarker"
DEFAULT_ACTION = "secdefaultaction"
REMOVE = {"secruleremovebyid": "id", "secruleremovebytag": "tag", "secruleremovebymsg": "msg"}
UPDATE_TARGET = {"secruleupdatetargetbyid": "id", "secruleupdatetargetbytag": "tag",
                 "secruleupdatetargetbymsg": "msg"}
UPDATE_ACTION = "secruleupdateactionbyid"
PHASES = {"request": 2, "response": 4, "logging": 5}
DISRUPTIVE = frozenset({"allow", "block", "deny", "drop", "pass", "pause", "proxy", "redirect"})


# -- words with the byte offset of every character ----------------------------

@dataclass(frozen=True, slots=True)
class Text:
    """The value of a word as the server sees it, with where each character came from."""

    source: object            # SourceFile
    text: str
    offsets: tuple[int, ...]  # byte offset of text[i]; one more entry: the end

    def span(self, start: int, end: int) -> Span:
        """Span of text[start:end]: from the first character's bytes to the last's end."""
        if end <= start:
            return Span(self.source, self.offsets[start], self.offsets[start])
        return Span(self.source, self.offsets[start], self._end_of(end - 1))

    def _end_of(self, i: int) -> int:
        # the character's own byte length (a quote escape makes offsets jump)
        return self.offsets[i] + len(self.text[i].encode("utf-8", "surrogateescape"))


def arg_text(arg: Arg) -> Text:
    """`arg`'s value with the byte offset of each character, walking its raw text as
    httpd's ap_getword_conf did: `\\<newline>` joins lines, `\\\\` is one backslash and
    `\\<quote>` inside quotes the quote. Falls back to the whole word's start when the walk disagrees with
    the reader's value (never expected: a test holds it on the whole CRS)."""
    raw, quote, base = arg.raw, arg.quote, arg.span.start
    ascii_ = raw.isascii()
    byte_at = None if ascii_ else _byte_offsets(raw)
    i, end = (1, len(raw) - 1 if len(raw) > 1 and raw.endswith(quote) else len(raw)) if quote else (0, len(raw))
    chars: list[str] = []
    offsets: list[int] = []
    while i < end:
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt == "\n":
                i += 2
                continue
            if nxt == "\r" and raw[i + 2:i + 3] == "\n":
                i += 3
                continue
            if nxt == "\\" or (quote and nxt == quote):
                i += 1
                c = nxt
        chars.append(c)
        offsets.append(base + (i if ascii_ else byte_at[i]))
        i += 1
    text = "".join(chars)
    if text != arg.value:
        return Text(arg.span.source, arg.value, tuple([base] * len(arg.value)) + (arg.span.end,))
    offsets.append(base + (end if ascii_ else byte_at[end]) if end <= len(raw) else arg.span.end)
    return Text(arg.span.source, text, tuple(offsets))


def _byte_offsets(raw: str) -> list[int]:
    out, b = [], 0
    for ch in raw:
        out.append(b)
        b += len(ch.encode("utf-8", "surrogateescape"))
    out.append(b)
    return out


# -- lists of name[:value] pairs ------------------------------------------------

@dataclass(slots=True)
class Pair:
    name: str
    value: str | None
    span: Span                 # name through the value's end (its closing quote included)
    name_span: Span
    value_span: Span | None    # the value without its quotes
    quoted: bool = False


def parse_pairs(word: Text, what: str, diags: Diagnostics) -> list[Pair]:
    """msre_parse_generic over `word` (`what` names it in messages)."""
    s, n, out = word.text, len(word.text), []
    p = 0
    while True:
        while p < n and (s[p].isspace() or s[p] in ",|"):
            p += 1
        if p >= n:
            return out
        start = p
        while p < n and s[p] not in "|:," and not s[p].isspace():
            p += 1
        name, name_end = s[start:p], p
        value = value_span = None
        quoted = False
        if p < n and s[p] == ":":
            p += 1
            if p < n and s[p] == "'":
                quoted = True
                p += 1
                vstart, chars = p, []
                while True:
                    if p >= n:
                        diags.add(f"ModSecurity: missing closing quote in the {what}", word.span(vstart - 1, n),
                                  code=CODE)
                        return out
                    if s[p] == "\\":
                        if p + 1 >= n or s[p + 1] not in "'\\":
                            diags.add(f"ModSecurity: invalid quoted pair in the {what}", word.span(p, p + 2),
                                      code=CODE)
                            return out
                        p += 1
                    elif s[p] == "'":
                        break
                    chars.append(s[p])
                    p += 1
                value, value_span = "".join(chars), word.span(vstart, p)
                p += 1
            else:
                vstart = p
                while p < n and s[p] not in "|," and not s[p].isspace():
                    p += 1
                value, value_span = s[vstart:p], word.span(vstart, p)
        out.append(Pair(name, value, word.span(start, p), word.span(start, name_end), value_span, quoted))


# -- statements -----------------------------------------------------------------

@dataclass(slots=True)
class Target:
    collection: str            # as written, without ! or &: ARGS, REQUEST_HEADERS, TX ...
    selector: str | None       # content, /^json\./, 'x' ...
    exclude: bool              # !ARGS:foo
    count: bool                # &ARGS
    span: Span

    @property
    def text(self) -> str:
        sel = f":{self.selector}" if self.selector is not None else ""
        return f"{'!' if self.exclude else ''}{'&' if self.count else ''}{self.collection}{sel}"


@dataclass(slots=True)
class Rule:
    """A SecRule or SecAction, with the rules chained to it."""

    node: Node
    targets: list[Target]
    operator: str              # rx, pm, eq ... (no @); "" for SecAction
    operator_arg: str
    negated: bool
    operator_span: Span | None
    actions: list[Pair]
    chain: list["Rule"] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "SecAction" if self.node.key == ACTION else "SecRule"

    def all_actions(self, name: str) -> list[Pair]:
        key = name.lower()
        return [a for a in self.actions if a.name.lower() == key]

    def action(self, name: str) -> Pair | None:
        found = self.all_actions(name)
        return found[-1] if found else None

    @property
    def id(self) -> int | None:
        a = self.action("id")
        return _int(a.value) if a is not None else None

    @property
    def phase(self) -> int | None:
        """The rule's own phase, None when it takes SecDefaultAction's."""
        a = self.action("phase")
        if a is None or a.value is None:
            return None
        return PHASES.get(a.value.lower(), _int(a.value))

    @property
    def tags(self) -> list[str]:
        return [a.value for a in self.all_actions("tag") if a.value is not None]

    @property
    def msg(self) -> str | None:
        a = self.action("msg")
        return a.value if a is not None else None

    @property
    def paranoia_level(self) -> int | None:
        """CRS's paranoia level, from its `paranoia-level/N` tag."""
        for tag in self.tags:
            if tag.startswith("paranoia-level/"):
                return _int(tag.split("/", 1)[1])
        return None

    @property
    def disruptive(self) -> str | None:
        found = [a.name.lower() for a in self.actions if a.name.lower() in DISRUPTIVE]
        return found[-1] if found else None

    @property
    def span(self) -> Span:
        return self.node.span

    def ctls(self) -> list["Ctl"]:
        """Its ctl: actions and those of the rules chained to it (they run when the chain matches)."""
        out = [ctl for a in self.all_actions("ctl") if (ctl := parse_ctl(a)) is not None]
        for sub in self.chain:
            out += sub.ctls()
        return out


@dataclass(slots=True)
class Ctl:
    """One ctl:option=value action; for ruleRemoveTarget*, `target` is what follows `;`."""

    option: str                # as written: ruleRemoveTargetById, ruleEngine ...
    value: str
    target: str | None
    action: Pair

    @property
    def key(self) -> str:
        return self.option.lower()


def parse_ctl(action: Pair) -> Ctl | None:
    if action.value is None or "=" not in action.value:
        return None
    option, _, value = action.value.partition("=")
    target = None
    if option.lower().startswith("ruleremovetarget") and ";" in value:
        value, _, target = value.partition(";")
    return Ctl(option.strip(), value.strip(), target.strip() if target is not None else None, action)


@dataclass(slots=True)
class Marker:
    node: Node
    name: str


@dataclass(slots=True)
class Removal:
    """SecRuleRemoveById/ByTag/ByMsg: `by` is id, tag or msg; one value per word."""

    node: Node
    by: str
    values: list[tuple[str, Span]]

    def matches(self, rule: Rule) -> bool:
        return any(_selects(self.by, value, rule) for value, _ in self.values)


@dataclass(slots=True)
class UpdateTarget:
    """SecRuleUpdateTargetById/ByTag/ByMsg: add (or, with `!`, exclude) targets of the selected rules."""

    node: Node
    by: str
    selector: str
    selector_span: Span
    targets: list[Target]
    replaced: str | None

    def matches(self, rule: Rule) -> bool:
        return _selects(self.by, self.selector, rule)


@dataclass(slots=True)
class UpdateAction:
    node: Node
    id: str
    actions: list[Pair]

    def matches(self, rule: Rule) -> bool:
        return _selects("id", self.id, rule)


@dataclass(slots=True)
class DefaultAction:
    node: Node
    actions: list[Pair]

    @property
    def phase(self) -> int | None:
        for a in reversed(self.actions):
            if a.name.lower() == "phase" and a.value is not None:
                return PHASES.get(a.value.lower(), _int(a.value))
        return None


Statement = Rule | Marker | Removal | UpdateTarget | UpdateAction | DefaultAction
RULE_LANGUAGE = frozenset({RULE, ACTION, MARKER, DEFAULT_ACTION, UPDATE_ACTION, *REMOVE, *UPDATE_TARGET})


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip().strip("'\""))
    except ValueError:
        return None


def id_in(spec: str, rule_id: int | None) -> bool:
    """Does the id or range `spec` ("942100", "942100-942199") take in `rule_id`?"""
    if rule_id is None:
        return False
    spec = spec.strip().strip("'\"")
    low, dash, high = spec.partition("-")
    if dash and low.strip().isdigit() and high.strip().isdigit():
        return int(low) <= rule_id <= int(high)
    return spec.isdigit() and int(spec) == rule_id


def _selects(by: str, value: str, rule: Rule) -> bool:
    import re
    if by == "id":
        return any(id_in(part, rule.id) for part in value.split(","))
    try:
        pattern = re.compile(value)
    except re.error:
        return False
    if by == "tag":
        return any(pattern.search(tag) for tag in rule.tags)
    return rule.msg is not None and pattern.search(rule.msg) is not None


def parse_targets(word: Text, diags: Diagnostics) -> list[Target]:
    out = []
    for pair in parse_pairs(word, "target list", diags):
        name, exclude, count = pair.name, False, False
        while name[:1] in ("!", "&"):
            exclude |= name[0] == "!"
            count |= name[0] == "&"
            name = name[1:]
        if not name:
            diags.add("ModSecurity: a target without a name", pair.span, code=CODE)
            continue
        out.append(Target(name, pair.value, exclude, count, pair.span))
    return out


def _operator(word: Text) -> tuple[str, str, bool, Span]:
    """ModSecurity: `[!]@name arg`, or a bare regular expression (@rx)."""
    s = word.text
    p, negated = 0, False
    if s.startswith("!"):
        p, negated = 1, True
    if s[p:p + 1] != "@":
        return "rx", s[p:], negated, word.span(0, len(s))
    q = p + 1
    while q < len(s) and not s[q].isspace():
        q += 1
    name = s[p + 1:q]
    arg = s[q:].lstrip()
    return name, arg, negated, word.span(0, len(s))


def read_statement(node: Node, diags: Diagnostics) -> Statement | None:
    """The rule-language statement `node` holds (None for other directives, or when its
    words are unreadable: a diagnostic says where)."""
    key = node.key
    args = node.args
    if key == RULE:
        if len(args) < 2:
            return None  # httpd itself refuses the count (apache_args: TAKE23)
        targets = parse_targets(arg_text(args[0]), diags)
        op, op_arg, negated, op_span = _operator(arg_text(args[1]))
        actions = parse_pairs(arg_text(args[2]), "action list", diags) if len(args) > 2 else []
        return Rule(node, targets, op, op_arg, negated, op_span, actions)
    if key == ACTION:
        if not args:
            return None
        return Rule(node, [], "", "", False, None, parse_pairs(arg_text(args[0]), "action list", diags))
    if key == MARKER:
        return Marker(node, args[0].value.strip("'\"")) if args else None
    if key == DEFAULT_ACTION:
        return DefaultAction(node, parse_pairs(arg_text(args[0]), "action list", diags)) if args else None
    if key in REMOVE:
        values = []
        for arg in args:
            if REMOVE[key] == "id":
                text = arg_text(arg)
                # v2 takes "1 2 5-10" as words; a word may also hold "1,2" (libmodsecurity)
                for part in parse_pairs(text, "id list", diags):
                    values.append((part.name, part.name_span))
            else:
                values.append((arg.value, arg.span))
        return Removal(node, REMOVE[key], values)
    if key in UPDATE_TARGET:
        if len(args) < 2:
            return None
        return UpdateTarget(node, UPDATE_TARGET[key], args[0].value, args[0].span,
                            parse_targets(arg_text(args[1]), diags),
                            args[2].value if len(args) > 2 else None)
    if key == UPDATE_ACTION:
        if len(args) < 2:
            return None
        return UpdateAction(node, args[0].value, parse_pairs(arg_text(args[1]), "action list", diags))
    return None


def read_statements(nodes, diags: Diagnostics) -> list[Statement]:
    """The rule-language statements of `nodes` (in the order the engine reads them),
    chained SecRules folded into the rule that starts the chain."""
    out: list[Statement] = []
    head: Rule | None = None
    for node in nodes:
        if node.key not in RULE_LANGUAGE:
            continue
        stmt = read_statement(node, diags)
        if stmt is None:
            continue
        if head is not None and isinstance(stmt, Rule):
            head.chain.append(stmt)
            if stmt.action("chain") is None:
                head = None
            continue
        if head is not None:
            diags.add("ModSecurity: a chained rule is not followed by the rule that completes it",
                      head.span, code=CODE)
            head = None
        out.append(stmt)
        if isinstance(stmt, Rule) and stmt.action("chain") is not None:
            head = stmt
    if head is not None:
        diags.add("ModSecurity: a chained rule is not followed by the rule that completes it", head.span, code=CODE)
    return out
