"""Procedural captioned shape images: the training data of the default model and the shipped samples.

    python3 tools/make_shapes_dataset.py --out samples --count 224 --seed 1 [--balanced]

Every image is a function of (seed, index) only, so any set can be regenerated exactly. An image
holds one to three copies of one shape in one color (so "the color" and "the shape" of an image are
well defined labels) on a plain, gradient, noisy or striped low-saturation background; sizes,
positions, rotation, small color jitter and a light surface texture vary. Captions mention a random
subset of the attributes through varied templates and synonyms, so the text tower learns partial
descriptions ("a green triangle", "a photo of a star", "a yellow shape") as well as full ones.

Writes `<color>_<shape>_<NNNN>.png` and a labels JSON (attributes and caption of each file).
Development-time only: needs Pillow and numpy.
"""
import argparse
import json
import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 128          # stored image side; the model's preprocessing resizes it to its own input size
SUPERSAMPLE = 2     # shapes are drawn at 2x and downsampled: smooth edges like a photo, not aliased

# Canonical color names with their base RGB; backgrounds are low-saturation so these stay unambiguous.
COLORS = {
    'red': (215, 35, 35),
    'orange': (245, 135, 20),
    'yellow': (245, 220, 40),
    'green': (40, 165, 60),
    'blue': (35, 75, 215),
    'purple': (135, 50, 175),
    'white': (245, 245, 245),
    'black': (20, 20, 20),
}
SHAPES = ['circle', 'square', 'triangle', 'star', 'hexagon', 'heart', 'cross']
SIZES = ['small', 'medium', 'large']
BACKGROUNDS = ['plain', 'gradient', 'noise', 'stripes']
TEXTURES = ['solid', 'shaded', 'speckled', 'outlined']

# Synonyms used in captions (singular, plural); the first is the canonical name, used most often.
SHAPE_WORDS = {
    'circle': [('circle', 'circles'), ('disc', 'discs'), ('round dot', 'round dots')],
    'square': [('square', 'squares'), ('box', 'boxes')],
    'triangle': [('triangle', 'triangles')],
    'star': [('star', 'stars'), ('five-pointed star', 'five-pointed stars')],
    'hexagon': [('hexagon', 'hexagons'), ('six-sided shape', 'six-sided shapes')],
    'heart': [('heart', 'hearts'), ('heart shape', 'heart shapes')],
    'cross': [('cross', 'crosses'), ('plus sign', 'plus signs')],
}
SIZE_WORDS = {'small': ['small', 'tiny', 'little'], 'medium': ['medium', 'medium-sized', 'mid-sized'],
              'large': ['large', 'big', 'huge']}
BACKGROUND_WORDS = {'plain': ['plain', 'solid', 'uniform'], 'gradient': ['gradient', 'fading', 'shaded'],
                    'noise': ['noisy', 'grainy'], 'stripes': ['striped', 'stripy', 'lined']}
COUNT_WORDS = {1: ['a', 'one', 'a single'], 2: ['two', 'a pair of', '2'], 3: ['three', '3']}
PREFIXES = ['a photo of', 'a picture of', 'an image of', 'a drawing of', 'a rendering of', 'a close-up of', '']
# Diameter range in output pixels for each size class.
SIZE_RANGES = {'small': (22, 32), 'medium': (38, 50), 'large': (60, 80)}
POSITION_NAMES = [['top left corner', 'top', 'top right corner'], ['left', 'center', 'right'],
                  ['bottom left corner', 'bottom', 'bottom right corner']]


def article(word):
    return 'an' if word[0] in 'aeio' or word.startswith('un') else 'a'  # 'a uniform', 'an orange'


def with_article(phrase):
    return f'{article(phrase)} {phrase}'


