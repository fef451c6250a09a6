#!/usr/bin/env python3
"""Sums a flat `perf report --no-children --sort dso,symbol` by component (bench/profile.sh).

Each sample's self time goes to the first component whose pattern matches its symbol (or its
DSO, for the kernel and libc). With LTO much is inlined into callers, so a share is a lower
bound for the component named and "other ctex code" holds what could not be attributed.
"""
import re
import sys

# (component, patterns), first match wins; order matters (sha2::sha512 is ed25519's).
RULES = [
    ("token verification (Ed25519, JWT, base64)",
     ["ed25519", "curve25519", "jsonwebtoken", "jwt", "base64", "auth::", "sha512", "Sha512",
      "scalar", "edwards", "field::", "FieldElement", "backend::serial", "backend::vector"]),
    ("policy (ctex::policy)", ["ctex::policy", "policy::"]),
    ("audit (chain hash, buffer, writer)", ["ctex::audit", "audit::", "sha256", "Sha256",
                                            "compress256"]),
    ("GraphQL (async-graphql: parse, validate, execute)", ["async_graphql", "graphql"]),
    ("JSON (serde_json)", ["serde_json", "serde::", "ryu", "itoa"]),
    ("SQL client and ORM (sqlx, sea-orm, sea-query)", ["sqlx", "sea_orm", "sea_query",
                                                        "postgres", "Pg"]),
    ("HTTP and runtime (hyper, axum, tower, tokio)", ["hyper", "axum", "tower", "tokio", "h2::",
                                                       "http::", "mio", "futures"]),
    ("allocator and memcpy (libc)", ["malloc", "free", "realloc", "calloc", "memcpy", "memmove",
                                     "memset", "memcmp", "_int_", "cfree", "alloc::"]),
    ("other ctex code", ["ctex"]),
]

LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$")


def main():
    totals = {}
    kernel = 0.0
    other = 0.0
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        pct, dso, level, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        if level == "k" or dso.startswith("[kernel"):
            kernel += pct
            continue
        for name, pats in RULES:
            if any(p in sym for p in pats):
                totals[name] = totals.get(name, 0.0) + pct
                break
        else:
            other += pct
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    rows.append(("kernel (syscalls, TCP loopback, scheduling)", kernel))
    rows.append(("unattributed (other libraries, inlined, unknown)", other))
    for name, pct in rows:
        print(f"{pct:6.1f}%  {name}")


if __name__ == "__main__":
    main()
