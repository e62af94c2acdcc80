"""Does httpd accept this regular expression? Asked of libpcre2, the library httpd links.

httpd compiles section and directive regexes with PCRE2 (server/util_pcre.c,
ap_regcomp). Python's `re` disagrees with PCRE2 both ways (`(?<name>...)`,
`\\Q...\\E`, `[[:alpha:]]` are PCRE2 only; a few Python patterns are not PCRE2),
so a verdict from `re` alone could refuse a configuration httpd starts with.
The answer here comes from pcre2_compile itself; without the library it is
None (unknown) and nothing is refused for it.
"""

from __future__ import annotations

import ctypes
import re
from functools import lru_cache

# PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY: AP_REG_DEFAULT (and ICASE) as util_pcre.c maps them;
# none of them changes whether a pattern compiles, they are given for fidelity
_CASELESS, _DOTALL, _DOLLAR_ENDONLY = 0x00000008, 0x00000020, 0x00000010


_PCRE_NAMES = re.compile(r"\(\?<([A-Za-z_]\w*)>|\(\?'([A-Za-z_]\w*)'")


def python_pattern(pattern: str) -> str:
    """PCRE2's named groups, `(?<name>...)` and `(?'name'...)`, in Python's spelling."""
    return _PCRE_NAMES.sub(lambda m: f"(?P<{m.group(1) or m.group(2)}>", pattern)


@lru_cache(maxsize=1)
def _library():
    # the soname first: find_library runs `ldconfig -p` (a process, and subprocess, shutil and
    # tempfile to import), which every Apache scan would pay
    for candidate in ("libpcre2-8.so.0", None):
        if candidate is None:
            from ctypes.util import find_library
            candidate = find_library("pcre2-8")
            if not candidate:
                continue
        try:
            lib = ctypes.CDLL(candidate)
        except OSError:
            continue
        compile_ = lib.pcre2_compile_8
        compile_.restype = ctypes.c_void_p
        compile_.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                             ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
        free = lib.pcre2_code_free_8
        free.restype = None
        free.argtypes = [ctypes.c_void_p]
        return compile_, free
    return None


def pcre_available() -> bool:
    """Can regexes be judged by libpcre2 here (else the reader judges none)?"""
    return _library() is not None


@lru_cache(maxsize=4096)
def pcre_compiles(pattern: str, icase: bool = False) -> bool | None:
    """True or False as httpd's PCRE2 compiles `pattern`; None when libpcre2 is not here."""
    lib = _library()
    if lib is None:
        return None
    compile_, free = lib
    data = pattern.encode("utf-8", "surrogateescape")
    if b"\0" in data:
        return False       # httpd passes a C string: the pattern would end there (never a config's intent)
    error = ctypes.c_int(0)
    offset = ctypes.c_size_t(0)
    options = _DOTALL | _DOLLAR_ENDONLY | (_CASELESS if icase else 0)
    code = compile_(data, len(data), options, ctypes.byref(error), ctypes.byref(offset), None)
    if not code:
        return False
    free(code)
    return True
