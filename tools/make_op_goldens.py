"""Writes the per-op goldens of the CPU backend tests (tests/cpu_ops_test.cpp) with PyTorch.

Each case is <name>.json (op parameters and, per tensor, dtype, shape and element offset) plus
<name>.bin (the tensors back to back, little-endian f32 or i32). Inputs are numpy
RandomState(seed) uniform in [-1, 1]; outputs are torch float32 CPU results. The test builds the
same op from the JSON parameters, runs it on the CPU backend and compares with the output tensor
"y". Development-time only:  python3 tools/make_op_goldens.py [out_dir]
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'op_goldens'))
ACTIVATIONS = {
    'none': lambda x: x,
    'relu': F.relu,
    'gelu': F.gelu,
    'gelu_tanh': lambda x: F.gelu(x, approximate='tanh'),
    'quick_gelu': lambda x: x * torch.sigmoid(1.702 * x),
    'sigmoid': torch.sigmoid,
}


class Case:
    def __init__(self, name, op, seed, **params):
        self.name, self.op, self.params = name, op, params
        self.rng = np.random.RandomState(seed)
        self.tensors = {}  # name -> numpy array, in insertion order

    def rand(self, name, shape, low=-1.0, high=1.0):
        a = self.rng.uniform(low, high, size=shape).astype(np.float32)
        self.tensors[name] = a
        return torch.from_numpy(a)

    def ids(self, name, array):
        a = np.asarray(array, dtype=np.int32)
        self.tensors[name] = a
        return torch.from_numpy(a).long()

    def put(self, name, array):
        a = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
        self.tensors[name] = a
        return torch.from_numpy(a)

    def output(self, y):
        self.tensors['y'] = np.ascontiguousarray(y.detach().numpy().astype(np.float32))

    def save(self):
        manifest = {'op': self.op, 'params': self.params, 'tensors': {}}
        blobs, offset = [], 0
        for name, a in self.tensors.items():
            dtype = 'i32' if a.dtype == np.int32 else 'f32'
            manifest['tensors'][name] = {'dtype': dtype, 'shape': list(a.shape), 'offset': offset}
            blobs.append(a.astype('<i4' if dtype == 'i32' else '<f4').tobytes())
            offset += a.size
        with open(os.path.join(OUT_DIR, self.name + '.bin'), 'wb') as f:
            f.write(b''.join(blobs))
        with open(os.path.join(OUT_DIR, self.name + '.json'), 'w') as f:
            json.dump(manifest, f)
            f.write('\n')


def linear_cases():
    def case(name, x_shape, n, act='none', bias=True, residual=False, seed=0):
        c = Case(name, 'linear', seed, act=act, bias=bias, residual=residual)
        x = c.rand('x', x_shape)
        w = c.rand('w', (n, x_shape[-1]))
        b = c.rand('b', (n,)) if bias else None
        y = F.linear(x, w, b)
        if residual:
            y = y + c.rand('residual', y.shape)
        c.output(ACTIVATIONS[act](y))  # the residual is added before the activation
        return c

    yield case('linear_plain', (3, 7), 5, bias=False, seed=1)
    yield case('linear_bias', (3, 7), 5, seed=2)
    for i, act in enumerate(ACTIVATIONS):
        if act != 'none':
            yield case('linear_' + act, (2, 5, 13), 7, act=act, seed=10 + i)
    yield case('linear_residual', (2, 5, 13), 7, residual=True, seed=20)
    yield case('linear_residual_nobias', (5, 13), 7, bias=False, residual=True, seed=21)
    yield case('linear_gelu_residual', (2, 5, 13), 7, act='gelu', residual=True, seed=22)
    # Crosses every blocking edge of the GEMM: K > 256, N > 128 and not a multiple of 16, M odd.
    yield case('linear_blocked', (13, 300), 150, act='quick_gelu', residual=True, seed=23)
    yield case('linear_single', (1, 1), 1, seed=24)


def conv_cases():
    def case(name, x_shape, w_shape, stride=(1, 1), pad=(0, 0), act='none', bias=True, residual=False, seed=0):
        c = Case(name, 'conv2d', seed, stride=list(stride), pad=list(pad), act=act, bias=bias, residual=residual)
        x = c.rand('x', x_shape)
        w = c.rand('w', w_shape)
        b = c.rand('b', (w_shape[0],)) if bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=pad)
        if residual:
            y = y + c.rand('residual', y.shape)
        c.output(ACTIVATIONS[act](y))  # ResNet's relu(bn3(conv3(x)) + identity)
        return c

    yield case('conv_3x3_s1_p1', (2, 3, 7, 7), (5, 3, 3, 3), pad=(1, 1), seed=30)
    yield case('conv_3x3_s2_p1_relu', (1, 4, 13, 13), (6, 4, 3, 3), stride=(2, 2), pad=(1, 1), act='relu', seed=31)
    yield case('conv_1x1_nobias', (2, 8, 5, 5), (7, 8, 1, 1), bias=False, seed=32)
    yield case('conv_1x1_relu_residual', (2, 8, 5, 5), (7, 8, 1, 1), act='relu', residual=True, seed=33)
    yield case('conv_patch', (1, 3, 16, 16), (8, 3, 4, 4), stride=(4, 4), bias=False, seed=34)
    yield case('conv_7x7_s2_p3', (1, 3, 13, 13), (4, 3, 7, 7), stride=(2, 2), pad=(3, 3), act='relu', seed=35)
    yield case('conv_rect', (2, 3, 7, 5), (5, 3, 3, 2), stride=(2, 1), pad=(1, 0), seed=36)
    yield case('conv_1x1_image', (1, 1, 1, 1), (3, 1, 1, 1), seed=37)
    # More output pixels and channels than one GEMM block, patch length > 256.
    yield case('conv_blocked', (1, 32, 13, 13), (20, 32, 3, 3), pad=(1, 1), act='gelu', residual=True, seed=38)


def grouped_conv_cases():
    def case(name, x_shape, w_shape, groups, stride=(1, 1), pad=(0, 0), act='none', bias=True, residual=False, seed=0):
        c = Case(name, 'grouped_conv2d', seed, stride=list(stride), pad=list(pad), groups=groups, act=act, bias=bias,
                 residual=residual)
        x = c.rand('x', x_shape)
        w = c.rand('w', w_shape)
        b = c.rand('b', (w_shape[0],)) if bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=pad, groups=groups)
        if residual:
            y = y + c.rand('residual', y.shape)
        c.output(ACTIVATIONS[act](y))
        return c

    # ConvNeXt's depthwise 7x7 (pad 3), a depthwise channel multiplier, groups of 3 channels.
    yield case('grouped_conv_dw7x7', (2, 6, 9, 11), (6, 1, 7, 7), 6, pad=(3, 3), seed=45)
    yield case('grouped_conv_dw7x7_small_plane', (1, 4, 2, 3), (4, 1, 7, 7), 4, pad=(3, 3), residual=True, seed=46)
    yield case('grouped_conv_dw_multiplier', (1, 3, 6, 5), (6, 1, 3, 3), 3, stride=(2, 1), pad=(1, 1), act='gelu',
               seed=47)
    yield case('grouped_conv_g3', (2, 9, 7, 7), (6, 3, 3, 3), 3, stride=(2, 2), bias=False, seed=48)


def avg_pool_cases():
    def case(name, x_shape, kernel, stride, seed):
        c = Case(name, 'avg_pool2d', seed, kernel=list(kernel), stride=list(stride))
        c.output(F.avg_pool2d(c.rand('x', x_shape), kernel, stride))
        return c

    yield case('avg_pool_2x2', (2, 3, 7, 7), (2, 2), (2, 2), 40)
    yield case('avg_pool_3x3_s1', (1, 2, 5, 5), (3, 3), (1, 1), 41)
    yield case('avg_pool_rect', (1, 2, 13, 7), (3, 2), (2, 3), 42)


def layer_norm_cases():
    def case(name, x_shape, eps, offset, seed):
        c = Case(name, 'layer_norm', seed, eps=eps)
        x = c.rand('x', x_shape, -1.0 + offset, 1.0 + offset)
        g = c.rand('gamma', (x_shape[-1],))
        b = c.rand('beta', (x_shape[-1],))
        c.output(F.layer_norm(x, (x_shape[-1],), g, b, eps))
        return c

    yield case('layer_norm', (2, 5, 13), 1e-5, 0.0, 50)
    # A large mean: E[x^2] - E[x]^2 would lose most digits here.
    yield case('layer_norm_offset', (3, 768), 1e-6, 100.0, 51)


def attention_reference(q, k, v, heads, causal=False, scale=None, logit_mult=None, head_scale=None):
    """Plain multi-head attention on [B, L, H*D] tensors, following the documented semantics."""
    b, lq, width = q.shape
    bk, lk, _ = k.shape
    d = width // heads
    q = q.expand(bk, lq, width)

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], heads, d).transpose(1, 2)

    qh, kh, vh = split(q), split(k), split(v)
    if logit_mult is not None:
        scores = (F.normalize(qh, dim=-1) @ F.normalize(kh, dim=-1).transpose(-1, -2)) * logit_mult.view(1, heads, 1, 1)
    else:
        scores = (qh @ kh.transpose(-1, -2)) * scale
    if causal:
        scores = scores + torch.full((lq, lk), float('-inf')).triu(1)
    out = scores.softmax(dim=-1) @ vh
    if logit_mult is None and head_scale is None:
        sdpa = F.scaled_dot_product_attention(qh, kh, vh, is_causal=causal, scale=scale)
        assert torch.allclose(out, sdpa, atol=1e-5), 'manual attention disagrees with F.scaled_dot_product_attention'
    if head_scale is not None:
        out = out * head_scale.view(1, heads, 1, 1)
    return out.transpose(1, 2).reshape(bk, lq, width)


def attention_cases():
    def case(name, heads, dim, batch, q_len, kv_len, q_batch=None, packed=False, causal=False, cosine=False,
             head_scale=False, seed=0):
        width = heads * dim
        scale = 1.0 / math.sqrt(dim)
        c = Case(name, 'attention', seed, heads=heads, packed=packed, causal=causal, cosine=cosine,
                 head_scale=head_scale, scale=scale)
        if packed:
            qkv = c.rand('qkv', (batch, q_len, 3 * width), -2.0, 2.0)
            q, k, v = qkv.split(width, dim=-1)
        else:
            q = c.rand('q', (q_batch or batch, q_len, width), -2.0, 2.0)
            k = c.rand('k', (batch, kv_len, width), -2.0, 2.0)
            v = c.rand('v', (batch, kv_len, width))
        # open_clip's scaled cosine attention: exp(clamp(logit_scale, max=log(100))).
        logit_mult = c.put('logit_mult', np.exp(np.minimum(np.log(np.linspace(5.0, 150.0, heads)), math.log(100.0))))\
            if cosine else None
        hs = c.rand('head_scale', (heads,), 0.5, 1.5) if head_scale else None
        c.output(attention_reference(q, k, v, heads, causal, scale, logit_mult, hs))
        return c

    yield case('attn_separate', 2, 4, 2, 5, 5, seed=60)
    yield case('attn_packed', 3, 4, 2, 7, 7, packed=True, seed=61)
    yield case('attn_packed_causal', 3, 4, 2, 7, 7, packed=True, causal=True, seed=62)
    yield case('attn_separate_causal', 2, 8, 1, 13, 13, causal=True, seed=63)
    yield case('attn_cosine_head_scale', 4, 8, 2, 5, 5, cosine=True, head_scale=True, seed=64)
    yield case('attn_packed_cosine_causal', 2, 4, 2, 7, 7, packed=True, cosine=True, causal=True, seed=65)
    yield case('attn_packed_head_scale', 2, 4, 3, 5, 5, packed=True, head_scale=True, seed=66)
    yield case('attn_q_broadcast', 2, 4, 3, 3, 5, q_batch=1, seed=67)
    yield case('attn_q_broadcast_cosine', 2, 4, 3, 3, 5, q_batch=1, cosine=True, seed=68)
    yield case('attn_lq1', 4, 16, 2, 1, 10, seed=69)  # the ModifiedResNet attention pool shape
    yield case('attn_long_head', 1, 37, 1, 3, 13, seed=70)  # head_dim not a multiple of 8


def unary_cases():
    for i, act in enumerate(ACTIVATIONS):
        for alpha, beta in ((1.0, 0.0), (1.5, -0.25)):
            name = 'unary_%s%s' % (act, '' if alpha == 1.0 else '_affine')
            c = Case(name, 'unary', 80 + i, act=act, alpha=alpha, beta=beta)
            x = c.rand('x', (3, 17), -4.0, 4.0)
            c.output(alpha * ACTIVATIONS[act](x) + beta)
            yield c


def binary_cases():
    def case(name, op, a_shape, b_shape, seed):
        c = Case(name, 'binary', seed, binary_op=op)
        a = c.rand('a', a_shape)
        b = c.rand('b', b_shape)
        c.output(a + b if op == 'add' else a * b)
        return c

    yield case('binary_add', 'add', (2, 3, 5), (2, 3, 5), 90)
    yield case('binary_mul', 'mul', (2, 3, 5), (2, 3, 5), 91)
    yield case('binary_add_row', 'add', (2, 3, 5), (5,), 92)  # lower rank
    yield case('binary_mul_middle', 'mul', (2, 3, 5), (2, 1, 5), 93)
    yield case('binary_add_column', 'add', (2, 3, 5), (1, 3, 1), 94)
    yield case('binary_mul_scalar', 'mul', (2, 3, 5), (1,), 95)
    yield case('binary_add_nchw_channel', 'add', (2, 4, 3, 3), (4, 1, 1), 96)


def embedding_cases():
    c = Case('embedding', 'embedding', 100)
    table = c.rand('table', (11, 6))
    ids = c.ids('ids', [[0, 3, 10, 3, 7], [10, 1, 0, 2, 9]])
    c.output(F.embedding(ids, table))
    yield c


def concat_cases():
    def case(name, axis, shapes, seed):
        c = Case(name, 'concat', seed, axis=axis)
        xs = [c.rand('x%d' % i, s) for i, s in enumerate(shapes)]
        out = [max(s[d] for s in shapes) if d != axis % len(shapes[0]) else None for d in range(len(shapes[0]))]
        c.output(torch.cat([x.expand(*[o if o is not None else -1 for o in out]) for x in xs], dim=axis))
        return c

    yield case('concat_axis0', 0, [(2, 3), (1, 3), (4, 3)], 110)
    yield case('concat_class_token', 1, [(1, 1, 6), (3, 4, 6)], 111)  # ViT: class token broadcast over batch
    yield case('concat_last_axis', -1, [(2, 3, 2), (2, 1, 5), (1, 3, 1)], 112)


def permute_cases():
    def case(name, shape, perm, seed):
        c = Case(name, 'permute', seed, perm=perm)
        c.output(c.rand('x', shape).permute(*perm).contiguous())
        return c

    yield case('permute_021', (2, 3, 5), [0, 2, 1], 120)
    yield case('permute_0231', (2, 3, 4, 5), [0, 2, 3, 1], 121)
    yield case('permute_3102', (2, 3, 4, 5), [3, 1, 0, 2], 122)


def token_pool_cases():
    ids = np.array([[49406, 320, 1125, 49407, 0, 0],   # eos in the middle
                    [49406, 7, 7, 7, 7, 49407],        # eos last
                    [49406, 5, 9, 9, 2, 1],            # no eos: position 0; argmax tie: first 9
                    [3, 3, 3, 3, 3, 3]], dtype=np.int32)

    def case(name, mode, mean_start=0, eos_id=49407):
        c = Case(name, 'token_pool', 130, mode=mode, mean_start=mean_start, eos_id=eos_id)
        x = c.rand('x', (4, 6, 5))
        t = c.ids('ids', ids) if mode in ('argmax', 'eos') else None
        rows = torch.arange(x.shape[0])
        if mode == 'first':
            y = x[:, 0]
        elif mode == 'last':
            y = x[:, -1]
        elif mode == 'argmax':
            y = x[rows, t.argmax(dim=-1)]
        elif mode == 'eos':
            y = x[rows, (t == eos_id).int().argmax(dim=-1)]
        else:
            y = x[:, mean_start:].mean(dim=1)
        c.output(y)
        return c

    yield case('pool_first', 'first')
    yield case('pool_last', 'last')
    yield case('pool_argmax', 'argmax')
    yield case('pool_eos', 'eos')
    yield case('pool_eos_custom', 'eos', eos_id=9)
    yield case('pool_mean', 'mean')
    yield case('pool_mean_from1', 'mean', mean_start=1)


def row_op_cases():
    c = Case('l2_normalize', 'l2_normalize', 140)
    x = c.put('x', np.concatenate([np.random.RandomState(140).uniform(-1, 1, (3, 17)), np.zeros((1, 17))]))
    c.output(F.normalize(x, dim=-1))
    yield c
    c = Case('softmax', 'softmax', 141)
    x = c.rand('x', (2, 3, 13), -5.0, 5.0)
    c.output(x.softmax(dim=-1))
    yield c
    c = Case('softmax_large', 'softmax', 142)
    x = c.rand('x', (4, 13), 95.0, 105.0)  # exp would overflow without subtracting the max
    c.output(x.softmax(dim=-1))
    yield c


def chain_cases():
    # The ViT stem as a few-node graph: patch conv, reshape (a view), permute, class token concat,
    # position embedding add, layer norm.
    c = Case('chain_vit_stem', 'vit_stem', 150, patch=4)
    x = c.rand('x', (2, 3, 8, 8))
    w = c.rand('w', (6, 3, 4, 4))
    cls = c.rand('cls', (1, 1, 6))
    pos = c.rand('pos', (5, 6))
    g = c.rand('gamma', (6,))
    b = c.rand('beta', (6,))
    t = F.conv2d(x, w, stride=4).reshape(2, 6, 4).permute(0, 2, 1)
    t = torch.cat([cls.expand(2, 1, 6), t], dim=1) + pos
    c.output(F.layer_norm(t, (6,), g, b, 1e-5))
    yield c


def hf_encoder_cases():
    """The ops of Hugging Face encoders: tanh, attention with a key-padding mask, masked pooling."""
    c = Case('tanh', 'tanh', 150)
    c.output(torch.tanh(c.rand('x', (3, 17), -6.0, 6.0)))
    yield c

    # Rows: every key; a padded prefix; holes; none (graph.h: a query that sees no key gives zeros).
    def key_mask(batch, length):
        rows = [[1] * length, [1] * 3 + [0] * (length - 3), [j % 2 for j in range(length)], [0] * length]
        return [rows[b % len(rows)] for b in range(batch)]

    def attn_case(name, heads, dim, batch, length, packed, seed):
        width = heads * dim
        scale = 1.0 / math.sqrt(dim)
        c = Case(name, 'attention', seed, heads=heads, packed=packed, causal=False, cosine=False,
                 head_scale=False, scale=scale, key_mask=True)
        if packed:
            q, k, v = c.rand('qkv', (batch, length, 3 * width), -2.0, 2.0).split(width, dim=-1)
        else:
            q = c.rand('q', (batch, length, width), -2.0, 2.0)
            k = c.rand('k', (batch, length, width), -2.0, 2.0)
            v = c.rand('v', (batch, length, width))
        mask = c.ids('key_mask', key_mask(batch, length)).bool()
        split = lambda t: t.reshape(batch, length, heads, dim).transpose(1, 2)
        scores = (split(q) @ split(k).transpose(-1, -2)) * scale
        scores = scores.masked_fill(~mask[:, None, None, :], float('-inf'))
        out = torch.nan_to_num(scores.softmax(dim=-1), nan=0.0) @ split(v)  # no key seen: zeros
        seen = mask.any(dim=-1)
        sdpa = F.scaled_dot_product_attention(split(q)[seen], split(k)[seen], split(v)[seen],
                                              attn_mask=mask[seen][:, None, None, :], scale=scale)
        assert torch.allclose(out[seen], sdpa, atol=1e-5), 'masked attention disagrees with SDPA'
        c.output(out.transpose(1, 2).reshape(batch, length, width))
        return c

    yield attn_case('attn_key_mask_packed', 3, 4, 4, 7, True, 151)
    yield attn_case('attn_key_mask_separate', 2, 8, 4, 11, False, 152)

    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0]], dtype=np.int32)
    for name, mode, seed in (('pool_masked_mean', 'masked_mean', 153), ('pool_masked_max', 'masked_max', 154)):
        c = Case(name, 'token_pool', seed, mode=mode, mean_start=0, eos_id=0)
        x = c.rand('x', (4, 6, 5))
        m = c.ids('ids', mask).bool()
        if mode == 'masked_mean':  # sentence-transformers' mean pooling (a row without tokens: zeros)
            y = (x * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1)
        else:
            y = x.masked_fill(~m[..., None], float('-inf')).max(1).values
            y = torch.where(m.any(1, keepdim=True), y, torch.zeros_like(y))
        c.output(y)
        yield c


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith('.json') or old.endswith('.bin'):
            os.remove(os.path.join(OUT_DIR, old))
    names = []
    for cases in (linear_cases, conv_cases, grouped_conv_cases, avg_pool_cases, layer_norm_cases, attention_cases, unary_cases,
                  binary_cases, embedding_cases, concat_cases, permute_cases, token_pool_cases, row_op_cases,
                  chain_cases, hf_encoder_cases):
        for c in cases():
            c.save()
            names.append(c.name)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print('%d cases, %.1f KiB in %s' % (len(names), total / 1024.0, OUT_DIR))


if __name__ == '__main__':
    main()
