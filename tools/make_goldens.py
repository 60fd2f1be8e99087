#!/usr/bin/env python3
"""Generates the open_clip goldens under tests/goldens/ (development time only).

For every case: build open_clip.model.CLIP from an open_clip model_cfg, overwrite every parameter
and buffer with the deterministic synthetic weights (tools/synthetic_weights.py), run the model in
eval mode, float32, under torch.no_grad, and write

    <out>/<case>/manifest.json          what was built, which inputs, which outputs
    <out>/<case>/expected.safetensors   the outputs (float32) and the text tokens (int32)

Weights and images are never stored: the C++ side regenerates both from their generator names
(see tests/goldens/README.md for the manifest schema).

    python3 tools/make_goldens.py --out tests/goldens            # every case
    python3 tools/make_goldens.py --out tests/goldens --only small_rn_se --only rn50_image
    python3 tools/make_goldens.py --list

Extensions to open_clip implemented here (the C++ builders must match them):
  * vision_cfg "use_se": true -- a squeeze-and-excitation block after the final ReLU of every
    ModifiedResNet Bottleneck (keys `<block>.se.fc.0.weight` [C/16, C], `<block>.se.fc.2.weight`
    [C, C/16], no biases; C = planes * 4).
  * vision_cfg "attnpool_ln": true -- seed 001's nn.LayerNorm(embed_dim) over AttentionPool2d's
    tokens after the positional embedding, before q/k/v (keys `visual.attnpool.ln.weight/bias`);
    projections applied once (the seed's double projection is not reproduced).
  * scaled_cosine_attn: open_clip 3.3.0's Attention.forward calls torch.bmm on 4-D
    [N, heads, L, head_dim] tensors in that branch and crashes; we run the same computation with
    torch.matmul (see _scaled_cosine_attention_forward).
  * text_cfg "hf_model_config": the transformers config of an HFTextEncoder tower inline (cliprt
    reads it from the manifest; a model directory brings it as config.json). Here it is saved to a
    temporary directory that hf_model_name then points at, with hf_model_pretrained false, and
    the model is open_clip's CustomTextCLIP, as open_clip's factory builds it for HF towers.
  * hf_pooler_type max_pooler: open_clip 3.3.0's MaxPooler calls masked_fill with the long
    attention mask itself (it needs a bool mask, and would fill the tokens rather than the
    padding); we evaluate the evident intent, the maximum over the tokens the mask keeps
    (_max_pooler_forward).
  * HF text towers get their token ids from a seeded generator (text_ids): the vocabularies of
    these small configs are synthetic, so no tokenizer applies; each row is [bos] ids [eos] then
    padding with the config's pad_token_id, rows of different lengths.
"""
import argparse
import copy
import json
import math
import os
import re
import sys
import time
import types
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_weights import fill_state_dict, synthetic_tensor  # noqa: E402

import timm_test_models  # noqa: E402,F401  (registers the small timm trunks the timm cases name)
import open_clip  # noqa: E402
from open_clip.model import CLIP, CustomTextCLIP  # noqa: E402
from open_clip.modified_resnet import Bottleneck  # noqa: E402
from open_clip.tokenizer import SimpleTokenizer  # noqa: E402
from open_clip.transformer import Attention  # noqa: E402

IMAGE_GENERATOR = 'input.image'
IMAGE_CENTER = 0.0
IMAGE_SCALE = 1.0

# ---------------------------------------------------------------------------------------------
# Model configs
# ---------------------------------------------------------------------------------------------

# Verbatim open_clip 3.3.0 model_configs/RN50.json and ViT-B-32.json.
RN50_CFG = {
    "embed_dim": 1024,
    "vision_cfg": {"image_size": 224, "layers": [3, 4, 6, 3], "width": 64, "patch_size": None},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
}
VIT_B_32_CFG = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
}

# Verbatim open_clip 3.3.0 model_configs/ViT-L-14.json.
VIT_L_14_CFG = {
    "embed_dim": 768,
    "vision_cfg": {"image_size": 224, "layers": 24, "width": 1024, "patch_size": 14},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 768, "heads": 12, "layers": 12},
}

# Verbatim open_clip 3.3.0 model_configs/ViT-B-16-SigLIP.json.
SIGLIP_B_16_CFG = {
    "embed_dim": 768, "init_logit_bias": -10, "custom_text": True,
    "vision_cfg": {"image_size": 224, "timm_model_name": "vit_base_patch16_siglip_224",
                   "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": "none"},
    "text_cfg": {"context_length": 64, "vocab_size": 32000, "hf_tokenizer_name": "timm/ViT-B-16-SigLIP",
                 "tokenizer_kwargs": {"clean": "canonicalize"}, "width": 768, "heads": 12, "layers": 12,
                 "no_causal_mask": True, "proj_bias": True, "pool_type": "last",
                 "norm_kwargs": {"eps": 1e-6}},
}

# Verbatim open_clip 3.3.0 model_configs/convnext_base.json.
CONVNEXT_BASE_CFG = {
    "embed_dim": 512,
    "vision_cfg": {"timm_model_name": "convnext_base", "timm_model_pretrained": False, "timm_pool": "",
                   "timm_proj": "linear", "timm_drop": 0.0, "timm_drop_path": 0.1, "image_size": 224},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
}

# Verbatim open_clip 3.3.0 model_configs/EVA02-B-16.json.
EVA02_B_16_CFG = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "timm_model_name": "eva02_base_patch16_clip_224",
                   "timm_model_pretrained": False, "timm_pool": "token", "timm_proj": None},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
    "custom_text": True,
}

# Towers that a case builds but does not run (CLIP always builds both).
SMALL_VISION = {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16}
SMALL_TEXT = {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}

SHORT_STRINGS = [
    "a photo of a cat",
    "a diagram of a green triangle on a white background",
    "A photo of 2 dogs, playing in the snow!",
]
LONG_STRING = (
    "a very long caption that keeps going well past the context length of the text tower, "
    "describing a busy street market at dusk with vendors selling fresh fruit, bright paper "
    "lanterns hanging over the stalls, children chasing pigeons between the tables, an old man "
    "playing the accordion near a fountain, tourists taking photographs of everything they see, "
    "and a small brown dog sleeping peacefully under a wooden cart full of oranges and lemons"
)
# For the small text towers (context 16-20): one short, one that fits, one truncated.
SMALL_STRINGS = ["a photo of a cat", "a diagram of a green triangle on a white background",
                 "A photo of 2 dogs, playing in the snow next to a big red barn at sunset!"]


def case(name, description, model_cfg, image_batch=0, strings=None, logits=False, full_size=False,
         text_ids=None):
    return dict(name=name, description=description, model_cfg=model_cfg, image_batch=image_batch,
                strings=strings, logits=logits, full_size=full_size, text_ids=text_ids)


# Small transformers configs for HFTextEncoder towers (overrides of BertConfig, RobertaConfig and
# XLMRobertaConfig; everything else keeps the transformers default).
HF_BERT_SMALL = {"model_type": "bert", "vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 37, "max_position_embeddings": 40,
                 "type_vocab_size": 2, "pad_token_id": 0}
HF_ROBERTA_SMALL = {"model_type": "roberta", "vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2,
                    "num_attention_heads": 2, "intermediate_size": 48, "max_position_embeddings": 40,
                    "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
                    "layer_norm_eps": 1e-05}
HF_XLMR_SMALL = {"model_type": "xlm-roberta", "vocab_size": 101, "hidden_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 3, "intermediate_size": 64, "max_position_embeddings": 24,
                 "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
                 "layer_norm_eps": 1e-05, "hidden_act": "gelu_new"}


def hf_text_ids(hf_cfg, context_length, lengths, seed):
    """Rows [bos] random ids [eos] + padding: bos/eos are 101/102-like specials of the config."""
    rng = np.random.RandomState(seed)
    pad = hf_cfg['pad_token_id']
    bos, eos = (2, 3) if hf_cfg['model_type'] == 'bert' else (hf_cfg['bos_token_id'], hf_cfg['eos_token_id'])
    rows = []
    for n in lengths:
        body = rng.randint(4, hf_cfg['vocab_size'], size=max(n - 2, 0)).tolist()
        row = ([bos] + body + [eos])[:n]
        rows.append(row + [pad] * (context_length - len(row)))
    return rows


def hf_case_cfg(embed_dim, hf_cfg, context_length=16, **text_keys):
    text_cfg = {"context_length": context_length, "hf_model_name": f"small-{hf_cfg['model_type']}",
                "hf_tokenizer_name": f"small-{hf_cfg['model_type']}", "hf_model_config": hf_cfg}
    text_cfg.update(text_keys)
    return {"embed_dim": embed_dim, "vision_cfg": SMALL_VISION, "text_cfg": text_cfg}


