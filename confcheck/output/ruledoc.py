"""`confcheck rule ID`: a rule's documentation as text (ruff's sections)."""

from __future__ import annotations


def render_rule(rule) -> str:
    doc = rule.doc
    parts = [
        f"{rule.id} {rule.name} ({rule.severity}, {'fixable' if rule.fixable else 'not fixable'}"
        f"{', needs the filesystem' if rule.needs_fs else ', config-only'})",
        "",
        rule.summary,
        "",
        "What it does",
        f"  {doc.what}",
        "",
        "Why the server answers this way",
        f"  {doc.why}",
        "",
        "Example",
        *[f"    {line}" for line in doc.example.splitlines()],
        "",
        "Use instead",
        *[f"    {line}" for line in doc.fixed.splitlines()],
        "",
        "Fix safety",
        f"  {doc.fix_safety}",
    ]
    if doc.references:
        parts += ["", "References", *[f"  {ref}" for ref in doc.references]]
    return "\n".join(parts) + "\n"
