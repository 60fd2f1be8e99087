#!/usr/bin/env python3
"""Writes models/timm/timm_archs.json: the architecture of every timm trunk cliprt can build
(VisionTransformer, ConvNeXt and EVA),
read off the modules timm itself constructs (development time only; timm is the reference).

    python3 tools/make_timm_archs.py --out models/timm/timm_archs.json

Each model is built on the meta device (no memory, no weights) three times, with global_pool
'' / 'avg' / 'map', because timm decides some modules at construction from the pool (fc_norm when
the model leaves it unset, the map head's width): the C++ side (models/timm_model_config.cpp)
redoes that decision from the recorded facts for the pool an open_clip config asks for.
"""
import argparse
import json
import os

import torch
from torch import nn

import timm
from timm.layers import LayerScale
from timm.layers import LayerNorm, LayerNorm2d, Mlp, NormMlpClassifierHead, RotaryEmbeddingCat, SwiGLU
from timm.models.convnext import ConvNeXt, ConvNeXtBlock
from timm.models.eva import Eva, EvaAttention, EvaBlock, EvaBlockPostNorm
from timm.models.vision_transformer import Attention, Block, VisionTransformer

import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timm_test_models import TEST_MODELS  # noqa: E402  (registers the small test trunks)

# timm trunks named by open_clip's model_configs that cliprt builds.
VIT_MODELS = [
    'vit_base_patch16_siglip_224', 'vit_base_patch16_siglip_256', 'vit_base_patch16_siglip_384',
    'vit_base_patch16_siglip_512', 'vit_base_patch32_siglip_256',
    'vit_large_patch16_siglip_256', 'vit_large_patch16_siglip_384', 'vit_large_patch16_siglip_512',
    'vit_so400m_patch14_siglip_224', 'vit_so400m_patch14_siglip_378', 'vit_so400m_patch14_siglip_384',
    'vit_so400m_patch16_siglip_256', 'vit_so400m_patch16_siglip_384', 'vit_so400m_patch16_siglip_512',
    'vit_giantopt_patch16_siglip_256', 'vit_giantopt_patch16_siglip_384',
    'vit_large_patch14_clip_224', 'vit_medium_patch16_gap_256',
]

# timm ConvNeXt trunks of open_clip's convnext_* configs.
CONVNEXT_MODELS = ['convnext_tiny', 'convnext_small', 'convnext_base', 'convnext_large', 'convnext_xlarge',
                   'convnext_xxlarge']


# timm Eva trunks of open_clip's EVA01-* / EVA02-* configs.
EVA_MODELS = ['eva02_base_patch16_clip_224', 'eva02_large_patch14_clip_224', 'eva02_large_patch14_clip_336',
              'eva02_enormous_patch14_clip_224', 'eva_giant_patch14_224']


def identity(m):
    return isinstance(m, nn.Identity)


def eps_of(norm):
    assert isinstance(norm, nn.LayerNorm), type(norm)
    return norm.eps


def activation(act):
    if type(act) is nn.GELU:
        return 'gelu_tanh' if act.approximate == 'tanh' else 'gelu'
    if type(act) is nn.SiLU:
        return 'silu'
    if type(act) is nn.ReLU:
        return 'relu'
    name = type(act).__name__
    if name == 'GELUTanh':
        return 'gelu_tanh'
    if name == 'GELU':  # timm.layers.GELU: F.gelu, exact
        return 'gelu'
    if name == 'QuickGELU':
        return 'quick_gelu'
    raise ValueError(f'activation {name} is not supported')