HF_CASES = [
    case('small_hf_bert_cls_pooler_linear',
         'open_clip HFTextEncoder on a small BERT (2 layers, width 32, 4 heads, intermediate 37, '
         'exact GELU, eps 1e-12): attention mask ids != pad_token_id, token type 0, positions from '
         '0, post-norm layers; hf_pooler_type cls_pooler (transformers pooler_output: '
         'tanh(dense(first token))), hf_proj_type linear [24, 32]. proj_bias true is ignored by '
         'open_clip 3.3.0 (its HF projections never have a bias). 4 rows of 16, 9, 4 and 2 tokens.',
         hf_case_cfg(24, HF_BERT_SMALL, hf_pooler_type="cls_pooler", hf_proj_type="linear", proj_bias=True),
         text_ids=hf_text_ids(HF_BERT_SMALL, 16, [16, 9, 4, 2], seed=1)),
    case('small_hf_bert_cls_last_hidden_mlp',
         'Small BERT with hidden_act gelu_new (tanh GELU): cls_last_hidden_state_pooler (first '
         'token of the last hidden state, no BERT pooler), hf_proj_type mlp (Linear 32->24, GELU, '
         'Linear 24->16, no biases). 3 rows of 11, 16 and 3 tokens.',
         hf_case_cfg(16, dict(HF_BERT_SMALL, hidden_act="gelu_new"),
                     hf_pooler_type="cls_last_hidden_state_pooler", hf_proj_type="mlp"),
         text_ids=hf_text_ids(HF_BERT_SMALL, 16, [11, 16, 3], seed=2)),
    case('small_hf_roberta_mean_mlp_defaults',
         "Small RoBERTa with CLIPTextCfg's defaults (hf_pooler_type mean_pooler, hf_proj_type "
         'mlp 32->28->24): positions from pad_token_id + 1 = 2, one token type, eps 1e-5, mean of '
         'the last hidden state over the mask. 4 rows of 20, 7, 13 and 2 tokens (context 20).',
         hf_case_cfg(24, HF_ROBERTA_SMALL, context_length=20),
         text_ids=hf_text_ids(HF_ROBERTA_SMALL, 20, [20, 7, 13, 2], seed=3)),
    case('small_hf_xlm_roberta_max_linear',
         'Small XLM-R (width 48, 3 heads, gelu_new, 22 usable positions): max_pooler (maximum over '
         'the kept tokens; see the note on open_clip 3.3.0 in make_goldens.py), hf_proj_type '
         'linear [32, 48]. 3 rows of 22, 5 and 12 tokens (context 22: the whole position table).',
         hf_case_cfg(32, HF_XLMR_SMALL, context_length=22, hf_pooler_type="max_pooler",
                     hf_proj_type="linear"),
         text_ids=hf_text_ids(HF_XLMR_SMALL, 22, [22, 5, 12], seed=4)),
    case('small_hf_roberta_mean_noproj',
         'Small RoBERTa, mean_pooler, hf_proj_type null with embed_dim == hidden_size 32: open_clip '
         'uses nn.Identity (no proj keys). Batch 1 of 9 tokens.',
         hf_case_cfg(32, HF_ROBERTA_SMALL, hf_pooler_type="mean_pooler", hf_proj_type=None),
         text_ids=hf_text_ids(HF_ROBERTA_SMALL, 16, [9], seed=5)),
]

