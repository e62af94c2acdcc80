"""Property: on random modes and owners along a chain, our verdict for
www-data equals the kernel's (obtained by really trying as www-data)."""

from __future__ import annotations

import os

from fshelpers import Tree, errno_of, kernel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confcheck.fs.access import Checker
from confcheck.fs.identity import resolve_identity
from confcheck.fs.live import LiveFs

IDS = st.sampled_from([0, 33, 1000])
MODES = st.integers(min_value=0, max_value=0o777)
NODE = st.tuples(MODES, IDS, IDS)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(chain=st.lists(NODE, min_size=1, max_size=3), leaf=NODE)
def test_random_chain_matches_kernel(chain, leaf):
    t = Tree()
    try:
        path = t.base
        for i, _ in enumerate(chain):
            path = os.path.join(path, f"d{i}")
            os.mkdir(path)
        leaf_path = os.path.join(path, "f")
        with open(leaf_path, "w") as fh:
            fh.write("x")
        os.chown(leaf_path, leaf[1], leaf[2])
        os.chmod(leaf_path, leaf[0])
        path = t.base
        for i, (mode, uid, gid) in enumerate(chain):
            path = os.path.join(path, f"d{i}")
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        fs = LiveFs()
        ck = Checker(fs, resolve_identity(fs, "www-data", "www-data"))
        pairs = [(leaf_path, w) for w in ("read", "stat")] + \
                [(path, w) for w in ("search", "list", "stat")] + \
                [(os.path.join(path, "missing"), "read")]
        assert [errno_of(ck.check(p, w)) for p, w in pairs] == kernel(pairs)
    finally:
        t.remove()
