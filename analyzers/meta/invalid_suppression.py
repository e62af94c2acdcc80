"""CC002: a suppression comment without a reason, with an unknown rule, or malformed."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `# confcheck:` comments that are not valid suppressions: no reason after `--`, a "
         "rule id confcheck does not know, a keyword other than `ignore` and `file-ignore`, or a "
         "suppression written after a directive on its line (nginx) instead of on its own line above it. "
         "An invalid suppression silences nothing, so the finding it meant to hide is still shown.",
    why="Not a cause of 403 itself: every accepted exception must say why it is safe, so the next "
        "reader of the config can tell a deliberate `deny all` from a mistake that answers 403.",
    example="# confcheck: ignore NGX105\n"
            "location /app/ { }",
    fixed="# confcheck: ignore NGX105 -- the app answers 403 itself for unknown users\n"
          "location /app/ { }",
    fix_safety="Adding a reason makes the suppression take effect: the finding below it is hidden.",
    references=("https://github.com/confcheck/confcheck/blob/main/docs/rules/README.md#suppressions",),
)


@rule(id="CC002", name="invalid-suppression", severity="error", server="any",
      summary="a suppression comment has no reason, an unknown rule or bad syntax", doc=DOC)
def check(ctx):
    # Made by the suppression pass (confcheck/suppress.py), like CC001.
    return iter(())
