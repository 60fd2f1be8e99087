"""Writes tests/data/synthetic_reference.json: what the C++ generator and dtype conversions must
reproduce bit for bit (tests/synthetic_weights_test.cpp, tests/dtype_test.cpp).

- tensors: for names covering every rule of models/synthetic_weight_rules.json, the fnv1a64 hash
  (decimal string, JSON numbers cannot hold 64 bits), center, scale and the float32 bit patterns
  of the first and last (up to) 64 generated values.
- f32_to_f16: [f32 bits, f16 bits] from numpy's float32 -> float16 cast (round to nearest even).
- f32_to_bf16: [f32 bits, bf16 bits] by round to nearest even on the uint32 pattern, as torch does:
  bits + 0x7fff + ((bits >> 16) & 1), upper half; NaN gives 0x7fc0 (the C++ tests only require a
  NaN for NaN inputs).
- f16_to_f32: [f16 bits, f32 bits] from numpy's float16 -> float32 cast (exact).
- rules: a copy of the rule table the values were made with; the C++ test compares it with
  models/synthetic_weight_rules.json so a changed table asks for this script to be rerun.

Usage: python3 tools/make_synthetic_reference.py   (numpy only)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_weights as sw  # noqa: E402

OUT_PATH = os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'synthetic_reference.json')
EDGE = 64

# (name, shape): at least one per rule, in rule order, plus a non-ASCII name and one tensor big
# enough for the C++ generator's two-thread path.
TENSORS = [
    ('visual.bn1.num_batches_tracked', []),
    ('visual.bn1.running_var', [8]),
    ('visual.layer1.0.bn2.running_mean', [8]),
    ('logit_scale', []),
    ('visual.transformer.resblocks.0.attn.logit_scale', [2, 1, 1]),
    ('logit_bias', []),
    ('visual.transformer.resblocks.0.attn.head_scale', [2, 1, 1]),
    ('visual.transformer.resblocks.0.ls_1.gamma', [16]),
    ('visual.class_embedding', [16]),
    ('positional_embedding', [7, 16]),
    ('token_embedding.weight', [10, 4]),
    ('visual.attn_pool.query', [4, 16]),
    ('visual.trunk.pos_embed', [1, 5, 16]),
    ('visual.trunk.cls_token', [1, 1, 16]),
    ('visual.trunk.reg_token', [1, 2, 16]),
    ('visual.trunk.attn_pool.latent', [1, 1, 16]),
    ('visual.head.pool.pos_embed', [5, 16]),
    ('visual.pos_embedding', [1, 5, 16]),
    ('visual.cls_token', [1, 1, 16]),
    ('visual.proj', [16, 8]),
    ('text_projection', [16, 8]),
    ('visual.bn3.weight', [8]),
    ('visual.layer1.0.bn3.weight', [8]),
    ('ln_final.weight', [16]),
    ('visual.conv1.weight', [8, 3, 4, 4]),
    ('transformer.resblocks.0.attn.in_proj_weight', [48, 16]),
    ('transformer.resblocks.0.attn.in_proj_bias', [48]),
    ('visual.attnpool.c_proj.weight', [16, 32]),
    ('tëxt.ünïcode.bias', [5]),
    ('visual.transformer.resblocks.11.mlp.c_fc.weight', [3072, 1536]),
]


def bits32(values: np.ndarray) -> list:
    return [int(b) for b in np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).ravel()]


def first_rule_index(name: str, shape) -> int:
    # The matching condition of sw.synthetic_rule, to check that TENSORS covers every rule.
    for index, rule in enumerate(sw.rules()):
        if name.endswith(rule['suffix']) and rule.get('rank', len(shape)) == len(shape):
            return index
    raise KeyError(name)


def tensor_cases() -> list:
    uncovered = set(range(len(sw.rules()))) - {first_rule_index(name, shape) for name, shape in TENSORS}
    if uncovered:
        raise SystemExit('no test tensor for rules ' + ', '.join(sw.rules()[i]['suffix'] for i in sorted(uncovered)))
    cases = []
    for name, shape in TENSORS:
        center, scale = sw.synthetic_rule(name, shape)
        values = sw.synthetic_weight(name, tuple(shape)).ravel()
        cases.append({
            'name': name,
            'shape': shape,
            'fnv1a64': str(sw.fnv1a64(name)),
            'center': center,
            'scale': scale,
            'first': bits32(values[:EDGE]),
            'last': bits32(values[-EDGE:]),
        })
    return cases


def f32(value: float) -> int:
    return int(np.array([value], dtype=np.float32).view(np.uint32)[0])


def conversion_inputs() -> np.ndarray:
    special = [
        0x00000000, 0x80000000, f32(1.0), f32(-1.0), f32(0.1), f32(-2.5), f32(3.14159265),
        0x00000001, 0x807fffff, 0x00800000,  # f32 subnormals and min normal
        0x7f800000, 0xff800000,  # +-inf
        0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x7fffffff, 0xffffffff, 0x7f802000,  # NaNs
        # f16: max 65504, values rounding to it or to inf, large overflow
        f32(65504.0), f32(65519.0), 0x477fefff, 0x477ff000, f32(65520.0), f32(1e10), f32(-1e10), 0x7f7fffff,
        0xff7fffff,
        # f16 normal range: min normal, ties to even up/down, just above a tie
        0x38800000, 0x387fe000, 0x387ff000, 0x3f801000, 0x3f803000, 0x3f801001, 0x3f800fff, 0xbf803000,
        # f16 subnormals: min subnormal, half of it (tie to 0), just above, 1.5 and 2.5 ulp ties
        0x33800000, 0x33000000, 0x33000001, 0x32ffffff, 0x33c00000, 0x34200000, 0x80000001, 0xb3000000,
        0x38000000, 0x387fffff, 0x38400000,
        # bf16 ties: to even down, to even up, above a tie, max float rounding to inf
        0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0x7f7f8000, 0x7f7f7fff, 0xbf818000,
    ]
    rng = np.random.default_rng(20240501)
    anywhere = rng.integers(0, 1 << 32, size=300, dtype=np.uint64)
    # Exponents around the f16 range, where rounding and subnormals matter most.
    exponent = rng.integers(100, 145, size=300, dtype=np.uint64)
    mantissa = rng.integers(0, 1 << 23, size=300, dtype=np.uint64)
    sign = rng.integers(0, 2, size=300, dtype=np.uint64)
    near_f16 = (sign << np.uint64(31)) | (exponent << np.uint64(23)) | mantissa
    return np.concatenate([np.array(special, dtype=np.uint64), anywhere, near_f16]).astype(np.uint32)


def f32_to_bf16(bits: np.ndarray) -> np.ndarray:
    wide = bits.astype(np.uint64)
    rounded = ((wide + np.uint64(0x7fff) + ((wide >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16))
    rounded &= np.uint64(0xffff)
    is_nan = (bits & np.uint32(0x7fffffff)) > np.uint32(0x7f800000)
    return np.where(is_nan, np.uint64(0x7fc0), rounded).astype(np.uint16)


def conversion_cases() -> dict:
    inputs = conversion_inputs()
    with np.errstate(all='ignore'):
        f16 = inputs.view(np.float32).astype(np.float16).view(np.uint16)
    bf16 = f32_to_bf16(inputs)
    half_inputs = np.concatenate([
        np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff, 0x7c00, 0xfc00,
                  0x7e00, 0x7c01, 0xfe00, 0x3555, 0x0200], dtype=np.uint16),
        np.random.default_rng(7).integers(0, 1 << 16, size=100, dtype=np.uint16),
    ])
    half_to_f32 = half_inputs.view(np.float16).astype(np.float32).view(np.uint32)
    return {
        'f32_to_f16': [[int(a), int(b)] for a, b in zip(inputs, f16)],
        'f32_to_bf16': [[int(a), int(b)] for a, b in zip(inputs, bf16)],
        'f16_to_f32': [[int(a), int(b)] for a, b in zip(half_inputs, half_to_f32)],
    }


def main():
    reference = {
        'about': 'Generated by tools/make_synthetic_reference.py; do not edit.',
        'rules': sw.rules(),
        'tensors': tensor_cases(),
        **conversion_cases(),
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    # One list element per line: compact, yet readable in a diff.
    lines = []
    for key, value in reference.items():
        if isinstance(value, list):
            items = ',\n    '.join(json.dumps(v, ensure_ascii=False, separators=(',', ':')) for v in value)
            lines.append(f'  {json.dumps(key)}: [\n    {items}\n  ]')
        else:
            lines.append(f'  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}')
    with open(OUT_PATH, 'w', encoding='utf-8') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    print(f'wrote {os.path.normpath(OUT_PATH)}')


if __name__ == '__main__':
    main()
