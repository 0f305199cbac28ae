"""Prints medians and ratios from the TSV lines the bench scripts collect."""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
with open(sys.argv[1]) as f:
    for line in f:
        workload, target, _round, qps, p95, cpu = line.rstrip("\n").split("\t")
        rows[(workload, target)].append((float(qps), float(p95), float(cpu)))

workloads = sorted({w for w, _ in rows}, key=lambda w: list(rows).index((w, "direct")) if (w, "direct") in rows else 0)
for workload in workloads:
    rounds = max(len(v) for (w, _t), v in rows.items() if w == workload)
    print(f"\n{workload}: median of {rounds} rounds")
    print(f"{'target':<10}{'QPS':>12}{'p95 ms':>10}{'QPS/HAProxy':>14}{'CPU us/query':>14}{'CPU/HAProxy':>13}")
    base = rows.get((workload, "haproxy"))
    base_qps = statistics.median(r[0] for r in base) if base else None
    base_cpu = statistics.median(r[2] for r in base) if base else None
    for (w, target), values in rows.items():
        if w != workload:
            continue
        qps = statistics.median(v[0] for v in values)
        p95 = statistics.median(v[1] for v in values)
        cpu = statistics.median(v[2] for v in values)
        ratio = f"{qps / base_qps:.2f}x" if base_qps else "-"
        cpu_ratio = f"{cpu / base_cpu:.2f}x" if base_cpu and cpu else "-"
        cpu_text = f"{cpu:.1f}" if cpu else "-"
        print(f"{target:<10}{qps:>12.0f}{p95:>10.2f}{ratio:>14}{cpu_text:>14}{cpu_ratio:>13}")
