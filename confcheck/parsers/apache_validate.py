"""What httpd refuses while it processes a configuration it has read (`apache2 -t`).

httpd walks the tree in file order (ap_process_config_tree, ap_walk_config)
and stops at the first directive its module rejects; confcheck reports every
one, each at its directive, worded as httpd words it (server/config.c
invoke_cmd, server/core.c ap_check_cmd_context and the section handlers):

* a name no loaded module provides: `Invalid command 'X', perhaps misspelled
  or defined by a module not included in the server configuration` (when the
  configuration loads its modules; a lone vhost file does not say which, so
  there only a name no module could have or a typo of httpd's own: `misspelt`);
* a directive whose `where` flags do not meet the context's override mask:
  the main server and `<VirtualHost>` allow RSRC_CONF, Options, FileInfo and
  Indexes (not AuthConfig or Limit); `<Directory>`, `<Location>`, `<Files>`
  and `<If>` allow ACCESS_CONF and every override class; `<Limit>`,
  `<Require*>` keep the mask around them -> `X not allowed in <Parent>
  context` (`X not allowed here` at the top);
* GLOBAL_ONLY directives inside `<VirtualHost>`: `X cannot occur within
  <VirtualHost> section`;
* a wrong argument count for the directive's args_how (`X takes one
  argument, <help>`, `X must be On or Off`, ...);
* `<Directory>`, `<Location>`, `<Files>` without an argument, with two, or
  with a regex PCRE2 does not compile.

`<IfModule>` and the other conditionals are transparent (httpd splices their
contents into the enclosing section); what they skip is not checked; what is
unknown here (`<IfVersion>`, `<IfFile>`, `<Macro>` bodies, sections of
modules we do not model) is not checked either, so nothing is refused on a
guess. Values (`Options`, `Require`, `Order` ...) are checked by the server
model (confcheck/servers/apache/startup.py).
"""

from __future__ import annotations

import re

from confcheck.parsers.apache_args import arg_rule
from confcheck.parsers.apache_directives import directive_info, known_names, providing_modules
from confcheck.parsers.apache_regex import pcre_compiles
from confcheck.parsers.spelling import near
from confcheck.parsers.syntax import Node
from confcheck.source import Diagnostics

SERVER_MASK = frozenset("SOFI")          # (RSRC_CONF | OR_ALL) & ~(OR_AUTHCFG | OR_LIMIT)
DIRECTORY_MASK = frozenset("DLOFAI")     # OR_ALL | ACCESS_CONF
# sections that set OR_ALL|ACCESS_CONF for their contents (core.c dirsection, urlsection,
# filesection, ifsection; mod_proxy's proxysection)
_DIR_SECTIONS = frozenset({"directory", "directorymatch", "location", "locationmatch", "files",
                           "filesmatch", "if", "elseif", "else", "proxy", "proxymatch"})
# sections that keep the mask of the context around them
_KEEP_SECTIONS = frozenset({"limit", "limitexcept", "requireall", "requireany", "requirenone",
                            "requirenotall", "virtualhost"})
# sections whose path argument core.c reads with one ap_getword_conf (a second word is refused)
_ONE_PATH = {"directory": "Directory", "location": "Location", "files": "Files"}
_MATCH = {"directorymatch", "locationmatch", "filesmatch"}
_READ_ONLY = frozenset({"include", "includeoptional"})   # the loader checks them while reading
_INVALID = "Invalid command '{}', perhaps misspelled or defined by a module not included in the server configuration"


_NAME = re.compile(r"<?[A-Za-z0-9_]+")


def misspelt(name: str) -> bool:
    """A name no table knows, in a file read without its modules (a lone vhost): refused only
    when no module could define it (a character other than A-Z 0-9 _) or when it is one edit
    from a directive of httpd's own (`ServerNme`); a third-party module's (WSGIScriptAlias,
    php_value, SecRuleEngine) is fine once loaded, which a lone file cannot tell."""
    if not _NAME.fullmatch(name):
        return True
    lower = name.lower()
    return near(lower, known_names(section=lower.startswith("<")))


