#!/usr/bin/env python3
"""Issue 17 at full size: a ViT-B/32-size transformers CLIPModel directory (openai/clip-vit-base-patch32's
sizes, seeded random init, save_pretrained with its CLIPImageProcessor and tokenizer files) run by
transformers (CLIPImageProcessorPil, the Pillow backend, + CLIPModel) and by the cliprt CLI, on
real photos and edge-case images and texts. Prints cosines, token-id agreement and zero-shot
probability differences, and the torchvision backend's difference to the Pillow one.

Development time only (600 MB in a temporary directory; nothing is committed):
    /work/hfsem-venv/bin/python tools/check_hf_semantics_full_size.py [--cliprt build/cliprt] [--backend cpu]
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import skimage
import torch
from PIL import Image
from transformers import CLIPConfig, CLIPImageProcessor, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_hf_semantics_fixtures as fx  # noqa: E402

SKIMAGE = pathlib.Path(skimage.__file__).parent / "data"
IMAGES = [
    ("rocket 640x427 (PNG of skimage's JPEG)", ROOT / "tests/data/hf_semantics/inputs/rocket_640x427.png"),
    ("motorcycle_left 741x500 PNG", SKIMAGE / "motorcycle_left.png"),
    ("chelsea 451x300", ROOT / "tests/data/images/inputs/chelsea.png"),
    ("RGBA, alpha ramp", ROOT / "tests/data/images/inputs/rgba_alpha.png"),
    ("RGBA logo (partial transparency)", ROOT / "tests/data/images/inputs/logo_200.png"),
    ("LA", ROOT / "tests/data/images/inputs/gray_alpha.png"),
    ("mode 1", ROOT / "tests/data/images/inputs/bilevel.png"),
    ("P without tRNS", ROOT / "tests/data/images/inputs/palette.png"),
    ("P with tRNS", ROOT / "tests/data/images/inputs/palette_trns.png"),
    ("I;16 (16-bit gray)", ROOT / "tests/data/images/inputs/gray16.png"),
    ("16-bit RGB", ROOT / "tests/data/images/inputs/rgb16.png"),
    ("1x1", ROOT / "tests/data/images/inputs/tiny_1x1.png"),
    ("3000x40", ROOT / "tests/data/hf_semantics/inputs/wide_3000x40.png"),
    ("L with tRNS key", ROOT / "tests/data/hf_semantics/inputs/gray_trns_key77.png"),
    ("CMYK JPEG (Adobe)", ROOT / "tests/data/hf_semantics/inputs/cmyk_chelsea.jpg"),
    ("YCCK JPEG (Adobe)", ROOT / "tests/data/hf_semantics/inputs/ycck_coffee.jpg"),
    ("rocket JPEG (stb_image decode)", ROOT / "tests/data/images/inputs/rocket.jpg"),
]
LABELS = ["a photo of a rocket", "a motorcycle", "a cat", "a logo", "Tom &amp; Jerry", "日本語の文字", "a white square"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed: {r.stderr}")
    return json.loads(r.stdout)


def cosine(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cliprt", default=str(ROOT / "build" / "cliprt"))
    ap.add_argument("--backend", default="cpu")
    args = ap.parse_args()
    torch.manual_seed(20261201)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        plain = tmp / "vocab"
        plain.mkdir()
        fx.vocabulary_files(plain)
        directory = tmp / "clip-vit-base-patch32-random"
        model = CLIPModel(CLIPConfig()).eval()  # the defaults are openai/clip-vit-base-patch32's sizes
        model.save_pretrained(directory)
        CLIPTokenizer.from_pretrained(plain, model_max_length=77).save_pretrained(directory)
        CLIPImageProcessorPil(**fx.OPENAI).save_pretrained(directory)
        print(f"{directory.name}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, "
              f"files {sorted(p.name for p in directory.iterdir())}")

        tokenizer = CLIPTokenizer.from_pretrained(directory)
        pil = CLIPImageProcessorPil.from_pretrained(directory)
        tv = CLIPImageProcessor.from_pretrained(directory)
        with torch.no_grad():
            feats = {}
            for name, path in IMAGES:
                pixels = pil(Image.open(path), return_tensors="pt")["pixel_values"]
                out = model.get_image_features(pixel_values=pixels)
                feats[name] = getattr(out, "pooler_output", out)[0].numpy()
                tv_pixels = tv(Image.open(path), return_tensors="pt")["pixel_values"]
                std = torch.tensor(fx.OPENAI["image_std"])[:, None, None]
                levels = float(((tv_pixels - pixels).abs() * std * 255).max()) if tv_pixels.shape == pixels.shape else None
                feats[name + " tv"] = levels
            texts = fx.TEXTS
            enc = tokenizer(texts, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
            out = model.get_text_features(**enc)
            text_feats = getattr(out, "pooler_output", out).numpy()
            lab = tokenizer(LABELS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
            out = model.get_text_features(**lab)
            label_feats = getattr(out, "pooler_output", out)
            image_stack = torch.tensor(np.stack([feats[n] for n, _ in IMAGES]))
            a = image_stack / image_stack.norm(dim=-1, keepdim=True)
            b = label_feats / label_feats.norm(dim=-1, keepdim=True)
            probs = (model.logit_scale.exp() * a @ b.T).softmax(dim=-1).numpy()

        base = [args.cliprt]
        common = ["--model", str(directory), "--backend", args.backend]
        ours = run(base + ["embed", *common, "--json", "--image", *[str(p) for _, p in IMAGES]])["embeddings"]
        print(f"\n{'image':40s} {'cosine to transformers':>24s} {'1 - cosine':>11s} {'tv vs Pillow (levels)':>22s}")
        worst_lossless = 1.0
        for (name, path), row in zip(IMAGES, ours):
            c = cosine(row["embedding"], feats[name])
            if "stb_image" not in name:
                worst_lossless = min(worst_lossless, c)
            tvl = feats[name + " tv"]
            print(f"{name:40s} {c:24.10f} {1 - c:11.2e} {tvl if tvl is None else round(tvl, 3)!s:>22s}")
        ours_text = run(base + ["embed", *common, "--json", "--text", *texts])["embeddings"]
        worst_text = min(cosine(r["embedding"], t) for r, t in zip(ours_text, text_feats))
        ids_equal = 0
        for text, row in zip(texts, enc["input_ids"].tolist()):
            got = run(base + ["tokenize", "--model", str(directory), "--context", "77", "--json", text])[0]["ids"]
            ids_equal += got == row
        classify = run(base + ["classify", *common, "--json", "--templates", "none", "--labels", ",".join(LABELS),
                               "--image", *[str(p) for _, p in IMAGES]])["results"]
        dp = [float(np.max(np.abs(np.array(r["probs"]) - probs[i]))) for i, r in enumerate(classify)]
        lossless = [d for d, (n, _) in zip(dp, IMAGES) if "stb_image" not in n]
        print(f"\nimages: min cosine {worst_lossless:.10f} over the {len(lossless)} inputs Pillow and cliprt decode alike")
        print(f"texts: min cosine {worst_text:.10f}; token ids identical on {ids_equal}/{len(texts)} texts")
        print(f"zero-shot ({len(LABELS)} labels, no templates): max |p - p_transformers| {max(lossless):.3g} "
              f"(those inputs), {dp[-1]:.3g} on the stb_image-decoded JPEG")
        ocl = run(base + ["embed", *common, "--preprocess", "open_clip", "--json", "--image", *[str(p) for _, p in IMAGES]])
        print("\nwith --preprocess open_clip (open_clip's rules on the same directory), cosine to transformers:")
        for (name, _), row in zip(IMAGES, ocl["embeddings"]):
            print(f"  {name:40s} {cosine(row['embedding'], feats[name]):.6f}")


if __name__ == "__main__":
    main()