def vit_arch(name):
    with torch.device('meta'):
        flat = timm.create_model(name, pretrained=False, num_classes=0, global_pool='')
        avg = timm.create_model(name, pretrained=False, num_classes=0, global_pool='avg')
        mapped = timm.create_model(name, pretrained=False, num_classes=0, global_pool='map')
        default = timm.create_model(name, pretrained=False, num_classes=0)
    m = flat
    assert type(m) is VisionTransformer, type(m)
    assert not m.dynamic_img_size and not getattr(m.patch_embed, 'dynamic_img_pad', False)
    blk = m.blocks[0]
    assert all(type(b) is Block for b in m.blocks), type(blk)
    assert type(blk.attn) is Attention, type(blk.attn)
    assert identity(blk.attn.norm) and identity(blk.mlp.norm), 'scale_attn_norm / scale_mlp_norm'
    assert identity(m.patch_embed.norm), 'embed_norm_layer'
    assert type(blk.mlp).__name__ == 'Mlp', type(blk.mlp)
    proj = m.patch_embed.proj
    assert proj.kernel_size == proj.stride and proj.padding == (0, 0), proj
    qk_norm = not identity(blk.attn.q_norm)
    ls = isinstance(blk.ls1, LayerScale)
    assert ls == isinstance(blk.ls2, LayerScale)
    fc_norm_if_avg = not identity(avg.fc_norm)
    fc_norm_if_flat = not identity(flat.fc_norm)
    # fc_norm: null = timm decides by pool (avg/avgmax/max -> after pool), else the model's fixed choice.
    fc_norm = True if fc_norm_if_flat else (None if fc_norm_if_avg else False)
    final_norm = not (identity(flat.norm) and identity(flat.fc_norm))
    pool = mapped.attn_pool
    arch = {
        'family': 'vit',
        'img_size': list(m.patch_embed.img_size),
        'patch_size': list(m.patch_embed.patch_size),
        'width': m.embed_dim,
        'depth': len(m.blocks),
        'heads': blk.attn.num_heads,
        'mlp_hidden': blk.mlp.fc1.out_features,
        'act': activation(blk.mlp.act),
        'norm_eps': eps_of(blk.norm1),
        'qkv_bias': blk.attn.qkv.bias is not None,
        'qk_norm': qk_norm,
        'layer_scale': ls,
        'patch_bias': proj.bias is not None,
        'class_token': bool(m.has_class_token),
        'reg_tokens': int(m.num_reg_tokens),
        'no_embed_class': bool(m.no_embed_class),
        'pos_embed': m.pos_embed is not None,
        'pre_norm': not identity(m.norm_pre),
        'final_norm': final_norm,
        'fc_norm': fc_norm,
        'default_pool': default.global_pool,
        'pool_include_prefix': bool(m.pool_include_prefix),
        'map_heads': pool.num_heads,
        'map_mlp_hidden': pool.mlp.fc1.out_features,
        'map_qkv_bias': pool.q.bias is not None,
        'map_norm_eps': eps_of(pool.norm),
    }
    assert pool.latent_len == 1 and pool.pos_embed is None and identity(pool.q_norm)
    assert activation(pool.mlp.act) == arch['act']
    if qk_norm:
        assert eps_of(blk.attn.q_norm) == arch['norm_eps']
    if not identity(m.norm):
        assert eps_of(m.norm) == arch['norm_eps']
    return arch