class _Context:
    __slots__ = ("mask", "parent", "vhost", "limited", "known")

    def __init__(self, mask, parent, vhost, limited, known):
        self.mask = mask          # override letters allowed here
        self.parent = parent      # canonical name of the enclosing section ("<Directory>") or None
        self.vhost = vhost
        self.limited = limited
        self.known = known        # False: the file may be included anywhere (a lone snippet's top)


def validate_apache(nodes: list[Node], diags: Diagnostics, *, modules: set[str] | None,
                    inactive: set[Node] | frozenset = frozenset(), htaccess: bool = False) -> None:
    """Report what httpd would refuse in `nodes` (a loaded configuration, includes
    expanded). `modules`: every name of every loaded module, None when the
    configuration does not say (no LoadModule: a lone vhost or snippet).
    `htaccess`: a lone .htaccess, whose AllowOverride is not known here: only what
    httpd refuses under any of them (words, section arguments) is reported."""
    _Walker(diags, modules, inactive, htaccess).walk(
        nodes, _Context(SERVER_MASK, None, False, False, modules is not None and not htaccess))


def arg_error(node: Node, parent: str | None = None) -> str | None:
    """What httpd says of one directive's words (count, a module's own checks), or None;
    sections are judged by their handlers."""
    if node.children is not None:
        return None
    info = directive_info(node.name)
    return _arg_error(node) or _module_words(node, info.name if info else node.name, parent)


class _Walker:
    def __init__(self, diags: Diagnostics, modules: set[str] | None, inactive, htaccess: bool) -> None:
        self.diags = diags
        self.modules = modules
        self.inactive = inactive
        self.htaccess = htaccess

    def report(self, message: str, node: Node) -> None:
        self.diags.add(message, node.header_span or node.span, code="refused")

    def walk(self, nodes, ctx: _Context) -> None:
        for node in nodes or ():
            if node.children is None:
                self.directive(node, ctx)
                for inc in node.included:
                    self.walk(inc.nodes, ctx)
                continue
            key = node.key
            if key in ("ifmodule", "ifdefine", "ifdirective", "ifsection"):
                if self.conditional(node):
                    self.walk(node.children, ctx)
                continue
            if key in ("ifversion", "iffile", "macro"):
                continue       # not settled here: nothing inside is claimed
            self.section(node, ctx)

    def conditional(self, node: Node) -> bool:
        """Is this conditional's body read? Unknown (no module list) counts as no."""
        from confcheck.parsers.apache_parser import _test
        if node in self.inactive:
            return False
        key = node.key
        if key == "ifdefine":
            return True        # a false one is in `inactive`
        if self.modules is None:
            return False
        if key == "ifmodule":
            return bool(_test(node, lambda name: name in self.modules))
        return bool(_test(node, lambda name: self.provided(("<" + name) if key == "ifsection" else name)))

    def provided(self, name: str) -> bool:
        mods = providing_modules(name)
        return bool(mods) and self.modules is not None and any(m in self.modules for m in mods)

    # -- one directive or section ---------------------------------------------------

    def known(self, node: Node, shown: str) -> object | None:
        """The directive's table entry when httpd would run it; reports Invalid command."""
        info = directive_info(shown)
        if self.modules is None and info is None and misspelt(shown):
            self.report(_INVALID.format(shown), node)
            return None
        if self.modules is not None and not self.provided(shown):
            if self.partial(shown):
                return None
            self.report(_INVALID.format(shown), node)
            return None
        return info

    def partial(self, name: str) -> bool:
        """An MPM's directive (Listen, StartServers ...) where no MPM is loaded: httpd refuses
        such a configuration anyway (AH00534), but a repository often keeps a main with only
        some of its LoadModule lines, so its MPM directives are not judged."""
        mods = providing_modules(name) or ()
        return bool(mods) and all(m.startswith("mpm_") for m in mods) and \
            not any(m.startswith("mpm_") and m.endswith("_module") for m in self.modules)

    def allowed(self, node: Node, info, ctx: _Context) -> bool:
        if not ctx.known or self.htaccess or "E" in info.flags:
            return True
        if not (set(info.flags) & ctx.mask):
            where = f" not allowed in {ctx.parent} context" if ctx.parent else " not allowed here"
            self.report(info.name + where, node)
            return False
        rule = arg_rule(info.name)
        if rule is not None and rule.global_only and (ctx.vhost or ctx.limited):
            gt = ">" if info.name.startswith("<") else ""
            where = "<VirtualHost> section" if ctx.vhost else "<Limit> or <LimitExcept> section"
            self.report(f"{info.name}{gt} cannot occur within {where}", node)
            return False
        return True

    def directive(self, node: Node, ctx: _Context) -> None:
        if node.key in _READ_ONLY:
            return
        info = self.known(node, node.name)
        if info is None or not self.allowed(node, info, ctx):
            return
        error = arg_error(node, ctx.parent)
        if error is not None:
            self.report(error, node)

    def section(self, node: Node, ctx: _Context) -> None:
        key = node.key
        info = self.known(node, "<" + node.name)
        if info is None or not self.allowed(node, info, ctx):
            return
        if key in _DIR_SECTIONS or key in _KEEP_SECTIONS:
            error = _section_args(node, info.name)
            if error is not None:
                self.report(error, node)
                return
        name = info.name + ">"
        if key in _DIR_SECTIONS:
            inner = _Context(DIRECTORY_MASK, name, ctx.vhost, ctx.limited, True)
        elif key in _KEEP_SECTIONS:
            inner = _Context(ctx.mask, name, ctx.vhost or key == "virtualhost",
                             ctx.limited or key in ("limit", "limitexcept"), ctx.known or key == "virtualhost")
        else:
            return             # <AuthnProviderAlias>, <Lua*>, ...: their contents are not modelled
        self.walk(node.children, inner)


