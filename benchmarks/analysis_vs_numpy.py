#!/usr/bin/python3
"""ml-analyze against the numpy a researcher would otherwise write (float64,
numpy's BLAS), side by side in one run on the same random float32 data:

  correlation RDM   N = 10000, D = 512   (rsatoolbox's definition: 1 - r of centred rows)
  linear CKA        N = 10000, D = 512   (Kornblith's feature_space_linear_cka)
  RBF CKA 0.5       N = 5000,  D = 512   (Kornblith's tutorial: gram_rbf + center_gram + cka)
  debiased linear   N = 5000,  D = 512   (the tutorial's cka(gram_linear, gram_linear, debiased=True))

and the measures of issue 26 on N = 1000 probes of D = 9216 features (a conv map's size), each
numpy reference the same formula through the N x N gram and numpy's eigh, as ml-analyze computes
it (np.linalg.svd of the 1000 x 9216 matrix itself is many times slower on this BLAS):

  procrustes        alpha 1 and alpha 0 (Williams et al. 2021, netrep's partial whitening)
  cca               svcca, pwcca, mean (reduced to 99% of the variance: D >= N - 1)
  knn               mutual nearest neighbours, k = 10 (Huh et al. 2024)

numpy: the median of --repeats in-process timings of the computation alone
(the arrays are already in memory, as float64). ml-analyze: the median of its
own --time "compute" figure (the .npy already read), and of the whole process
wall time (start-up, reading the float32 .npy, writing the CSV/.npy), with its
default --precision auto (mixed at these sizes) and with --precision double. Results must agree to 1e-6
(the RDM: max |difference| over every entry). Prints a markdown table.
Usage: analysis_vs_numpy.py --analyze BUILD/ml-analyze [--repeats 3] [--quick] [--only all|cka|measures]
"""
import argparse
import csv as csv_module
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


# ---- numpy references (float64) ---------------------------------------------------------

def rdm_correlation(x):
    # rsatoolbox calc_rdm correlation, with a BLAS product (x @ x.T: numpy uses syrk)
    ma = x - x.mean(axis=1, keepdims=True)
    ma /= np.sqrt(np.einsum("ij,ij->i", ma, ma))[:, None]
    return 1 - ma @ ma.T


def feature_space_linear_cka(x, y):
    x = x - np.mean(x, 0, keepdims=True)
    y = y - np.mean(y, 0, keepdims=True)
    xty = np.linalg.norm(x.T.dot(y)) ** 2
    return xty / (np.linalg.norm(x.T.dot(x)) * np.linalg.norm(y.T.dot(y)))


def gram_linear(x):
    return x.dot(x.T)


def gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def thin_svd(x):
    # x centred; the smaller gram's eigh, directions below 1e-12 of the largest s^2 dropped
    n, p = x.shape
    lam, w = np.linalg.eigh(x.T @ x if p <= n else x @ x.T)
    lam, w = lam[::-1], w[:, ::-1]
    r = int(np.sum(lam > 1e-12 * lam[0]))
    s = np.sqrt(lam[:r])
    return (x @ w[:, :r] / s if p <= n else w[:, :r]), s


def procrustes(x, y, alpha=1.0):
    # Williams et al. 2021; alpha < 1: X (alpha I + (1 - alpha) (X^T X)^{-1/2}), eigenvalues floored at 1e-10 x max
    def factor(z):
        z = z - z.mean(0)
        if alpha == 1.0 and z.shape[1] <= z.shape[0]:
            return z
        u, s = thin_svd(z)
        return u * (alpha * s + (1 - alpha) * s / np.sqrt(np.maximum(s * s, 1e-10 * s[0] ** 2)))
    fx, fy = factor(x), factor(y)
    nuclear = np.linalg.svd(fx.T @ fy, compute_uv=False).sum()
    return np.arccos(min(1.0, nuclear / (np.linalg.norm(fx) * np.linalg.norm(fy))))


