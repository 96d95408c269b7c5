#!/usr/bin/env python3
"""Refreshes dashboard/src/map/data/ from the npm package @svg-maps/vietnam (CC BY 4.0).

The package draws the 63 provinces and cities of the pre-2025 arrangement (and the
Hoàng Sa and Trường Sa archipelagos) as SVG paths in an 812×873 view box. Resolution
202/2025/QH15 merged whole provinces, so the 34 units of 2025 are exact unions of the
old shapes: this script dissolves them (shapely), simplifies the outlines and writes
one line per unit: `key<TAB>absolute path data`. The old→new table is the same one the
dashboard uses (dashboard/src/map/provinces.rs), read from its MERGERS block.

Usage: scripts/refresh-vietnam-map.py [@svg-maps/vietnam@VERSION]
Needs: npm, python3 with shapely (pip install shapely); then cargo test -p emc-dashboard map
"""
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

from shapely.geometry import Polygon
from shapely.ops import unary_union

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "dashboard/src/map/data")
TOLERANCE = 0.35  # view-box units (~0.4 km): invisible at dashboard sizes


def unpack(spec, tmp):
    name = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(tmp, name)) as tar:
        tar.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def mergers():
    """(old svg-maps id, new key) pairs from provinces.rs's MERGERS block."""
    src = open(os.path.join(ROOT, "dashboard/src/map/provinces.rs"), encoding="utf-8").read()
    block = src.split("// MERGERS-BEGIN")[1].split("// MERGERS-END")[0]
    pairs = re.findall(r'\(\s*"([a-z-]+)"[^&]*&\[([^\]]*)\]', block)
    table = {}
    for key, olds in pairs:
        for old in re.findall(r'"([a-z]+)"', olds):
            table[old] = key
    return table


def numbers(s):
    return [float(x) for x in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", s)]


def rings(d):
    """SVG path data (m l h v c z, absolute or relative) -> list of rings."""
    out, ring = [], []
    x = y = 0.0
    start = (0.0, 0.0)
    for cmd, args in re.findall(r"([MmLlHhVvCcZz])([^MmLlHhVvCcZz]*)", d):
        n = numbers(args)
        rel = cmd.islower()
        c = cmd.lower()
        if c == "z":
            if len(ring) >= 3:
                out.append(ring)
            ring = []
            x, y = start
            continue
        if c == "m":
            if len(ring) >= 3:
                out.append(ring)
            x, y = (x + n[0], y + n[1]) if rel else (n[0], n[1])
            start = (x, y)
            ring = [(x, y)]
            n = n[2:]
            c = "l"  # further pairs are line-tos
        step = {"l": 2, "h": 1, "v": 1, "c": 6}[c]
        for i in range(0, len(n) - step + 1, step):
            a = n[i:i + step]
            if c == "l":
                x, y = (x + a[0], y + a[1]) if rel else (a[0], a[1])
            elif c == "h":
                x = x + a[0] if rel else a[0]
            elif c == "v":
                y = y + a[0] if rel else a[0]
            else:  # cubic: keep its end point (the curves are tiny coastline details)
                x, y = (x + a[4], y + a[5]) if rel else (a[4], a[5])
            ring.append((x, y))
    if len(ring) >= 3:
        out.append(ring)
    return out


def shape(d):
    polys = [Polygon(r).buffer(0) for r in rings(d)]
    return unary_union([p for p in polys if not p.is_empty])


def path_data(geom):
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            pts = list(ring.coords)[:-1]
            if len(pts) < 3:
                continue
            parts.append("M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + "Z")
    return "".join(parts)


def main():
    spec = sys.argv[1] if len(sys.argv) > 1 else "@svg-maps/vietnam"
    table = mergers()
    with tempfile.TemporaryDirectory() as tmp:
        pkg = unpack(spec, tmp)
        text = open(os.path.join(pkg, "index.js"), encoding="utf-8").read()
        data = json.loads(text[text.index("{"):].rstrip().rstrip(";"))
        version = json.load(open(os.path.join(pkg, "package.json")))["version"]
        groups = {}
        for loc in data["locations"]:
            key = table.get(loc["id"])
            if key is None:
                sys.exit(f"{spec}: location {loc['id']!r} ({loc['name']}) is in no 2025 unit")
            groups.setdefault(key, []).append(shape(loc["path"]))
        missing = set(table.values()) - set(groups)
        if missing:
            sys.exit(f"{spec}: no shape for {sorted(missing)}")
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "vietnam-34.tsv"), "w", encoding="utf-8") as f:
            f.write(f"# viewBox\t{data['viewBox']}\n")
            for key in sorted(groups):
                # buffer(0.3)/buffer(-0.3) closes the hairline gaps between old neighbours.
                merged = unary_union(groups[key]).buffer(0.3).buffer(-0.3)
                f.write(f"{key}\t{path_data(merged.simplify(TOLERANCE))}\n")
        with open(os.path.join(pkg, "LICENSE.md"), encoding="utf-8") as src:
            open(os.path.join(OUT, "LICENSE.md"), "w", encoding="utf-8").write(src.read())
        with open(os.path.join(OUT, "SOURCE"), "w", encoding="utf-8") as f:
            f.write(f"npm @svg-maps/vietnam {version} (CC BY 4.0), dissolved into the 34 units "
                    "of Resolution 202/2025/QH15 by scripts/refresh-vietnam-map.py\n")


if __name__ == "__main__":
    main()
