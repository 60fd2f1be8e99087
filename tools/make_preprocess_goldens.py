#!/usr/bin/env python3
"""Builds the image fixtures and preprocessing goldens of tests/image_test.cpp with open_clip.

tests/data/images/ receives
- inputs/: real photos (Debian python3-skimage data images, gnome-backgrounds renders re-encoded
  as JPEG, downscaled where large) and synthetic edge cases in every mode and format the decoder
  handles (1x1, 1x4000, 4000x1, L, LA, RGBA, P, 1-bit, 2/4/16-bit PNG, GIF, BMP, TGA);
- bad/: files that must fail to decode (empty, truncated, zero-sized, huge header, not an image);
- goldens/: for each (input, preprocess config) the RGB image open_clip's eval transform hands to
  ToTensor (open_clip.image_transform(..., is_train=False) without its last two steps), as PNG;
- manifest.json: the cases, the Pillow mode each input opens in, and samples of open_clip's
  normalized output (checked here to equal ToTensor + Normalize of the golden).

Development time only (needs open_clip, Pillow, numpy, python3-skimage, gnome-backgrounds):
    python3 tools/make_preprocess_goldens.py
"""
import io
import json
import pathlib
import shutil
import struct
import zlib

import numpy as np
import open_clip
import PIL
import torch
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "images"
SKIMAGE = pathlib.Path("/usr/lib/python3/dist-packages/skimage/data")
GNOME = pathlib.Path("/usr/share/backgrounds/gnome")
RNG = np.random.default_rng(20261121)


# ---------------------------------------------------------------------------------------------
# A minimal PNG writer for what Pillow cannot write (16-bit color, 2/4-bit gray, forged headers).

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width, height, depth, color, rows, header=None):
    ihdr = header or struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9))
            + png_chunk(b"IEND", b""))


def pack_bits(values, depth):
    """One row of samples of `depth` bits, most significant first."""
    out, acc, nbits = bytearray(), 0, 0
    for v in values:
        acc = (acc << depth) | int(v)
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Inputs.

