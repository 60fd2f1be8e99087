#!/usr/bin/env python3
"""Small transformers save_pretrained directories for tests/hf_text_model_test.cpp (development time only).

For each of BertModel, RobertaModel and XLMRobertaModel: a small config, weights drawn by
transformers' own initialisation (seeded) and stored as f16 (a few hundred KiB together), and the
reference of what cliprt computes for such a directory without sentence-transformers files: the
mean of last_hidden_state over the attention mask (transformers' forward on the f16 weights read
back as f32, input_ids padded with pad_token_id and attention_mask = input_ids != pad_token_id).

    tests/data/hf_text/<model_type>/config.json, model.safetensors   (model.save_pretrained)
    tests/data/hf_text/<model_type>/expected.safetensors             input_ids [N, L] (i32), text_features [N, H] (f32)

    python3 tools/make_hf_text_fixtures.py [--out tests/data/hf_text]
"""
import argparse
import os

import numpy as np
import torch

CONFIGS = {
    "bert": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                 max_position_embeddings=24, type_vocab_size=2, pad_token_id=0),
    "roberta": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                    max_position_embeddings=26, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                    layer_norm_eps=1e-5),
    "xlm-roberta": dict(vocab_size=97, hidden_size=24, num_hidden_layers=3, num_attention_heads=3, intermediate_size=30,
                        max_position_embeddings=22, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                        layer_norm_eps=1e-5, hidden_act="gelu_new"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'hf_text'))
    args = parser.parse_args()
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModel
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for i, (model_type, overrides) in enumerate(CONFIGS.items()):
        torch.manual_seed(100 + i)
        config = AutoConfig.for_model(model_type, **overrides)
        model = AutoModel.from_config(config)  # BertModel / RobertaModel / XLMRobertaModel, with pooler
        out_dir = os.path.join(args.out, model_type)
        os.makedirs(out_dir, exist_ok=True)
        model.half().save_pretrained(out_dir, safe_serialization=True)
        model = AutoModel.from_pretrained(out_dir, torch_dtype=torch.float32).eval()
        pad = config.pad_token_id
        rng = np.random.RandomState(7 + i)
        context = config.max_position_embeddings - (0 if model_type == "bert" else pad + 1)
        lengths = [context, 3, context // 2, 1, 7]
        rows = []
        for n in lengths:
            body = rng.randint(3, config.vocab_size, size=n).tolist()
            rows.append(body + [pad] * (context - n))
        ids = torch.tensor(rows)
        mask = (ids != pad).long()
        with torch.no_grad():
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        features = (hidden * m).sum(1) / m.sum(1)
        save_file({"input_ids": ids.to(torch.int32).contiguous(), "text_features": features.contiguous()},
                  os.path.join(out_dir, 'expected.safetensors'))
        size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
        print(f'{model_type}: {type(model).__name__}, {sum(p.numel() for p in model.parameters()):,} parameters, '
              f'rows of {lengths} tokens (context {context}), {size / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