CASES = [
    case('rn50_image',
         'Full-size RN50 (open_clip model_configs/RN50.json verbatim), image tower only: '
         'ModifiedResNet [3,4,6,3] width 64, 3-conv stem, anti-aliased (avg-pool) strided '
         'Bottlenecks, AttentionPool2d with 32 heads over 7x7+1 tokens, embed 1024. '
         'Batch 2 at 224x224.',
         RN50_CFG, image_batch=2, full_size=True),
    case('vit_b_32_image',
         'Full-size ViT-B-32 (model_configs/ViT-B-32.json verbatim), image tower only: '
         'patch 32 conv, 7x7+1 tokens, 12 default blocks width 768, 12 heads, exact-erf GELU, '
         'ln_pre, ln_post on all tokens then token 0, proj [768,512]. Batch 2 at 224x224.',
         VIT_B_32_CFG, image_batch=2, full_size=True),
    case('vit_b_32_text',
         'Full-size ViT-B-32 text tower: context 77, 12 layers width 512, 8 heads, causal mask, '
         'ln_final, argmax (EOT) pooling, text_projection [512,512]. Three strings, the last one '
         'longer than 77 tokens (truncated, last token forced to EOT 49407).',
         VIT_B_32_CFG, strings=SHORT_STRINGS[:2] + [LONG_STRING], full_size=True),
    case('vit_l_14_text',
         'Full-size ViT-L-14 text tower (model_configs/ViT-L-14.json verbatim): context 77, 12 '
         'layers width 768, 12 heads, causal mask, argmax (EOT) pooling, text_projection [768,768]. '
         'Its token_embedding [49408, 768] is 151.8 MB in f32, more than a 128 MiB storage binding '
         '(lavapipe and many integrated GPUs): the Vulkan backend binds it in pieces. Two strings.',
         VIT_L_14_CFG, strings=SHORT_STRINGS[1:], full_size=True),

    # ---- small ViT image towers ------------------------------------------------------------
    case('small_vit_tok_gelu',
         'Small ViT with all defaults: exact-erf GELU, ln_pre, default ResidualAttentionBlock '
         '(nn.MultiheadAttention, packed in_proj), ln_post on all tokens then class token (tok), '
         'proj [64,32]. 32x32 image, patch 8 (4x4 grid), width 64, 2 heads (head_width 32), '
         '2 layers.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8,
                         "head_width": 32},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_quickgelu_avg_nolnpre',
         'quick_gelu true (x*sigmoid(1.702x) in the MLPs), pool_type avg (mean of tokens 1.. '
         'after ln_post, class token excluded), no_ln_pre (ln_pre is Identity, no ln_pre keys), '
         'ls_init_value 0.5 (LayerScale ls_1.gamma/ls_2.gamma multiply each residual branch), '
         'mlp_ratio 2.0 (MLP width 96). 48x48 image, patch 16 (3x3 grid), width 48, '
         'head_width 16 (3 heads), 2 layers.',
         {"embed_dim": 32, "quick_gelu": True,
          "vision_cfg": {"image_size": 48, "layers": 2, "width": 48, "patch_size": 16,
                         "head_width": 16, "mlp_ratio": 2.0, "pool_type": "avg",
                         "no_ln_pre": True, "ls_init_value": 0.5},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_final_ln_after_pool',
         'final_ln_after_pool true with pool_type avg: pool first (mean of tokens 1..), then '
         'ln_post on the pooled vector, then proj. (With pool_type tok the flag would change '
         'nothing since LayerNorm is per token, hence avg here.) Also pos_embed_type '
         'sin_cos_2d: open_clip fills positional_embedding with a fixed sin-cos table but it is '
         'an ordinary (frozen) parameter in the state dict, so a checkpoint/synthetic weights '
         'overwrite it like the learnable one; the C++ side just loads it.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8,
                         "head_width": 16, "pool_type": "avg", "final_ln_after_pool": True,
                         "pos_embed_type": "sin_cos_2d"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_attn_pool',
         'attentional_pool true (CoCa AttentionalPooler), 3 queries, 2 heads, pool_type tok. '
         'Pooler d_model = embed_dim = 64 = width, so its nn.MultiheadAttention uses the packed '
         'attn_pool.attn.in_proj_weight [192,64]. Order: transformer -> attn_pool (ln_k on the '
         'tokens, ln_q on the queries, cross attention) -> ln_post (dim embed_dim) -> query 0 -> '
         'proj [64,64]. attn_pool.ln_q/ln_k always use eps 1e-5 (AttentionalPooler is built '
         'with its default LayerNorm, never the tower norm_layer / norm_kwargs).',
         {"embed_dim": 64,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16,
                         "head_width": 32, "attentional_pool": True, "attn_pooler_queries": 3,
                         "attn_pooler_heads": 2, "pool_type": "tok"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_attn_pool_avg',
         'attentional_pool with pool_type avg and embed_dim 48 != width 64: the pooler '
         'nn.MultiheadAttention(48, 2, kdim=64, vdim=64) stores separate '
         'attn_pool.attn.q_proj_weight [48,48], k_proj_weight [48,64], v_proj_weight [48,64] '
         'plus a packed in_proj_bias [144]. After ln_post (dim 48), avg = mean of the pooler '
         'outputs for queries 1..n-1 (query 0 is EXCLUDED, like the class token), then proj '
         '[48,48]. norm_kwargs eps 1e-6 applies to ln_pre/ln_1/ln_2/ln_post but NOT to the '
         'pooler ln_q/ln_k (eps 1e-5). final_ln_after_pool is ignored when attentional_pool is set.',
         {"embed_dim": 48,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16,
                         "head_width": 32, "attentional_pool": True, "attn_pooler_queries": 3,
                         "attn_pooler_heads": 2, "pool_type": "avg",
                         "norm_kwargs": {"eps": 1e-6}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_custom_block',
         'CustomResidualAttentionBlock (selected automatically by the flags) with '
         'scaled_cosine_attn (attn = normalize(q) @ normalize(k)^T * exp(min(attn.logit_scale, '
         'ln 100)), attn.logit_scale [heads,1,1]; no 1/sqrt(d) scale), scale_heads '
         '(attn.head_scale [heads,1,1] multiplies each head\'s attention OUTPUT, before the '
         'heads are merged), scale_attn_inner (attn.ln_inner on the merged heads before '
         'out_proj), scale_attn (ln_attn on the attention branch before ls_1/residual), scale_fc '
         '(mlp.ln after the activation, before c_proj), act_kwargs approximate=tanh (tanh GELU). '
         'NOTE: open_clip 3.3.0 crashes in the scaled-cosine branch (torch.bmm on 4-D tensors); '
         'make_goldens.py evaluates the identical formula with torch.matmul.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8,
                         "head_width": 16, "scaled_cosine_attn": True, "scale_heads": True,
                         "scale_attn_inner": True, "scale_attn": True, "scale_fc": True,
                         "act_kwargs": {"approximate": "tanh"}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_qk_norm',
         'qk_norm true (custom block): attn.ln_q / attn.ln_k are LayerNorms over head_dim (16) '
         'applied per head to q and k after the in_proj split, then ordinary scaled-dot-product '
         'attention with 1/sqrt(head_dim); norm_kwargs eps 1e-6 applies to every LayerNorm of '
         'the tower including ln_q/ln_k.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8,
                         "head_width": 16, "qk_norm": True, "norm_kwargs": {"eps": 1e-6}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_vit_nonsquare_plain_custom',
         'Non-square image_size [32,48] with patch 16: grid 2x3, patches flattened row-major '
         '(index = row*3 + col), positional_embedding [7,32]. block_type "custom" with no custom '
         'feature: CustomResidualAttentionBlock with open_clip Attention; same math and same '
         'key names as the default block. mlp_ratio 2.5 (MLP width int(32*2.5) = 80), '
         'head_width 8 (4 heads).',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": [32, 48], "layers": 1, "width": 32, "patch_size": 16,
                         "head_width": 8, "mlp_ratio": 2.5, "block_type": "custom"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),

    # ---- small text towers ------------------------------------------------------------------
    case('small_text_argmax_causal',
         'Small text tower with defaults: token_embedding + positional_embedding, causal mask, '
         'default blocks (exact GELU), ln_final on all tokens, argmax pooling (position of the '
         'largest id = EOT 49407), text_projection [32,24]. Context 16; the third string is '
         'truncated (16th token forced to 49407).',
         {"embed_dim": 24, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 2}},
         strings=SMALL_STRINGS),
    case('small_text_eos_nocausal_projbias',
         'pool_type eos with eos_id 49407 (first position whose id == eos_id; 0 if absent), '
         'no_causal_mask (full bidirectional attention; the PAD tokens (id 0) are attended too: '
         'CLIP.encode_text never builds a padding mask), proj_bias true (text_projection is an '
         'nn.Linear: keys text_projection.weight [24,32] (out,in) and text_projection.bias [24]). '
         'Context 18.',
         {"embed_dim": 24, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 18, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 2, "pool_type": "eos", "eos_id": 49407,
                       "no_causal_mask": True, "proj_bias": True}},
         strings=SMALL_STRINGS),
    case('small_text_first_noproj',
         'pool_type first (token 0 after ln_final) and proj_type none: no text_projection key, '
         'text features have the tower width 40, not embed_dim 24 (embed_dim only sizes the '
         'vision tower then). no_causal_mask is set because with a causal mask token 0 (SOT) '
         'only sees itself and every text would get the same feature.',
         {"embed_dim": 24, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 40, "heads": 2,
                       "layers": 2, "pool_type": "first", "proj_type": "none",
                       "no_causal_mask": True}},
         strings=SMALL_STRINGS),
    case('small_text_last_ls',
         'pool_type last (token context_length-1 after ln_final: a PAD token for short texts, '
         'which under the causal mask sees the whole text; EOT for the truncated one), '
         'ls_init_value 0.5 (ls_1.gamma/ls_2.gamma), quick_gelu true. Context 20.',
         {"embed_dim": 24, "quick_gelu": True, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 20, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 2, "pool_type": "last", "ls_init_value": 0.5}},
         strings=SMALL_STRINGS),
    case('small_text_custom_block',
         'Text CustomResidualAttentionBlock with scaled_cosine_attn (+ additive causal mask '
         'added to the scaled cosine logits), scale_heads, scale_attn_inner, scale_attn, '
         'scale_fc, act_kwargs approximate=tanh, norm_kwargs eps 1e-6 (every LayerNorm incl. '
         'ln_final, ln_attn, attn.ln_inner, mlp.ln). open_clip 3.3.0 crashes in the '
         'scaled-cosine branch; evaluated with torch.matmul (same formula). Context 16.',
         {"embed_dim": 24, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 2, "scaled_cosine_attn": True, "scale_heads": True,
                       "scale_attn_inner": True, "scale_attn": True, "scale_fc": True,
                       "act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}}},
         strings=SMALL_STRINGS),
    case('small_text_qk_norm_final_ln_ignored',
         'Text qk_norm (attn.ln_q/ln_k over head_dim 16 per head, causal mask, 1/sqrt(d) scale), '
         'mlp_ratio 2.0, and final_ln_after_pool true, which open_clip IGNORES for the text '
         'tower of CLIP: CLIPTextCfg accepts it but never passes it to TextTransformer, and '
         'CLIP.encode_text always applies ln_final to all tokens before pooling. Context 16.',
         {"embed_dim": 24, "vision_cfg": SMALL_VISION,
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 1, "qk_norm": True, "mlp_ratio": 2.0,
                       "final_ln_after_pool": True}},
         strings=SMALL_STRINGS),

    # ---- small ModifiedResNet ------------------------------------------------------------------
    case('small_rn',
         'Small ModifiedResNet: layers [1,2,1,1], width 16 (stem 3->8->8->16, avgpool 2), '
         'Bottleneck (1x1, 3x3, avgpool(stride), 1x1 x4, BN, downsample avgpool+1x1+BN on the '
         'first block of every layer, ReLU after the add), AttentionPool2d over 2x2+1 tokens of '
         'dim 512 with 32 heads (width*32/head_width 16) and separate q/k/v/c_proj Linear with '
         'bias, output token 0, embed 32. 64x64 image.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 16,
                         "head_width": 16, "patch_size": None},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_rn_se',
         'small_rn with vision_cfg use_se true (a cliprt extension, not in open_clip): every '
         'Bottleneck ends with SE after its final ReLU: y = sigmoid(fc2(relu(fc1(mean_hw(x))))), '
         'out = x * y[:, :, None, None]; keys <block>.se.fc.0.weight [C/16, C] and '
         '<block>.se.fc.2.weight [C, C/16] (no bias), C = planes*4.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 16,
                         "head_width": 16, "patch_size": None, "use_se": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_rn_quickgelu',
         'A -quickgelu RN config (quick_gelu true). quick_gelu does NOT touch ModifiedResNet '
         '(it uses ReLU and gets no act_layer); it only switches the text transformer MLPs to '
         'QuickGELU. So image_features here equal small_rn\'s exactly (same vision config, same '
         'weight names, same generated weights; checked by make_goldens.py), and the text '
         'features exercise QuickGELU in the text tower of an RN model.',
         {"embed_dim": 32, "quick_gelu": True,
          "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 16,
                         "head_width": 16, "patch_size": None},
          "text_cfg": SMALL_TEXT},
         image_batch=2, strings=SMALL_STRINGS),

    # ---- open_clip TimmModel towers (timm VisionTransformer) -----------------------------------
    case('vit_b_16_siglip_image',
         'Full-size ViT-B-16-SigLIP (open_clip model_configs/ViT-B-16-SigLIP.json verbatim), image '
         'tower only: TimmModel over timm vit_base_patch16_siglip_224 (patch 16 conv with bias, '
         'no class token, pos_embed [1,196,768], 12 timm Blocks width 768, 12 heads, exact GELU, '
         'LayerNorm eps 1e-6, final norm, map head = AttentionPoolLatent: latent [1,1,768] -> q, '
         'kv Linear, 12-head cross attention, proj, x + mlp(norm(x))), timm_proj none (features = '
         'the map output, 768). Batch 1 at 224x224.',
         SIGLIP_B_16_CFG, image_batch=1, full_size=True),
    case('small_timm_vit_map_none',
         'timm trunk cliprt_test_vit_map (tools/timm_test_models.py: SigLIP shape, no class token, '
         'gelu_tanh, eps 1e-6), timm_pool map, timm_proj none: map head output straight out.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_map",
                         "timm_pool": "map", "timm_proj": "none"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_vit_map_prefix',
         'cliprt_test_vit_map_prefix (class token + 1 register token, map pool): timm\'s '
         'AttentionPoolLatent attends to the patch tokens only (x[:, num_prefix_tokens:]); '
         'timm_proj linear: head.proj Linear(32, 24).',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_map_prefix",
                         "timm_pool": "map", "timm_proj": "linear"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_vit_token_linear',
         'cliprt_test_vit_token (class token + 2 register tokens, pos_embed over all 3+24 tokens, '
         'norm_pre and no patch bias, qk_norm, LayerScale 0.5 init (ls1/ls2.gamma), mlp_ratio '
         '2.5, 32x48 image), timm_pool token, timm_proj linear with timm_proj_bias: '
         'reset_classifier(0, token), head.proj Linear(32, 24) with bias.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": [32, 48], "timm_model_name": "cliprt_test_vit_token",
                         "timm_pool": "token", "timm_proj": "linear", "timm_proj_bias": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_vit_avg_mlp',
         'cliprt_test_vit_avg (class + 1 register token, no_embed_class: pos_embed over the 16 '
         'patches only, added before the prefix tokens are prepended; qkv without bias; built '
         'with global_pool avg so fc_norm after the pool and no final norm), timm_pool "" (keep '
         'the trunk pool: mean of the patch tokens, prefix excluded), timm_proj mlp: '
         'head.mlp = timm Mlp(32, 48, 24), fc1 with bias, exact GELU, fc2 without bias.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_avg",
                         "timm_pool": "", "timm_proj": "mlp"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_vit_avg_trunk_head',
         'cliprt_test_vit_map built by open_clip with global_pool avg (no attn_pool, fc_norm after '
         'the pool since timm decides it from the pool) and timm_proj "" (falsy but not none): '
         'the trunk keeps a classifier trunk.head = Linear(32, embed_dim 24) with bias.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_map",
                         "timm_pool": "avg", "timm_proj": ""},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_siglip_logits',
         'A small SigLIP as a whole (CustomTextCLIP): image tower as small_timm_vit_map_none, the '
         'SigLIP text tower (text.* keys: no causal mask, pool last, text_projection Linear with '
         'bias, every LayerNorm eps 1e-6) and the sigmoid-loss logits exp(logit_scale) * cos + '
         'logit_bias with init_logit_bias -10 (the synthetic logit_bias is -1).',
         {"embed_dim": 32, "init_logit_bias": -10, "custom_text": True,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_map",
                         "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": "none"},
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 2, "no_causal_mask": True, "proj_bias": True, "pool_type": "last",
                       "norm_kwargs": {"eps": 1e-6}}},
         image_batch=2, strings=SMALL_STRINGS, logits=True),

    # ---- open_clip TimmModel towers (timm ConvNeXt) -------------------------------------------
    case('convnext_base_image',
         'Full-size convnext_base (open_clip model_configs/convnext_base.json verbatim), image tower '
         'only: TimmModel over timm convnext_base (stem Conv2d 4x4 stride 4 + LayerNorm2d, stages '
         '3/3/27/3 of widths 128/256/512/1024, each block a 7x7 depthwise conv, LayerNorm eps 1e-6, '
         'Linear 4x -> GELU -> Linear, LayerScale gamma, residual; stages 1-3 start with LayerNorm2d '
         '+ 2x2 stride-2 conv), timm_pool "" (the trunk keeps its avg pool + head.norm, '
         'reset_classifier(0)), timm_proj linear: head.proj Linear(1024, 512) without bias. Batch 1 '
         'at 224x224.',
         CONVNEXT_BASE_CFG, image_batch=1, full_size=True),
    case('small_timm_convnext_linear',
         'timm trunk cliprt_test_convnext (tools/timm_test_models.py: convnext_base\'s shape with '
         'depths 1/2/1/1, widths 16/24/32/40), timm_pool "" and timm_proj linear as every open_clip '
         'ConvNeXt config: avg pool, head.norm, head.proj Linear(40, 32) without bias; 64x64 images.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "timm_model_name": "cliprt_test_convnext",
                         "timm_pool": "", "timm_proj": "linear"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_convnext_mlp_variant',
         'cliprt_test_convnext_variant (no LayerScale, no conv biases, depthwise kernels 7/5/3/7, '
         'LayerNorm eps 1e-5) on non-square 72x56 images (stage grids 18x14, 9x7, 4x3, 2x1: the '
         'floor of odd sizes), timm_proj mlp with timm_proj_bias as the _d configs: head.mlp = timm '
         'Mlp(32, 48, 24), exact GELU, fc2 with bias.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": [72, 56], "timm_model_name": "cliprt_test_convnext_variant",
                         "timm_pool": "", "timm_proj": "mlp", "timm_proj_bias": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_convnext_avg_trunk_head',
         'cliprt_test_convnext built by open_clip with global_pool avg and timm_proj "" (falsy but not '
         'none): the trunk keeps its classifier trunk.head.fc = Linear(40, embed_dim 24) with bias '
         'after the pool and head.norm.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 64, "timm_model_name": "cliprt_test_convnext",
                         "timm_pool": "avg", "timm_proj": ""},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_convnext_abs_attn',
         'cliprt_test_convnext_pool (widths 16/32/48/128, pretrained_cfg pool_size 2x2) with timm_pool '
         'abs_attn, timm_proj "": the trunk is reset to no pool (head.norm over the 2x2 map), '
         'head.pool = timm AttentionPool2d(128, feat_size 2x2, out 32): mean token prepended, '
         'pos_embed [5, 128], packed qkv with bias, 2 heads of 64, token 0 through proj.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "timm_model_name": "cliprt_test_convnext_pool",
                         "timm_pool": "abs_attn", "timm_proj": ""},
          "text_cfg": SMALL_TEXT},
         image_batch=3),
    case('small_timm_convnext_abs_attn_mlp',
         'As small_timm_convnext_abs_attn with timm_proj mlp and timm_proj_bias: head.pool (out 24) '
         'then head.mlp = timm Mlp(24, 48, 24) with both biases.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 64, "timm_model_name": "cliprt_test_convnext_pool",
                         "timm_pool": "abs_attn", "timm_proj": "mlp", "timm_proj_bias": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_convnext_rot_attn',
         'cliprt_test_convnext_pool on non-square 96x64 images (a 3x2 feature map) with timm_pool '
         'rot_attn, timm_proj none: head.pool = timm RotAttentionPool2d(128, out 32): mean token '
         'prepended, packed qkv with bias, the keys of the 6 map tokens rotated by RotaryEmbeddingCat '
         '(index grid scaled to the 7x7 reference, temperature bands, interleaved pairs; the mean token '
         'unrotated), 2 heads of 64, token 0 through proj.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": [96, 64], "timm_model_name": "cliprt_test_convnext_pool",
                         "timm_pool": "rot_attn", "timm_proj": "none"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_convnext_custom_head_seed',
         'Seed 002\'s custom head example as vision_cfg timm_custom_head (a cliprt extension): '
         'cliprt_test_convnext reset with timm_pool avg, then CustomHead = Linear(40, 32) named '
         '"linear" with bias, ReLU named "relu" (weights visual.head.linear.*), replacing open_clip\'s head.',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "timm_model_name": "cliprt_test_convnext", "timm_pool": "avg",
                         "timm_custom_head": [{"kind": "linear", "name": "linear", "out_features": 32},
                                              {"kind": "relu", "name": "relu"}]},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_vit_custom_head',
         'timm_custom_head on a timm ViT: cliprt_test_vit_map with timm_pool map, then an unnamed '
         'layer list (nn.Sequential indices 0..5): Linear(32, 48), tanh GELU, LayerNorm(48, eps 1e-6), '
         'Dropout, Linear(48, 24) without bias, Tanh.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_vit_map", "timm_pool": "map",
                         "timm_custom_head": [{"kind": "linear", "out_features": 48}, {"kind": "gelu_tanh"},
                                              {"kind": "layer_norm", "eps": 1e-6}, {"kind": "dropout"},
                                              {"kind": "linear", "out_features": 24, "bias": False},
                                              {"kind": "tanh"}]},
          "text_cfg": SMALL_TEXT},
         image_batch=2),

    # ---- open_clip TimmModel towers (timm Eva: EVA01 / EVA02) ----------------------------------
    case('eva02_b_16_image',
         'Full-size EVA02-B-16 (open_clip model_configs/EVA02-B-16.json verbatim), image tower only: '
         'TimmModel over timm eva02_base_patch16_clip_224 (patch 16 conv with bias, class token, '
         'pos_embed [1,197,768], 12 EvaBlocks width 768, 12 heads: q_proj / k_proj (no bias) / '
         'v_proj, 2D rotary embedding of the 196 patch tokens (RotaryEmbeddingCat, in_pixels False, '
         'grid 14x14 scaled to ref_feat_shape 16x16, temperature 10000, interleaved pairs; the class '
         'token is not rotated), attn.norm LayerNorm before proj, SwiGLU fc1_g / fc1_x 768 -> 2048, '
         'SiLU gate, mlp.norm LayerNorm(2048), fc2; LayerNorm eps 1e-6, final norm), timm_pool token, '
         'timm_proj null (the trunk classifier trunk.head = Linear(768, 512) with bias). Batch 1 at '
         '224x224.',
         EVA02_B_16_CFG, image_batch=1, full_size=True),
    case('small_timm_eva02_token',
         'timm trunk cliprt_test_eva02 (tools/timm_test_models.py: EVA02\'s block, small: q / k / v '
         'projections with k unbiased, rotary embedding on a non-square 4x6 patch grid scaled to '
         'ref_feat_shape 3x5, attn.norm, SwiGLU hidden 85 with mlp.norm, 32x48 image), timm_pool '
         'token, timm_proj null as the EVA02 configs: trunk.head = Linear(32, 24) with bias.',
         {"embed_dim": 24, "custom_text": True,
          "vision_cfg": {"image_size": [32, 48], "timm_model_name": "cliprt_test_eva02",
                         "timm_pool": "token", "timm_proj": None},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_eva02_avg_none',
         'cliprt_test_eva02 built with global_pool avg (timm then puts fc_norm after the pool and no '
         'final norm; the mean leaves the class token out), timm_proj none: the pooled, normed '
         'features straight out (embed_dim = width 32).',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": [32, 48], "timm_model_name": "cliprt_test_eva02",
                         "timm_pool": "avg", "timm_proj": "none"},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_timm_eva_post_linear',
         'cliprt_test_eva_post (EVA02-E\'s post-norm blocks x + norm1(attn(x)), x + norm2(mlp(x)), '
         'with EVA01\'s fused qkv Linear without bias plus q_bias / v_bias parameters, k_bias a zero '
         'buffer; exact-GELU Mlp; no rotary embedding; built with avg pool: fc_norm), timm_pool "" '
         '(keep the trunk pool), timm_proj linear with timm_proj_bias: head.proj Linear(32, 24).',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "timm_model_name": "cliprt_test_eva_post",
                         "timm_pool": "", "timm_proj": "linear", "timm_proj_bias": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),

    case('small_rn_attnpool_ln',
         'small_rn with vision_cfg attnpool_ln true (seed 001, a cliprt extension): AttentionPool2d '
         'normalizes its HW+1 tokens with attnpool.ln (nn.LayerNorm(512), eps 1e-5, keys '
         'visual.attnpool.ln.weight/bias) after the positional embedding and before q/k/v. The '
         'seed also projects q/k/v twice (once itself, once inside F.multi_head_attention_forward); '
         'that defect is not reproduced (tools/make_goldens.py LnAttentionPool2d).',
         {"embed_dim": 32,
          "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 16,
                         "head_width": 16, "patch_size": None, "attnpool_ln": True},
          "text_cfg": SMALL_TEXT},
         image_batch=2),

    # ---- seed 003's pre-norm ViT (vision_cfg prenorm_vit, a cliprt extension) ------------------
    case('small_prenorm_vit_cls',
         'Seed 003\'s ViT as the image tower (vision_cfg "prenorm_vit", tools/make_goldens.py runs '
         'the seed\'s own PreNorm / FeedForward / Attention / Transformer / ViT classes): patches '
         'rearranged b (h w) (p1 p2 c), LayerNorm(192) -> Linear(192, 32) -> LayerNorm(32), class '
         'token, pos_embedding [1, 17, 32], 2 pre-norm blocks (to_qkv without bias, 2 heads of 16, '
         'to_out Linear, exact-GELU FeedForward 64), no final norm, pool cls, mlp_head LayerNorm + '
         'Linear(32, embed_dim 24). Every LayerNorm eps 1e-5.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 32, "layers": 2,
                         "prenorm_vit": {"heads": 2, "dim_head": 16, "mlp_dim": 64, "pool": "cls"}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_prenorm_vit_mean_inner',
         'Seed 003\'s ViT with an attention narrower than the tower (3 heads of 8: inner 24, '
         'to_qkv Linear(32, 72), to_out Linear(24, 32)), patch 6 on a 24x24 image (patch_dim 108), '
         'pool mean (over every token, the class token included, as the seed does), FeedForward 48.',
         {"embed_dim": 16,
          "vision_cfg": {"image_size": 24, "patch_size": 6, "width": 32, "layers": 2,
                         "prenorm_vit": {"heads": 3, "dim_head": 8, "mlp_dim": 48, "pool": "mean"}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),
    case('small_prenorm_vit_single_head',
         'Seed 003\'s ViT with one head as wide as the tower (heads 1, dim_head 32 = dim): the seed '
         'then has no to_out projection (nn.Identity); one block, patch 4 on a 16x16 image, pool cls.',
         {"embed_dim": 24,
          "vision_cfg": {"image_size": 16, "patch_size": 4, "width": 32, "layers": 1,
                         "prenorm_vit": {"heads": 1, "dim_head": 32, "mlp_dim": 64, "pool": "cls"}},
          "text_cfg": SMALL_TEXT},
         image_batch=2),

    # ---- both towers + logits ------------------------------------------------------------------
    case('small_clip_logits',
         'Both towers and the logits of CLIP.get_logits: logits = exp(logit_scale) * '
         'normalize(image_features) @ normalize(text_features).T + logit_bias, [N_img, N_txt]. '
         'init_logit_bias -1.0 creates the logit_bias parameter; logit_scale (0-d) and '
         'logit_bias come from the synthetic weights (2.6592600369644165 -> exp = 14.2857, and '
         '-1.0).',
         {"embed_dim": 32, "init_logit_bias": -1.0,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8,
                         "head_width": 16},
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2,
                       "layers": 1}},
         image_batch=2, strings=SMALL_STRINGS, logits=True),
] + HF_CASES

