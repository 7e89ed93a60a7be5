#!/usr/bin/env python3
"""Time legacy streaming mappings against mapping records, in one boot each.

For each boot in configs/bench.toml (a scenario of configs/scenarios.toml,
booted without KUnit and with DMA-API debug off), the initramfs holds
tools/bench-init.c as /init and the kernel's own tools/dma/dma_map_benchmark,
built statically for the arch.  /init binds an edu device to the kernel's map
benchmark and alternates the legacy single mode with the record mode, so that
both sides run in the same boot, on the same device, in turn.  The table
gives the median of each side's per-run averages, in ns, and the ratio
record / legacy.  Writes build/results/bench.json and bench-<boot>.log.

Under TCG, wall-clock time also measures how QEMU happens to translate and
chain the guest's code, which can move a 100 ns operation by 50 ns either
way.  --icount runs QEMU with -icount shift=0, where the guest's clock
advances one ns per instruction: the table then counts the instructions
each side executes (bench-icount.json, bench-icount-<boot>.log).

Boots marked "managed" also time managed streaming mappings: a ring of 1,
100 and 10,000 mappings outstanding, each loop mapping one and unmapping the
oldest, with plain mappings, managed ones (dmam_map_single()) and the 2014
design of a devres per mapping, alternately in the same boot.  That table
gives map + unmap in ns and the ratios to plain.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dmaseries as rs  # noqa: E402
from dmaseries import scenarios as sc  # noqa: E402

TOP = rs.TOP

HEADER = re.compile(r'dma mapping benchmark\((\w+)_MODE\).*?(?:outstanding:(\d+))?\s*$')
RESULT = re.compile(r'latency\(ns\): map (\d+) unmap (\d+) '
                    r'sync_for_cpu (\d+) sync_for_device (\d+)'
                    r'( \(device treated as non-coherent\))?')
OPS = ('map', 'unmap', 'sync_for_cpu', 'sync_for_device')
MODES = {'SINGLE': 'legacy', 'REC': 'record'}
# With mappings outstanding, the ring modes.
RING_MODES = {'SINGLE': 'plain', 'MANAGED': 'managed', 'DEVRES': 'devres'}
OUTSTANDING = (1, 100, 10000)


def build_tool(arch, tree, out):
    """The kernel's dma_map_benchmark, static, built by its own Makefile."""
    dest = os.path.join(out, 'bench', arch) + '/'
    os.makedirs(dest, exist_ok=True)
    cc = rs.ARCHES[arch]['cc']
    made = subprocess.run(['make', '-s', '-C', os.path.join(tree, 'tools/dma'),
                           f'OUTPUT={dest}', f'CC={cc} -static'],
                          capture_output=True, text=True, check=False)
    tool = dest + 'dma_map_benchmark'
    if made.returncode or not os.path.exists(tool):
        raise rs.UserError(f'cannot build tools/dma/dma_map_benchmark for {arch}: '
                           + (made.stderr.strip().splitlines() or ['?'])[-1])
    return tool


def parse(log):
    """{(coherency, side): {op: [ns per run]}} from the tool's output; ring
    runs are keyed (outstanding, side)."""
    samples, mode = {}, None
    for line in log:
        m = HEADER.search(line)
        if m:
            n = int(m.group(2) or 0)
            mode = (n, RING_MODES.get(m.group(1))) if n else MODES.get(m.group(1))
            continue
        m = RESULT.search(line)
        if m and mode:
            key = (mode if isinstance(mode, tuple) else
                   ('non-coherent' if m.group(5) else 'coherent', mode))
            runs = samples.setdefault(key, {op: [] for op in OPS})
            for op, v in zip(OPS, m.groups()[:4]):
                runs[op].append(int(v))
            mode = None
    return samples