def shape_polygon(shape, cx, cy, r, angle):
    """Vertices of `shape` of circumradius r around (cx, cy), rotated by `angle` radians."""
    if shape == 'square':
        pts = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        pts = [(x * 0.75, y * 0.75) for x, y in pts]
    elif shape == 'triangle':
        pts = [(math.cos(a), math.sin(a) + 0.2) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    elif shape == 'star':
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = 1.0 if k % 2 == 0 else 0.42
            pts.append((rr * math.cos(a), rr * math.sin(a) + 0.05))
    elif shape == 'hexagon':
        pts = [(math.cos(a), math.sin(a)) for a in (k * math.pi / 3 for k in range(6))]
    elif shape == 'heart':
        pts = []
        for k in range(48):
            t = 2 * math.pi * k / 48
            x = 16 * math.sin(t) ** 3
            y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
            pts.append((x / 17.0, y / 17.0 + 0.05))
    elif shape == 'cross':
        a, b = 0.95, 0.33
        pts = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b),
               (-b, -b)]
    else:
        raise ValueError(shape)
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * c - y * s), cy + r * (x * s + y * c)) for x, y in pts]


def low_saturation_color(rng):
    """A background tone: mid luminance, little saturation, so no named color is mistaken for it."""
    base = rng.uniform(75, 185)
    tint = np.array([rng.uniform(-18, 18) for _ in range(3)])
    return np.clip(base + tint, 0, 255)


def make_background(kind, rng, nprng):
    n = SIZE * SUPERSAMPLE
    c0 = low_saturation_color(rng)
    if kind == 'plain':
        arr = np.broadcast_to(c0, (n, n, 3)).copy()
    elif kind == 'gradient':
        c1 = low_saturation_color(rng)
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:n, 0:n] / (n - 1) - 0.5
        t = np.clip((xx * math.cos(a) + yy * math.sin(a)) / 1.42 + 0.5, 0, 1)[..., None]
        arr = c0 * (1 - t) + c1 * t
    elif kind == 'noise':
        sigma = rng.uniform(10, 28)
        noise = nprng.normal(0, sigma, (SIZE, SIZE, 1)).repeat(3, axis=2) + nprng.normal(0, sigma / 3, (SIZE, SIZE, 3))
        noise = noise.repeat(SUPERSAMPLE, axis=0).repeat(SUPERSAMPLE, axis=1)
        arr = c0 + noise
    elif kind == 'stripes':
        c1 = low_saturation_color(rng)
        if abs(c1.mean() - c0.mean()) < 25:  # keep the stripes visible
            c1 = np.clip(c0 + (40 if c0.mean() < 130 else -40), 0, 255)
        period = rng.uniform(8, 20) * SUPERSAMPLE
        a = rng.choice([0, math.pi / 2, math.pi / 4, -math.pi / 4])
        yy, xx = np.mgrid[0:n, 0:n]
        t = ((xx * math.cos(a) + yy * math.sin(a)) // (period / 2) % 2)[..., None]
        arr = c0 * (1 - t) + c1 * t
    else:
        raise ValueError(kind)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), 'RGB')


def jitter(rgb, rng, amount=14):
    return tuple(int(np.clip(v + rng.uniform(-amount, amount), 0, 255)) for v in rgb)


