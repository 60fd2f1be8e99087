"""Writes small checkpoints with the real libraries, and what those libraries compute from them.

    python3 tools/make_checkpoint_fixtures.py [--out tests/data/checkpoints]

Each fixture directory is a model directory exactly as the library saves it (transformers'
CLIPModel.save_pretrained, open_clip's save_for_hf) plus `expected.safetensors` with the inputs
(`pixel_values` [N,3,H,W] f32, `input_ids` [N,L] i32) and the library's outputs
(`image_features`, `text_features`, unnormalized). The reference numbers come from reloading the
saved files with the same library in float32. Development-time only: needs torch, transformers,
open_clip_torch, safetensors.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from synthetic_weights import synthetic_tensor  # noqa: E402

STRINGS = ['a photo of a cat', 'a diagram of a green triangle on a white background',
           'two dogs playing in the snow']


def open_clip_ids(context_length):
    import open_clip
    return open_clip.tokenize(STRINGS, context_length=context_length).to(torch.int32)


def write_expected(directory, pixel_values, input_ids, image_features, text_features):
    save_file({'pixel_values': pixel_values.contiguous(), 'input_ids': input_ids.to(torch.int32).contiguous(),
               'image_features': image_features.float().contiguous(), 'text_features': text_features.float().contiguous()},
              os.path.join(directory, 'expected.safetensors'))


def hf_fixture(out, name, dtype, text_cfg, vision_cfg, projection_dim, max_shard_size=None):
    from transformers import CLIPConfig, CLIPModel
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    torch.manual_seed(0)
    config = CLIPConfig(text_config=text_cfg, vision_config=vision_cfg, projection_dim=projection_dim)
    model = CLIPModel(config).eval().to(dtype)
    kwargs = {'max_shard_size': max_shard_size} if max_shard_size else {}
    model.save_pretrained(directory, **kwargs)
    reloaded = CLIPModel.from_pretrained(directory, dtype=torch.float32).eval()
    size = vision_cfg['image_size']
    pixel_values = torch.from_numpy(synthetic_tensor('input.image', (2, 3, size, size), 0.0, 1.0))
    if text_cfg['vocab_size'] == 49408:
        input_ids = open_clip_ids(text_cfg['max_position_embeddings'])
    else:  # a small vocabulary: ids below it, the largest (the "end" token for argmax pooling) last
        length = text_cfg['max_position_embeddings']
        input_ids = torch.zeros((3, length), dtype=torch.int32)
        for row, words in enumerate([3, 6, 9]):
            input_ids[row, 0] = text_cfg['vocab_size'] - 2
            input_ids[row, 1:words + 1] = torch.arange(5 + row, 5 + row + words * 7, 7)[:words]
            input_ids[row, words + 1] = text_cfg['vocab_size'] - 1
    with torch.no_grad():
        image = reloaded.get_image_features(pixel_values=pixel_values)
        text = reloaded.get_text_features(input_ids=input_ids.long())
    image = getattr(image, 'pooler_output', image)
    text = getattr(text, 'pooler_output', text)
    write_expected(directory, pixel_values, input_ids, image, text)
    print(f'{name}: {sorted(os.listdir(directory))}, image {tuple(image.shape)}, text {tuple(text.shape)}')


class _NoTokenizer:
    """open_clip's save_for_hf saves a tokenizer too; these fixtures use the built-in BPE."""

    def save_pretrained(self, directory):
        pass


def open_clip_fixture(out, name, model_cfg, dtype):
    import open_clip
    from open_clip.push_to_hf_hub import save_for_hf
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    torch.manual_seed(0)
    model = open_clip.model.CLIP(**model_cfg).eval()
    model.to(dtype)
    model.visual.image_mean = open_clip.OPENAI_DATASET_MEAN  # create_model sets these; save_for_hf records them
    model.visual.image_std = open_clip.OPENAI_DATASET_STD
    save_for_hf(model, _NoTokenizer(), model_cfg, directory, safe_serialization=True)
    reloaded = open_clip.create_model('local-dir:' + directory, precision='fp32').eval()
    size = model_cfg['vision_cfg']['image_size']
    pixel_values = torch.from_numpy(synthetic_tensor('input.image', (2, 3, size, size), 0.0, 1.0))
    input_ids = open_clip_ids(model_cfg['text_cfg']['context_length'])
    with torch.no_grad():
        image = reloaded.encode_image(pixel_values)
        text = reloaded.encode_text(input_ids.long())
    write_expected(directory, pixel_values, input_ids, image, text)
    print(f'{name}: {sorted(os.listdir(directory))}, image {tuple(image.shape)}, text {tuple(text.shape)}')