def _section_args(node: Node, canonical: str) -> str | None:
    """core.c's checks of a section's own arguments (missing, several, a regex PCRE2 refuses)."""
    key = node.key
    values = node.values
    if key in ("if", "elseif", "else", "requireall", "requireany", "requirenone", "requirenotall",
               "virtualhost"):
        if key in ("if", "elseif", "virtualhost") and not values:
            return f"{canonical}> directive requires additional arguments"
        return None
    if not values or values == [""]:
        return f"{canonical}> directive requires additional arguments"
    if key in ("limit", "limitexcept", "proxy", "proxymatch"):
        return None
    tilde = values[0] == "~" and key in _ONE_PATH
    rest = values[2:] if tilde else values[1:]
    if rest:
        base = _ONE_PATH.get(key, canonical.lstrip("<"))
        return f"Multiple <{base}> arguments not (yet) supported."
    if tilde or key in _MATCH:
        pattern = values[1] if tilde and len(values) > 1 else values[0]
        if tilde and len(values) < 2:
            return None
        if pcre_compiles(pattern) is False:
            return "Regex could not be compiled"
    return None


def _arg_error(node: Node) -> str | None:
    """config.c invoke_cmd's count check for the directive's args_how."""
    rule = arg_rule(node.name)
    if rule is None:
        return None
    values = node.values
    n = len(values)
    empty = [v == "" for v in values]
    how = rule.how
    suffix = f", {rule.help}" if rule.help else ""
    name = rule.name
    if how == "NO_ARGS":
        return f"{name} takes no arguments" if n else None
    if how == "FLAG":
        return None if n and values[0].lower() in ("on", "off") else f"{name} must be On or Off"
    if how == "TAKE1":
        bad = n != 1 or empty[0]
        text = "takes one argument"
    elif how == "TAKE2":
        bad = n != 2 or empty[0] or empty[1]
        text = "takes two arguments"
    elif how == "TAKE12":
        bad = n == 0 or n > 2 or empty[0]
        text = "takes 1-2 arguments"
    elif how == "TAKE3":
        bad = n != 3 or any(empty)
        text = "takes three arguments"
    elif how == "TAKE23":
        bad = n < 2 or n > 3 or empty[0] or empty[1]
        text = "takes two or three arguments"
    elif how == "TAKE123":
        bad = n == 0 or n > 3 or empty[0]
        text = "takes one, two or three arguments"
    elif how == "TAKE13":
        bad = n == 0 or n > 3 or empty[0] or (n == 2 and not empty[1])
        text = "takes one or three arguments"
    elif how == "ITERATE":
        bad = n == 0 or empty[0]
        text = "requires at least one argument"
    elif how == "ITERATE2":
        bad = n < 2 or empty[0]
        text = "requires at least two arguments"
    else:
        return None            # RAW_ARGS, TAKE_ARGV: the handler checks its own words
    return f"{name} {text}{suffix}" if bad else None


