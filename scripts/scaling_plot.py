#!/usr/bin/env python3
"""Epoch time against rows x features: does the work scale linearly, and how close to the
memory-bandwidth limit is it?

Runs `descent bench --json` (epochs only: no mini-batch, no solvers) over a grid of shapes,
and for each shape takes the median full-batch epoch time of the fused kernel, the naive
two-gemv epoch and a streaming read of the same X, all measured in the same process and
interleaved. Writes:
  docs/scaling.json   every measurement, with the machine, OpenBLAS build and load average
  docs/scaling.svg    log-log plot: epoch time against rows x features, one marker shape
                      per feature count, the read pass drawn as the bandwidth limit, and the
                      least-squares slope of log(time) on log(rows x features) for each series
A slope of 1 is linear scaling. The figure is written by hand as SVG (no matplotlib needed).

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/scaling_plot.py [--binary .build/release/descent] [--precision double]
                                  [--max-values 256000000] [--repeats 5] [--out docs]
`make scaling-plot` runs it.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/descent")
parser.add_argument("--precision", default="double", choices=["float", "double"])
parser.add_argument("--rows", default="125000,250000,500000,1000000,2000000,4000000,8000000")
parser.add_argument("--features", default="16,64,256")
parser.add_argument("--max-values", type=int, default=256_000_000,
                    help="skip shapes with more than this many values in X (memory)")
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--out", default="docs")
args = parser.parse_args()

rows_grid = [int(r) for r in args.rows.split(",")]
feature_grid = [int(d) for d in args.features.split(",")]


def log(message):
    print(message, file=sys.stderr, flush=True)


def bench(rows, features):
    command = [args.binary, "bench", "--rows", str(rows), "--features", str(features),
               "--precision", args.precision, "--repeats", str(args.repeats),
               "--batch-sizes", "none", "--methods", "none", "--json", "--quiet"]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


points = []
openblas = None
threads = None
loads = []
for features in feature_grid:
    for rows in rows_grid:
        if rows * features > args.max_values:
            continue
        loads.append(os.getloadavg()[0])
        report = bench(rows, features)
        openblas = report.get("openblas", openblas)
        threads = report.get("threads", threads)
        epoch = report["epoch_seconds"]
        point = {
            "rows": rows, "features": features, "values": rows * features,
            "fused": epoch["fused"]["median"], "two_gemv": epoch["two_gemv"]["median"],
            "read_pass": report["read_pass_seconds"]["median"],
        }
        point["ratio_to_read_pass"] = point["fused"] / point["read_pass"]
        bytes_per_value = 8 if args.precision == "double" else 4
        point["read_gb_per_second"] = rows * features * bytes_per_value / point["read_pass"] / 1e9
        points.append(point)
        log("{:>9} x {:<4} fused {:9.3f} ms  two-gemv {:9.3f} ms  read {:9.3f} ms  ratio {:.2f}  ({:.1f} GB/s)".format(
            rows, features, point["fused"] * 1e3, point["two_gemv"] * 1e3, point["read_pass"] * 1e3,
            point["ratio_to_read_pass"], point["read_gb_per_second"]))


def slope(series, key):
    """Least-squares slope of log(time) on log(values): 1 means linear scaling."""
    xs = [math.log(p["values"]) for p in series]
    ys = [math.log(p[key]) for p in series]
    if len(xs) < 2:
        return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else float("nan")


summary = {}
for features in feature_grid:
    series = [p for p in points if p["features"] == features]
    if series:
        summary[str(features)] = {key: slope(series, key) for key in ("fused", "two_gemv", "read_pass")}
all_slope = {key: slope(points, key) for key in ("fused", "two_gemv", "read_pass")}
ratios = sorted(p["ratio_to_read_pass"] for p in points if p["values"] >= 16_000_000)
median_ratio = ratios[len(ratios) // 2] if ratios else float("nan")
log("slope of log(time) on log(rows x features), all shapes: fused {:.3f}, two-gemv {:.3f}, read pass {:.3f}".format(
    all_slope["fused"], all_slope["two_gemv"], all_slope["read_pass"]))
log("median fused / read-pass ratio at >= 1.6e7 values: {:.2f}".format(median_ratio))

os.makedirs(args.out, exist_ok=True)
machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "openblas": openblas, "threads": threads, "precision": args.precision,
           "load_average_during_run": [min(loads), max(loads)] if loads else None,
           "date": time.strftime("%Y-%m-%d")}
try:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                machine["cpu"] = line.split(":", 1)[1].strip()
                break
except OSError:
    pass
with open(os.path.join(args.out, "scaling.json"), "w") as handle:
    json.dump({"machine": machine, "points": points, "slopes": {"all": all_slope, "by_features": summary},
               "median_ratio_to_read_pass_large": median_ratio}, handle, indent=1)

# ----------------------------------------------------------------------------- the figure
width, height = 760, 520
left, right, top, bottom = 86, 190, 48, 64
plot_w, plot_h = width - left - right, height - top - bottom
xs = [p["values"] for p in points]
ys = [v for p in points for v in (p["fused"], p["two_gemv"], p["read_pass"])]
x_lo, x_hi = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
y_lo, y_hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
if x_hi == x_lo:
    x_hi += 1
if y_hi == y_lo:
    y_hi += 1


def px(value):
    return left + (math.log10(value) - x_lo) / (x_hi - x_lo) * plot_w


def py(value):
    return top + plot_h - (math.log10(value) - y_lo) / (y_hi - y_lo) * plot_h


markers = {0: "circle", 1: "square", 2: "triangle", 3: "diamond"}
colors = {"fused": "#1f77b4", "two_gemv": "#d62728", "read_pass": "#555555"}
labels = {"fused": "fused epoch", "two_gemv": "two gemv (NumPy-style)", "read_pass": "read X once (limit)"}


def marker(shape, x, y, color, filled=True):
    fill = color if filled else "white"
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{color}" stroke-width="1.5"/>'
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{fill}" stroke="{color}" stroke-width="1.5"/>'
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f}" '
                f'fill="{fill}" stroke="{color}" stroke-width="1.5"/>')
    return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" '
            f'fill="{fill}" stroke="{color}" stroke-width="1.5"/>')


svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
       f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{left + plot_w / 2}" y="24" text-anchor="middle" font-size="15">'
       f'Full-batch epoch time vs rows × features ({args.precision}, {threads} threads)</text>']
for exponent in range(x_lo, x_hi + 1):
    x = px(10 ** exponent)
    svg.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#e5e5e5"/>')
    svg.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">10<tspan dy="-6" font-size="9">{exponent}</tspan></text>')
for exponent in range(y_lo, y_hi + 1):
    y = py(10 ** exponent)
    svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
    seconds = 10 ** exponent
    text = f"{seconds * 1e3:g} ms" if seconds < 1 else f"{seconds:g} s"
    svg.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
svg.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>')
svg.append(f'<text x="{left + plot_w / 2}" y="{height - 18}" text-anchor="middle">rows × features (values in X)</text>')
svg.append(f'<text transform="translate(22,{top + plot_h / 2}) rotate(-90)" text-anchor="middle">seconds per epoch (median)</text>')
# Slope-1 guide through the median read-pass time per value.
per_value = sorted(p["read_pass"] / p["values"] for p in points)[len(points) // 2]
# Clip the guide y = per_value * x to the plotted box.
lo_v = max(10 ** x_lo, 10 ** y_lo / per_value)
hi_v = min(10 ** x_hi, 10 ** y_hi / per_value)
if lo_v < hi_v:
    svg.append(f'<line x1="{px(lo_v):.1f}" y1="{py(per_value * lo_v):.1f}" x2="{px(hi_v):.1f}" '
               f'y2="{py(per_value * hi_v):.1f}" stroke="#999" stroke-dasharray="5,4"/>')
for index, features in enumerate(feature_grid):
    series = sorted((p for p in points if p["features"] == features), key=lambda p: p["values"])
    for key in ("read_pass", "two_gemv", "fused"):
        if len(series) > 1:
            path = " ".join(f"{px(p['values']):.1f},{py(p[key]):.1f}" for p in series)
            svg.append(f'<polyline points="{path}" fill="none" stroke="{colors[key]}" stroke-width="1" opacity="0.6"/>')
        for p in series:
            svg.append(marker(markers[index % 4], px(p["values"]), py(p[key]), colors[key], key != "read_pass"))
legend_x, legend_y = left + plot_w + 16, top + 10
for row, key in enumerate(("fused", "two_gemv", "read_pass")):
    y = legend_y + row * 20
    svg.append(f'<line x1="{legend_x}" y1="{y}" x2="{legend_x + 18}" y2="{y}" stroke="{colors[key]}" stroke-width="2"/>')
    svg.append(f'<text x="{legend_x + 24}" y="{y + 4}">{labels[key]}</text>')
for row, features in enumerate(feature_grid):
    y = legend_y + 76 + row * 20
    svg.append(marker(markers[row % 4], legend_x + 9, y, "#333"))
    fitted = summary.get(str(features), {}).get("fused", float("nan"))
    svg.append(f'<text x="{legend_x + 24}" y="{y + 4}">d = {features} (slope {fitted:.2f})</text>')
y = legend_y + 76 + len(feature_grid) * 20 + 14
svg.append(f'<line x1="{legend_x}" y1="{y}" x2="{legend_x + 18}" y2="{y}" stroke="#999" stroke-dasharray="5,4"/>')
svg.append(f'<text x="{legend_x + 24}" y="{y + 4}">slope 1 (linear)</text>')
svg.append(f'<text x="{legend_x}" y="{y + 30}" font-size="11">fused/read median {median_ratio:.2f}</text>')
svg.append(f'<text x="{legend_x}" y="{y + 46}" font-size="11">(shapes ≥ 1.6·10<tspan dy="-5" font-size="8">7</tspan><tspan dy="5"> values)</tspan></text>')
svg.append(f'<text x="{legend_x}" y="{y + 66}" font-size="10" fill="#555">{machine["cpu"][:30]}</text>')
svg.append(f'<text x="{legend_x}" y="{y + 80}" font-size="10" fill="#555">{machine["cores"]} cores, {machine["date"]}</text>')
svg.append("</svg>")
with open(os.path.join(args.out, "scaling.svg"), "w") as handle:
    handle.write("\n".join(line for line in svg if line) + "\n")
log(f"wrote {args.out}/scaling.svg and {args.out}/scaling.json")