def gradient(width, height, channels):
    y, x = np.mgrid[0:height, 0:width]
    planes = [(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + y) * 7) % 256,
              (255 - x * 255 // max(width - 1, 1))]
    return np.stack(planes[:channels], axis=-1).astype(np.uint8)


def noisy(width, height, channels):
    base = gradient(width, height, channels).astype(np.int32)
    noise = RNG.integers(-40, 40, size=base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def write_inputs(inputs):
    files = {}

    def save(name, image, **kwargs):
        image.save(inputs / name, **kwargs)
        files[name] = "synthetic"

    def copy(name, source, note):
        shutil.copy(source, inputs / name)
        files[name] = note

    # Real photos: skimage data images (as shipped, or downscaled with Pillow when large).
    copy("chelsea.png", SKIMAGE / "chelsea.png", "skimage chelsea.png (RGB)")
    copy("camera.png", SKIMAGE / "camera.png", "skimage camera.png (L)")
    copy("horse.png", SKIMAGE / "horse.png", "skimage horse.png (RGBA)")
    copy("green_palette.png", SKIMAGE / "green_palette.png", "skimage green_palette.png (P)")
    copy("rocket.jpg", SKIMAGE / "rocket.jpg", "skimage rocket.jpg (JPEG as shipped)")
    copy("no_time_for_that_tiny.gif", SKIMAGE / "no_time_for_that_tiny.gif", "skimage GIF (animated)")
    Image.open(SKIMAGE / "coffee.png").resize((300, 200), Image.LANCZOS).save(inputs / "coffee_300.png")
    files["coffee_300.png"] = "skimage coffee.png downscaled to 300x200"
    Image.open(SKIMAGE / "logo.png").resize((200, 200), Image.LANCZOS).save(inputs / "logo_200.png")
    files["logo_200.png"] = "skimage logo.png (RGBA) downscaled to 200x200"
    # gnome-backgrounds ships WebP renders; these are JPEG re-encodings of downscaled copies.
    wood = Image.open(GNOME / "wood-l.webp").convert("RGB").resize((640, 360), Image.LANCZOS)
    wood.save(inputs / "gnome_wood.jpg", quality=90)
    files["gnome_wood.jpg"] = "gnome-backgrounds wood-l.webp, 640x360 JPEG q90 4:2:0"
    pixels = Image.open(GNOME / "pixels-l.webp").convert("RGB").resize((480, 480), Image.LANCZOS)
    pixels.save(inputs / "gnome_pixels_progressive.jpg", quality=88, progressive=True, subsampling=0)
    files["gnome_pixels_progressive.jpg"] = "gnome-backgrounds pixels-l.webp, 480x480 progressive JPEG 4:4:4"
    Image.open(SKIMAGE / "camera.png").resize((256, 256), Image.LANCZOS).save(inputs / "camera_gray.jpg", quality=85)
    files["camera_gray.jpg"] = "skimage camera.png as a 256x256 grayscale JPEG"

    # Synthetic edge cases.
    save("tiny_1x1.png", Image.fromarray(np.array([[[200, 30, 90]]], np.uint8)))
    save("tall_1x4000.png", Image.fromarray(noisy(1, 4000, 3)))
    save("wide_4000x1.png", Image.fromarray(noisy(4000, 1, 3)))
    save("odd_3x250.png", Image.fromarray(noisy(3, 250, 3)))
    save("small_7x5.png", Image.fromarray(noisy(7, 5, 3)))
    save("gray_gradient.png", Image.fromarray(noisy(100, 60, 1)[:, :, 0]))
    save("gray_alpha.png", Image.fromarray(noisy(90, 70, 2), "LA"))
    rgba = noisy(120, 80, 4)
    rgba[:20, :, 3] = 0      # fully transparent band
    rgba[20:40, :, 3] = 255  # opaque band
    save("rgba_alpha.png", Image.fromarray(rgba, "RGBA"))
    palette_image = Image.fromarray(RNG.integers(0, 16, size=(48, 64), dtype=np.uint8), "P")
    palette_image.putpalette(RNG.integers(0, 256, size=48, dtype=np.uint8).tolist())
    save("palette.png", palette_image)
    save("palette_trns.png", palette_image, transparency=3)
    save("bilevel.png", Image.fromarray(RNG.integers(0, 2, size=(30, 50), dtype=np.uint8) * 255).convert("1"))
    save("rgb_trns.png", Image.fromarray(noisy(40, 30, 3)), transparency=(10, 20, 30))

    gray16 = (np.mgrid[0:60, 0:80][1] * 13 + RNG.integers(0, 40, size=(60, 80))).astype(">u2")
    (inputs / "gray16.png").write_bytes(png_bytes(80, 60, 16, 0, [r.tobytes() for r in gray16]))
    rgb16 = (noisy(50, 40, 3).astype(np.uint16) * 257 + RNG.integers(0, 256, size=(40, 50, 3))).astype(">u2")
    (inputs / "rgb16.png").write_bytes(png_bytes(50, 40, 16, 2, [r.tobytes() for r in rgb16]))
    rgba16 = (noisy(50, 40, 4).astype(np.uint16) * 257).astype(">u2")
    (inputs / "rgba16.png").write_bytes(png_bytes(50, 40, 16, 6, [r.tobytes() for r in rgba16]))
    la16 = (noisy(50, 40, 2).astype(np.uint16) * 257).astype(">u2")
    (inputs / "gray_alpha16.png").write_bytes(png_bytes(50, 40, 16, 4, [r.tobytes() for r in la16]))
    for depth in (2, 4):
        values = RNG.integers(0, 1 << depth, size=(30, 41))
        (inputs / f"gray{depth}bit.png").write_bytes(
            png_bytes(41, 30, depth, 0, [pack_bits(r, depth) for r in values]))
    for name in ("gray16.png", "rgb16.png", "rgba16.png", "gray_alpha16.png", "gray2bit.png", "gray4bit.png"):
        files[name] = "synthetic"

    # GIF: first frame of a palette image, a transparent one, and a gray ramp (opens as L).
    save("palette.gif", palette_image)
    save("palette_trns.gif", palette_image, transparency=5)
    save("gray.gif", Image.fromarray(noisy(60, 45, 1)[:, :, 0]))
    # BMP and TGA in the modes Pillow writes them.
    save("rgb.bmp", Image.fromarray(noisy(61, 43, 3)))
    save("palette.bmp", palette_image)
    save("gray.bmp", Image.fromarray(noisy(61, 43, 1)[:, :, 0]))
    save("bilevel.bmp", Image.open(inputs / "bilevel.png"))
    save("rgba.bmp", Image.fromarray(noisy(61, 43, 4), "RGBA"))
    save("rgb.tga", Image.fromarray(noisy(61, 43, 3)))
    save("rgba.tga", Image.fromarray(noisy(61, 43, 4), "RGBA"))
    save("gray.tga", Image.fromarray(noisy(61, 43, 1)[:, :, 0]))
    save("palette.tga", palette_image)
    save("rgb_rle.tga", Image.fromarray(noisy(61, 43, 3)), compression="tga_rle")
    return files


def write_bad(bad):
    (bad / "empty.png").write_bytes(b"")
    good = png_bytes(64, 64, 8, 2, [noisy(64, 64, 3)[y].tobytes() for y in range(64)])
    (bad / "truncated.png").write_bytes(good[: len(good) // 2])
    (bad / "truncated_header.png").write_bytes(good[:20])
    buffer = io.BytesIO()
    Image.fromarray(noisy(64, 64, 3)).save(buffer, "JPEG", quality=90)
    (bad / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (bad / "zero_width.png").write_bytes(png_bytes(0, 10, 8, 2, [], struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)))
    (bad / "huge.png").write_bytes(png_bytes(0, 0, 8, 2, [b"\0" * 3], struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)))
    (bad / "huge.gif").write_bytes(b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0\0\0" + b"\x2c" + bytes(9) + b"\x3b")
    (bad / "not_an_image.png").write_bytes(b"hello, this is text and not an image\n")
    for path in sorted(bad.iterdir()):
        try:
            Image.open(path).load()
            raise SystemExit(f"Pillow opens {path}, which should be a bad input")
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001  Pillow raises several kinds
            print(f"  bad/{path.name}: Pillow says {type(e).__name__}: {e}")
    # Pillow reads WebP; cliprt (stb_image) does not and must say so.
    shutil.copy(GNOME / "vnc-l.webp", bad / "unsupported.webp")


# ---------------------------------------------------------------------------------------------
# Goldens.

CONFIGS = {
    "default": {},
    "small64": {"size": 64},
    "squash96": {"size": 96, "resize_mode": "squash"},
    "longest96": {"size": 96, "resize_mode": "longest"},
    "longest96_fill": {"size": 96, "resize_mode": "longest", "fill_color": 128},
    "bilinear96": {"size": 96, "interpolation": "bilinear"},
    "shortest64x96": {"size": [64, 96]},
    "longest80x48": {"size": [80, 48], "resize_mode": "longest"},
    "siglip": {"size": 64, "resize_mode": "squash", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
}
EXTRA_CONFIG_INPUTS = ["chelsea.png", "camera.png", "horse.png", "green_palette.png", "tall_1x4000.png",
                       "gray16.png", "gray_alpha.png", "palette_trns.gif", "bilevel.png", "small_7x5.png",
                       "rocket.jpg", "odd_3x250.png"]


def transform_for(config):
    size = config.get("size", 224)
    return open_clip.image_transform(
        tuple(size) if isinstance(size, list) else size, is_train=False, mean=config.get("mean"),
        std=config.get("std"), resize_mode=config.get("resize_mode"), interpolation=config.get("interpolation"),
        fill_color=config.get("fill_color", 0))


# Inputs checked at the default 224 size; the other format variants (whose point is decoding) use
# small64 to keep the goldens small.
DEFAULT_SIZE_INPUTS = ["chelsea.png", "camera.png", "horse.png", "green_palette.png", "rocket.jpg",
                       "no_time_for_that_tiny.gif", "coffee_300.png", "logo_200.png", "gnome_wood.jpg",
                       "gnome_pixels_progressive.jpg", "camera_gray.jpg", "tiny_1x1.png", "tall_1x4000.png",
                       "wide_4000x1.png", "odd_3x250.png", "small_7x5.png", "gray16.png", "palette.png",
                       "bilevel.png", "gray_alpha.png", "rgba_alpha.png"]


def make_case(inputs, goldens, name, config_name):
    config = CONFIGS[config_name]
    transform = transform_for(config)
    image = Image.open(inputs / name)
    mode = image.mode
    try:
        rgb = transform.transforms[0](image)
    except ValueError as e:
        # e.g. resize mode longest on a 1x4000 image: the short side rounds to 0 pixels.
        print(f"  {name} / {config_name}: open_clip fails: {e}")
        return {"input": name, "pil_mode": mode, "config_name": config_name, "config": config, "error": str(e)}
    for step in transform.transforms[1:-2]:
        rgb = step(rgb)
    assert rgb.mode == "RGB", rgb.mode
    out = transform(Image.open(inputs / name))
    array = np.asarray(rgb)
    # The float output must be ToTensor + Normalize of the RGB golden, in f32 as torch does it.
    mean = torch.tensor(config.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=torch.float32)
    std = torch.tensor(config.get("std", open_clip.OPENAI_DATASET_STD), dtype=torch.float32)
    expected = (torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 255 - mean[:, None, None]) / std[:, None, None]
    assert torch.equal(out, expected), (name, config_name)

    golden = f"{pathlib.Path(name).stem}.{pathlib.Path(name).suffix[1:]}__{config_name}.png"
    if (array[:, :, 0] == array[:, :, 1]).all() and (array[:, :, 1] == array[:, :, 2]).all():
        Image.fromarray(array[:, :, 0]).save(goldens / golden, optimize=True)
    else:
        Image.fromarray(array).save(goldens / golden, optimize=True)
    h, w = array.shape[:2]
    points = [(0, 0, 0), (1, h // 2, w // 3), (2, h - 1, w - 1), (0, h // 3, w - 1), (1, h - 1, 0)]
    return {
        "input": name,
        "pil_mode": mode,
        "config_name": config_name,
        "config": config,
        "golden": golden,
        "shape": list(out.shape),
        "samples": [[c, y, x, float(out[c, y, x])] for c, y, x in points],
        "channel_means": [float(out[c].double().mean()) for c in range(3)],
    }


# Direct Image.resize checks of the resampler (CRC-32 of the result): up and down, one axis only,
# both pass orders, extreme ratios, on inputs of several modes.
RESIZE_INPUTS = ["small_7x5.png", "gray_gradient.png", "gray16.png", "palette.png", "coffee_300.png"]
RESIZE_SIZES = [(1, 1), (2, 3), (7, 5), (13, 5), (7, 11), (224, 3), (3, 224), (40, 40), (99, 17), (17, 99),
                (300, 7), (5, 200), (150, 100), (80, 20), (299, 201), (301, 199), (64, 64)]


def resize_checks(inputs):
    checks = []
    for name in RESIZE_INPUTS:
        image = Image.open(inputs / name)
        for width, height in RESIZE_SIZES:
            for filter_name, resample in (("bicubic", Image.BICUBIC), ("bilinear", Image.BILINEAR)):
                if image.mode == "P" and filter_name == "bilinear":
                    continue  # Pillow resizes P with NEAREST whatever the filter
                out = image.resize((width, height), resample)
                if out.mode == "P":
                    out = out.convert("RGB")  # cliprt keeps palette images as their colors
                data = np.asarray(out).astype("<u2" if out.mode == "I;16" else np.uint8).tobytes()
                checks.append({"input": name, "mode": image.mode, "width": width, "height": height,
                               "filter": "nearest" if image.mode == "P" else filter_name,
                               "crc32": zlib.crc32(data)})
    return checks


def main():
    if DATA.exists():
        shutil.rmtree(DATA)
    inputs, goldens, bad = DATA / "inputs", DATA / "goldens", DATA / "bad"
    for d in (inputs, goldens, bad):
        d.mkdir(parents=True)
    files = write_inputs(inputs)
    write_bad(bad)
    cases = []
    for name in sorted(files):
        cases.append(make_case(inputs, goldens, name, "default" if name in DEFAULT_SIZE_INPUTS else "small64"))
        if name in EXTRA_CONFIG_INPUTS:
            cases += [make_case(inputs, goldens, name, c) for c in CONFIGS if c not in ("default", "small64")]
    manifest = {
        "about": f"Generated by tools/make_preprocess_goldens.py with open_clip {open_clip.__version__}, "
                 f"Pillow {PIL.__version__}, torch {torch.__version__}; do not edit.",
        "sources": files,
        "cases": cases,
        "resize_checks": resize_checks(inputs),
    }
    (DATA / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    print(f"wrote {len(cases)} cases, {total / 1e6:.2f} MB in {DATA}")


if __name__ == "__main__":
    main()
