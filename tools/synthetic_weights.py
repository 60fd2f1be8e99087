"""The deterministic weight generator, identical to runtime/weights/synthetic_weights.cpp.

    u(name, i) = (splitmix64(fnv1a64(name) + i) >> 40) / 2**24      in [0, 1)
    value      = center + scale * (2u - 1)                          in float64, stored as float32

(center, scale) come from the first rule of models/synthetic_weight_rules.json that matches the
tensor name (suffix, and rank when the rule states one). Development-time only (numpy).
"""
import json
import math
import os

import numpy as np

RULES_PATH = os.path.join(os.path.dirname(__file__), '..', 'models', 'synthetic_weight_rules.json')
MASK64 = (1 << 64) - 1


def fnv1a64(text: str) -> int:
    h = 0xcbf29ce484222325
    for byte in text.encode('utf-8'):
        h ^= byte
        h = (h * 0x100000001b3) & MASK64
    return h


def _splitmix64_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(over='ignore'):
        z = x + np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        return z ^ (z >> np.uint64(31))


def uniform(name: str, count: int) -> np.ndarray:
    """u in [0, 1) for elements 0..count-1 of the stream `name`, as float64."""
    with np.errstate(over='ignore'):
        x = np.uint64(fnv1a64(name)) + np.arange(count, dtype=np.uint64)
    bits = _splitmix64_array(x) >> np.uint64(40)
    return bits.astype(np.float64) / float(1 << 24)


def synthetic_tensor(name: str, shape, center: float, scale: float) -> np.ndarray:
    count = int(np.prod(shape)) if len(shape) else 1
    values = center + scale * (2.0 * uniform(name, count) - 1.0)
    return values.astype(np.float32).reshape(shape)


_rules = None


def rules():
    global _rules
    if _rules is None:
        with open(RULES_PATH) as f:
            _rules = json.load(f)['rules']
    return _rules


def synthetic_rule(name: str, shape):
    shape = tuple(int(d) for d in shape)
    numel = int(np.prod(shape)) if shape else 1
    for rule in rules():
        if not name.endswith(rule['suffix']):
            continue
        if 'rank' in rule and rule['rank'] != len(shape):
            continue
        scale = rule['scale']
        if scale == 'fan_in':
            scale = math.sqrt(3.0 / (numel // shape[0]))
        elif scale == 'fan_in_rows':
            scale = math.sqrt(3.0 / shape[0])
        return float(rule['center']), float(scale)
    raise KeyError(f'no synthetic weight rule matches tensor {name!r} of shape {list(shape)}')


def synthetic_weight(name: str, shape) -> np.ndarray:
    center, scale = synthetic_rule(name, shape)
    return synthetic_tensor(name, tuple(shape), center, scale)


def fill_state_dict(model):
    """Overwrites every parameter and buffer of a torch module with generated values."""
    import torch
    state = model.state_dict()
    filled = {}
    for name, tensor in state.items():
        if tensor.dtype in (torch.int64, torch.int32):
            filled[name] = torch.zeros_like(tensor)
            continue
        filled[name] = torch.from_numpy(synthetic_weight(name, tuple(tensor.shape))).to(tensor.dtype)
    model.load_state_dict(filled, strict=True)
    return model
