"""Small timm VisionTransformer, ConvNeXt and EVA trunks for cliprt's goldens (development time only).

open_clip's TimmModel takes nothing but a timm model name, so the small golden cases name these,
registered with timm here exactly as timm registers its own models. Each exercises options the
full-size open_clip trunks use or allow; tools/make_timm_archs.py records them in
models/timm/timm_archs.json next to the real ones.
"""
from timm.models import register_model
from timm.models.convnext import _create_convnext
from timm.models.eva import _create_eva
from timm.models.vision_transformer import _create_vision_transformer

SMALL = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2)

TEST_MODELS = {
    # SigLIP's shape: no class token, map head (latent query, MLP, norm), tanh GELU, eps 1e-6.
    'cliprt_test_vit_map': dict(SMALL, class_token=False, global_pool='map', act_layer='gelu_tanh'),
    # CLIP-style: class token + 2 register tokens, norm_pre without patch bias, qk_norm,
    # LayerScale, token pool, non-square 32x48 image, mlp_ratio 2.5.
    'cliprt_test_vit_token': dict(SMALL, img_size=(32, 48), class_token=True, reg_tokens=2, pre_norm=True,
                                  qk_norm=True, init_values=0.5, global_pool='token', mlp_ratio=2.5),
    # The map head over a trunk with prefix tokens (timm attends to the patch tokens only): class
    # token + 1 register token, map pool.
    'cliprt_test_vit_map_prefix': dict(SMALL, class_token=True, reg_tokens=1, global_pool='map'),
    # avg pool with fc_norm decided by timm, positions only on patches (no_embed_class), no qkv bias.
    'cliprt_test_vit_avg': dict(SMALL, class_token=True, reg_tokens=1, no_embed_class=True, global_pool='avg',
                                qkv_bias=False),
}

CONVNEXT_TEST_MODELS = {
    # convnext_base's shape, small: patchify stem 4x4 + LayerNorm2d, 7x7 depthwise, LayerScale
    # gamma, mlp_ratio 4, stage downsampling, eps 1e-6.
    'cliprt_test_convnext': dict(depths=(1, 2, 1, 1), dims=(16, 24, 32, 40)),
    # Options a config could pick: no LayerScale, no conv biases, per-stage kernel sizes, eps 1e-5
    # (convnext_xxlarge's).
    'cliprt_test_convnext_variant': dict(depths=(1, 1, 2, 1), dims=(8, 16, 24, 32), ls_init_value=None,
                                         conv_bias=False, kernel_sizes=(7, 5, 3, 7), norm_eps=1e-5),
    # For open_clip's abs_attn head: 128 channels (two heads of 64) and the 2x2 feature size of a
    # 64x64 image as its pretrained_cfg pool_size (the attention pool's positions).
    'cliprt_test_convnext_pool': dict(depths=(1, 1, 1, 1), dims=(16, 32, 48, 128),
                                      pretrained_cfg_overlay=dict(pool_size=(2, 2))),
}
TEST_MODELS.update(CONVNEXT_TEST_MODELS)

EVA_TEST_MODELS = {
    # EVA02's CLIP trunk (eva02_base_patch16_clip_224), small: separate q / k / v projections (k
    # without bias), 2D rotary embedding of the patch tokens (RotaryEmbeddingCat, interleaved pairs,
    # the class token not rotated) with ref_feat_shape 3x5 on a non-square 4x6 patch grid, LayerNorm
    # of the attention output (scale_attn_inner), SwiGLU with its inner LayerNorm (scale_mlp, hidden
    # int(32 * 8 / 3) = 85), token pool, 32x48 image.
    'cliprt_test_eva02': dict(img_size=(32, 48), patch_size=8, embed_dim=32, depth=2, num_heads=2,
                              qkv_fused=False, mlp_ratio=4 * 2 / 3, swiglu_mlp=True, scale_mlp=True,
                              scale_attn_inner=True, use_rot_pos_emb=True, ref_feat_shape=(3, 5),
                              global_pool='token'),
    # EVA02-E's block shape (eva02_enormous_patch14_clip_224) and EVA01's fused qkv: post-norm blocks
    # (x + norm1(attn(x)), x + norm2(mlp(x))), one qkv Linear without bias plus q_bias / v_bias (k
    # zero), exact-GELU Mlp, no rotary embedding; avg pool (fc_norm after the pool, no final norm).
    'cliprt_test_eva_post': dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
                                 use_post_norm=True, global_pool='avg'),
}
TEST_MODELS.update(EVA_TEST_MODELS)


def _register(name, args, create):
    def fn(pretrained=False, **kwargs):
        # timm.create_model passes pretrained_cfg_overlay=None; keep the model's own then.
        given = {k: v for k, v in kwargs.items() if v is not None or k not in args}
        return create(name, pretrained=pretrained, **dict(args, **given))
    fn.__name__ = name
    register_model(fn)


for _name, _args in TEST_MODELS.items():
    _register(_name, _args, _create_convnext if _name in CONVNEXT_TEST_MODELS else
              _create_eva if _name in EVA_TEST_MODELS else _create_vision_transformer)
