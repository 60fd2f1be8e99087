"""Zero-shot accuracy of the default model, computed by open_clip from the shipped directory.

    python3 tools/eval_default_model.py [--model models/default] [--samples samples]
        [--out tests/data/default_model/zero_shot_open_clip.json] [--extra 2000]
        [--fp32-reference /tmp/cliprt_default_fp32.pt]

Loads the model exactly as a user would (open_clip.create_model_and_transforms('local-dir:...'),
open_clip.get_tokenizer('local-dir:...'), float32 compute over the float16 weights) and classifies
every shipped sample image three ways, each with one prompt per class:
  color        "a photo of a {color} shape"
  shape        "a photo of a {shape}"
  color_shape  "a photo of a {color} {shape}"
The per-image predictions and softmax probabilities (logit_scale * cosine, as open_clip's zero-shot
classifier) go to --out so cliprt can be checked to agree on every image. --extra N also measures
accuracy on N more held-out images (generator seed 3, not written to disk) for tighter numbers,
with breakdowns by background, size, count and texture. --fp32-reference compares the shipped
directory's embeddings with the float32 weights the training script kept (round-trip check).
Development-time only.
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_shapes_dataset as shapes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRA_SEED = 3


def tasks():
    colors, shape_names = list(shapes.COLORS), shapes.SHAPES
    return {
        'color': (colors, [f'a photo of a {c} shape' for c in colors], lambda a: a['color']),
        'shape': (shape_names, [f'a photo of a {s}' for s in shape_names], lambda a: a['shape']),
        'color_shape': ([f'{c} {s}' for c in colors for s in shape_names],
                        [f'a photo of a {c} {s}' for c in colors for s in shape_names],
                        lambda a: f"{a['color']} {a['shape']}"),
    }


def encode_images(model, preprocess, pil_images, batch=128):
    with torch.no_grad():
        return torch.cat([model.encode_image(torch.stack([preprocess(im) for im in pil_images[i:i + batch]]),
                                             normalize=True) for i in range(0, len(pil_images), batch)])


def classify(model, tokenizer, image_features, task_table=None):
    """{task: (class names, prompts, probabilities [N, classes])}."""
    out = {}
    scale = model.logit_scale.exp()
    with torch.no_grad():
        for name, (classes, prompts, _) in (task_table or tasks()).items():
            text = model.encode_text(tokenizer(prompts), normalize=True)
            out[name] = (classes, prompts, (scale * image_features @ text.T).softmax(dim=-1))
    return out


def attribute_tasks():
    """The other attributes the captions name, in the form of tasks(); measured, not checked against cliprt."""
    backgrounds = [('plain', 'plain'), ('gradient', 'gradient'), ('noise', 'noisy'), ('stripes', 'striped')]
    return {
        'size': (shapes.SIZES, [f'a photo of a {s} shape' for s in shapes.SIZES], lambda a: a['size']),
        'count': ([1, 2, 3], ['a photo of one shape', 'a photo of two shapes', 'a photo of three shapes'],
                  lambda a: a['count']),
        'background': ([b for b, _ in backgrounds], [f'a shape on a {w} background' for _, w in backgrounds],
                       lambda a: a['background']),
    }


def accuracy(result, attrs, task_table=None):
    acc = {}
    for name, (classes, _, probs) in result.items():
        truth = (task_table or tasks())[name][2]
        pred = probs.argmax(dim=1).tolist()
        acc[name] = float(np.mean([classes[p] == truth(a) for p, a in zip(pred, attrs)]))
    return acc


def breakdown(result, attrs, key):
    groups = collections.defaultdict(list)
    for i, a in enumerate(attrs):
        groups[a[key]].append(i)
    out = {}
    for value, idx in sorted(groups.items(), key=lambda kv: str(kv[0])):
        sub = {n: (c, p, probs[idx]) for n, (c, p, probs) in result.items()}
        out[str(value)] = dict(accuracy(sub, [attrs[i] for i in idx]), n=len(idx))
    return out


def confusions(result, attrs, name, top=8):
    classes, _, probs = result[name]
    truth = tasks()[name][2]
    counts = collections.Counter((truth(a), classes[p]) for p, a in zip(probs.argmax(dim=1).tolist(), attrs)
                                 if classes[p] != truth(a))
    return [f'{t} -> {p}: {n}' for (t, p), n in counts.most_common(top)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default=os.path.join(HERE, '..', 'models', 'default'))
    parser.add_argument('--samples', default=os.path.join(HERE, '..', 'samples'))
    parser.add_argument('--labels', default=os.path.join(HERE, '..', 'tests', 'data', 'default_model',
                                                         'samples_labels.json'))
    parser.add_argument('--out', default=os.path.join(HERE, '..', 'tests', 'data', 'default_model',
                                                      'zero_shot_open_clip.json'))
    parser.add_argument('--extra', type=int, default=2000)
    parser.add_argument('--extra-out', default=None, help='write the --extra breakdowns as JSON here')
    parser.add_argument('--fp32-reference', default=None)
    args = parser.parse_args()

    import open_clip
    torch.set_num_threads(1)
    spec = 'local-dir:' + os.path.abspath(args.model)
    model, _, preprocess = open_clip.create_model_and_transforms(spec)
    model.eval()
    tokenizer = open_clip.get_tokenizer(spec)

    with open(args.labels) as f:
        labels = json.load(f)['images']
    names = sorted(n for n in os.listdir(args.samples) if n.endswith('.png'))
    assert sorted(labels) == names, 'labels file does not match the sample folder'
    attrs = [labels[n] for n in names]
    pil = [Image.open(os.path.join(args.samples, n)).convert('RGB') for n in names]
    features = encode_images(model, preprocess, pil)
    result = classify(model, tokenizer, features)
    acc = accuracy(result, attrs)
    other = accuracy(classify(model, tokenizer, features, attribute_tasks()), attrs, attribute_tasks())
    print(f'samples ({len(names)} images): {acc}; other attributes: {other} '
          f'(prompts: { {t: p for t, (_, p, _) in attribute_tasks().items()} })')

    images = []
    for i, n in enumerate(names):
        entry = {'file': n}
        for task, (classes, _, probs) in result.items():
            p = probs[i]
            entry[task] = {'prediction': classes[int(p.argmax())], 'truth': tasks()[task][2](attrs[i]),
                           'probs': [round(float(v), 5) for v in p]}
        images.append(entry)
    report = {
        'generator': 'tools/eval_default_model.py',
        'model': 'models/default (open_clip local-dir, float16 weights, float32 compute)',
        'method': 'softmax(logit_scale * cos(image, prompt)) over one prompt per class; image preprocessing '
                  'is open_clip create_model_and_transforms eval transform; images decoded by Pillow',
        'logit_scale': round(model.logit_scale.exp().item(), 6),
        'tasks': {t: {'classes': c, 'prompts': p} for t, (c, p, _) in tasks().items()},
        'accuracy': acc,
        'images': images,
    }
    with open(args.out, 'w') as f:  # one line per image: small and diffable
        head = json.dumps({k: v for k, v in report.items() if k != 'images'}, indent=1)
        f.write(head[:-2] + ',\n "images": [\n' + ',\n'.join(json.dumps(e) for e in images) + '\n ]\n}\n')
    print(f'wrote {args.out}')

    if args.extra:
        extra_pil, extra_attrs = [], []
        for i in range(args.extra):
            img, a, _ = shapes.generate(EXTRA_SEED, i)
            extra_pil.append(img)
            extra_attrs.append(a)
        extra_features = encode_images(model, preprocess, extra_pil)
        res = classify(model, tokenizer, extra_features)
        extra = {'images': args.extra, 'seed': EXTRA_SEED, 'accuracy': accuracy(res, extra_attrs),
                 'other_attributes': accuracy(classify(model, tokenizer, extra_features, attribute_tasks()),
                                              extra_attrs, attribute_tasks())}
        for key in ('background', 'size', 'count', 'texture', 'color', 'shape'):
            extra['by_' + key] = breakdown(res, extra_attrs, key)
        extra['top_confusions'] = {t: confusions(res, extra_attrs, t) for t in ('color', 'shape')}
        print(json.dumps(extra, indent=1))
        if args.extra_out:
            with open(args.extra_out, 'w') as f:
                json.dump(extra, f, indent=1)

    if args.fp32_reference:
        ref = open_clip.model.CLIP(**json.load(open(os.path.join(args.model, 'open_clip_config.json')))['model_cfg'])
        ref.load_state_dict(torch.load(args.fp32_reference, map_location='cpu'))
        ref.eval()
        ref_features = encode_images(ref, preprocess, pil)
        prompts = [p for _, p, _ in tasks().values() for p in p]
        with torch.no_grad():
            t_ship = model.encode_text(tokenizer(prompts), normalize=True)
            t_ref = ref.encode_text(tokenizer(prompts), normalize=True)
        ref_result = classify(ref, tokenizer, ref_features)
        same = {t: int((ref_result[t][2].argmax(1) == result[t][2].argmax(1)).sum()) for t in result}
        print(f'round trip vs float32 training weights: image max |diff| '
              f'{(features - ref_features).abs().max():.2e}, min cosine {(features * ref_features).sum(1).min():.6f}; '
              f'text max |diff| {(t_ship - t_ref).abs().max():.2e}, min cosine {(t_ship * t_ref).sum(1).min():.6f}; '
              f'same predictions {same} of {len(names)}')


if __name__ == '__main__':
    main()
