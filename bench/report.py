#!/usr/bin/env python3
"""Tables and charts of a benchmark run (BENCHMARKS.md).

Reads bench/results/results.jsonl (one JSON line per workload, target and concurrency, written
by bench/run.sh), keeps the rows of one label (default: the label of the last line; the last
row wins for a repeated workload/target/concurrency), and writes:

- bench/results/summary.csv: every figure of that label;
- bench/results/summary.md: per workload, a table of req/s, p50, p99 (ms) and errors per
  target at each concurrency, with the ratios ctex/floor and ctex/peer of req/s;
- bench/results/<workload>.png: throughput and latency (p50 solid, p99 dashed) against
  concurrency, one colour per target.

    bench/.venv/bin/python bench/report.py [--label LABEL] [--results PATH]
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["ctex", "base", "floor", "floor-noaudit", "peer"]
NAMES = {
    "ctex": "ctex",
    "base": "ctex (CTEX_BASE build)",
    "floor": "floor (with audit)",
    "floor-noaudit": "floor (no audit)",
    "peer": "PostGraphile v4",
}
COLOURS = {"ctex": "tab:blue", "base": "tab:purple", "floor": "tab:green", "floor-noaudit": "tab:olive", "peer": "tab:red"}
WORKLOADS = {
    "w1": "W1 case(id) with parties, persons, identifiers",
    "w2": "W2 cases(first: 50, province + status) page walk",
    "w3": "W3 openCase + addParty mutations",
    "w4": "W4 identifierHits",
    "net": "network(depth: 3)",
}


def load(path, label):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    if not rows:
        sys.exit(f"no results in {path}")
    label = label or rows[-1]["label"]
    latest = {}
    for r in rows:
        if r["label"] == label:
            latest[(r["workload"], r["target"], r["connections"])] = r
    return label, latest


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label")
    ap.add_argument("--results", default=os.path.join(HERE, "results", "results.jsonl"))
    args = ap.parse_args()
    label, data = load(args.results, args.label)
    out = os.path.dirname(args.results)

    keys = ["workload", "target", "connections", "rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms",
            "max_ms", "errors", "socket_errors", "requests", "rss_kb", "load1", "at"]
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for k in sorted(data):
            w.writerow([data[k].get(c, "") for c in keys])

    md = [f"Run `{label}`.", ""]
    for wl, title in WORKLOADS.items():
        conns = sorted({c for (w, _, c) in data if w == wl})
        if not conns:
            continue
        targets = [t for t in TARGETS if any((wl, t, c) in data for c in conns)]
        md.append(f"### {title}")
        md.append("")
        head = ["conn."]
        for t in targets:
            head += [f"{t} req/s", f"{t} p50", f"{t} p99"]
        if "base" in targets:
            head.append("ctex/base")
        if "floor" in targets:
            head.append("ctex/floor")
        if "floor-noaudit" in targets:
            head.append("ctex/floor-noaudit")
        if "peer" in targets:
            head.append("ctex/peer")
        md.append("| " + " | ".join(head) + " |")
        md.append("|" + "---|" * len(head))
        for c in conns:
            cells = [str(c)]
            for t in targets:
                r = data.get((wl, t, c))
                if r is None:
                    cells += ["", "", ""]
                    continue
                err = r["errors"] + r["socket_errors"]
                rps = f"{r['rps']:,.0f}" + (f" ({err} err)" if err else "")
                cells += [rps, f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}"]
            base = data.get((wl, "ctex", c), {}).get("rps")
            for t in ("base", "floor", "floor-noaudit", "peer"):
                if t in targets:
                    cells.append(ratio(base, data.get((wl, t, c), {}).get("rps")))
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
        rss = {t: max((data[(wl, t, c)]["rss_kb"] for c in conns if (wl, t, c) in data), default=0)
               for t in targets}
        md.append("Peak RSS sampled during the runs (MB): " + ", ".join(
            f"{t} {rss[t] / 1024:.0f}" for t in targets) + ".")
        md.append("")

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        for t in targets:
            xs = [c for c in conns if (wl, t, c) in data]
            if not xs:
                continue
            a1.plot(xs, [data[(wl, t, c)]["rps"] for c in xs], "o-", color=COLOURS[t], label=NAMES[t])
            a2.plot(xs, [data[(wl, t, c)]["p50_ms"] for c in xs], "o-", color=COLOURS[t],
                    label=f"{NAMES[t]} p50")
            a2.plot(xs, [data[(wl, t, c)]["p99_ms"] for c in xs], "s--", color=COLOURS[t],
                    label=f"{NAMES[t]} p99")
        for a in (a1, a2):
            a.set_xscale("log", base=2)
            a.set_xticks(conns)
            a.set_xticklabels([str(c) for c in conns])
            a.set_xlabel("connections (concurrency)")
            a.grid(True, alpha=0.3)
        a1.set_ylabel("requests/s")
        a1.set_ylim(bottom=0)
        a1.set_title("throughput")
        a2.set_ylabel("latency (ms)")
        a2.set_yscale("log")
        a2.set_title("latency: p50 solid, p99 dashed")
        a1.legend(fontsize=8)
        a2.legend(fontsize=7)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"{wl}.png"), dpi=90)
        plt.close(fig)

    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