# ---------------------------------------------------------------------------------------------
# Extensions
# ---------------------------------------------------------------------------------------------


class SEBlock(nn.Module):
    """Squeeze-and-excitation: AdaptiveAvgPool2d(1) -> Linear -> ReLU -> Linear -> Sigmoid -> x * y."""

    def __init__(self, channel, reduction=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channel, channel // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channel // reduction, channel, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


class SEBottleneck(Bottleneck):
    """open_clip's Bottleneck followed (after its final ReLU) by an SEBlock(planes * 4)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__(inplanes, planes, stride)
        self.se = SEBlock(planes * self.expansion)

    def forward(self, x):
        return self.se(super().forward(x))


def swap_in_se_bottlenecks(visual):
    count = 0
    for layer_name in ('layer1', 'layer2', 'layer3', 'layer4'):
        layer = getattr(visual, layer_name)
        for i, block in enumerate(layer):
            inplanes, planes = block.conv1.in_channels, block.conv1.out_channels
            se_block = SEBottleneck(inplanes, planes, block.stride)
            missing, unexpected = se_block.load_state_dict(block.state_dict(), strict=False)
            assert not unexpected and all(k.startswith('se.') for k in missing), (missing, unexpected)
            layer[i] = se_block
            count += 1
    return count


# ---- Seed 003's pre-norm ViT (vit-pytorch style), its classes as the seed writes them ----------
# Changes from the seed's text: `repeat` imported (the seed calls it without importing it) and
# DropPath from timm.layers (timm.models.layers is its deprecated alias); nothing else.
from einops import rearrange, repeat  # noqa: E402
from timm.layers import DropPath  # noqa: E402


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x, **kwargs):
        return self.fn(self.norm(x), **kwargs)


class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim, dropout=0.):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, dim),
            nn.Dropout(dropout)
        )

    def forward(self, x):
        return self.net(x)


class SeedAttention(nn.Module):  # the seed's `Attention` (renamed: open_clip's Attention is imported here)
    def __init__(self, dim, heads=8, dim_head=64, dropout=0.):
        super().__init__()
        inner_dim = dim_head * heads
        project_out = not (heads == 1 and dim_head == dim)

        self.heads = heads
        self.scale = dim_head ** -0.5

        self.attend = nn.Softmax(dim=-1)
        self.dropout = nn.Dropout(dropout)

        self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)

        self.to_out = nn.Sequential(
            nn.Linear(inner_dim, dim),
            nn.Dropout(dropout)
        ) if project_out else nn.Identity()

    def forward(self, x):
        b, n, _, h = *x.shape, self.heads
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=h), qkv)

        dots = torch.einsum('b h i d, b h j d -> b h i j', q, k) * self.scale

        attn = self.attend(dots)
        attn = self.dropout(attn)

        out = torch.einsum('b h i j, b h j d -> b h i d', attn, v)
        out = rearrange(out, 'b h n d -> b n (h d)')
        return self.to_out(out)


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0., drop_path=0.):
        super().__init__()
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                PreNorm(dim, SeedAttention(dim, heads=heads, dim_head=dim_head, dropout=dropout)),
                PreNorm(dim, FeedForward(dim, mlp_dim, dropout=dropout))
            ]))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x):
        for attn, ff in self.layers:
            x = x + self.drop_path(attn(x))
            x = x + self.drop_path(ff(x))
        return x


class ViT(nn.Module):
    def __init__(self, *, image_size, patch_size, num_classes, dim, depth, heads, mlp_dim, pool='cls', channels=3,
                 dim_head=64, dropout=0., emb_dropout=0., drop_path=0.):
        super().__init__()
        assert image_size % patch_size == 0, 'Image dimensions must be divisible by the patch size.'
        num_patches = (image_size // patch_size) ** 2
        patch_dim = channels * patch_size ** 2
        assert pool in {'cls', 'mean'}, 'pool type must be either cls (cls token) or mean (mean pooling)'

        self.patch_size = patch_size

        self.to_patch_embedding = nn.Sequential(
            nn.LayerNorm(patch_dim),
            nn.Linear(patch_dim, dim),
            nn.LayerNorm(dim),
        )

        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.dropout = nn.Dropout(emb_dropout)

        self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim, dropout, drop_path)

        self.pool = pool
        self.to_latent = nn.Identity()

        self.mlp_head = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, num_classes)
        )

    def forward(self, img):
        p = self.patch_size

        x = rearrange(img, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=p, p2=p)
        x = self.to_patch_embedding(x)
        b, n, _ = x.shape

        cls_tokens = repeat(self.cls_token, '1 1 d -> b 1 d', b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x += self.pos_embedding[:, :(n + 1)]
        x = self.dropout(x)

        x = self.transformer(x)

        x = x.mean(dim=1) if self.pool == 'mean' else x[:, 0]

        x = self.to_latent(x)
        return self.mlp_head(x)


def seed_prenorm_vit(vision_cfg, prenorm, embed_dim):
    """vision_cfg "prenorm_vit" (a cliprt extension): the image tower is seed 003's ViT, its
    num_classes = embed_dim (the mlp_head is the projection), weights visual.<the seed's names>."""
    size = vision_cfg['image_size']
    assert isinstance(size, int), 'the seed\'s ViT takes square images'
    return ViT(image_size=size, patch_size=vision_cfg['patch_size'], num_classes=embed_dim,
               dim=vision_cfg['width'], depth=vision_cfg['layers'], heads=prenorm['heads'],
               mlp_dim=prenorm['mlp_dim'], pool=prenorm.get('pool', 'cls'), dim_head=prenorm['dim_head'])


class LnAttentionPool2d(nn.Module):
    """Seed 001's AttentionPool2d: open_clip's, plus self.ln = nn.LayerNorm(embed_dim) over the tokens
    (after the positional embedding) before q/k/v. The seed's forward also applies q_proj/k_proj/v_proj
    to x before handing q, k, v to F.multi_head_attention_forward, which applies them again; that
    double projection is a defect of the seed and is not reproduced: the projections run once."""

    def __init__(self, pool):
        super().__init__()
        self.positional_embedding = pool.positional_embedding
        self.k_proj, self.q_proj, self.v_proj, self.c_proj = pool.k_proj, pool.q_proj, pool.v_proj, pool.c_proj
        self.num_heads = pool.num_heads
        self.ln = nn.LayerNorm(pool.positional_embedding.shape[1])

    def forward(self, x):
        x = x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]).permute(2, 0, 1)
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        x = self.ln(x)
        x, _ = F.multi_head_attention_forward(
            query=x, key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.num_heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight,
            v_proj_weight=self.v_proj.weight, in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.,
            out_proj_weight=self.c_proj.weight, out_proj_bias=self.c_proj.bias,
            use_separate_proj_weight=True, training=False, need_weights=False)
        return x[0]