def cca(x, y, method, keep=0.99):
    # svcca: both sides reduced to keep of the variance; mean, pwcca: a side with >= N - 1 features
    n = x.shape[0]
    def basis(z, reduce):
        if not reduce:
            return np.linalg.qr(z)[0]
        u, s = thin_svd(z)
        share = np.cumsum(s ** 2) / np.sum(s ** 2)
        return u[:, :int(np.searchsorted(share, keep - 1e-12)) + 1]
    x, y = x - x.mean(0), y - y.mean(0)
    qa = basis(x, method == "svcca" or x.shape[1] >= n - 1)
    qb = basis(y, method == "svcca" or y.shape[1] >= n - 1)
    w = qa.T @ qb
    if method == "pwcca":  # Morcos et al. 2018, A's canonical variates weighted over A's columns
        p, rho, _ = np.linalg.svd(w, full_matrices=False)
        weights = np.abs((qa @ p).T @ x).sum(axis=1)
        return float((weights * rho).sum() / weights.sum())
    return float(np.linalg.svd(w, compute_uv=False).mean())


def mutual_knn(x, y, k):
    # Huh et al. 2024: centred, rows normalised, k nearest others by inner product
    def neighbours(z):
        z = z - z.mean(0)
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
        s = z @ z.T
        np.fill_diagonal(s, -np.inf)
        return np.argpartition(-s, k - 1, axis=1)[:, :k]
    a, b = neighbours(x), neighbours(y)
    return float((a[:, :, None] == b[:, None, :]).any(axis=2).sum() / (k * x.shape[0]))


# ---- running both sides ------------------------------------------------------------------

