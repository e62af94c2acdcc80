"""One phase of the nginx reading layer, for counting its instructions (run by hand).

    valgrind --tool=callgrind python benchmarks/reading_phase.py PHASE TREE_DIR

PHASE: none (imports and reading the files only: subtract it), lex (every
TREE_DIR/sites/*.conf), load (load_nginx of TREE_DIR/nginx.conf) or validate
(load, then validate as `scan` does). Cyclic GC off, as `scan` reads. Run it
with PYTHONPATH=OTHER_CHECKOUT to count another checkout (e.g. main's).
"""

from __future__ import annotations

import gc
import glob
import sys

gc.disable()

from confcheck.parsers import nginx_directives, nginx_lexer  # noqa: E402
from confcheck.parsers.nginx_loader import load_nginx  # noqa: E402
from confcheck.servers.coverage import nginx_unloaded_directives  # noqa: E402
from confcheck.source import Diagnostics  # noqa: E402
import crossplane.analyzer  # noqa: E402,F401  (validate's table: imported in every phase)

phase, tree = sys.argv[1], sys.argv[2]
files = [open(path, "rb").read() for path in sorted(glob.glob(tree + "/sites/*.conf"))]
if phase == "lex":
    for data in files:
        nginx_lexer.lex(data)
elif phase in ("load", "validate"):
    config = load_nginx(tree + "/nginx.conf", Diagnostics())
    if phase == "validate":
        nginx_directives.validate(config, Diagnostics(), nginx_unloaded_directives)
