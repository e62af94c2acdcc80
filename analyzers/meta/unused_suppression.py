"""CC001: a suppression comment that silences nothing."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `# confcheck: ignore RULE -- reason` and `# confcheck: file-ignore RULE -- reason` "
         "comments that silenced no finding of a rule that ran. Suppressions of rules that did not "
         "run (a filesystem rule in a `--no-fs` scan, a rule left out by `--select`) are not judged.",
    why="Not a cause of 403 itself: a stale suppression hides the next real problem at that spot. "
        "When the directive below was fixed or moved, the comment outlived its reason, and the next "
        "time the rule fires there (a new `root`, a changed permission) nobody sees it.",
    example="# confcheck: ignore NGX105 -- legacy app needs it\n"
            "root /srv/site;     # NGX105 does not fire here",
    fixed="root /srv/site;",
    fix_safety="Removing the comment changes nothing the server does; it only lets confcheck "
               "report that rule at that directive again.",
    references=("https://docs.astral.sh/ruff/rules/unused-noqa/",),
)


@rule(id="CC001", name="unused-suppression", severity="warning", server="any",
      summary="a suppression comment silences nothing", doc=DOC)
def check(ctx):
    # The findings are made by the suppression pass (confcheck/suppress.py), which
    # runs after every other rule: only then is it known what a comment silenced.
    return iter(())