def seed_custom_head(layers, width):
    """Seed 002's TimmModel(custom_head=...): the module replaces open_clip's head after a trunk reset
    with global_pool = pool. Here it is the nn.Sequential that vision_cfg timm_custom_head lists, each
    layer named by its 'name' (default: its index)."""
    from open_clip.transformer import QuickGELU
    modules = OrderedDict()
    for i, layer in enumerate(layers):
        kind = layer['kind']
        if kind == 'linear':
            module = nn.Linear(width, layer['out_features'], bias=layer.get('bias', True))
            width = layer['out_features']
        elif kind == 'layer_norm':
            module = nn.LayerNorm(width, eps=layer.get('eps', 1e-5))
        else:
            module = {'relu': nn.ReLU, 'gelu': nn.GELU, 'gelu_tanh': lambda: nn.GELU(approximate='tanh'),
                      'quick_gelu': QuickGELU, 'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'identity': nn.Identity,
                      'dropout': nn.Dropout}[kind]()
        modules[layer.get('name', str(i))] = module
    return nn.Sequential(modules)


def swap_in_ln_attnpool(visual):
    visual.attnpool = LnAttentionPool2d(visual.attnpool)


def _scaled_cosine_attention_forward(self, x, attn_mask=None):
    """open_clip 3.3.0 Attention.forward, scaled-cosine branch, with torch.matmul for torch.bmm."""
    N, L, C = x.shape
    q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
    q = q.reshape(N, L, self.num_heads, -1).transpose(1, 2)
    k = k.reshape(N, L, self.num_heads, -1).transpose(1, 2)
    v = v.reshape(N, L, self.num_heads, -1).transpose(1, 2)
    if attn_mask is not None:
        if attn_mask.ndim == 3:
            attn_mask = attn_mask.reshape(N, self.num_heads, L, L)
        if attn_mask.dtype == torch.bool:
            new_attn_mask = torch.zeros_like(attn_mask, dtype=q.dtype)
            new_attn_mask.masked_fill_(attn_mask, float("-inf"))
            attn_mask = new_attn_mask
        else:
            attn_mask = attn_mask.to(dtype=q.dtype)
    attn = torch.matmul(F.normalize(q, dim=-1), F.normalize(k, dim=-1).transpose(-1, -2))
    logit_scale = torch.clamp(self.logit_scale, max=self.logit_scale_max).exp()
    attn = attn * logit_scale
    if attn_mask is not None:
        attn = attn + attn_mask
    attn = attn.softmax(dim=-1)
    attn = self.attn_drop(attn)
    x = torch.matmul(attn, v)
    if self.head_scale is not None:
        x = x * self.head_scale
    x = x.transpose(1, 2).reshape(N, L, C)
    x = self.ln_inner(x)
    x = self.out_proj(x)
    x = self.out_drop(x)
    return x


