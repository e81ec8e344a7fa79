#!/usr/bin/env python3
"""Merge several mmap-probe-output-*.txt files: for every table cell, print the median across
files and (min-max). Usage: summarize-outputs.py FILE... > summary.md"""
import re, statistics, sys

num = re.compile(r"[-+]?\d+(?:\.\d+)?")

def tables(path):
    section, header, rows = None, None, {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("## "):
            section, header = line[3:].split(",")[0].split(":")[0], None
        elif line.startswith("|") and section:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if header is None or not any(num.match(c) for c in cells[1:]):
                header = cells
                rows.setdefault((section, "hdr"), cells)
                continue
            nlead = next(i for i, c in enumerate(cells) if num.match(c) and i > 0)
            if len(header) > 1 and header[1].startswith("every Nth"):
                nlead = 2
            rows[(section, tuple(cells[:nlead]))] = (header, cells[nlead:])
    return rows

files = sys.argv[1:]
data = [tables(f) for f in files]
for key in data[0]:
    if key[1] == "hdr":
        continue
    header, cells = data[0][key]
    outs = []
    for ci, cell in enumerate(cells):
        vals = []
        for d in data:
            if key in d and ci < len(d[key][1]):
                m = num.match(d[key][1][ci])
                if m:
                    vals.append(float(m.group()))
        if not vals:
            outs.append(cell)
            continue
        med = statistics.median(vals)
        fmt = (lambda v: f"{v:.3g}" if abs(v) < 10 else f"{v:.0f}")
        outs.append(f"{fmt(med)} ({fmt(min(vals))}-{fmt(max(vals))})" if len(vals) > 1 else fmt(med))
    print(f"[{key[0][:40]}] " + " | ".join(key[1]) + " || " +
          " | ".join(f"{h}={o}" for h, o in zip(header[len(key[1]):], outs)))