_REDIRECT_WORDS = frozenset({"permanent", "temp", "seeother", "gone"})


def _module_words(node: Node, canonical: str, parent: str | None = None) -> str | None:
    """A few modules' own checks of their words, where a config commonly breaks them:
    mod_setenvif and mod_alias compile their regex when read, TAKE_ARGV handlers count
    their words (a last empty word ends the list), mod_log_config reads its condition.
    `parent`: the enclosing section ("<Location>"), None at the top of a server."""
    key = node.key
    values = node.values
    n = len(values)
    argc = n - 1 if values and values[-1] == "" else n
    if key == "addoutputfilterbytype" and argc < 2:
        return "AddOutputFilterByType requires at least two arguments"
    if key == "listen" and not 1 <= argc <= 2:
        return "Listen requires 1 or 2 arguments."
    if key == "userdir" and (n == 0 or values[0] == ""):
        return "UserDir requires an argument."
    if key in ("alias", "scriptalias") and (n == 1 or (n == 2 and values[1] == "")) \
            and parent not in ("<Location>", "<LocationMatch>"):
        # one handler for both (mod_alias add_alias), one wording
        if parent in ("<Directory>", "<DirectoryMatch>", "<Files>", "<FilesMatch>", "<If>", "<ElseIf>", "<Else>"):
            return f"{canonical} cannot occur within {parent[:-1]}> section"
        if parent in (None, "<VirtualHost>"):
            return "Alias must have two arguments when used globally"
    if key in ("customlog", "transferlog") and n == 3:
        clause = values[2].lower()
        if clause.startswith("env="):
            if clause[4:] in ("", "!"):
                return "missing environment variable name"
        elif clause.startswith("expr="):
            if clause == "expr=":
                return "missing condition"
        else:
            return "error in condition clause"
    regex = None
    icase = False
    if key in ("setenvif", "setenvifnocase") and n >= 1:
        if n == 1 or values[1] == "":
            return f"Missing regular expression for {canonical}"
        regex, icase = values[1], key == "setenvifnocase"
        message = f"{canonical} regex could not be compiled."
    elif key in ("browsermatch", "browsermatchnocase") and n >= 1 and values[0]:
        regex, icase = values[0], key == "browsermatchnocase"
        message = f"{canonical} regex could not be compiled."
    elif key in ("aliasmatch", "scriptaliasmatch") and n == 2:
        regex, message = values[0], "Regular expression could not be compiled."
    elif key == "redirectmatch" and (n == 3 or (n == 2 and values[0].lower() not in _REDIRECT_WORDS
                                                and not values[0].isdigit())):
        regex, message = values[1] if n == 3 else values[0], "Regular expression could not be compiled."
    if regex is not None and pcre_compiles(regex, icase) is False:
        return message
    return None