def bench(name, b, scenarios, args, tools):
    s = dict(scenarios[name])
    s['init'] = 'tools/bench-init.c'
    s['cmdline'] = (f"{s['cmdline']} kunit.enable=0 dma_debug=off "
                    f"BENCH_ROUNDS={args.rounds} BENCH_SECONDS={args.seconds} "
                    f"BENCH_NC={int(b.get('noncoherent', False))} "
                    f"BENCH_MANAGED={int(b.get('managed', False))}").strip()
    # Runs per boot: rounds x 2 sides x (2 with noncoherent), and rounds x 3
    # sides x 3 counts when managed; under -icount a guest second takes
    # several host seconds.
    runs = args.rounds * 2 * (2 if b.get('noncoherent') else 1)
    runs += args.rounds * 9 if b.get('managed') else 0
    s['timeout'] = 120 + runs * args.seconds * (30 if args.icount else 3)
    # The sanitized kernels of make test boot and fill their rings about
    # 2x slower, and more under load.
    s['timeout'] *= 3 if args.flavour == 'test' else 1
    result = dict(name=name, arch=s['arch'], error='', seconds=0.0, rows=[],
                  managed=[])
    kernel = os.path.join(sc.kernel_dir(args, s['arch']), rs.ARCHES[s['arch']]['image'])
    if not os.path.exists(kernel):
        result['error'] = f'no kernel at {os.path.relpath(kernel, TOP)}'
        return result
    initrd = sc.make_initrd(s, args, f'{args.prefix}-{name}',
                            extra=[('/dma_map_benchmark', tools[s['arch']])])
    cmd = sc.qemu_command(s, kernel, initrd)
    if args.icount:
        cmd += ['-icount', 'shift=0']
    text, timed_out, result['seconds'] = rs.run_qemu(
        cmd, s['timeout'], os.path.join(args.results, f'{args.prefix}-{name}.log'))
    if timed_out:
        result['error'] = f"timed out after {s['timeout']} s"
    log = rs.console_lines(text)
    if not result['error'] and not any(line.startswith('bench: done') for line in log):
        failed = [line for line in log if 'FAILED' in line or 'ioctl' in line]
        result['error'] = (failed or ['no "bench: done"'])[0].strip()
    samples = parse(log)
    for coherency in ('coherent', 'non-coherent'):
        legacy = samples.get((coherency, 'legacy'))
        record = samples.get((coherency, 'record'))
        if not legacy or not record:
            continue
        for op in OPS:
            lg, rc = statistics.median(legacy[op]), statistics.median(record[op])
            result['rows'].append(dict(coherency=coherency, op=op, legacy_ns=lg,
                                       record_ns=rc, runs=len(legacy[op]),
                                       ratio=round(rc / lg, 3) if lg else None))
    for n in OUTSTANDING if b.get('managed') else ():
        sides = {side: samples.get((n, side)) for side in RING_MODES.values()}
        if not all(sides.values()):
            if not result['error']:
                result['error'] = f'no managed results for {n} outstanding'
            continue
        ns = {side: statistics.median([a + u for a, u in zip(v['map'], v['unmap'])])
              for side, v in sides.items()}
        result['managed'].append(dict(
            outstanding=n, runs=len(sides['plain']['map']),
            plain_ns=ns['plain'], managed_ns=ns['managed'], devres_ns=ns['devres'],
            managed_ratio=round(ns['managed'] / ns['plain'], 3) if ns['plain'] else None,
            devres_ratio=round(ns['devres'] / ns['plain'], 3) if ns['plain'] else None))
    if not result['error'] and not result['rows']:
        result['error'] = 'no results in the console'
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='all', help='x86_64, arm64 or all')
    ap.add_argument('--boot', default='', help='boots (comma-separated); default: all')
    ap.add_argument('--rounds', type=int, default=5, help='runs per side')
    ap.add_argument('--seconds', type=int, default=1, help='seconds per run')
    ap.add_argument('--icount', action='store_true',
                    help='QEMU -icount shift=0: guest time counts instructions')
    ap.add_argument('--bench', default=os.path.join(TOP, 'configs/bench.toml'))
    ap.add_argument('--scenarios', default=os.path.join(TOP, 'configs/scenarios.toml'))
    ap.add_argument('--tree', default=os.path.join(TOP, 'build/linux'))
    ap.add_argument('--out', default=os.path.join(TOP, 'build/out'))
    ap.add_argument('--flavour', default='bench', choices=('bench', 'test'),
                    help='kernels to boot: bench (build/out/ARCH-bench, no sanitizers; '
                    'the default) or test (build/out/ARCH, which make test builds)')
    ap.add_argument('--results', default=os.path.join(TOP, 'build/results'))
    args = ap.parse_args()
    args.prefix = 'bench-icount' if args.icount else 'bench'
    args.suffix = '-bench' if args.flavour == 'bench' else ''
    if not 1 <= args.rounds <= 50 or not 1 <= args.seconds <= 60:
        raise rs.UserError('--rounds must be 1 to 50 and --seconds 1 to 60')

    scenarios = sc.load_scenarios(args.scenarios)
    table = rs.load_toml(args.bench, {}, {'noncoherent': bool, 'managed': bool},
                         lambda name, b: None if name in scenarios else
                         f'is no scenario of {args.scenarios}')
    names = [n for n in args.boot.split(',') if n]
    for n in names:
        if n not in table:
            raise rs.UserError(f"unknown boot '{n}' (known: {' '.join(table)})")
    chosen = [n for n in sc.select(scenarios, args.arch.split(','), names)
              if n in table]
    if not chosen:
        raise rs.UserError(f'no boot matches arch {args.arch}')

    os.makedirs(args.results, exist_ok=True)
    tools = {a: build_tool(a, args.tree, args.out)
             for a in sorted({scenarios[n]['arch'] for n in chosen})}
    results = []
    for name in chosen:
        print(f'>>> benchmarking {name}', file=sys.stderr, flush=True)
        results.append(bench(name, table[name], scenarios, args, tools))
    with open(os.path.join(args.results, f'{args.prefix}.json'), 'w',
              encoding='utf-8') as f:
        json.dump(results, f, indent=1)

    clock = ('guest instructions (QEMU -icount shift=0)' if args.icount
             else 'wall-clock ns under QEMU TCG')
    print(f'{clock}: median of {args.rounds} runs of {args.seconds} s per side, '
          'one 4 KiB page, DMA_BIDIRECTIONAL; ratio = record / legacy')
    rows = [('boot', 'device', 'op', 'legacy', 'record', 'ratio')]
    for r in results:
        for x in r['rows']:
            rows.append((r['name'], x['coherency'], x['op'], f"{x['legacy_ns']:.0f}",
                         f"{x['record_ns']:.0f}",
                         '-' if x['ratio'] is None else f"{x['ratio']:.2f}"))
        if r['error']:
            rows.append((r['name'], 'FAILED: ' + r['error'], '', '', '', ''))
    rs.print_table(rows, left=3, skip=lambda row: row[1].startswith('FAILED'))

    rows = [('boot', 'outstanding', 'plain', 'managed', '2014 devres', 'managed/plain',
             'devres/plain')]
    # A run too short to fill its ring (10,000 mappings under KASAN, say)
    # times nothing: the tool prints 0, and there is no ratio to give.
    def ratio(v):
        return '-' if v is None else f'{v:.2f}'
    for r in results:
        for x in r['managed']:
            rows.append((r['name'], str(x['outstanding']), f"{x['plain_ns']:.0f}",
                         f"{x['managed_ns']:.0f}", f"{x['devres_ns']:.0f}",
                         ratio(x['managed_ratio']), ratio(x['devres_ratio'])))
    if len(rows) > 1:
        print(f'\nmanaged streaming mappings, {clock}: map + unmap with a ring of '
              'mappings outstanding, median of the runs; ratios to plain ("-": '
              'no map completed within the run)')
        rs.print_table(rows, left=1)
    return 1 if any(r['error'] for r in results) else 0


if __name__ == '__main__':
    rs.cli(main)
