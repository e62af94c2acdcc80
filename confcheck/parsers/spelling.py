"""Typos: a directive name no table knows, close to one that is known."""

from __future__ import annotations


def one_edit(a: str, b: str) -> bool:
    """Are `a` and `b` one insertion, deletion, substitution or swap apart?"""
    if a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (
            i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def near(name: str, known) -> bool:
    """Is `name` one edit away from one of `known` (names of the same case)?"""
    return any(abs(len(k) - len(name)) <= 1 and one_edit(name, k) for k in known)
