"""Hashed character n-gram features: the same buckets on every run, tf-idf rows, bounded cost."""

from __future__ import annotations

import zlib

import numpy as np

from assist.runtime.char_ngrams import BUCKETS, MAX_CHARS, linear_logits, ngram_buckets, tf_rows


def _bucket(gram: bytes) -> int:
    return zlib.crc32(gram) & (BUCKETS - 1)


def test_buckets_are_the_crc32_of_each_padded_word_ngram() -> None:
    buckets, counts = ngram_buckets("Ab ab")
    grams = [b" a", b"ab", b"b ", b" ab", b"ab ", b" ab "]  # 2- to 5-grams of " ab "
    expected = {_bucket(g) for g in grams}
    assert set(buckets.tolist()) == expected
    assert counts.sum() == 2 * len(grams)  # lower-cased: both words give the same grams


def test_non_ascii_and_empty_text() -> None:
    buckets, _ = ngram_buckets("Größe ✓")
    assert len(buckets) > 0 and buckets.max() < BUCKETS
    empty, counts = ngram_buckets("   ")
    assert len(empty) == 0 and len(counts) == 0


def test_huge_text_is_scored_on_its_start() -> None:
    text = "refund please " * 10_000
    assert np.array_equal(ngram_buckets(text)[0], ngram_buckets(text[:MAX_CHARS])[0])


def test_tf_rows_are_sublinear_counts() -> None:
    indptr, indices, data = tf_rows(["aa aa", "", "b"])
    assert len(indptr) == 4 and indptr[1] == indptr[2] < indptr[3]  # the empty text: no columns
    first = dict(zip(indices[: indptr[1]].tolist(), data[: indptr[1]].tolist(), strict=True))
    assert first[_bucket(b"aa")] == np.float32(1 + np.log(2))


def test_linear_logits_bias_for_empty_and_weights_for_words() -> None:
    idf = np.ones(BUCKETS, np.float32)
    weights = np.zeros((BUCKETS, 3), np.float32)
    for gram in (b" lo", b"lov", b"ove", b"ve "):
        weights[_bucket(gram), 2] = 1.0  # "love" grams vote positive
    bias = np.array([0.1, 0.2, 0.3], np.float32)
    out = linear_logits(["", "love it", "hate it"], idf, weights, bias)
    np.testing.assert_allclose(out[0], bias)
    assert out[1, 2] > out[2, 2] == np.float32(0.3)
    assert out[1].argmax() == 2
