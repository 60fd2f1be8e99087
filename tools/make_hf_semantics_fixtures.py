#!/usr/bin/env python3
"""Builds tests/data/hf_semantics/: what transformers computes for a CLIPModel directory.

- inputs/: the photos and edge cases that tests/data/images/inputs lacks (rocket and
  motorcycle_left as lossless PNG with odd crop surplus, a 3000x40 strip, an L PNG with a tRNS
  key, CMYK JPEGs written by Pillow (libjpeg, Adobe marker: inverted samples), a YCCK JPEG
  written by tools/write_ycck_jpeg.c (libjpeg; Pillow cannot write YCCK)).
- manifest.json:
  - image_cases: per (input, image processor config) transformers' CLIPImageProcessorPil (the Pillow
    backend) output: the CRC-32 and shape of the uint8 array it rescales (run with do_rescale and
    do_normalize off), samples of pixel_values, and the largest difference to the torchvision
    backend (CLIPImageProcessor) for the record;
  - token_cases: CLIPTokenizer (tokenizers backend) ids, padded to 77 with truncation, from the
    tokenizer.json directory; the same ids are checked here to come from vocab.json + merges.txt;
    - open_clip_cmyk_cases: open_clip's eval transform on the CMYK / YCCK JPEGs (CRC-32, samples);
  - model: a tiny CLIPModel (tests/data/checkpoints/hf_clip_f16 + the files below) run by
    transformers: image and text features, zero-shot probabilities.
- model/: preprocessor_config.json, tokenizer_config.json, special_tokens_map.json and
  tokenizer.json.gz of that tiny directory (the test unpacks tokenizer.json).
- goldens/: the uint8 arrays of the JPEG cases as PNG (stb_image decodes those, not libjpeg; the
  test measures the difference) and of a few lossless cases (readable diagnostics).

The vocabulary is open_clip's bpe_simple_vocab_16e6 written as vocab.json + merges.txt the way the
hub's openai/clip-vit-base-patch32 has it. Development time only:
    /work/hfsem-venv/bin/python tools/make_hf_semantics_fixtures.py
"""
import gzip
import io
import json
import pathlib
import shutil
import struct
import subprocess
import tempfile
import zlib

import numpy as np
import PIL
import skimage
import torch
import transformers
from PIL import Image
from transformers import CLIPImageProcessor, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "hf_semantics"
IMAGES = ROOT / "tests" / "data" / "images" / "inputs"
TINY = ROOT / "tests" / "data" / "checkpoints" / "hf_clip_f16"
SKIMAGE = pathlib.Path(skimage.__file__).parent / "data"
RNG = np.random.default_rng(20261201)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gray_png_with_key(pixels, key):
    h, w = pixels.shape
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + png_chunk(b"tRNS", struct.pack(">H", key)) + png_chunk(b"IDAT", zlib.compress(raw, 9))
            + png_chunk(b"IEND", b""))


