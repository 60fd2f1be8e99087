#!/usr/bin/env python3
"""Tokens per second of cliprt's tokenizer.json pipeline against the `tokenizers` library (Rust),
one thread each, on the golden corpus of each kind in tests/data/tokenizers/ (development time).
The library is timed through its Python binding, text by text (encode, as transformers' tokenizer
calls reach it per batch) and with encode_batch (the loop in Rust, serial).

    python3 tools/bench_hf_tokenizer.py [BUILD_DIR] [--rounds N]
"""
import argparse
import gzip
import json
import os
import pathlib
import subprocess
import tempfile
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
import tokenizers  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=str(ROOT / "build"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bench = pathlib.Path(args.build) / "bench" / "cliprt_hf_tokenizer_bench"
    print(f"tokenizers {tokenizers.__version__}; {args.rounds} rounds over each corpus, one thread")
    for directory in sorted((ROOT / "tests" / "data" / "tokenizers").iterdir()):
        goldens = directory / "goldens.json.gz"
        if not goldens.exists():
            continue
        texts = [c["text"] for c in json.loads(gzip.open(goldens).read())["cases"]]
        tok = tokenizers.Tokenizer.from_file(str(directory / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        start = time.perf_counter()
        count = 0
        for _ in range(args.rounds):
            for t in texts:
                count += len(tok.encode(t).ids)
        rust = count / (time.perf_counter() - start)
        # encode_batch keeps the loop in Rust (serial: TOKENIZERS_PARALLELISM=false).
        start = time.perf_counter()
        batch_count = 0
        for _ in range(args.rounds):
            batch_count += sum(len(e.ids) for e in tok.encode_batch(texts))
        rust_batch = batch_count / (time.perf_counter() - start)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            for t in texts:
                f.write(json.dumps(t) + "\n")
        out = json.loads(subprocess.check_output([str(bench), str(directory / "tokenizer.json"), f.name,
                                                  str(args.rounds)]))
        os.unlink(f.name)
        assert out["tokens"] == count, (out["tokens"], count)
        cliprt = out["tokens_per_second"]
        print(f"{directory.name:20s} {len(texts)} texts, {count // args.rounds} tokens: tokenizers encode "
              f"{rust:,.0f} tokens/s, encode_batch {rust_batch:,.0f} tokens/s; cliprt {cliprt:,.0f} tokens/s "
              f"({cliprt / rust:.2f}x / {cliprt / rust_batch:.2f}x)")


if __name__ == "__main__":
    main()
