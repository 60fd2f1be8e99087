#!/usr/bin/env python3
"""cliprt against its peers on the CPU: PyTorch (open_clip) and ONNX Runtime, side by side, one run.

    python3 tools/peers_bench.py --threads 2          # ViT-B-32 image, RN50 image, ViT-B-32 text; batch 1, 8

For every (model, tower, batch) row and every runtime:
  * PyTorch: open_clip's model (open_clip.create_model, float32, eval) under torch.inference_mode(),
    torch.set_num_threads(T), one inter-op thread;
  * ONNX Runtime: the same tower exported from open_clip with torch.onnx.export (static shapes,
    cached under tools/.peers_cache/), CPU execution provider, intra_op_num_threads=T,
    inter_op_num_threads=1, sequential execution, every graph optimization;
  * cliprt: `cliprt bench --json --threads T` for each backend of --backends (cpu, cpu-ref, ...;
    BACKEND:DTYPE runs that backend in another dtype, e.g. cpu:bf16, so f32 and bf16 share one run).
All three use the same weights: tools/synthetic_weights.py is cliprt's `synthetic` generator. Each
tower returns L2-normalized features, as `cliprt bench` does.

Every measurement warms up, then times forwards for at least --min-seconds. The runtimes are
interleaved row by row, over --rounds rounds in rotating order, so background load hits all of
them; each runtime's best round is reported (noise only slows a run down), and the JSON keeps
every round. cliprt skips work that cannot change a tower's output (README, "Work the towers
skip"): open_clip text towers run at the prefix up to the pooled token, and a ViT that pools its
class token runs its last block for that token alone; the peers compute it all. `--backends
cpu,cpu:full` also runs cliprt's text towers at the whole context length (`--full-context`), for
the like-for-like ratio. GFLOP/s counts each runtime's own work: PyTorch's FlopCounterMode for the
peers (the same graph as the ONNX export), cliprt's count of the graph it ran
(runtime/graph/node_cost.cpp) for each cliprt runtime. The table's GFLOP per item gives both
(PyTorch's; cliprt's at the whole context length); the peak is bench/fma_peak.cpp's measured FMA
throughput at T threads (the best ISA), run before and after the rows (the higher is kept).

Development time only: pip install torch open_clip_torch onnx onnxruntime onnxscript.
Build cliprt first (cmake --build build): the defaults expect build/cliprt and
build/bench/cliprt_fma_peak.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, '.peers_cache')
sys.path.insert(0, HERE)

BOS, EOS = 49406, 49407


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--towers', default='ViT-B-32:image,RN50:image,ViT-B-32:text',
                   help='comma-separated MODEL:TOWER (tower: image or text)')
    p.add_argument('--batches', default='1,8', help='comma-separated batch sizes')
    p.add_argument('--threads', type=int, default=2, help='threads for every runtime')
    p.add_argument('--dtype', default='f32', help="cliprt's --dtype (f32, bf16, ...); the peers run f32")
    p.add_argument('--backends', default='cpu',
                   help="comma-separated cliprt backends, each optionally with its own dtype: cpu,cpu:bf16,cpu-ref; "
                        "a last ':full' (cpu:full, cpu:bf16:full) runs text towers at the whole context length "
                        "(`cliprt bench --full-context`), the work the peers do")
    p.add_argument('--peers', default='torch,ort', help='which peers to run: torch, ort or both')
    p.add_argument('--cliprt', default=os.path.join(ROOT, 'build', 'cliprt'),
                   help='the cliprt binary')
    p.add_argument('--fma-peak', default=os.path.join(ROOT, 'build', 'bench', 'cliprt_fma_peak'),
                   help="the cliprt_fma_peak binary ('' to skip the peak)")
    p.add_argument('--min-seconds', type=float, default=3.0, help='timed seconds per measurement')
    p.add_argument('--warmup', type=int, default=2, help='untimed forwards before timing (peers)')
    p.add_argument('--rounds', type=int, default=2, help='interleaved rounds; the best is reported')
    p.add_argument('--json', default=os.path.join(CACHE, 'peers_bench.json'), help='where to write the JSON')
    p.add_argument('--reexport', action='store_true', help='export the ONNX files again')
    args = p.parse_args()
    args.towers = [tuple(t.split(':')) for t in args.towers.split(',') if t]
    for t in args.towers:
        if len(t) != 2 or t[1] not in ('image', 'text'):
            p.error(f'--towers: {":".join(t)!r} is not MODEL:image or MODEL:text')
    args.batches = [int(b) for b in args.batches.split(',') if b]
    args.backends = [b for b in args.backends.split(',') if b]
    args.peers = [x for x in args.peers.split(',') if x]
    if any(x not in ('torch', 'ort') for x in args.peers):
        p.error('--peers: torch and/or ort')
    if args.threads < 1 or any(b < 1 for b in args.batches):
        p.error('--threads and --batches must be >= 1')
    return args


# --- the towers -------------------------------------------------------------------------------

def build_model(name):
    import open_clip
    from synthetic_weights import fill_state_dict
    model = open_clip.create_model(name, pretrained=None)
    fill_state_dict(model)  # cliprt's `synthetic` weights
    return model.float().eval()


def tower_module(model, tower):
    import torch

    class Tower(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            if tower == 'image':
                return self.model.encode_image(x, normalize=True)
            return self.model.encode_text(x, normalize=True)

    return Tower().eval()


def tower_input(model, tower, batch):
    """Inputs shaped and distributed as `cliprt bench` makes them."""
    import torch
    if tower == 'image':
        size = model.visual.image_size
        h, w = (size, size) if isinstance(size, int) else size
        return torch.from_numpy(np.random.default_rng(0).random((batch, 3, h, w), dtype=np.float32))
    length = model.context_length
    ids = np.zeros((batch, length), dtype=np.int64)
    for b in range(batch):  # start, a few words, end, padding
        words = min(length - 2, 8 + b % 5)
        ids[b, 0] = BOS
        ids[b, 1:words + 1] = [320 + (i * 97 + b) % 40000 for i in range(1, words + 1)]
        ids[b, words + 1] = EOS
    return torch.from_numpy(ids)


class MhaFastpathOff:
    """nn.MultiheadAttention's inference fast path (one fused op) hides its matmuls from
    FlopCounterMode and has no ONNX export; counting and exporting run the plain path."""

    def __enter__(self):
        import torch
        self.was = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)

    def __exit__(self, *exc):
        import torch
        torch.backends.mha.set_fastpath_enabled(self.was)


def torch_gflop(module, x):
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with MhaFastpathOff(), torch.inference_mode(), counter:
        module(x)
    return counter.get_total_flops() * 1e-9


def export_onnx(module, x, path):
    import torch
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with MhaFastpathOff(), torch.no_grad():  # the TorchScript exporter: fixed shapes, folded constants
        torch.onnx.export(module, (x,), tmp, input_names=['input'], output_names=['features'],
                          opset_version=17, do_constant_folding=True, dynamo=False)
    os.replace(tmp, path)


def ort_session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])


# --- timing ------------------------------------------------------------------------------------

def time_forwards(forward, warmup, min_seconds):
    for _ in range(warmup):
        forward()
    runs = 0
    start = time.perf_counter()
    while True:
        forward()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return runs, elapsed


def run_cliprt(args, backend, model, tower, batch):
    # "cpu:bf16": that backend in that dtype; a last ":full" runs text at the whole context length
    parts = backend.split(':')
    full = parts[-1] == 'full'
    if full:
        parts = parts[:-1]
    backend, dtype = parts[0], (parts[1] if len(parts) > 1 else '')
    cmd = [args.cliprt, 'bench', '--json', '--model', model, '--tower', tower, '--batch', str(batch),
           '--backend', backend, '--dtype', dtype or args.dtype, '--threads', str(args.threads),
           '--min-seconds', str(args.min_seconds)] + (['--full-context'] if full else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed ({out.returncode}): {out.stderr.strip()}')
    results = json.loads(out.stdout)['results']
    if len(results) != 1:
        raise RuntimeError(f'{" ".join(cmd)}: expected one result, got {len(results)}: {out.stderr.strip()}')
    return results[0]


def fma_peak(args):
    if not args.fma_peak:
        return None
    out = subprocess.run([args.fma_peak, '--threads', str(args.threads), '--json'], capture_output=True,
                         text=True, check=True)
    rows = [r for r in json.loads(out.stdout)['results'] if r['threads'] == args.threads]
    return max(rows, key=lambda r: r['gflop_per_second']) if rows else None


# --- report ------------------------------------------------------------------------------------

def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def git_describe():
    out = subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty'], capture_output=True, text=True)
    return out.stdout.strip()


NAMES = {'torch': 'PyTorch', 'ort': 'ORT'}


def fmt(value):
    """Three significant digits, without an exponent for the magnitudes here."""
    return f'{value:.3g}' if value < 100 else f'{value:.0f}'


def markdown(report, runtimes, cliprt_runtimes):
    peak = report['fma_peak']
    peak_gflops = peak['gflop_per_second'] if peak else None
    lines = []
    lines.append(f"{report['date']}, {report['cpu']}, {report['threads']} threads, cliprt dtype {report['dtype']} "
                 f"(peers f32), best of {report['rounds']} interleaved rounds of >= {report['min_seconds']} s, "
                 f"load average {report['load_average_before']} before, {report['load_average_after']} after")
    if peak:
        lines.append(f"Measured FMA peak: {peak_gflops:.0f} GFLOP/s ({peak['isa']}, {peak['threads']} threads)")
    lines.append('')
    head = ['tower', 'batch', 'GFLOP/item (PyTorch; cliprt)'] + [f'{NAMES.get(r, r)} items/s' for r in runtimes]
    for c in cliprt_runtimes:
        if 'ort' in runtimes:
            head.append(f'{c} / ORT')
        if 'torch' in runtimes:
            head.append(f'{c} / PyTorch')
    lines.append('| ' + ' | '.join(head) + ' |')
    lines.append('|' + '---|' * len(head))
    for row in report['rows']:
        best = row['items_per_second']
        ours = f"{row['gflop_per_item']:.2f}" if row['gflop_per_item'] else '?'
        cells = [f"{row['model']} {row['tower']}", str(row['batch']),
                 f"{row['torch_flop_counter_gflop_per_item']:.2f}; {ours}"]
        cells += [fmt(best[r]) if r in best else '-' for r in runtimes]
        for c in cliprt_runtimes:
            for peer in ('ort', 'torch'):
                if peer in runtimes:
                    ok = c in best and peer in best
                    cells.append(f'{best[c] / best[peer]:.2f}' if ok else '-')
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    head = ['tower', 'batch'] + [f'{NAMES.get(r, r)} GFLOP/s (of peak)' for r in runtimes]
    lines.append('| ' + ' | '.join(head) + ' |')
    lines.append('|' + '---|' * len(head))
    for row in report['rows']:
        cells = [f"{row['model']} {row['tower']}", str(row['batch'])]
        for r in runtimes:
            g = row['gflop_per_second'].get(r)
            if g is None:
                cells.append('-')
            elif peak_gflops:
                cells.append(f'{fmt(g)} ({100 * g / peak_gflops:.1f} %)')
            else:
                cells.append(fmt(g))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import onnxruntime
    import open_clip

    cliprt_runtimes = [f'cliprt {b}' for b in args.backends]
    runtimes = args.peers + cliprt_runtimes
    if not os.access(args.cliprt, os.X_OK):
        sys.exit(f'peers_bench: no cliprt binary at {args.cliprt} (build it, or pass --cliprt)')

    # Prepare every row: the torch tower, its input, its ONNX session.
    rows = []
    models = {}
    for model_name, tower in args.towers:
        if model_name not in models:
            print(f'peers_bench: building {model_name} with synthetic weights', file=sys.stderr)
            models[model_name] = build_model(model_name)
        module = tower_module(models[model_name], tower)
        for batch in args.batches:
            x = tower_input(models[model_name], tower, batch)
            row = {'model': model_name, 'tower': tower, 'batch': batch, 'module': module, 'x': x,
                   'context_length': models[model_name].context_length if tower == 'text' else 0}
            row['torch_gflop_per_item'] = torch_gflop(module, x) / batch
            if 'ort' in args.peers:
                path = os.path.join(CACHE, f'{model_name}-{tower}-b{batch}.onnx')
                if args.reexport or not os.path.exists(path):
                    print(f'peers_bench: exporting {path}', file=sys.stderr)
                    export_onnx(module, x, path)
                row['session'] = ort_session(path, args.threads)
                row['ort_input'] = {row['session'].get_inputs()[0].name: x.numpy()}
                with torch.inference_mode():
                    expected = module(x).numpy()
                got = row['session'].run(None, row['ort_input'])[0]
                row['ort_cosine_min'] = float(np.min(np.sum(expected * got, axis=1) /
                                                    (np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1))))
            rows.append(row)

    report = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
              'cpu': cpu_model(), 'threads': args.threads, 'dtype': args.dtype, 'rounds': args.rounds,
              'min_seconds': args.min_seconds, 'cliprt': args.cliprt, 'cliprt_commit': git_describe(),
              'versions': {'torch': torch.__version__, 'onnxruntime': onnxruntime.__version__,
                           'open_clip': open_clip.__version__, 'python': platform.python_version()},
              'load_average_before': load_average()}
    peaks = [fma_peak(args)]

    samples = {id(r): {rt: [] for rt in runtimes} for r in rows}
    for rnd in range(args.rounds):
        for i, row in enumerate(rows):
            shift = (rnd + i) % len(runtimes)  # rotate who goes first
            for rt in runtimes[shift:] + runtimes[:shift]:
                label = f"{row['model']} {row['tower']} b{row['batch']} {rt}"
                if rt == 'torch':
                    with torch.inference_mode():
                        runs, elapsed = time_forwards(lambda: row['module'](row['x']), args.warmup, args.min_seconds)
                    sample = {'items_per_second': row['batch'] * runs / elapsed, 'runs': runs,
                              'load_average': load_average()}
                elif rt == 'ort':
                    sess, feed = row['session'], row['ort_input']
                    runs, elapsed = time_forwards(lambda: sess.run(None, feed), args.warmup, args.min_seconds)
                    sample = {'items_per_second': row['batch'] * runs / elapsed, 'runs': runs,
                              'load_average': load_average()}
                else:
                    result = run_cliprt(args, rt.split(' ', 1)[1], row['model'], row['tower'], row['batch'])
                    sample = {'items_per_second': result['items_per_second'], 'runs': result['runs'],
                              'load_average': load_average(), 'cliprt': result}
                    if 'gflop_per_forward' in result:
                        # cliprt's count of the graph it ran: a trimmed text graph does less work
                        row.setdefault('cliprt_gflop_per_item', {})[rt] = result['gflop_per_forward'] / row['batch']
                        if result.get('text_length', 0) in (0, row.get('context_length')):
                            row['gflop_per_item'] = result['gflop_per_forward'] / row['batch']
                samples[id(row)][rt].append(sample)
                print(f'peers_bench: round {rnd + 1}: {label}: {sample["items_per_second"]:.2f} items/s',
                      file=sys.stderr)
    peaks.append(fma_peak(args))
    report['load_average_after'] = load_average()
    peaks = [p for p in peaks if p]
    report['fma_peak'] = max(peaks, key=lambda p: p['gflop_per_second']) if peaks else None
    report['fma_peak_runs'] = peaks

    report['rows'] = []
    for row in rows:
        gflop = row['torch_gflop_per_item']  # the peers' work; each cliprt runtime counts its own
        best = {rt: max(s['items_per_second'] for s in samples[id(row)][rt]) for rt in runtimes}
        out = {'model': row['model'], 'tower': row['tower'], 'batch': row['batch'],
               'gflop_per_item': row.get('gflop_per_item'), 'torch_flop_counter_gflop_per_item': row['torch_gflop_per_item'],
               'items_per_second': best,
               'gflop_per_second': {rt: row.get('cliprt_gflop_per_item', {}).get(rt, gflop) * v for rt, v in best.items()},
               'cliprt_gflop_per_item': row.get('cliprt_gflop_per_item', {}),
               'samples': samples[id(row)]}
        if 'ort_cosine_min' in row:
            out['ort_vs_torch_cosine_min'] = row['ort_cosine_min']
        report['rows'].append(out)

    table = markdown(report, runtimes, cliprt_runtimes)
    report['markdown'] = table
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, 'w') as f:
        json.dump(report, f, indent=2)
    print(table)
    print(f'\n(JSON: {args.json})')
    noted = set()
    for row in report['rows']:
        ours, theirs = row['gflop_per_item'], row['torch_flop_counter_gflop_per_item']
        if ours and abs(ours - theirs) > 0.02 * theirs and (row['model'], row['tower']) not in noted:
            noted.add((row['model'], row['tower']))
            print(f"note: {row['model']} {row['tower']}: cliprt counts {ours:.3f} GFLOP/item, "
                  f"torch's FlopCounterMode {theirs:.3f}", file=sys.stderr)
        if row.get('ort_vs_torch_cosine_min', 1.0) < 0.9999:
            print(f"warning: {row['model']} {row['tower']} b{row['batch']}: the ONNX export disagrees with "
                  f"PyTorch (cosine {row['ort_vs_torch_cosine_min']:.6f})", file=sys.stderr)


if __name__ == '__main__':
    main()
