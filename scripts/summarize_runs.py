#!/usr/bin/env python3
"""Markdown tables from finished ml-train runs: accuracy per rule, and the
alignment to backprop at the end of training per layer.

  scripts/summarize_runs.py runs/bp runs/fa runs/dfa ...
"""
import csv
import os
import sys


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(dirs):
    if not dirs or dirs[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if dirs else 2
    # The test set chooses nothing: a run is reported at the epoch of its best validation accuracy (ml-train
    # --val), the first such epoch; without a validation split, at its last epoch.
    print("| run | epochs | val-selected epoch | val acc | test acc there | final test acc | final train loss | "
          "samples/s (median epoch) |")
    print("|---|---|---|---|---|---|---|---|")
    for d in dirs:
        m = read(os.path.join(d, "metrics.csv"))
        with_val = [r for r in m if r.get("val_acc")]
        pick = max(with_val, key=lambda r: (float(r["val_acc"]), -int(r["epoch"]))) if with_val else m[-1]
        val = f"{100 * float(pick['val_acc']):.2f}" if with_val else "-"
        rates = sorted(float(r["samples_per_s"]) for r in m)
        print(f"| {os.path.basename(d.rstrip('/'))} | {len(m)} | {pick['epoch']} | {val} | "
              f"{100 * float(pick['test_acc']):.2f} | {100 * float(m[-1]['test_acc']):.2f} | "
              f"{float(m[-1]['train_loss']):.4f} | {rates[len(rates) // 2]:.0f} |")
    print()
    print("Alignment at the end of training (last epoch's last batch), degrees; feedback norm ratio ||B||/||W||:")
    print()
    print("| run | layer | update angle | delta angle | feedback angle | norm ratio |")
    print("|---|---|---|---|---|---|")
    for d in dirs:
        path = os.path.join(d, "alignment.csv")
        if not os.path.exists(path):
            continue
        rows = read(path)
        last_epoch = max(int(r["epoch"]) for r in rows)
        last_batch = max(int(r["batch"]) for r in rows if int(r["epoch"]) == last_epoch)
        table = {}
        for r in rows:
            if int(r["epoch"]) == last_epoch and int(r["batch"]) == last_batch:
                table.setdefault(r["layer"], {})[r["metric"]] = float(r["value"])
        for layer, v in table.items():
            cell = lambda k, f="{:.1f}": f.format(v[k]) if k in v else "-"
            print(f"| {os.path.basename(d.rstrip('/'))} | {layer} | {cell('update_angle_deg')} | "
                  f"{cell('delta_angle_deg')} | {cell('feedback_angle_deg')} | {cell('feedback_norm_ratio', '{:.2f}')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
