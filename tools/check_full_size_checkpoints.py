"""Development-time check at real size: writes a ViT-B/32 CLIPModel with transformers (the
openai/clip-vit-base-patch32 configuration, random init) and open_clip's ViT-B-32 in the hub layout
(random init) into a scratch directory, computes their features there, and runs `cliprt` on the
same inputs to compare. Nothing is committed; the printed figures go into the issue notes.

    python3 tools/check_full_size_checkpoints.py --cliprt build/cliprt [--dir /tmp/cliprt_full]
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_checkpoint_fixtures as fixtures  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cliprt', required=True)
    parser.add_argument('--dir', default='/tmp/cliprt_full')
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    torch.set_num_threads(2)
    from transformers import CLIPConfig
    c = CLIPConfig()  # the defaults are openai/clip-vit-base-patch32's sizes
    t0 = time.time()
    fixtures.hf_fixture(args.dir, 'hf_vit_b_32', torch.float32, c.text_config.to_dict(), c.vision_config.to_dict(),
                        c.projection_dim)
    import open_clip
    cfg = open_clip.get_model_config('ViT-B-32')
    fixtures.open_clip_fixture(args.dir, 'open_clip_vit_b_32', cfg, torch.float32)
    print(f'wrote both checkpoints in {time.time() - t0:.1f} s')
    for name in ('hf_vit_b_32', 'open_clip_vit_b_32'):
        d = os.path.join(args.dir, name)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        t0 = time.time()
        out = subprocess.run([args.cliprt, 'parity', '--goldens', d], capture_output=True, text=True)
        print(f'{name}: {size / 1e6:.1f} MB on disk; cliprt: {out.stdout.strip()} {out.stderr.strip()} '
              f'({time.time() - t0:.1f} s)')
    shutil.rmtree(args.dir)


if __name__ == '__main__':
    main()
