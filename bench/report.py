"""Prints medians and ratios from the TSV lines the bench scripts collect."""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
with open(sys.argv[1]) as f:
    for line in f:
        workload, target, _round, *values = line.rstrip("\n").split("\t")
        rows[(workload, target)].append([float(v) for v in values])


def median(values, i):
    return statistics.median(v[i] for v in values)


workloads = sorted({w for w, _ in rows}, key=lambda w: list(rows).index((w, "direct")) if (w, "direct") in rows else 0)
for workload in workloads:
    rounds = max(len(v) for (w, _t), v in rows.items() if w == workload)
    print(f"\n{workload}: median of {rounds} rounds (CPU, kernel CPU and context switches of the target's process)")
    print(f"{'target':<12}{'QPS':>10}{'p95 ms':>9}{'QPS/HAProxy':>13}{'CPU us/q':>10}{'CPU/HAProxy':>13}"
          f"{'kernel us/q':>13}{'switches/q':>12}")
    base = rows.get((workload, "haproxy"))
    base_qps = median(base, 0) if base else None
    base_cpu = median(base, 2) if base else None
    for (w, target), values in rows.items():
        if w != workload:
            continue
        qps, p95, cpu, kernel, switches = (median(values, i) for i in range(5))
        ratio = f"{qps / base_qps:.2f}x" if base_qps else "-"
        cpu_ratio = f"{cpu / base_cpu:.2f}x" if base_cpu and cpu else "-"
        measured = cpu > 0
        print(f"{target:<12}{qps:>10.0f}{p95:>9.2f}{ratio:>13}{(f'{cpu:.1f}' if measured else '-'):>10}{cpu_ratio:>13}"
              f"{(f'{kernel:.1f}' if measured else '-'):>13}{(f'{switches:.2f}' if measured else '-'):>12}")
