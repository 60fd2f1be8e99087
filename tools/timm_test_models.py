"""Small timm VisionTransformer trunks for cliprt's goldens (development time only).

open_clip's TimmModel takes nothing but a timm model name, so the small golden cases name these,
registered with timm here exactly as timm registers its own models. Each exercises options the
full-size open_clip trunks use or allow; tools/make_timm_archs.py records them in
models/timm/timm_archs.json next to the real ones.
"""
from timm.models import register_model
from timm.models.vision_transformer import _create_vision_transformer

SMALL = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2)

TEST_MODELS = {
    # SigLIP's shape: no class token, map head (latent query, MLP, norm), tanh GELU, eps 1e-6.
    'cliprt_test_vit_map': dict(SMALL, class_token=False, global_pool='map', act_layer='gelu_tanh'),
    # CLIP-style: class token + 2 register tokens, norm_pre without patch bias, qk_norm,
    # LayerScale, token pool, non-square 32x48 image, mlp_ratio 2.5.
    'cliprt_test_vit_token': dict(SMALL, img_size=(32, 48), class_token=True, reg_tokens=2, pre_norm=True,
                                  qk_norm=True, init_values=0.5, global_pool='token', mlp_ratio=2.5),
    # avg pool with fc_norm decided by timm, positions only on patches (no_embed_class), no qkv bias.
    'cliprt_test_vit_avg': dict(SMALL, class_token=True, reg_tokens=1, no_embed_class=True, global_pool='avg',
                                qkv_bias=False),
}


def _register(name, args):
    def fn(pretrained=False, **kwargs):
        return _create_vision_transformer(name, pretrained=pretrained, **dict(args, **kwargs))
    fn.__name__ = name
    register_model(fn)


for _name, _args in TEST_MODELS.items():
    _register(_name, _args)