def open_clip_siglip_fixture(out, name):
    """A small SigLIP (timm trunk + SigLIP text tower) saved by save_for_hf with its tokenizer files."""
    import open_clip
    import timm_test_models  # noqa: F401  (registers cliprt_test_vit_map)
    from open_clip.push_to_hf_hub import save_for_hf
    from open_clip.tokenizer import HFTokenizer
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    tokenizer_dir = os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'tokenizers', 'unigram-t5')
    model_cfg = dict(
        embed_dim=32, init_logit_bias=-10, custom_text=True,
        vision_cfg=dict(image_size=32, timm_model_name='cliprt_test_vit_map', timm_model_pretrained=False,
                        timm_pool='map', timm_proj='none'),
        text_cfg=dict(context_length=16, vocab_size=810, hf_tokenizer_name='timm/ViT-B-16-SigLIP',
                      tokenizer_kwargs={'clean': 'canonicalize'}, width=32, heads=2, layers=2,
                      no_causal_mask=True, proj_bias=True, pool_type='last', norm_kwargs={'eps': 1e-6}))
    torch.manual_seed(0)
    model = open_clip.model.CustomTextCLIP(**{k: v for k, v in model_cfg.items() if k != "custom_text"}).eval()
    with torch.no_grad():  # timm zero-inits pos_embed / biases; give every tensor some signal
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(0.02 * torch.randn_like(tensor))
    model.visual.image_mean = (0.5, 0.5, 0.5)  # SigLIP's normalization, as open_clip's pretrained cfg sets it
    model.visual.image_std = (0.5, 0.5, 0.5)
    tokenizer = HFTokenizer(tokenizer_dir, context_length=16, clean='canonicalize')
    save_for_hf(model, tokenizer, model_cfg, directory, safe_serialization=True)
    reloaded = open_clip.create_model('local-dir:' + directory, precision='fp32').eval()
    input_ids = open_clip.get_tokenizer('local-dir:' + directory)(STRINGS).to(torch.int32)
    pixel_values = torch.from_numpy(synthetic_tensor('input.image', (2, 3, 32, 32), 0.0, 1.0))
    with torch.no_grad():
        image = reloaded.encode_image(pixel_values)
        text = reloaded.encode_text(input_ids.long())
    write_expected(directory, pixel_values, input_ids, image, text)
    print(f'{name}: {sorted(os.listdir(directory))}, image {tuple(image.shape)}, text {tuple(text.shape)}, '
          f'ids {input_ids.tolist()}')


def open_clip_convnext_fixture(out, name):
    """A small ConvNeXt CLIP (timm trunk cliprt_test_convnext, timm_proj linear as open_clip's convnext
    configs) saved by save_for_hf in float16. The weights are the deterministic synthetic ones
    (timm's init leaves LayerScale at 1e-6, which would hide the blocks)."""
    import open_clip
    import timm_test_models  # noqa: F401  (registers cliprt_test_convnext)
    from open_clip.push_to_hf_hub import save_for_hf
    from synthetic_weights import fill_state_dict
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    model_cfg = dict(
        embed_dim=24,
        vision_cfg=dict(image_size=64, timm_model_name='cliprt_test_convnext', timm_model_pretrained=False,
                        timm_pool='', timm_proj='linear', timm_drop=0.0, timm_drop_path=0.1),
        text_cfg=dict(context_length=77, vocab_size=49408, width=8, heads=2, layers=1))
    torch.manual_seed(0)
    model = open_clip.model.CLIP(**model_cfg).eval()
    fill_state_dict(model)
    model.to(torch.float16)
    model.visual.image_mean = open_clip.OPENAI_DATASET_MEAN
    model.visual.image_std = open_clip.OPENAI_DATASET_STD
    save_for_hf(model, _NoTokenizer(), model_cfg, directory, safe_serialization=True)
    reloaded = open_clip.create_model('local-dir:' + directory, precision='fp32').eval()
    pixel_values = torch.from_numpy(synthetic_tensor('input.image', (2, 3, 64, 64), 0.0, 1.0))
    input_ids = open_clip_ids(77)
    with torch.no_grad():
        image = reloaded.encode_image(pixel_values)
        text = reloaded.encode_text(input_ids.long())
    write_expected(directory, pixel_values, input_ids, image, text)
    print(f'{name}: {sorted(os.listdir(directory))}, image {tuple(image.shape)}, text {tuple(text.shape)}')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'checkpoints'))
    parser.add_argument('--only', help='write only this fixture (open_clip_convnext)')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    if args.only == 'open_clip_convnext':
        open_clip_convnext_fixture(args.out, 'open_clip_convnext')
        return
    if args.only:
        parser.error(f'--only {args.only}: only open_clip_convnext is supported')

    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                  patch_size=8, hidden_act='gelu')
    # transformers' current CLIPTextConfig: eos_token_id 49407, so the first eos position is pooled.
    hf_fixture(args.out, 'hf_clip_f16', torch.float16,
               dict(hidden_size=16, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                    max_position_embeddings=77, vocab_size=49408, hidden_act='quick_gelu'),
               vision, projection_dim=24)
    # Legacy eos_token_id 2 (argmax pooling), bf16, sharded into model.safetensors.index.json.
    hf_fixture(args.out, 'hf_clip_sharded_bf16', torch.bfloat16,
               dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=4,
                    max_position_embeddings=20, vocab_size=1000, hidden_act='gelu', eos_token_id=2),
               dict(vision, hidden_act='quick_gelu', num_hidden_layers=1), projection_dim=8, max_shard_size='20KB')
    open_clip_fixture(args.out, 'open_clip_f16', dict(
        embed_dim=24,
        vision_cfg=dict(image_size=32, layers=2, width=32, patch_size=8, head_width=16),
        text_cfg=dict(context_length=77, vocab_size=49408, width=16, heads=2, layers=2),
        quick_gelu=True), torch.float16)
    open_clip_siglip_fixture(args.out, 'open_clip_siglip')
    open_clip_convnext_fixture(args.out, 'open_clip_convnext')


if __name__ == '__main__':
    main()
