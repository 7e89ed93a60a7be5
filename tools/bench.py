#!/usr/bin/env python3
"""Time legacy streaming mappings against mapping records, in one boot each.

For each boot in configs/bench.toml (a scenario of configs/scenarios.toml,
booted without KUnit and with DMA-API debug off), the initramfs holds
tools/bench-init.c as /init and the kernel's own tools/dma/dma_map_benchmark,
built statically for the arch.  /init binds an edu device to the kernel's map
benchmark and runs three sides in turn, in the same boot, on the same device:
the legacy single mode with Linux 7.3's unmap (the bench kernel's knob from
configs/bench-kernel.patch; only behind an IOMMU, since elsewhere fixes 6
changes nothing), the legacy single mode with fixes 6, and the record mode.
The table gives the median of each side's per-run averages, in ns, with
unmap + both syncs as a row of its own, and the ratios record / fixes 6
(the best legacy path, the baseline) and record / 7.3.  Writes
build/results/bench.json and bench-<boot>.log.

Under TCG, wall-clock time also measures how QEMU happens to translate and
chain the guest's code, which can move a 100 ns operation by 50 ns either
way.  --icount runs QEMU with -icount shift=0, where the guest's clock
advances one ns per instruction: the table then counts the instructions
each side executes (bench-icount.json, bench-icount-<boot>.log).

Boots marked "blk" run the end-to-end case instead: 4 KiB O_DIRECT random
reads and writes on a virtio-blk disk (iommu_platform=on, so through the
DMA API) at queue depth 1 and 32, for the same three sides (virtio_ring
with or without records: the bench kernel's virtio_ring.bench_no_recs).
That table gives guest instructions per request, counted by the guest's
PMU (arm64; QEMU counts it from icount, so run it with --icount), or
guest ns per request where there is no PMU (x86 under TCG).

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

SIDE = re.compile(r'^bench: side (\S+)')
HEADER = re.compile(r'dma mapping benchmark\(\w+_MODE\): threads:(\d+).*?'
                    r'outstanding:(\d+)\s*$')
BLK = re.compile(r'^bench: blk (\S+) (read|write) qd(\d+): (\d+) requests, '
                 r'(-?\d+) instructions, (\d+) ns$')
RESULT = re.compile(r'latency\(ns\): map (\d+) unmap (\d+) '
                    r'sync_for_cpu (\d+) sync_for_device (\d+)'
                    r'( \(device treated as non-coherent\))?')
OPS = ('map', 'unmap', 'sync_for_cpu', 'sync_for_device')
# The sum the records are meant to save on: what needs the bytes' address.
UNMAP_SYNCS = 'unmap+syncs'
SIDES = ('legacy-7.3', 'legacy', 'record')
# With mappings outstanding, the ring modes.
RING_SIDES = ('plain', 'managed', 'devres')
OUTSTANDING = (1, 100, 10000)
# configs/bench.toml's optional keys.
BENCH_KEYS = {'noncoherent': bool, 'managed': bool, 'scenario': str, 'cmdline': str,
              'smp': int, 'threads': list, 'length': int, 'blk': bool, 'disk_bus': str,
              'bounce': bool}
BOUNCES = re.compile(r'^bench: swiotlb bounces in a check run: (-?\d+)')


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
    """{(coherency, side, threads): {op: [ns per run]}} from /init's
    "bench: side" lines and the tool's output; ring runs are keyed
    (outstanding, side)."""
    samples, side, header = {}, None, None
    for line in log:
        m = BLK.search(line.strip())
        if m:
            n = int(m.group(4))
            if n:
                runs = samples.setdefault(('blk', m.group(2), int(m.group(3)), m.group(1)),
                                          {'instructions': [], 'ns': []})
                if int(m.group(5)) >= 0:
                    runs['instructions'].append(int(m.group(5)) / n)
                runs['ns'].append(int(m.group(6)) / n)
            continue
        m = SIDE.search(line)
        if m:
            side, header = m.group(1), None
            continue
        m = HEADER.search(line)
        if m:
            header = (int(m.group(1)), int(m.group(2)))
            continue
        m = RESULT.search(line)
        if m and side and header:
            threads, n = header
            key = ((n, side) if n else
                   ('non-coherent' if m.group(5) else 'coherent', side, threads))
            runs = samples.setdefault(key, {op: [] for op in OPS})
            for op, v in zip(OPS, m.groups()[:4]):
                runs[op].append(int(v))
            side = None
    return samples


def median(runs, op):
    """The median over runs of @op, or of unmap + both syncs."""
    if op == UNMAP_SYNCS:
        return statistics.median([u + c + d for u, c, d in zip(
            runs['unmap'], runs['sync_for_cpu'], runs['sync_for_device'])])
    return statistics.median(runs[op])


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def bench(name, b, scenarios, args, tools):
    s = dict(scenarios[b.get('scenario', name)])
    s['init'] = 'tools/bench-init.c'
    s['smp'] = b.get('smp', s['smp'])
    threads = b.get('threads', [1])
    blk = b.get('blk', False)
    if blk:
        s['disk'] = 64
        s['disk_bus'] = b.get('disk_bus', s.get('disk_bus', 'virtio-blk'))
    s['cmdline'] = (f"{s['cmdline']} {b.get('cmdline', '')} kunit.enable=0 dma_debug=off "
                    f"BENCH_ROUNDS={args.rounds} BENCH_SECONDS={args.seconds} "
                    f"BENCH_NC={int(b.get('noncoherent', False))} "
                    f"BENCH_MANAGED={int(b.get('managed', False))} "
                    f"BENCH_THREADS={','.join(map(str, threads))} "
                    f"BENCH_LEN={b.get('length', 0)} "
                    f"BENCH_BLK={int(blk)} BENCH_BLK_REQS={args.blk_requests}").strip()
    # Runs per boot: rounds x 3 sides x thread counts x (2 with
    # noncoherent), the bounce check, and rounds x 3 sides x 3 counts when
    # managed.  A guest second takes up to 100 host seconds under -icount
    # when the host is busy (other boots, a build).
    runs = args.rounds * 3 * len(threads) * (2 if b.get('noncoherent') else 1) + 1
    runs += args.rounds * 9 if b.get('managed') else 0
    s['timeout'] = 120 + runs * args.seconds * (100 if args.icount else 5)
    if blk:
        # Four runs per side and round; a request takes a few ms of host
        # time under -icount, and up to ten times that on a busy host.
        s['timeout'] = 120 + int(args.rounds * 3 * 4 * args.blk_requests *
                                 (0.05 if args.icount else 0.01))
    # The sanitized kernels of make test boot and fill their rings about
    # 2x slower, and more under load.
    s['timeout'] *= 3 if args.flavour == 'test' else 1
    result = dict(name=name, arch=s['arch'], error='', seconds=0.0, rows=[],
                  managed=[], blk=[], length=b.get('length', 0),
                  disk_bus=s.get('disk_bus') if blk else None)
    kernel = os.path.join(sc.kernel_dir(args, s['arch']), rs.ARCHES[s['arch']]['image'])
    if not os.path.exists(kernel):
        result['error'] = f'no kernel at {os.path.relpath(kernel, TOP)}'
        return result
    initrd = sc.make_initrd(s, args, f'{args.prefix}-{name}',
                            extra=[('/dma_map_benchmark', tools[s['arch']])])
    disk = None
    if blk:
        disk = os.path.join(args.results, f'{args.prefix}-{name}.disk')
        with open(disk, 'wb') as f:
            f.truncate(s['disk'] << 20)
    try:
        xen, dtb = sc.xen_files(s, kernel, initrd, args.results, f'{args.prefix}-{name}')
    except rs.UserError as e:
        result['error'] = str(e)
        return result
    cmd = sc.qemu_command(s, kernel, initrd, disk, xen=xen, dtb=dtb)
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
    counts = [int(m.group(1)) for m in map(BOUNCES.search, log) if m]
    result['bounces'] = counts[-1] if counts else None
    if 'bounce' in b and not result['error']:
        n = result['bounces']
        if n is None or n < 0:
            result['error'] = 'the check run could not count swiotlb bounces'
        elif (n > 0) != b['bounce']:
            result['error'] = (f'the check run bounced {n} times: this boot is meant '
                               f"{'to bounce' if b['bounce'] else 'not to bounce'}")
    for t in threads:
        for coherency in ('coherent', 'non-coherent'):
            old, legacy, record = (samples.get((coherency, side, t)) for side in SIDES)
            if not legacy or not record:
                continue
            for op in OPS + (UNMAP_SYNCS,):
                lg, rc = median(legacy, op), median(record, op)
                o = median(old, op) if old else None
                result['rows'].append(dict(
                    coherency=coherency, threads=t, op=op, legacy73_ns=o, legacy_ns=lg,
                    record_ns=rc, runs=len(legacy['map']), ratio=ratio(rc, lg),
                    ratio73=ratio(rc, o)))
    for op in ('read', 'write') if blk else ():
        for qd in (1, 32):
            old, legacy, record = (samples.get(('blk', op, qd, side)) for side in SIDES)
            if not legacy or not record:
                if not result['error']:
                    result['error'] = f'no virtio-blk results for {op} qd{qd}'
                continue
            unit = 'instructions' if legacy['instructions'] and record['instructions'] \
                else 'ns'
            v = [statistics.median(x[unit]) if x and x[unit] else None
                 for x in (old, legacy, record)]
            result['blk'].append(dict(op=op, qd=qd, unit=unit, runs=len(legacy[unit]),
                                      legacy73=v[0], legacy=v[1], record=v[2],
                                      ratio=ratio(v[2], v[1]), ratio73=ratio(v[2], v[0])))
    for n in OUTSTANDING if b.get('managed') else ():
        sides = {side: samples.get((n, side)) for side in RING_SIDES}
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
    if not result['error'] and not result['rows'] and not result['blk']:
        result['error'] = 'no results in the console'
    return result


def check_boot(name, b, scenarios, path):
    """An error text for a bad boot of configs/bench.toml, or None."""
    scenario = b.get('scenario', name)
    if scenario not in scenarios:
        return f'is no scenario of {path}' if 'scenario' not in b else \
            f"boots '{scenario}', which is no scenario of {path}"
    t = b.get('threads', [1])
    if not t or len(t) > 8 or not all(isinstance(x, int) and 1 <= x <= 64 for x in t):
        return 'threads must list 1 to 8 thread counts of 1 to 64'
    if not 1 <= b.get('smp', 1) <= 8:
        return 'smp must be 1 to 8'
    if not 0 <= b.get('length', 0) <= 4096:
        return 'length must be 0 (a page) to 4096 bytes'
    if b.get('disk_bus', 'virtio-blk') not in ('virtio-blk', 'virtio-blk-direct'):
        return 'disk_bus must be virtio-blk or virtio-blk-direct'
    if b.get('blk') and (b.get('managed') or b.get('noncoherent') or 'threads' in b or
                         'bounce' in b):
        return 'blk boots run the virtio-blk case only: no managed, noncoherent, ' \
            'threads or bounce'
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='all', help='x86_64, arm64 or all')
    ap.add_argument('--boot', default='', help='boots (comma-separated); default: all')
    ap.add_argument('--rounds', type=int, default=5, help='runs per side')
    ap.add_argument('--seconds', type=int, default=1, help='seconds per run')
    ap.add_argument('--blk-requests', type=int, default=2000,
                    help='virtio-blk requests per run of the "blk" boots')
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
    if not 1 <= args.rounds <= 50 or not 1 <= args.seconds <= 60 or \
            not 1 <= args.blk_requests <= 1000000:
        raise rs.UserError('--rounds must be 1 to 50, --seconds 1 to 60 and '
                           '--blk-requests 1 to 1000000')

    scenarios = sc.load_scenarios(args.scenarios)
    table = rs.load_toml(args.bench, {}, BENCH_KEYS,
                         lambda name, b: check_boot(name, b, scenarios, args.scenarios))
    names = [n for n in args.boot.split(',') if n]
    for n in names:
        if n not in table:
            raise rs.UserError(f"unknown boot '{n}' (known: {' '.join(table)})")
    arches = args.arch.split(',')
    for a in arches:
        if a != 'all' and a not in rs.ARCHES:
            raise rs.UserError(f"unknown arch '{a}' (known: {' '.join(rs.ARCHES)} all)")
    chosen = [n for n in table if (n in names or not names) and
              ('all' in arches or scenarios[table[n].get('scenario', n)]['arch'] in arches)]
    if not chosen:
        raise rs.UserError(f'no boot matches arch {args.arch}')

    os.makedirs(args.results, exist_ok=True)
    tools = {a: build_tool(a, args.tree, args.out)
             for a in sorted({scenarios[table[n].get('scenario', n)]['arch'] for n in chosen})}
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
          'one 4 KiB page (or the boot\'s length), DMA_BIDIRECTIONAL; 7.3 = legacy with 7.3\'s unmap, '
          'fixes 6 = legacy with fixes 6 (the baseline), record = mapping records; '
          '"-": no 7.3 side in this boot (no IOMMU, or a kernel without the knob)')
    rows = [('boot', 'device', 'threads', 'op', '7.3', 'fixes 6', 'record',
             'record/fixes 6', 'record/7.3')]

    def num(v, fmt='.0f'):
        return '-' if v is None else format(v, fmt)
    for r in results:
        for x in r['rows']:
            device = x['coherency'] + (f", {r['length']} B" if r['length'] else '')
            rows.append((r['name'], device, str(x['threads']), x['op'],
                         num(x['legacy73_ns']), num(x['legacy_ns']), num(x['record_ns']),
                         num(x['ratio'], '.2f'), num(x['ratio73'], '.2f')))
        if r['error']:
            rows.append((r['name'], 'FAILED: ' + r['error'], '', '', '', '', '', '', ''))
    rs.print_table(rows, left=4, skip=lambda row: row[1].startswith('FAILED'))

    rows = [('boot', 'disk', 'op', 'depth', 'per request', '7.3', 'fixes 6', 'record',
             'record/fixes 6', 'record/7.3')]
    for r in results:
        for x in r['blk']:
            rows.append((r['name'], r['disk_bus'], x['op'], f"qd{x['qd']}", x['unit'],
                         num(x['legacy73']), num(x['legacy']), num(x['record']),
                         num(x['ratio'], '.2f'), num(x['ratio73'], '.2f')))
    if len(rows) > 1:
        print(f'\nvirtio-blk end to end, 4 KiB O_DIRECT random I/O through Linux AIO: '
              f'median over {args.rounds} rounds of {args.blk_requests} requests; '
              'instructions from the guest\'s PMU (arm64, from QEMU\'s icount: '
              'meaningful with --icount only), else guest ns')
        rs.print_table(rows, left=5)

    rows = [('boot', 'outstanding', 'plain', 'managed', '2014 devres', 'managed/plain',
             'devres/plain')]
    # A run too short to fill its ring (10,000 mappings under KASAN, say)
    # times nothing: the tool prints 0, and there is no ratio to give.
    for r in results:
        for x in r['managed']:
            rows.append((r['name'], str(x['outstanding']), f"{x['plain_ns']:.0f}",
                         f"{x['managed_ns']:.0f}", f"{x['devres_ns']:.0f}",
                         num(x['managed_ratio'], '.2f'), num(x['devres_ratio'], '.2f')))
    if len(rows) > 1:
        print(f'\nmanaged streaming mappings, {clock}: map + unmap with a ring of '
              'mappings outstanding, median of the runs; ratios to plain ("-": '
              'no map completed within the run)')
        rs.print_table(rows, left=1)
    return 1 if any(r['error'] for r in results) else 0


if __name__ == '__main__':
    rs.cli(main)