def draw_object(img, shape, color, texture, cx, cy, r, angle, rng, nprng):
    """Draws one object into `img` (supersampled coordinates) with a light texture."""
    n = img.size[0]
    mask = Image.new('L', (n, n), 0)
    d = ImageDraw.Draw(mask)
    if shape == 'circle':
        d.ellipse([cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85], fill=255)
    else:
        d.polygon(shape_polygon(shape, cx, cy, r, angle), fill=255)
    # Less hue jitter for black and white: a visible tint would make their names wrong.
    base = np.array(jitter(color, rng, 6 if color in (COLORS['black'], COLORS['white']) else 14), dtype=np.float32)
    if texture == 'shaded':  # lit from one side: +-12% brightness across the object
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:n, 0:n]
        t = (((xx - cx) * math.cos(a) + (yy - cy) * math.sin(a)) / max(r, 1)).clip(-1, 1)[..., None]
        fill = base * (1 + 0.12 * t) + 10 * t
    elif texture == 'speckled':  # sparse small spots slightly lighter or darker than the color
        spots = (nprng.random((n // 4, n // 4)) < 0.12).astype(np.float32) * nprng.choice([-30, 30])
        fill = base + np.kron(spots, np.ones((4, 4), np.float32))[..., None]
    else:
        fill = np.broadcast_to(base, (n, n, 3))
    fill_img = Image.fromarray(np.clip(fill, 0, 255).astype(np.uint8), 'RGB')
    img.paste(fill_img, (0, 0), mask)
    if texture == 'outlined':  # a thin darker (lighter for black) rim
        edge = mask.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.MaxFilter(3))
        rim = tuple(int(v * 0.55) for v in base) if base.mean() > 60 else (110, 110, 110)
        img.paste(Image.new('RGB', (n, n), rim), (0, 0), edge)


def sample_attributes(rng):
    count = rng.choice([1, 1, 1, 2, 2, 3])
    sizes = SIZES if count == 1 else SIZES[:2]  # two or three large ones do not fit
    return {
        'color': rng.choice(list(COLORS)),
        'shape': rng.choice(SHAPES),
        'count': count,
        'size': rng.choice(sizes),
        'background': rng.choice(BACKGROUNDS),
        'texture': rng.choice(TEXTURES),
    }


def place_objects(attrs, rng):
    """Non-overlapping centres and radii (output pixels) for attrs['count'] objects."""
    lo, hi = SIZE_RANGES[attrs['size']]
    for _ in range(200):
        objs = []
        for _ in range(attrs['count']):
            r = rng.uniform(lo, hi) / 2
            objs.append((rng.uniform(r + 2, SIZE - r - 2), rng.uniform(r + 2, SIZE - r - 2), r))
        if all(math.hypot(a[0] - b[0], a[1] - b[1]) > a[2] + b[2] + 3
               for i, a in enumerate(objs) for b in objs[i + 1:]):
            return objs
    raise RuntimeError('could not place objects')


def position_name(x, y):
    col = 0 if x < SIZE * 0.38 else 2 if x > SIZE * 0.62 else 1
    row = 0 if y < SIZE * 0.38 else 2 if y > SIZE * 0.62 else 1
    return POSITION_NAMES[row][col]


def make_caption(attrs, rng):
    count = attrs['count']
    # As people caption photos ("a photo of a dog" with two dogs in it), several objects are sometimes
    # described in the singular ("one", "a single" and positions stay exact). Without this the article
    # was a count: "a green triangle" ranked one green square above two green triangles.
    as_one = count == 1 or rng.random() < 0.25
    words = SHAPE_WORDS[attrs['shape']]
    singular, plural = words[0] if rng.random() < 0.6 else rng.choice(words)
    noun = singular if as_one else plural
    color = attrs['color']
    size = rng.choice(SIZE_WORDS[attrs['size']])
    bg = rng.choice(BACKGROUND_WORDS[attrs['background']])
    mention = rng.random()
    use_color = mention > 0.15   # 15%: shape only
    use_shape = mention < 0.85 or not use_color  # 15%: color only
    use_size = rng.random() < 0.4
    use_count = count > 1 and rng.random() < 0.8

    if use_shape:
        adjectives = ([size] if use_size else []) + ([color] if use_color else [])
        if use_color and not use_size and rng.random() < 0.15:  # "a triangle colored green"
            core_head = ' '.join([noun, rng.choice(['colored', 'in', 'painted'])] + [color])
        else:
            core_head = ' '.join(adjectives + [noun])
    else:
        thing = rng.choice(['shape', 'object', 'thing']) if as_one else rng.choice(['shapes', 'objects'])
        core_head = ' '.join(([size] if use_size else []) + [color, thing])
    if as_one or not use_count:
        core = with_article(core_head) if as_one else rng.choice(['some ', 'several ', '']) + core_head
        if count == 1 and rng.random() < 0.2:
            core = rng.choice(COUNT_WORDS[1]) + ' ' + core_head if rng.random() < 0.5 else core
    else:
        core = rng.choice(COUNT_WORDS[count]) + ' ' + core_head

    suffix = ''
    roll = rng.random()
    if roll < 0.3:
        suffix = f' on {with_article(bg)} background'
    elif roll < 0.4:
        suffix = f' with {with_article(bg)} background'
    elif roll < 0.55 and count == 1:
        pos = attrs['positions'][0]
        suffix = f' in the {pos}' if pos in ('center',) or 'corner' in pos else f' at the {pos}'
    prefix = rng.choice(PREFIXES)
    return (prefix + ' ' if prefix else '') + core + suffix


def image_rng(seed, index):
    """The random stream of image `index` of the set with `seed`; its first draws are the attributes."""
    return random.Random(seed * 1_000_003 + index)


def attributes(seed, index):
    """The attributes `generate(seed, index)` draws, without drawing the image."""
    return sample_attributes(image_rng(seed, index))


def is_easy(attrs):
    """One medium or large object on a plain or gradient background: the start of the training curriculum."""
    return attrs['count'] == 1 and attrs['size'] != 'small' and attrs['background'] in ('plain', 'gradient')


def generate(seed, index, attrs=None):
    """The image, attributes and caption number `index` of the set with `seed`."""
    rng = image_rng(seed, index)
    nprng = np.random.default_rng([seed, index])
    if attrs is None:
        attrs = sample_attributes(rng)
    else:
        attrs = dict(attrs)
    img = make_background(attrs['background'], rng, nprng)
    objs = place_objects(attrs, rng)
    attrs['positions'] = [position_name(x, y) for x, y, _ in objs]
    max_angle = 0.26 if attrs['shape'] == 'square' else 0.35  # a square stays a square, not a diamond
    for x, y, r in objs:
        draw_object(img, attrs['shape'], COLORS[attrs['color']], attrs['texture'], x * SUPERSAMPLE, y * SUPERSAMPLE,
                    r * SUPERSAMPLE, rng.uniform(-max_angle, max_angle), rng, nprng)
    img = img.resize((SIZE, SIZE), Image.LANCZOS)
    caption = make_caption(attrs, rng)
    return img, attrs, caption


def balanced_attributes(seed, count):
    """`count` attribute sets cycling through every color x shape pair equally, other attributes random."""
    rng = random.Random(seed)
    pairs = [(c, s) for c in COLORS for s in SHAPES]
    out = []
    for i in range(count):
        a = sample_attributes(rng)
        a['color'], a['shape'] = pairs[i % len(pairs)]
        out.append(a)
    rng.shuffle(out)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--count', type=int, default=224)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--balanced', action='store_true', help='equal number of images per color x shape')
    parser.add_argument('--labels', help='where to write labels.json (default: inside --out)')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    fixed = balanced_attributes(args.seed, args.count) if args.balanced else [None] * args.count
    labels = {}
    for i in range(args.count):
        img, attrs, caption = generate(args.seed, i, fixed[i])
        name = f"{attrs['color']}_{attrs['shape']}_{i:04d}.png"
        img.save(os.path.join(args.out, name), optimize=True)
        labels[name] = dict(attrs, caption=caption)
    with open(args.labels or os.path.join(args.out, 'labels.json'), 'w') as f:
        json.dump({'generator': 'tools/make_shapes_dataset.py', 'seed': args.seed, 'count': args.count,
                   'balanced': args.balanced, 'images': labels}, f, indent=1, sort_keys=True)
    print(f'wrote {args.count} images to {args.out}')


if __name__ == '__main__':
    main()