def make_inputs():
    inputs = OUT / "inputs"
    if inputs.exists():
        shutil.rmtree(inputs)
    inputs.mkdir(parents=True)
    rocket = Image.open(SKIMAGE / "rocket.jpg").convert("RGB")
    assert rocket.size == (640, 427)
    rocket.save(inputs / "rocket_640x427.png", optimize=True)
    moto = Image.open(SKIMAGE / "motorcycle_left.png").convert("RGB")
    assert moto.size == (741, 500)
    moto.save(inputs / "motorcycle_741x500.jpg", quality=92)  # JPEG: a real photo format, 4:2:0
    # 3000x40: a strip of the coffee photo, stretched, plus noise (lossless).
    coffee = Image.open(SKIMAGE / "coffee.png").convert("RGB")
    strip = np.asarray(coffee.resize((3000, 40), Image.BILINEAR, box=(0, 180, 600, 220))).astype(np.int32)
    strip = np.clip(strip + RNG.integers(-20, 20, size=strip.shape), 0, 255).astype(np.uint8)
    Image.fromarray(strip).save(inputs / "wide_3000x40.png")
    gray = np.asarray(Image.open(SKIMAGE / "camera.png").convert("L").resize((97, 61), Image.BILINEAR))
    gray = gray.copy()
    gray[10:30, 20:60] = 77
    (inputs / "gray_trns_key77.png").write_bytes(gray_png_with_key(gray, 77))
    chelsea = Image.open(SKIMAGE / "chelsea.png").convert("RGB")
    chelsea.convert("CMYK").save(inputs / "cmyk_chelsea.jpg", quality=93)
    # A CMYK whose K and C/M/Y vary independently (not a convert() result, which has K = 0).
    cmyk = np.zeros((90, 130, 4), np.uint8)
    y, x = np.mgrid[0:90, 0:130]
    cmyk[..., 0] = x * 255 // 129
    cmyk[..., 1] = y * 255 // 89
    cmyk[..., 2] = (x + 2 * y) % 256
    cmyk[..., 3] = ((x // 13 + y // 9) % 4) * 70
    Image.fromarray(cmyk, "CMYK").save(inputs / "cmyk_k.jpg", quality=95, subsampling=0)
    with tempfile.TemporaryDirectory() as tmp:
        writer = pathlib.Path(tmp) / "write_ycck_jpeg"
        subprocess.run(["gcc", "-O2", "-o", str(writer), str(ROOT / "tools" / "write_ycck_jpeg.c"), "-ljpeg"], check=True)
        coffee_cmyk = np.asarray(coffee.resize((160, 107), Image.BICUBIC).convert("CMYK")).copy()
        coffee_cmyk[..., 3] = (np.arange(160)[None, :] * 255 // 159).astype(np.uint8)  # a K ramp
        stored = (255 - coffee_cmyk).tobytes()  # Adobe's inverted samples, as Pillow writes CMYK
        jpeg = subprocess.run([str(writer), "160", "107", "92"], input=stored, capture_output=True, check=True).stdout
        (inputs / "ycck_coffee.jpg").write_bytes(jpeg)
    ycck = Image.open(inputs / "ycck_coffee.jpg")
    assert ycck.mode == "CMYK" and ycck.info.get("adobe_transform") == 2, (ycck.mode, ycck.info)


def image_inputs():
    existing = ["chelsea.png", "coffee_300.png", "camera.png", "rgba_alpha.png", "horse.png", "logo_200.png",
                "gray_alpha.png", "gray_alpha16.png", "bilevel.png", "palette.png", "palette_trns.png",
                "green_palette.png", "gray16.png", "rgb16.png", "rgba16.png", "rgb_trns.png", "tiny_1x1.png",
                "small_7x5.png", "odd_3x250.png", "tall_1x4000.png", "palette_trns.gif", "gray.gif",
                "rocket.jpg", "gnome_wood.jpg"]
    new = ["rocket_640x427.png", "motorcycle_741x500.jpg", "wide_3000x40.png", "gray_trns_key77.png",
           "cmyk_chelsea.jpg", "cmyk_k.jpg", "ycck_coffee.jpg"]
    return [("images/inputs/" + n, IMAGES / n) for n in existing] + [("hf_semantics/inputs/" + n, OUT / "inputs" / n)
                                                                     for n in new]


OPENAI = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
          "do_normalize": True, "do_rescale": True, "do_resize": True,
          "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
CONFIGS = {
    "openai_224": OPENAI,
    "tiny_32": dict(OPENAI, crop_size={"height": 32, "width": 32}, size={"shortest_edge": 32}),
    "resize_256_crop_224_bilinear": dict(OPENAI, size={"shortest_edge": 256}, resample=2),
    "squash_64x48_nearest": dict(OPENAI, size={"height": 64, "width": 48}, do_center_crop=False, resample=0),
    "pad_100_to_224": dict(OPENAI, size={"shortest_edge": 100}),
    "rescale_half_no_normalize": dict(OPENAI, rescale_factor=0.5, do_normalize=False,
                                      crop_size={"height": 40, "width": 40}, size={"shortest_edge": 40}),
}


def processor(config, pil=True, **overrides):
    cls = CLIPImageProcessorPil if pil else CLIPImageProcessor
    return cls(**dict(config, **overrides))


def crc32(array):
    return zlib.crc32(np.ascontiguousarray(array).tobytes()) & 0xFFFFFFFF


def open_clip_cmyk_cases():
    import open_clip
    cases = []
    goldens = OUT / "goldens"
    for name in ["cmyk_chelsea.jpg", "cmyk_k.jpg", "ycck_coffee.jpg"]:
        for size in [224, 48]:
            transform = open_clip.image_transform(size, is_train=False)
            to_rgb = transform.transforms[:-2]  # up to the RGB conversion
            rgb = np.asarray(_compose(to_rgb, Image.open(OUT / "inputs" / name)))
            out = transform(Image.open(OUT / "inputs" / name)).numpy()
            c, h, w = out.shape
            picks = [(int(RNG.integers(c)), int(RNG.integers(h)), int(RNG.integers(w))) for _ in range(24)]
            golden = f"{pathlib.Path(name).stem}__open_clip_{size}.png"
            Image.fromarray(rgb).save(goldens / golden)
            cases.append({"input": "hf_semantics/inputs/" + name, "size": size, "golden": golden,
                          "crc32_hwc": crc32(rgb), "samples": [[ch, y, x, float(out[ch, y, x])] for ch, y, x in picks]})
    return cases


def _compose(transforms, image):
    for t in transforms:
        image = t(image)
    return image


def image_cases():
    cases = []
    goldens = OUT / "goldens"
    goldens.mkdir(exist_ok=True)
    for name, path in image_inputs():
        for config_name, config in CONFIGS.items():
            if config_name != "openai_224" and name.endswith(("tall_1x4000.png", "gnome_wood.jpg", "horse.png")):
                continue
            image = Image.open(path)
            case = {"input": name, "config_name": config_name, "config": config, "pil_mode": image.mode}
            raw = processor(config, do_rescale=False, do_normalize=False)(image, return_tensors="np")["pixel_values"][0]
            u8 = raw.astype(np.uint8)
            assert np.array_equal(u8.astype(np.float32), raw)
            hwc = np.moveaxis(u8, 0, -1)
            case["shape"] = list(raw.shape)
            case["crc32_hwc"] = crc32(hwc)
            out = processor(config)(Image.open(path), return_tensors="np")["pixel_values"][0]
            c, h, w = out.shape
            picks = [(0, 0, 0), (2, h - 1, w - 1), (1, h // 2, w // 2)]
            picks += [(int(RNG.integers(c)), int(RNG.integers(h)), int(RNG.integers(w))) for _ in range(29)]
            case["samples"] = [[ch, y, x, float(out[ch, y, x])] for ch, y, x in picks]
            tv = processor(config, pil=False)(Image.open(path), return_tensors="pt")["pixel_values"][0].numpy()
            scale = config["rescale_factor"] / (np.array(config["image_std"])[:, None, None] if config["do_normalize"] else 1)
            case["torchvision_max_levels"] = float(np.max(np.abs(tv - out) / scale)) if tv.shape == out.shape else None
            if name.endswith(".jpg") or config_name == "openai_224" and name.endswith(("rgba_alpha.png", "palette_trns.png")):
                golden = f"{pathlib.Path(name).stem}__{config_name}.png"
                Image.fromarray(hwc).save(goldens / golden)
                case["golden"] = golden
            cases.append(case)
    return cases


TEXTS = [
    "a photo of a cat",
    "Tom &amp; Jerry &lt;3 &quot;cheese&quot; &#39;n&#39; &#x263A; &nbsp;friends",
    "&amp;amp; double escaped &AMP; &copy;2024",
    "emoji 😀🐱‍👤 👩🏽‍🚀 flags 🇯🇵🇫🇷 and ❤️",
    "日本語のテキストと中文字符 한국어 텍스트",
    "Café naïve ﬁancé Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "cafe\u0301 (decomposed) vs café",
    "   leading\ttabs\nnew lines\r\n  and  spaces   ",
    "UPPER lower MiXeD CaSe İstanbul ΣΊΣΥΦΟΣ",
    "it's they're we've I'm you'll he'd 'quoted'",
    "numbers 1234567890 3.14159 1,000,000 #hashtag @user",
    "<|endoftext|> literal special tokens <|startoftext|> inside",
    "mojibake cafÃ© and â€œsmart quotesâ€\x9d",
    "",
    " ".join(f"word{i}" for i in range(120)),
    "a very long caption " * 30,
]


def vocabulary_files(directory):
    """vocab.json + merges.txt from open_clip's BPE file, as the hub's CLIP directories have them."""
    import open_clip.tokenizer as oct
    merges = gzip.open(oct.default_bpe()).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    vocab = list(oct.bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    (directory / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    (directory / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")


def tokenizer_dirs(work):
    plain = work / "vocab_merges"
    plain.mkdir()
    vocabulary_files(plain)
    tok = CLIPTokenizer.from_pretrained(plain, model_max_length=77)
    full = work / "tokenizer_json"
    tok.save_pretrained(full)
    return plain, full


def token_cases(plain, full):
    fast = CLIPTokenizer.from_pretrained(full)
    from_files = CLIPTokenizer.from_pretrained(plain, model_max_length=77)
    cases = []
    for text in TEXTS:
        ids = fast(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
        assert ids == from_files(text, padding="max_length", max_length=77, truncation=True)["input_ids"], text
        unpadded = fast(text)["input_ids"]
        cases.append({"text": text, "ids": ids, "untruncated_length": len(unpadded)})
    return cases


def model_case(full, image_names):
    model_dir = OUT / "model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir()
    work = full.parent / "tiny_model"
    shutil.copytree(full, work)
    for f in ["config.json", "model.safetensors"]:
        shutil.copy(TINY / f, work / f)
    image_processor = processor(CONFIGS["tiny_32"])
    image_processor.save_pretrained(work)
    for f in ["preprocessor_config.json", "tokenizer_config.json"]:
        shutil.copy(work / f, model_dir / f)
    if (work / "special_tokens_map.json").exists():
        shutil.copy(work / "special_tokens_map.json", model_dir / "special_tokens_map.json")
    with open(work / "tokenizer.json", "rb") as src, gzip.GzipFile(model_dir / "tokenizer.json.gz", "wb", mtime=0) as dst:
        dst.write(src.read())

    model = CLIPModel.from_pretrained(work, dtype=torch.float32).eval()
    tokenizer = CLIPTokenizer.from_pretrained(work)
    pil = CLIPImageProcessorPil.from_pretrained(work)
    paths = dict(image_inputs())
    images = [Image.open(paths[n]) for n in image_names]
    labels = ["a photo of a cat", "Tom &amp; Jerry", "日本語", "a rocket 🚀", "a grey square"]
    with torch.no_grad():
        pixels = pil(images, return_tensors="pt")["pixel_values"]
        image_features = model.get_image_features(pixel_values=pixels)
        image_features = getattr(image_features, "pooler_output", image_features)
        enc = tokenizer(TEXTS + labels, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
        text_features = model.get_text_features(**enc)
        text_features = getattr(text_features, "pooler_output", text_features)
        label_features = text_features[len(TEXTS):]
        a = image_features / image_features.norm(dim=-1, keepdim=True)
        b = label_features / label_features.norm(dim=-1, keepdim=True)
        probs = (model.logit_scale.exp() * a @ b.T).softmax(dim=-1)
    return {"images": image_names, "image_features": image_features.tolist(), "texts": TEXTS,
            "text_features": text_features[:len(TEXTS)].tolist(), "labels": labels,
            "label_features": label_features.tolist(), "zero_shot_probs": probs.tolist(),
            "logit_scale": float(model.logit_scale.exp())}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if (OUT / "goldens").exists():
        shutil.rmtree(OUT / "goldens")
    make_inputs()
    cases = image_cases()
    cmyk_cases = open_clip_cmyk_cases()
    with tempfile.TemporaryDirectory() as tmp:
        plain, full = tokenizer_dirs(pathlib.Path(tmp))
        tokens = token_cases(plain, full)
        model_images = ["images/inputs/chelsea.png", "hf_semantics/inputs/rocket_640x427.png",
                        "hf_semantics/inputs/motorcycle_741x500.jpg", "images/inputs/rgba_alpha.png",
                        "images/inputs/gray_alpha.png", "images/inputs/bilevel.png", "images/inputs/palette.png",
                        "images/inputs/palette_trns.png", "images/inputs/gray16.png", "images/inputs/tiny_1x1.png",
                        "hf_semantics/inputs/wide_3000x40.png", "hf_semantics/inputs/cmyk_chelsea.jpg"]
        model = model_case(full, model_images)
    manifest = {
        "about": __doc__.split("\n")[0],
        "versions": {"transformers": transformers.__version__, "Pillow": PIL.__version__, "torch": torch.__version__},
        "image_cases": cases,
        "open_clip_cmyk_cases": cmyk_cases,
        "token_cases": tokens,
        "model": model,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    worst = max((c["torchvision_max_levels"] or 0) for c in cases if not c["input"].endswith(".jpg"))
    print(f"{len(cases)} image cases, {len(tokens)} token cases; torchvision vs Pillow backend: "
          f"max {worst:.3f} levels of 255 on lossless inputs")


if __name__ == "__main__":
    main()