def time_numpy(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def time_analyze(cmd, repeats):
    compute, wall, out = [], [], ""
    for _ in range(repeats):
        t = time.perf_counter()
        p = subprocess.run(cmd + ["--time"], capture_output=True, text=True)
        wall.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit("ml-analyze failed: " + " ".join(cmd) + "\n" + p.stderr)
        compute.append(float(re.search(r"compute ([0-9.]+) s", p.stderr).group(1)))
        out = p.stdout
    return statistics.median(compute), statistics.median(wall), out


def csv_fields(text):
    # the first data row of ml-analyze's CSV, by column name (a note may hold quoted commas)
    header, row = csv_module.reader(text.strip().splitlines()[:2])
    return dict(zip(header, row))


def csv_value(text):
    return float(csv_fields(text)["value"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyze", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="N / 4 (a smoke run, not the issue's sizes)")
    ap.add_argument("--only", choices=("all", "cka", "measures"), default="all",
                    help="cka: the RDM and CKA cases; measures: procrustes, cca, knn")
    args = ap.parse_args()
    rows, notes = [], []
    if args.only in ("all", "cka"):
        rows += rdm_cka_cases(args)
    if args.only in ("all", "measures"):
        rows += measure_cases(args, notes)

    print("| analysis | size | numpy (s) | ml-analyze compute (s) | ml-analyze process (s) | speed-up (compute) "
          "| speed-up (process) | max abs diff |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for name, size, t_np, t_c, t_w, diff in rows:
        ok = ok and diff <= 1e-6
        print(f"| {name} | {size} | {t_np:.3f} | {t_c:.3f} | {t_w:.3f} | {t_np / t_c:.1f}x | {t_np / t_w:.1f}x "
              f"| {diff:.1e} |")
    for note in notes:
        print(f"\n{note}")
    print(f"\nmedian of {args.repeats} runs each; all results within 1e-6: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


def measure_cases(args, notes):
    n, d = (250, 2304) if args.quick else (1000, 9216)
    rng = np.random.default_rng(26)
    # A 64-dimensional latent code spread over D features plus noise (99% of the variance in 64
    # directions), B 40 of its dimensions: CCA well posed (a ReLU of the same code needs ~850 of the 999
    # directions for 99%, and most correlations are then 1 by construction; the notes say so).
    z = rng.standard_normal((n, 64), dtype=np.float32)
    a = (z @ rng.standard_normal((64, d), dtype=np.float32) / 8 +
         0.1 * rng.standard_normal((n, d), dtype=np.float32)).astype(np.float32)
    b = (z[:, 16:56] @ rng.standard_normal((40, d), dtype=np.float32) / 6 +
         0.1 * rng.standard_normal((n, d), dtype=np.float32)).astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = os.path.join(tmp, "A.npy"), os.path.join(tmp, "B.npy")
        np.save(pa, a)
        np.save(pb, b)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        cases = (
            ("procrustes, alpha 1", lambda: procrustes(a64, b64, 1.0), ["procrustes"]),
            ("procrustes, alpha 0", lambda: procrustes(a64, b64, 0.0), ["procrustes", "--alpha", "0"]),
            ("svcca", lambda: cca(a64, b64, "svcca"), ["cca", "--method", "svcca"]),
            ("pwcca", lambda: cca(a64, b64, "pwcca"), ["cca", "--method", "pwcca"]),
            ("mean CCA (reduced)", lambda: cca(a64, b64, "mean"), ["cca", "--method", "mean"]),
            ("mutual kNN, k 10", lambda: mutual_knn(a64, b64, 10), ["knn", "--k", "10"]),
        )
        for name, fn, sub in cases:
            t_np, ref = time_numpy(fn, args.repeats)
            t_c, t_w, out = time_analyze([args.analyze, sub[0], pa, pb] + sub[1:], args.repeats)
            rows.append((name, f"N={n} D={d}", t_np, t_c, t_w, abs(csv_value(out) - ref)))
            note = csv_fields(out).get("note", "")
            if note:
                notes.append(f"{name}: {note}")
    return rows


def rdm_cka_cases(args):
    n_big, n_small, d = (2500, 1250, 512) if args.quick else (10000, 5000, 512)

    rng = np.random.default_rng(8)
    a = rng.standard_normal((n_big, d), dtype=np.float32)
    # B shares A's structure (so CKA is neither 0 nor 1); ReLU-like A for the RDM.
    b = (a @ rng.standard_normal((d, d), dtype=np.float32) / np.sqrt(d) +
         rng.standard_normal((n_big, d), dtype=np.float32)).astype(np.float32)
    a = np.maximum(a, 0).astype(np.float32) + 0.01 * rng.standard_normal((n_big, d), dtype=np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, arr in (("A", a), ("B", b), ("A5", a[:n_small]), ("B5", b[:n_small])):
            paths[name] = os.path.join(tmp, name + ".npy")
            np.save(paths[name], arr)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        a5, b5 = a64[:n_small], b64[:n_small]
        exe = [args.analyze]

        # ml-analyze's default (--precision auto: mixed at these sizes) and --precision double,
        # each against the same numpy timing and result.
        variants = (("", []), (", ml-analyze --precision double", ["--precision", "double"]))

        # 1. correlation RDM
        t_np, ref = time_numpy(lambda: rdm_correlation(a64), args.repeats)
        ref[np.diag_indices_from(ref)] = 0  # ml-analyze's diagonal is exactly 0
        rdm_out = os.path.join(tmp, "rdm.npy")
        for label, extra in variants:
            t_c, t_w, _ = time_analyze(exe + ["rdm", paths["A"], "--distance", "correlation", "--npy", rdm_out] +
                                       extra, args.repeats)
            got = np.load(rdm_out, mmap_mode="r")
            diff = float(np.max(np.abs(np.asarray(got) - ref)))
            del got
            os.remove(rdm_out)
            rows.append(("correlation RDM" + label, f"N={n_big} D={d}", t_np, t_c, t_w, diff))
        del ref

        # 2. linear CKA
        t_np, ref = time_numpy(lambda: feature_space_linear_cka(a64, b64), args.repeats)
        for label, extra in variants:
            t_c, t_w, out = time_analyze(exe + ["cka", paths["A"], paths["B"]] + extra, args.repeats)
            rows.append(("linear CKA" + label, f"N={n_big} D={d}", t_np, t_c, t_w, abs(csv_value(out) - ref)))

        # 3. RBF CKA, scale 0.5
        t_np, ref = time_numpy(lambda: cka(gram_rbf(a5, 0.5), gram_rbf(b5, 0.5)), args.repeats)
        for label, extra in variants:
            t_c, t_w, out = time_analyze(exe + ["cka", paths["A5"], paths["B5"], "--kernel", "rbf", "--rbf-scale", "0.5"] +
                                         extra, args.repeats)
            rows.append(("RBF CKA (scale 0.5)" + label, f"N={n_small} D={d}", t_np, t_c, t_w,
                         abs(csv_value(out) - ref)))

        # 4. debiased linear CKA (the tutorial's N x N form)
        t_np, ref = time_numpy(lambda: cka(gram_linear(a5), gram_linear(b5), debiased=True), args.repeats)
        for label, extra in variants:
            t_c, t_w, out = time_analyze(exe + ["cka", paths["A5"], paths["B5"], "--debiased"] + extra, args.repeats)
            rows.append(("debiased linear CKA" + label, f"N={n_small} D={d}", t_np, t_c, t_w,
                         abs(csv_value(out) - ref)))
    return rows


if __name__ == "__main__":
    sys.exit(main())
