"""Generated differential run against real nginx or Apache, by hand (root, Debian's servers).

    python benchmarks/gendiff_nginx.py --count 3000 --seed 7
    python benchmarks/gendiff_nginx.py --server apache --count 3000 --seed 7
    python benchmarks/gendiff_nginx.py --count 3000 --seed 7 --shrink 5 --save /var/tmp/found.yaml

Generates COUNT scenarios (config, tree, requests; tests/realserver/
realserver_harness/gen_nginx.py, or gen_apache.py with --server apache) with the hypothesis seed SEED, runs them on
the real server in batches (one server start per batch) and asks `why` about every
request. Prints the numbers the issue asks for: configs generated and refused
by `nginx -t` / `apache2 -t`, requests, the confident-disagreement rate (why gave a status,
not the real one), the unknown rate (why answered null) and the model
crashes/timeouts; then each kind of miss with how often it happened and one
example. --shrink K shrinks one example of each of the first K kinds with
hypothesis (one real-server run per candidate) and --save writes them in the
scenario-file format (expected statuses are the real server's; add decided_by
or fs_path where the format asks before saving them under
tests/realserver/scenarios/nginx/ or scenarios/apache/).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "realserver"))

from realserver_harness import differential  # noqa: E402
from realserver_harness.session import prerequisites  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=sorted(differential.GENERATORS), default="nginx",
                        help="the server the generated scenarios run on (default nginx)")
    parser.add_argument("--count", type=int, default=2000, help="scenarios to generate (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="hypothesis seed (default 1)")
    parser.add_argument("--batch", type=int, default=differential.BATCH, help="scenarios per server start")
    parser.add_argument("--shrink", type=int, default=0, metavar="K", help="shrink one example of K kinds of miss")
    parser.add_argument("--shrink-budget", type=float, default=180.0, help="seconds per shrink (default 180)")
    parser.add_argument("--save", type=Path, help="write the shrunk examples here (scenario-file YAML)")
    args = parser.parse_args(argv)
    kind = args.server
    reason = prerequisites(kind)
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2

    raws = differential.generate(args.count, args.seed, kind)
    tally = differential.run_all(raws, f"g{args.seed}", batch=args.batch, kind=kind,
                                 progress=lambda t: print(f"  ... {t.configs} configs, {t.requests} requests, "
                                                          f"{len(t.failures())} failures", file=sys.stderr))
    print(f"seed {args.seed}: {tally.summary()}")
    for problem in tally.scan_problems[:20]:
        print(f"  scan: {problem[:200]}")
    for why, n in tally.refusals.most_common(5):
        print(f"  refused {n:4d}x: {why[:160]}")
    kinds = Counter(differential.signature(v) for v in tally.failures())
    examples = {}
    for v in tally.failures():
        examples.setdefault(differential.signature(v), v)
    for sig, n in kinds.most_common():
        v = examples[sig]
        print(f"  {n:5d}  {sig[0]}: real {sig[1]}, why {sig[2]}   e.g. {v.scenario} {v.label}: {v.reason[:160]}")
    entries = []
    for sig, _ in kinds.most_common(args.shrink):
        v = examples[sig]
        index = int(v.scenario.rsplit("-", 1)[1])
        shrunk = differential.shrink(args.count, args.seed, index, sig, budget=args.shrink_budget, kind=kind)
        if shrunk is None:
            print(f"  {v.scenario}: the miss did not come back on a second run (flaky?)")
            continue
        raw, verdicts = shrunk
        entries.append(differential.regression_entry(raw, f"gen-{args.seed}-{index}", verdicts,
                                                     f"generated (seed {args.seed}): {v.label}", kind))
    if entries:
        text = differential.dump_yaml(entries)
        if args.save:
            args.save.write_text(text, encoding="utf-8")
            print(f"wrote {len(entries)} shrunk scenarios to {args.save}")
        else:
            print(text)
    return 1 if tally.failures() or tally.scan_problems else 0


if __name__ == "__main__":
    sys.exit(main())
