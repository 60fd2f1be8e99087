#!/usr/bin/env python3
"""open_clip's towers in PyTorch on a GPU, timed as `cliprt bench` times cliprt's (device time only).

    python3 tools/torch_gpu_bench.py --models ViT-B-32,ViT-L-14,RN50 --towers image,text \
        --dtypes f32,f16 --batches 1,8,64,256 --min-seconds 0.25 --out torch.json

scripts/device_check.sh runs it on the NVIDIA machine beside `cliprt bench` (open_clip travels as a
wheel; PyTorch is installed there). Each row: open_clip.create_model(name, pretrained=None) with its
own random initialisation (the weights do not change the time; cliprt's synthetic generator in
Python would take minutes per large model), eval, on the device, .half() for f16; inputs shaped
and distributed as `cliprt bench` makes them (images uniform in [0, 1), captions of 8-12 tokens);
encode_image / encode_text with normalize=True under torch.inference_mode(). Timing: host tensor
moved to the device and features back to the host inside each forward (as cliprt's includes its
transfers), torch.cuda.synchronize() before reading the clock, 3 warm-up forwards, then forwards
for at least --min-seconds. Rows that fail (out of memory, say) are recorded with their error.
Writes JSON: {"torch": version, "open_clip": version, "device": name, "results": [...]} with the
field names of `cliprt bench --json`.
"""
import argparse
import json
import sys
import time

import numpy as np

BOS, EOS = 49406, 49407


def tower_input(model, tower, batch):
    import torch
    if tower == 'image':
        size = model.visual.image_size
        h, w = (size, size) if isinstance(size, int) else size
        return torch.from_numpy(np.random.default_rng(0).random((batch, 3, h, w), dtype=np.float32))
    length = model.context_length
    ids = np.zeros((batch, length), dtype=np.int64)
    for b in range(batch):
        words = min(length - 2, 8 + b % 5)
        ids[b, 0] = BOS
        ids[b, 1:words + 1] = [320 + (i * 97 + b) % 40000 for i in range(1, words + 1)]
        ids[b, words + 1] = EOS
    return torch.from_numpy(ids)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', default='ViT-B-32,ViT-L-14,RN50')
    p.add_argument('--towers', default='image,text')
    p.add_argument('--dtypes', default='f32,f16')
    p.add_argument('--batches', default='1,8,64,256')
    p.add_argument('--min-seconds', type=float, default=0.25)
    p.add_argument('--device', default='cuda', help='torch device (cpu for a dry run)')
    p.add_argument('--out', required=True)
    args = p.parse_args()

    import open_clip
    import torch
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'
    report = {'torch': torch.__version__, 'open_clip': open_clip.__version__, 'device': name, 'results': []}

    def save():
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)

    for model_name in args.models.split(','):
        t0 = time.perf_counter()
        base = open_clip.create_model(model_name, pretrained=None).eval()
        print(f'{model_name}: built in {time.perf_counter() - t0:.1f} s', file=sys.stderr, flush=True)
        for dtype in args.dtypes.split(','):
            model = base.to(device=device, dtype=torch.float16 if dtype == 'f16' else torch.float32)
            for tower in args.towers.split(','):
                for batch in [int(b) for b in args.batches.split(',')]:
                    row = {'model': model_name, 'backend': 'torch', 'device': name, 'tower': tower,
                           'dtype': dtype, 'batch': batch}
                    try:
                        x = tower_input(model, tower, batch)
                        if tower == 'image' and dtype == 'f16':
                            x = x.half()
                        encode = model.encode_image if tower == 'image' else model.encode_text

                        def forward():
                            with torch.inference_mode():
                                out = encode(x.to(device), normalize=True).float().cpu()
                            sync()
                            return out

                        for _ in range(3):
                            forward()
                        runs = 0
                        start = time.perf_counter()
                        while True:
                            forward()
                            runs += 1
                            elapsed = time.perf_counter() - start
                            if elapsed >= args.min_seconds:
                                break
                        row.update(items_per_second=batch * runs / elapsed, ms_per_forward=1000 * elapsed / runs,
                                   runs=runs)
                    except Exception as e:  # noqa: BLE001 - recorded in the report
                        row['error'] = f'{type(e).__name__}: {e}'.splitlines()[0][:300]
                        if device.type == 'cuda':
                            torch.cuda.empty_cache()
                    report['results'].append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    save()
        del base, model
        if device.type == 'cuda':
            torch.cuda.empty_cache()
    save()


if __name__ == '__main__':
    main()
