#!/usr/bin/env python
"""Build the unsupervised character / word clusters used as CRF NER features.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python scripts/build_ner_clusters.py \
        [--news-dir D] [--out kg/resources/models/ner-clusters-v1.tsv]

Learned from the raw news corpus in the shared data folder (``news/*.txt``;
Traditional files converted with OpenCC t2s), no annotations involved:

* characters (normalised as in ``kg.nlp.crf._norm_char``) with frequency >= 5:
  counts of the neighbouring characters at offsets -2, -1, +1, +2 (the most frequent
  context characters), positive PMI, SVD to 100 dims, unit length, k-means (k=256);
* jieba words (private Tokenizer, HMM on) of >= 2 characters with frequency >= 5:
  counts of the previous / next word, same PPMI + SVD + k-means (k=256).

Each cluster id also gets a coarse id (k-means with k=32 over the fine centroids),
written as ``fine/coarse``. Output: one ``kind<TAB>item<TAB>fine<TAB>coarse`` line
per item (kind ``c`` = character, ``w`` = word), sorted. Deterministic (fixed seeds,
single-threaded BLAS).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kg.nlp import crf  # noqa: E402


def read_corpus(news_dir: Path) -> list[str]:
    import opencc

    t2s = opencc.OpenCC("t2s")
    lines: list[str] = []
    for p in sorted(news_dir.glob("*.txt")):
        trad = "hant" in p.name
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if trad:
                    line = t2s.convert(line)
                lines.append("".join(crf._norm_char(c) for c in line))
    return lines


def ppmi_svd(pairs: Counter, items: list[str], ctxs: list[str], dim: int) -> np.ndarray:
    ii = {x: k for k, x in enumerate(items)}
    ci = {x: k for k, x in enumerate(ctxs)}
    M = np.zeros((len(items), len(ctxs)), dtype=np.float64)
    for (a, b), n in pairs.items():
        i = ii.get(a)
        j = ci.get(b)
        if i is not None and j is not None:
            M[i, j] += n
    tot = M.sum()
    rs = M.sum(1, keepdims=True)
    cs = M.sum(0, keepdims=True) ** 0.75  # context distribution smoothing
    cs = cs / cs.sum() * tot
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(M * tot / (rs * cs))
    pmi[~np.isfinite(pmi)] = 0.0
    pmi = np.maximum(pmi, 0.0)
    # randomized truncated SVD (fixed seed, 4 power iterations)
    rng = np.random.RandomState(0)
    Q = pmi @ rng.standard_normal((pmi.shape[1], dim + 20))
    for _ in range(4):
        Q, _r = np.linalg.qr(Q)
        Q, _r = np.linalg.qr(pmi.T @ Q)
        Q = pmi @ Q
    Q, _r = np.linalg.qr(Q)
    Ub, S, _ = np.linalg.svd(Q.T @ pmi, full_matrices=False)
    U = Q @ Ub
    X = U[:, :dim] * np.sqrt(S[:dim])
    X /= np.linalg.norm(X, axis=1, keepdims=True) + 1e-12
    return X


def kmeans(X: np.ndarray, k: int, seed: int = 0, iters: int = 40, weights=None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    n = len(X)
    # k-means++ init
    cent = [X[rng.randint(n)]]
    d2 = ((X - cent[0]) ** 2).sum(1)
    for _ in range(1, k):
        p = d2 / d2.sum()
        c = X[rng.choice(n, p=p)]
        cent.append(c)
        d2 = np.minimum(d2, ((X - c) ** 2).sum(1))
    C = np.array(cent)
    w = np.ones(n) if weights is None else weights
    lab = np.zeros(n, dtype=np.int64)
    for _ in range(iters):
        dist = (X ** 2).sum(1)[:, None] - 2 * X @ C.T + (C ** 2).sum(1)[None, :]
        new = dist.argmin(1)
        if np.array_equal(new, lab) and _ > 0:
            break
        lab = new
        for j in range(k):
            m = lab == j
            if m.any():
                C[j] = (X[m] * w[m, None]).sum(0) / w[m].sum()
    return lab, C


def cluster(X: np.ndarray, k: int, kc: int) -> tuple[np.ndarray, np.ndarray]:
    lab, C = kmeans(X, k)
    # relabel fine clusters deterministically by their coarse cluster
    clab, _ = kmeans(C / (np.linalg.norm(C, axis=1, keepdims=True) + 1e-12), kc, seed=1)
    return lab, clab[lab]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--news-dir", default=None)
    ap.add_argument("--out", default=str(REPO / "kg" / "resources" / "models" / "ner-clusters-v1.tsv"))
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--k-coarse", type=int, default=32)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--minfreq", type=int, default=5)
    ap.add_argument("--char-ctx", type=int, default=3000)
    ap.add_argument("--max-words", type=int, default=30000)
    ap.add_argument("--word-ctx", type=int, default=4000)
    args = ap.parse_args(argv)
    if args.news_dir:
        news = Path(args.news_dir)
    else:
        from kg import datasets as D

        news = D.default_data_dir() / "news"
    t0 = time.time()
    lines = read_corpus(news)
    print(f"{len(lines)} lines, {sum(map(len, lines))} chars ({time.time() - t0:.1f}s)", flush=True)

    # characters
    cf = Counter()
    for ln in lines:
        cf.update(ln)
    chars = sorted([c for c, n in cf.items() if n >= args.minfreq and not c.isspace()], key=lambda c: (-cf[c], c))
    cctx = chars[:args.char_ctx]
    pairs: Counter = Counter()
    for ln in lines:
        s = "\x02\x02" + ln + "\x03\x03"
        for off in (-2, -1, 1, 2):
            a = s[2:-2]
            b = s[2 + off:len(s) - 2 + off]
            pairs.update(zip(a, (f"{off}{x}" for x in b)))
    ctx_items = [f"{o}{c}" for o in (-2, -1, 1, 2) for c in cctx + ["\x02", "\x03"]]
    Xc = ppmi_svd(pairs, chars, ctx_items, args.dim)
    lc, lcc = cluster(Xc, args.k, args.k_coarse)
    print(f"chars: {len(chars)} ({time.time() - t0:.1f}s)", flush=True)

    # words
    seg = crf._Segmenter()
    wf = Counter()
    wpairs: Counter = Counter()
    for ln in lines:
        toks = ["<s>"] + [ln[s:e] for s, e in seg.words(ln) if not ln[s:e].isspace()] + ["</s>"]
        wf.update(toks[1:-1])
        wpairs.update(zip(toks[1:-1], ("L" + x for x in toks[:-2])))
        wpairs.update(zip(toks[1:-1], ("R" + x for x in toks[2:])))
    byfreq = sorted(wf, key=lambda w: (-wf[w], w))
    words = [w for w in byfreq if len(w) >= 2 and wf[w] >= args.minfreq][:args.max_words]
    wctx_words = byfreq[:args.word_ctx] + ["<s>", "</s>"]
    wctx = [f"{side}{w}" for side in "LR" for w in wctx_words]
    Xw = ppmi_svd(wpairs, words, wctx, args.dim)
    lw, lwc = cluster(Xw, args.k, args.k_coarse)
    print(f"words: {len(words)} ({time.time() - t0:.1f}s)", flush=True)

    rows = [("c", c, int(a), int(b)) for c, a, b in zip(chars, lc, lcc)]
    rows += [("w", w, int(a), int(b)) for w, a, b in zip(words, lw, lwc)]
    rows.sort()
    out = Path(args.out)
    with open(out, "w", encoding="utf-8") as f:
        f.write(f"# kg CRF NER clusters v1: built by scripts/build_ner_clusters.py from {news.name}/*.txt; "
                f"k={args.k} coarse={args.k_coarse} dim={args.dim}\n")
        for kind, item, a, b in rows:
            f.write(f"{kind}\t{item}\t{a}\t{b}\n")
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB) in {time.time() - t0:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