def patch_scaled_cosine(model):
    count = 0
    for module in model.modules():
        if isinstance(module, Attention) and module.logit_scale is not None:
            module.forward = types.MethodType(_scaled_cosine_attention_forward, module)
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Building and running
# ---------------------------------------------------------------------------------------------


def _max_pooler_forward(self, x, attention_mask):
    masked_output = x.last_hidden_state.masked_fill((attention_mask == 0).unsqueeze(-1), -torch.inf)
    return masked_output.max(1).values


def build_model(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    vision_cfg = cfg.pop('vision_cfg')
    text_cfg = cfg.pop('text_cfg')
    if text_cfg.get('hf_model_name'):
        return build_hf_text_model(cfg, vision_cfg, text_cfg)
    custom_head = vision_cfg.pop('timm_custom_head', None)
    if custom_head is not None:
        vision_cfg['timm_proj'] = 'linear'  # the trunk reset the seed's TimmModel does for a pool
    use_se = bool(vision_cfg.pop('use_se', False))
    attnpool_ln = bool(vision_cfg.pop('attnpool_ln', False))
    prenorm = vision_cfg.pop('prenorm_vit', None)
    custom_text = bool(cfg.pop('custom_text', False))
    unknown = set(cfg) - {'embed_dim', 'quick_gelu', 'init_logit_scale', 'init_logit_bias',
                          'nonscalar_logit_scale'}
    if unknown:
        raise ValueError(f'model_cfg keys this script does not handle: {sorted(unknown)}')
    # The seed's ViT replaces the vision tower; open_clip builds a placeholder one first.
    model = (CustomTextCLIP if custom_text else CLIP)(vision_cfg=SMALL_VISION if prenorm else vision_cfg,
                                                      text_cfg=text_cfg, **cfg)
    notes = []
    if prenorm is not None:
        model.visual = seed_prenorm_vit(vision_cfg, prenorm, cfg['embed_dim'])
        notes.append('seed 003 pre-norm ViT')
    if attnpool_ln:
        if not isinstance(vision_cfg.get('layers'), (list, tuple)):
            raise ValueError('attnpool_ln needs a ModifiedResNet vision tower')
        swap_in_ln_attnpool(model.visual)
        notes.append('AttentionPool2d with LayerNorm (seed 001)')
    if use_se:
        if not isinstance(vision_cfg.get('layers'), (list, tuple)):
            raise ValueError('use_se needs a ModifiedResNet vision tower')
        notes.append(f'{swap_in_se_bottlenecks(model.visual)} SE bottlenecks')
    if custom_head is not None:
        model.visual.head = seed_custom_head(custom_head, model.visual.trunk.num_features)
        notes.append(f'custom head {[type(m).__name__ for m in model.visual.head]} (seed 002)')
    n = patch_scaled_cosine(model)
    if n:
        notes.append(f'{n} scaled-cosine attentions run with torch.matmul')
    fill_state_dict(model)
    model = model.float().eval()
    return model, notes


def build_hf_text_model(cfg, vision_cfg, text_cfg):
    import tempfile
    from transformers import AutoConfig
    hf_cfg = dict(text_cfg.pop('hf_model_config'))
    config_dir = tempfile.mkdtemp(prefix='cliprt_hf_config_')
    AutoConfig.for_model(**hf_cfg).save_pretrained(config_dir)
    text_cfg['hf_model_name'] = config_dir
    text_cfg['hf_model_pretrained'] = False
    text_cfg.pop('hf_tokenizer_name', None)  # the ids are given, no tokenizer is loaded
    model = CustomTextCLIP(vision_cfg=vision_cfg, text_cfg=text_cfg, **cfg)
    notes = [f'HF {hf_cfg["model_type"]} tower via {type(model.text).__name__}, '
             f'pooler {type(model.text.pooler).__name__}, proj {type(model.text.proj).__name__}']
    if type(model.text.pooler).__name__ == 'MaxPooler':
        model.text.pooler.forward = types.MethodType(_max_pooler_forward, model.text.pooler)
        notes.append('MaxPooler runs the masked maximum (open_clip 3.3.0 crashes)')
    fill_state_dict(model)
    model = model.float().eval()
    return model, notes


def tokenize(strings, context_length):
    # open_clip.get_tokenizer semantics for a non-HF text tower: SimpleTokenizer(context_length)
    tokens = SimpleTokenizer(context_length=context_length)(strings)
    assert tokens.shape == (len(strings), context_length)
    return tokens


def image_shape(model_cfg, batch):
    size = model_cfg['vision_cfg']['image_size']
    h, w = (size, size) if isinstance(size, int) else size
    return [batch, 3, h, w]


class ActivationMonitor:
    """Forward hooks recording max |x| of every module output, and the attention probabilities."""

    def __init__(self, model):
        self.max_abs = OrderedDict()
        self.attn_inputs = []
        self.handles = []
        for name, module in model.named_modules():
            self.handles.append(module.register_forward_hook(self._output_hook(name or '<model>')))
            if isinstance(module, (nn.MultiheadAttention, Attention)) or \
                    type(module).__name__ in ('AttentionPool2d', 'EvaAttention', 'SeedAttention'):
                self.handles.append(module.register_forward_pre_hook(
                    self._input_hook(name, module), with_kwargs=True))

    def _output_hook(self, name):
        def hook(module, args, output):
            outs = output if isinstance(output, (tuple, list)) else (output,)
            values = [o.detach().abs().max().item() for o in outs
                      if isinstance(o, torch.Tensor) and o.is_floating_point() and o.numel()]
            if values:
                self.max_abs[name] = max(self.max_abs.get(name, 0.0), max(values))
        return hook

    def _input_hook(self, name, module):
        def hook(mod, args, kwargs):
            self.attn_inputs.append((name, module, args, dict(kwargs)))
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()

    def attention_stats(self):
        """name -> (mean over batch/heads/queries of the largest attention probability, key count)."""
        stats = OrderedDict()
        for name, module, args, kwargs in self.attn_inputs:
            probs = attention_probs(module, args, kwargs)
            if probs is None:
                continue
            stats[name] = (probs.max(dim=-1).values.mean().item(), probs.shape[-1])
        return stats


def attention_probs(module, args, kwargs):
    if isinstance(module, nn.MultiheadAttention):
        q, k, v = args[:3]
        kw = {key: value for key, value in kwargs.items() if key in ('attn_mask', 'key_padding_mask')}
        _, w = module(q, k, v, need_weights=True, average_attn_weights=False, **kw)
        return w  # [N, heads, L, S]
    if isinstance(module, Attention):
        x = args[0]
        attn_mask = kwargs.get('attn_mask', args[1] if len(args) > 1 else None)
        N, L, C = x.shape
        q, k, _ = F.linear(x, module.in_proj_weight, module.in_proj_bias).chunk(3, dim=-1)
        q = q.reshape(N, L, module.num_heads, -1).transpose(1, 2)
        k = k.reshape(N, L, module.num_heads, -1).transpose(1, 2)
        if module.logit_scale is not None:
            attn = torch.matmul(F.normalize(q, dim=-1), F.normalize(k, dim=-1).transpose(-1, -2))
            attn = attn * torch.clamp(module.logit_scale, max=module.logit_scale_max).exp()
        else:
            q, k = module.ln_q(q), module.ln_k(k)
            attn = torch.matmul(q * module.scale, k.transpose(-1, -2))
        if attn_mask is not None:
            attn = attn + attn_mask
        return attn.softmax(dim=-1)
    if type(module).__name__ == 'RotAttentionPool2d':
        return None
    if type(module).__name__ == 'SeedAttention':  # seed 003's
        q, k, _ = module.to_qkv(args[0]).chunk(3, dim=-1)
        q, k = (rearrange(t, 'b n (h d) -> b h n d', h=module.heads) for t in (q, k))
        return (torch.einsum('b h i d, b h j d -> b h i j', q, k) * module.scale).softmax(dim=-1)
    if type(module).__name__ == 'EvaAttention':  # timm's (EVA01 / EVA02 trunks), rope on the patch tokens
        from timm.layers import apply_rot_embed_cat
        x = args[0]
        rope = kwargs.get('rope', args[1] if len(args) > 1 else None)
        B, N, C = x.shape
        if module.qkv is not None:
            bias = None if module.q_bias is None else torch.cat((module.q_bias, module.k_bias, module.v_bias))
            q, k, _ = F.linear(x, module.qkv.weight, bias).chunk(3, dim=-1)
        else:
            q, k = module.q_proj(x), module.k_proj(x)
        q = q.reshape(B, N, module.num_heads, -1).transpose(1, 2)
        k = k.reshape(B, N, module.num_heads, -1).transpose(1, 2)
        if rope is not None:
            npt = module.num_prefix_tokens
            q = torch.cat([q[:, :, :npt], apply_rot_embed_cat(q[:, :, npt:], rope)], dim=2)
            k = torch.cat([k[:, :, :npt], apply_rot_embed_cat(k[:, :, npt:], rope)], dim=2)
        return (q @ k.transpose(-2, -1) * module.scale).softmax(dim=-1)
    if type(module).__name__ == 'AttentionPool2d' and hasattr(module, 'pos_embed'):  # timm's (abs_attn)
        x = args[0]
        B, C, H, W = x.shape
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([x.mean(1, keepdim=True), x], dim=1) + module.pos_embed.unsqueeze(0)
        q, k, _ = module.qkv(x).reshape(B, H * W + 1, 3, module.num_heads, module.head_dim).permute(2, 0, 3, 1, 4)
        return (q @ k.transpose(-2, -1) * module.scale).softmax(dim=-1)[:, :, :1]  # the pooled query
    if type(module).__name__ == 'AttentionPool2d':
        x = args[0]
        x = x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]).permute(2, 0, 1)
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
        x = x + module.positional_embedding[:, None, :].to(x.dtype)
        _, w = F.multi_head_attention_forward(
            query=x, key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=module.num_heads,
            q_proj_weight=module.q_proj.weight, k_proj_weight=module.k_proj.weight,
            v_proj_weight=module.v_proj.weight, in_proj_weight=None,
            in_proj_bias=torch.cat([module.q_proj.bias, module.k_proj.bias, module.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.,
            out_proj_weight=module.c_proj.weight, out_proj_bias=module.c_proj.bias,
            use_separate_proj_weight=True, training=False, need_weights=True,
            average_attn_weights=False)
        return w
    return None


def distinct_rows(t):
    """Smallest distance between two rows, relative to the mean row norm (0 = duplicate rows)."""
    flat = t.reshape(t.shape[0], -1)
    if flat.shape[0] < 2:
        return float('inf')
    d = torch.cdist(flat[None], flat[None])[0]
    d = d.masked_fill(torch.eye(flat.shape[0], dtype=torch.bool), float('inf'))
    return (d.min() / flat.norm(dim=-1).mean()).item()


def to_json(obj):
    """json.dumps(indent=2) with lists of numbers kept on one line."""
    text = json.dumps(obj, indent=2)
    return re.sub(r'\[\s+([-+0-9.eE,\s]+?)\s+\]',
                  lambda m: '[' + ', '.join(p.strip() for p in m.group(1).split(',')) + ']', text)


def run_case(c, out_dir):
    name = c['name']
    model_cfg = c['model_cfg']
    print(f'=== {name}')
    t0 = time.perf_counter()
    model, notes = build_model(model_cfg)
    t_build = time.perf_counter() - t0
    state = model.state_dict()
    n_params = sum(p.numel() for p in model.parameters())
    print(f'  parameters: {n_params:,} ({len(state)} state-dict tensors)' +
          (f'; {", ".join(notes)}' if notes else ''))
    if model_cfg['vision_cfg'].get('use_se'):
        se_keys = [k for k in state if '.se.' in k]
        assert se_keys and all(k.endswith(('se.fc.0.weight', 'se.fc.2.weight')) for k in se_keys)
        print(f'  SE keys: {len(se_keys)}, e.g. {se_keys[0]} {list(state[se_keys[0]].shape)}, '
              f'{se_keys[1]} {list(state[se_keys[1]].shape)}')

    tensors = OrderedDict()
    outputs = OrderedDict()
    inputs = OrderedDict()
    image = text = None
    if c['image_batch']:
        shape = image_shape(model_cfg, c['image_batch'])
        image = torch.from_numpy(synthetic_tensor(IMAGE_GENERATOR, shape, IMAGE_CENTER, IMAGE_SCALE))
        inputs['image'] = {"generator": IMAGE_GENERATOR, "shape": shape,
                           "center": IMAGE_CENTER, "scale": IMAGE_SCALE}
    if c['strings']:
        text = tokenize(c['strings'], model_cfg['text_cfg'].get('context_length', 77))
        inputs['text'] = {"tensor": "text_tokens", "strings": list(c['strings']),
                          "shape": list(text.shape)}
    if c['text_ids']:
        text = torch.tensor(c['text_ids'], dtype=torch.int64)
        inputs['text'] = {"tensor": "text_tokens", "strings": [], "shape": list(text.shape),
                          "ids_from": "seeded generator (synthetic vocabulary, no tokenizer)"}

    monitor = ActivationMonitor(model)
    t0 = time.perf_counter()
    with torch.no_grad():
        if image is not None:
            img = model.encode_image(image)
            tensors['image_features'] = img
            outputs['image_features'] = {"shape": list(img.shape), "normalized": False}
        if text is not None:
            txt = model.encode_text(text)
            tensors['text_features'] = txt
            outputs['text_features'] = {"shape": list(txt.shape), "normalized": False}
    t_forward = time.perf_counter() - t0
    monitor.remove()  # before attention_stats, which calls the attention modules again
    with torch.no_grad():
        attn_stats = monitor.attention_stats()

    if c['logits']:
        with torch.no_grad():
            logits, _ = model.get_logits(image, text)
            manual = model.logit_scale.exp() * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
            if model.logit_bias is not None:
                manual = manual + model.logit_bias
        assert model.logit_bias is not None
        assert torch.allclose(logits, manual, atol=1e-6, rtol=0), (logits, manual)
        tensors['logits'] = logits
        outputs['logits'] = {"shape": list(logits.shape), "normalized": False}
        print(f'  logit_scale {model.logit_scale.item():.7f} (exp {model.logit_scale.exp().item():.4f}),'
              f' logit_bias {model.logit_bias.item():.4f}')
        print(f'  logits {logits.numpy().round(4).tolist()}')

    # ---- report ----
    for key, t in tensors.items():
        norms = t.reshape(t.shape[0], -1).norm(dim=-1).numpy()
        print(f'  {key} {list(t.shape)}: row norms {np.array2string(norms, precision=4)}, '
              f'min relative row distance {distinct_rows(t):.3g}')
    peak_name, peak = max(monitor.max_abs.items(), key=lambda kv: kv[1])
    print(f'  max |activation| over {len(monitor.max_abs)} modules: {peak:.4g} at {peak_name}')
    warnings = []
    if not all(math.isfinite(v) for v in monitor.max_abs.values()):
        warnings.append('non-finite activation')
    if peak > 1e4:
        warnings.append(f'activation blow-up {peak:.3g} at {peak_name}')
    for key, t in tensors.items():
        if distinct_rows(t) < 1e-3:
            warnings.append(f'{key}: (nearly) equal rows')
    if attn_stats:
        worst_name, (worst, keys) = max(attn_stats.items(), key=lambda kv: kv[1][0])
        print(f'  attention: {len(attn_stats)} modules, mean top probability '
              f'{min(v for v, _ in attn_stats.values()):.3f}..{worst:.3f} '
              f'(highest at {worst_name}, {keys} keys; uniform would be {1 / keys:.3f})')
        if worst > 0.95:
            warnings.append(f'attention saturated (mean top prob {worst:.3f}) at {worst_name}')
    for w in warnings:
        print(f'  WARNING: {w}')
    if c['full_size']:
        print(f'  time: build+fill {t_build:.1f} s, forward {t_forward:.2f} s')

    # ---- write ----
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    store = OrderedDict()
    if text is not None:
        store['text_tokens'] = text.to(torch.int32).contiguous()
    for key, t in tensors.items():
        store[key] = t.to(torch.float32).contiguous()
    from safetensors.torch import save_file
    save_file(store, os.path.join(case_dir, 'expected.safetensors'))
    manifest = OrderedDict([
        ("name", name),
        ("description", c['description']),
        ("model_cfg", model_cfg),
        ("inputs", inputs),
        ("outputs", outputs),
        ("generator", "tools/make_goldens.py"),
        ("open_clip_version", open_clip.__version__),
        ("torch_version", torch.__version__),
    ])
    with open(os.path.join(case_dir, 'manifest.json'), 'w') as f:
        f.write(to_json(manifest) + '\n')
    return dict(tensors=tensors, warnings=warnings, peak=peak, t_build=t_build, t_forward=t_forward)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'goldens'))
    parser.add_argument('--only', action='append', default=[], metavar='CASE',
                        help='run only this case (repeatable, or comma-separated)')
    parser.add_argument('--list', action='store_true', help='list the cases and exit')
    args = parser.parse_args()

    names = [c['name'] for c in CASES]
    assert len(set(names)) == len(names)
    if args.list:
        for c in CASES:
            print(f"{c['name']}: {c['description']}")
        return
    only = [n for item in args.only for n in item.split(',') if n]
    unknown = [n for n in only if n not in names]
    if unknown:
        parser.error(f'unknown case(s) {unknown}; known: {names}')

    # Deterministic CPU numerics: one thread, deterministic kernels.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)  # module construction draws random inits; all are overwritten anyway

    results = {}
    for c in CASES:
        if only and c['name'] not in only:
            continue
        results[c['name']] = run_case(c, args.out)

    if 'small_rn' in results and 'small_rn_quickgelu' in results:
        same = torch.equal(results['small_rn']['tensors']['image_features'],
                           results['small_rn_quickgelu']['tensors']['image_features'])
        print(f'small_rn_quickgelu image_features == small_rn image_features: {same}')
        if not same:
            results['small_rn_quickgelu']['warnings'].append('quick_gelu changed the RN image tower')

    print('=== summary')
    for name, r in results.items():
        status = '; '.join(r['warnings']) if r['warnings'] else 'ok'
        print(f'  {name}: max |activation| {r["peak"]:.3g}: {status}')
    total = 0
    for root, _, files in os.walk(args.out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f'  total size of {args.out}: {total / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
