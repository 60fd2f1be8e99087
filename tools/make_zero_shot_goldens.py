"""Writes tests/data/zero_shot/goldens.json: what open_clip (and transformers) compute on the
committed fixture checkpoints, for tests/zero_shot_test.cpp and tests/clip_embedder_test.cpp.

    python3 tools/make_zero_shot_goldens.py

For each model directory: unnormalized image embeddings of a few committed PNGs through the
library's own preprocessing, unnormalized text embeddings, and the zero-shot probabilities of
open_clip's build_zero_shot_classifier with the openai / simple / none templates, the logits being
exp(logit_scale) * normalized image features @ classifier. Also the template lists themselves,
written from open_clip's zero_shot_metadata.py. Development-time only (torch, open_clip_torch,
transformers, Pillow).
"""
import json
import os

import torch
import torch.nn.functional as F
from PIL import Image

import open_clip
from open_clip.zero_shot_classifier import build_zero_shot_classifier
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
IMAGES = ['chelsea.png', 'coffee_300.png', 'horse.png', 'rgba_alpha.png', 'palette.png']
TEXTS = ['a photo of a cat', 'two dogs playing in the snow', 'Ein Café in Zürich', '']
LABELS = ['cat', 'horse', 'coffee cup', 'red brick wall']
TEMPLATES = {'openai': OPENAI_IMAGENET_TEMPLATES, 'simple': SIMPLE_IMAGENET_TEMPLATES, 'none': (lambda c: c,)}


def floats(t):
    return [[float(v) for v in row] for row in t.tolist()]


class HfAsOpenClip:
    """transformers' CLIPModel behind open_clip's encode_image / encode_text interface."""

    def __init__(self, model):
        self.model = model
        self.logit_scale = model.logit_scale

    def _features(self, out):
        return getattr(out, 'pooler_output', out)

    def encode_image(self, pixels, normalize=False):
        f = self._features(self.model.get_image_features(pixel_values=pixels))
        return F.normalize(f, dim=-1) if normalize else f

    def encode_text(self, ids, normalize=False):
        f = self._features(self.model.get_text_features(input_ids=ids.long()))
        return F.normalize(f, dim=-1) if normalize else f


def golden(name, model, preprocess, tokenizer):
    pixels = torch.stack([preprocess(Image.open(os.path.join(ROOT, 'tests/data/images/inputs', f))) for f in IMAGES])
    with torch.no_grad():
        image = model.encode_image(pixels)
        text = model.encode_text(tokenizer(TEXTS))
        scale = model.logit_scale.exp().item()
        probs = {}
        for key, templates in TEMPLATES.items():
            classifier = build_zero_shot_classifier(model, tokenizer, LABELS, templates, num_classes_per_batch=None)
            logits = scale * F.normalize(image, dim=-1) @ classifier
            probs[key] = floats(logits.softmax(dim=-1))
    print(f'{name}: logit scale {scale:.4f}, openai probs {probs["openai"][0]}')
    return {'model': f'tests/data/checkpoints/{name}', 'logit_scale': scale,
            'image_embeddings': floats(image), 'text_embeddings': floats(text), 'probs': probs}


def main():
    torch.set_num_threads(1)
    models = []
    directory = os.path.join(ROOT, 'tests/data/checkpoints/open_clip_f16')
    model, _, preprocess = open_clip.create_model_and_transforms('local-dir:' + directory, precision='fp32')
    models.append(golden('open_clip_f16', model.eval(), preprocess, open_clip.get_tokenizer('local-dir:' + directory)))

    # The HF fixture has no preprocessor_config.json or vocab files: cliprt then uses open_clip's
    # default eval transform at the model's image size and the built-in BPE, and so does this.
    from transformers import CLIPModel
    directory = os.path.join(ROOT, 'tests/data/checkpoints/hf_clip_f16')
    hf = CLIPModel.from_pretrained(directory, dtype=torch.float32).eval()
    preprocess = open_clip.image_transform(hf.config.vision_config.image_size, is_train=False)
    tokenizer = open_clip.SimpleTokenizer(context_length=hf.config.text_config.max_position_embeddings)
    models.append(golden('hf_clip_f16', HfAsOpenClip(hf), preprocess, tokenizer))

    out = {
        'about': 'Written by tools/make_zero_shot_goldens.py from open_clip_torch ' + open_clip.__version__,
        'images': [f'tests/data/images/inputs/{f}' for f in IMAGES],
        'texts': TEXTS,
        'labels': LABELS,
        'templates': {'openai': [t('{}') for t in OPENAI_IMAGENET_TEMPLATES],
                      'simple': [t('{}') for t in SIMPLE_IMAGENET_TEMPLATES]},
        'models': models,
    }
    path = os.path.join(ROOT, 'tests/data/zero_shot/goldens.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    main()
