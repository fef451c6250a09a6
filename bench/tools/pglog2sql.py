#!/usr/bin/env python3
"""Turns PostgreSQL `log_statement = all` lines into runnable SQL.

Reads a server log excerpt on stdin: each `execute <name>: SQL` line with its
`DETAIL:  parameters: $1 = '...', ...` line becomes one statement with the
parameters inlined; `statement: SQL` lines are copied. Writes `;`-terminated
statements to stdout. Used by bench/capture-sql.sh to feed EXPLAIN.
"""
import re
import sys

LINE = re.compile(r"^\S+ \S+ \S+ \[\d+\] \S+ (LOG|DETAIL):\s+(.*)$")


def params(detail):
    out = {}
    for m in re.finditer(r"\$(\d+) = (NULL|'(?:[^']|'')*')", detail):
        out[int(m.group(1))] = m.group(2)
    return out


def main():
    entries = []
    current = None
    for raw in sys.stdin:
        raw = raw.rstrip("\n")
        m = LINE.match(raw)
        if not m:
            if current is not None:
                current[1] += "\n" + raw
            continue
        kind, text = m.groups()
        if kind == "LOG":
            if current is not None:
                entries.append(current)
            ex = re.match(r"execute [^:]+: (.*)$", text, re.S)
            st = re.match(r"statement: (.*)$", text, re.S)
            current = [None, ex.group(1) if ex else (st.group(1) if st else None)]
            if current[1] is None:
                current = None
        elif kind == "DETAIL" and current is not None and text.startswith("parameters:"):
            current[0] = params(text)
    if current is not None:
        entries.append(current)
    for p, sql in entries:
        if p:
            sql = re.sub(r"\$(\d+)\b", lambda m: p.get(int(m.group(1)), m.group(0)), sql)
        print(sql.strip() + ";")


if __name__ == "__main__":
    main()