def convnext_arch(name):
    with torch.device('meta'):
        m = timm.create_model(name, pretrained=False)
    assert type(m) is ConvNeXt, type(m)
    stem = m.stem
    assert len(stem) == 2 and type(stem[0]) is nn.Conv2d and type(stem[1]) is LayerNorm2d, 'patch stem only'
    conv = stem[0]
    assert conv.kernel_size == conv.stride and conv.padding == (0, 0), conv
    assert identity(m.norm_pre), 'head_norm_first'
    head = m.head
    assert type(head) is NormMlpClassifierHead and head.global_pool.pool_type == 'avg', head
    assert type(head.norm) is LayerNorm2d and identity(head.pre_logits), 'head_hidden_size'
    stages, eps, act, conv_bias, layer_scale = [], stem[1].eps, None, conv.bias is not None, None
    for i, stage in enumerate(m.stages):
        blocks = list(stage.blocks)
        if i == 0:
            assert identity(stage.downsample)
        else:
            ds = stage.downsample
            assert type(ds[0]) is LayerNorm2d and ds[0].eps == eps and type(ds[1]) is nn.Conv2d
            assert ds[1].kernel_size == (2, 2) and ds[1].stride == (2, 2) and ds[1].padding == (0, 0)
            assert (ds[1].bias is not None) == conv_bias
        blk = blocks[0]
        dw = blk.conv_dw
        assert all(type(b) is ConvNeXtBlock for b in blocks)
        assert type(dw) is nn.Conv2d and dw.groups == dw.in_channels == dw.out_channels, dw
        assert dw.stride == (1, 1) and dw.dilation == (1, 1) and dw.kernel_size[0] == dw.kernel_size[1]
        assert dw.padding == ((dw.kernel_size[0] - 1) // 2,) * 2 and (dw.bias is not None) == conv_bias
        assert not blk.use_conv_mlp and type(blk.norm) is LayerNorm and blk.norm.eps == eps
        assert type(blk.mlp) is Mlp and identity(blk.mlp.norm) and identity(blk.shortcut)
        a = activation(blk.mlp.act)
        assert act in (None, a)
        act = a
        ls = blk.gamma is not None
        assert layer_scale in (None, ls)
        layer_scale = ls
        stages.append({'depth': len(blocks), 'dim': dw.in_channels, 'kernel': dw.kernel_size[0],
                       'mlp_hidden': blk.mlp.fc1.out_features})
    assert head.norm.eps == eps
    return {
        'family': 'convnext',
        'patch_size': conv.kernel_size[0],
        'stages': stages,
        'act': act,
        'norm_eps': eps,
        'conv_bias': conv_bias,
        'layer_scale': layer_scale,
        'default_pool': head.global_pool.pool_type,
        'pool_size': list(m.default_cfg['pool_size']) if m.default_cfg.get('pool_size') else None,
    }


def eva_arch(name):
    """timm's Eva as EVA01 / EVA02 use it: the VisionTransformer facts (same embedding, pools and
    norms) plus the block's options."""
    with torch.device('meta'):
        flat = timm.create_model(name, pretrained=False, num_classes=0, global_pool='')
        avg = timm.create_model(name, pretrained=False, num_classes=0, global_pool='avg')
        default = timm.create_model(name, pretrained=False, num_classes=0)
    m = flat
    assert type(m) is Eva, type(m)
    assert not m.dynamic_img_size and not getattr(m.patch_embed, 'dynamic_img_pad', False)
    assert m.patch_drop is None and not m.rope_mixed
    blk = m.blocks[0]
    post_norm = type(blk) is EvaBlockPostNorm
    assert type(blk) in (EvaBlock, EvaBlockPostNorm) and all(type(b) is type(blk) for b in m.blocks), type(blk)
    attn = blk.attn
    assert type(attn) is EvaAttention, type(attn)
    assert identity(attn.q_norm) and identity(attn.k_norm), 'qk_norm'
    assert getattr(attn, 'gate', None) is None, 'gated attention'
    assert attn.head_dim * attn.num_heads == m.embed_dim, 'attn_head_dim'
    assert attn.num_prefix_tokens == m.num_prefix_tokens
    assert getattr(blk, 'gamma_1', None) is None and getattr(blk, 'gamma_2', None) is None, 'init_values'
    assert identity(m.patch_embed.norm), 'embed_norm_layer'
    qkv_fused = attn.qkv is not None
    qkv_bias = attn.q_bias is not None if qkv_fused else attn.q_proj.bias is not None
    if not qkv_fused:
        assert attn.k_proj.bias is None and (attn.v_proj.bias is not None) == qkv_bias
    mlp = blk.mlp
    swiglu = type(mlp) is SwiGLU
    assert swiglu or type(mlp) is Mlp, f'{type(mlp).__name__} (GluMlp: swiglu_mlp without scale_mlp)'
    fc1 = mlp.fc1_g if swiglu else mlp.fc1
    assert fc1.bias is not None and mlp.fc2.bias is not None
    if swiglu:
        assert activation(mlp.act) == 'silu' and mlp.fc1_x.bias is not None
    proj = m.patch_embed.proj
    assert proj.kernel_size == proj.stride and proj.padding == (0, 0), proj
    rope = m.rope
    arch = {
        'family': 'eva',
        'img_size': list(m.patch_embed.img_size),
        'patch_size': list(m.patch_embed.patch_size),
        'width': m.embed_dim,
        'depth': len(m.blocks),
        'heads': attn.num_heads,
        'mlp_hidden': fc1.out_features,
        'act': activation(mlp.act),
        'norm_eps': eps_of(blk.norm1),
        'qkv_bias': qkv_bias,
        'qkv_fused': qkv_fused,
        'attn_norm': not identity(attn.norm),
        'swiglu': swiglu,
        'mlp_norm': not identity(mlp.norm),
        'post_norm': post_norm,
        'patch_bias': proj.bias is not None,
        'class_token': m.cls_token is not None,
        'reg_tokens': 0 if m.reg_token is None else int(m.reg_token.shape[1]),
        'no_embed_class': bool(m.no_embed_class),
        'pos_embed': m.pos_embed is not None,
        'pre_norm': not identity(m.norm_pre),
        'final_norm': not (identity(flat.norm) and identity(flat.fc_norm)),
        'fc_norm': True if not identity(flat.fc_norm) else (None if not identity(avg.fc_norm) else False),
        'default_pool': default.global_pool,
        'rope': rope is not None,
    }
    if rope is not None:
        assert type(rope) is RotaryEmbeddingCat and not rope.in_pixels and rope.grid_type == 'index'
        assert rope.grid_offset == 0 and rope.grid_indexing == 'ij' and not rope.rotate_half
        assert not attn.rotate_half and not rope.aug_active and rope.dim == attn.head_dim and rope.dim % 4 == 0
        assert list(rope.feat_shape) == list(m.patch_embed.grid_size)
        ref = rope.ref_feat_shape
        arch['rope_ref_feat_shape'] = list(ref) if ref is not None else None
        arch['rope_temperature'] = float(rope.temperature)
    if attn.norm is not None and not identity(attn.norm):
        assert eps_of(attn.norm) == arch['norm_eps']
    if not identity(mlp.norm):
        assert eps_of(mlp.norm) == arch['norm_eps']
    if not identity(m.norm):
        assert eps_of(m.norm) == arch['norm_eps']
    return arch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'models', 'timm',
                                                      'timm_archs.json'))
    args = parser.parse_args()
    archs = {name: vit_arch(name) for name in VIT_MODELS + list(TEST_MODELS) if '_vit_' in name or
             name in VIT_MODELS}
    archs.update({name: convnext_arch(name) for name in CONVNEXT_MODELS + list(TEST_MODELS) if 'convnext' in name})
    archs.update({name: eva_arch(name) for name in EVA_MODELS + list(TEST_MODELS) if 'eva' in name})
    doc = {'about': 'Written by tools/make_timm_archs.py from timm ' + timm.__version__ +
                    ': each timm trunk as timm constructs it. Do not edit by hand.',
           'models': archs}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write('\n')
    print(f'{len(archs)} models -> {args.out}')


if __name__ == '__main__':
    main()
