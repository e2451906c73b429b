"""TextModels: the one object that owns the encoder session and the heads.

One encoder pass per message gives the embedding that retrieval, the intent head and the
sentiment head all share, so analysing a message costs one MiniLM forward plus a few small
matrix products. ``IntentResult.confidence`` is always the probability of the top class; when the
label is ``other`` the ``reason`` says whether the top class was ``other`` ("out_of_scope") or a
shop intent below the calibrated threshold ("low_confidence").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assist.artifacts import Artifact, ModelError, locate
from assist.runtime.encoder import DIM, SentenceEncoder
from assist.runtime.heads import Heads
from assist.types import TextAnalysis


class TextModels:
    def __init__(
        self,
        encoder: SentenceEncoder,
        heads: Heads,
        encoder_artifact: Artifact,
        heads_artifact: Artifact,
    ) -> None:
        self.encoder = encoder
        self.heads = heads
        self.encoder_artifact = encoder_artifact
        self.heads_artifact = heads_artifact

    @classmethod
    def load(
        cls, root: Path | None = None, threads: int | None = None, spin: bool = True
    ) -> TextModels:
        """Load the current ``encoder`` and ``heads`` artifacts from the model store at ``root``
        (``spin``: see ``SentenceEncoder``)."""
        enc_art = locate("encoder", root)
        heads_art = locate("heads", root)
        trained_on = heads_art.card.get("encoder_recipe_hash")
        if trained_on != enc_art.recipe_hash:
            raise ModelError(
                f"model 'heads' in {heads_art.path} was trained on encoder {trained_on}, but the "
                f"current encoder is {enc_art.recipe_hash}; rebuild it with "
                "`assist models build --force heads`"
            )
        encoder = SentenceEncoder(enc_art.path, threads=threads, spin=spin)
        return cls(encoder, Heads.load(heads_art.path), enc_art, heads_art)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 L2-normalised sentence embeddings (cosine = dot product)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return self.encoder.encode(texts)

    def analyze(self, texts: Sequence[str]) -> list[TextAnalysis]:
        """Embedding + intent + sentiment for each text, in input order."""
        if not texts:
            return []
        emb = self.encode(texts)
        intents = self.heads.intents(emb)
        sentiments = self.heads.sentiments(emb, texts)
        return [
            TextAnalysis(embedding=emb[i], intent=intents[i], sentiment=sentiments[i])
            for i in range(len(texts))
        ]

    def smoke(self) -> None:
        """One tiny inference through every part; raises ModelError naming the file that fails."""
        try:
            result = self.analyze(["where is my order?"])[0]
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(
                f"{self.encoder.model_path}: smoke inference failed ({e}); rebuild it with "
                "`assist models build --force encoder`"
            ) from None
        if not np.isfinite(result.embedding).all():
            raise ModelError(
                f"{self.encoder.model_path}: produced non-finite embeddings; rebuild it with "
                "`assist models build --force encoder`"
            )
