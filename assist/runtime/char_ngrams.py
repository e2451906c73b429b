"""Hashed character n-gram TF-IDF features, the sentiment model's view of spelling and slang.

A frozen sentence embedding blurs exactly what carries sentiment in short informal text:
elongations ("soooo"), hashtags, emoticons, misspelt swear words. Character 2-5-grams inside
word boundaries (scikit-learn's ``char_wb`` analyser) see them. Measured on our TweetEval dev
split, a logistic regression on these features alone reaches 0.66 macro recall; the WordPiece
bag it replaces reached ~0.62, and in the blend with the embedding MLP it adds about a point.

The n-grams are hashed (CRC-32) into ``BUCKETS`` columns, so the model is two plain arrays (an
idf vector and a weight matrix) instead of a 70k-entry vocabulary, and this one function
computes the features both at build time and in the app: no train/serve drift.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

BUCKETS = 1 << 18
MIN_N, MAX_N = 2, 5
MAX_CHARS = 1000  # a 100 KB paste is scored on its start, like the encoder's 128 tokens


def ngram_buckets(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(buckets, counts) of the byte n-grams of each lower-cased, space-padded word.

    N-grams are taken over the UTF-8 bytes (the same for ASCII, consistent for the rest), and
    hashed with ``map`` + numpy: this runs for every customer message, ~0.1 ms for a tweet.
    """
    grams = [
        padded[start : start + n]
        for word in text[:MAX_CHARS].lower().split()
        for padded in (b" " + word.encode("utf-8") + b" ",)
        for n in range(MIN_N, MAX_N + 1)
        for start in range(len(padded) - n + 1)
    ]
    hashes = np.fromiter(map(zlib.crc32, grams), dtype=np.uint32, count=len(grams))
    buckets, counts = np.unique(hashes & np.uint32(BUCKETS - 1), return_counts=True)
    return buckets.astype(np.int64), counts


def tf_rows(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts (indptr, indices, data) of sublinear term frequencies, one row per text."""
    indptr, indices, data = [0], [], []
    for text in texts:
        buckets, counts = ngram_buckets(text)
        indices.append(buckets)
        data.append((1.0 + np.log(counts)).astype(np.float32))
        indptr.append(indptr[-1] + len(buckets))
    return (
        np.asarray(indptr, dtype=np.int64),
        np.concatenate(indices) if indices else np.zeros(0, np.int64),
        np.concatenate(data) if data else np.zeros(0, np.float32),
    )


def linear_logits(
    texts: Sequence[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """(n, classes) logits of a linear model over L2-normalised tf-idf rows."""
    indptr, indices, data = tf_rows(texts)
    out = np.tile(bias.astype(np.float32), (len(texts), 1))
    for row in range(len(texts)):
        cols = indices[indptr[row] : indptr[row + 1]]
        if len(cols) == 0:
            continue
        values = data[indptr[row] : indptr[row + 1]] * idf[cols]
        values /= max(float(np.linalg.norm(values)), 1e-12)
        out[row] += values @ weights[cols]
    return out
