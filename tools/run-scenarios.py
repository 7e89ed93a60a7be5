#!/usr/bin/env python3
"""Boot the KUnit kernels under QEMU, one scenario at a time, and report.

Scenarios come from configs/scenarios.toml.  QEMU runs here rather than
through 'kunit.py run', which always tries KVM first (nested KVM hangs in
early boot on our machines) and cannot add devices per scenario.  The console
output is parsed as KTAP by kunit.py's own parser.  A boot that crashes, hangs
past its timeout, prints no KTAP or lacks an expected suite is a failure.

Writes build/results/<scenario>.log (the raw console) and
build/results/scenarios.json, prints a table of scenario by suite, and exits
non-zero when anything failed.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import tomllib

from summary import kunit_counts

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHES = {
    'x86_64': dict(qemu='qemu-system-x86_64', image='arch/x86/boot/bzImage',
                   console='ttyS0', cc='gcc'),
    'arm64': dict(qemu='qemu-system-aarch64', image='arch/arm64/boot/Image.gz',
                  console='ttyAMA0', cc='aarch64-linux-gnu-gcc'),
}
FIELDS = {'arch': str, 'machine': str, 'cpu': str, 'memory': int, 'smp': int,
          'devices': list, 'cmdline': str, 'timeout': int, 'suites': list}
OPTIONAL = {'expect': list, 'edu': list, 'backend': str, 'disk': int,
            'disk_bus': str, 'init': str}
# How a scenario's disk is attached.  virtio-blk with iommu_platform=on, so
# that its I/O goes through the DMA API as real hardware's does; or an SD
# card behind sdhci-pci with ADMA masked out of its capabilities (bits 19
# and 20 of capareg), so that the kernel's sdhci driver uses SDMA through
# its bounce buffer.
DISK_BUSES = {
    'virtio-blk': ['virtio-blk-pci,drive=disk0,iommu_platform=on,disable-legacy=on'],
    'sdhci': ['sdhci-pci,capareg=0x056034b4', 'sd-card,drive=disk0'],
}
CRASH = re.compile(r'Kernel panic|Oops|BUG: |Internal error:|Unable to handle kernel')
STAMP = re.compile(r'^\[\s*(\d+\.\d+)\]')
# The backend that the dma_edu suite reads from the kernel and reports.
BACKEND = re.compile(r'# edu_test_backend: backend: (.+?)\s*$')


class UserError(Exception):
    """A bad argument or input: reported as one line, exit 2."""


def load_scenarios(path):
    try:
        with open(path, 'rb') as f:
            table = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UserError(f'{path}: {e}') from e
    for name, s in table.items():
        for field, kind in FIELDS.items():
            if not isinstance(s.get(field), kind):
                raise UserError(f'{path}: [{name}] needs {field} ({kind.__name__})')
        unknown = set(s) - set(FIELDS) - set(OPTIONAL)
        if unknown:
            raise UserError(f'{path}: [{name}] has unknown fields {sorted(unknown)}')
        if s['arch'] not in ARCHES:
            raise UserError(f'{path}: [{name}] has unknown arch {s["arch"]}')
        if 'disk' in s and not 1 <= s['disk'] <= 4096:
            raise UserError(f'{path}: [{name}] disk needs a size from 1 to 4096 MiB')
        if s.get('disk_bus', 'virtio-blk') not in DISK_BUSES:
            raise UserError(f"{path}: [{name}] disk_bus must be one of {' '.join(DISK_BUSES)}")
        if 'init' in s and not os.path.isfile(os.path.join(TOP, s['init'])):
            raise UserError(f"{path}: [{name}] init {s['init']} is not a file")
        if not all(isinstance(b, int) and 1 <= b <= 64 for b in s.get('edu', [])):
            raise UserError(f'{path}: [{name}] edu needs DMA widths from 1 to 64')
        for pattern in s.get('expect', []) + [s.get('backend', '')]:
            try:
                re.compile(pattern)
            except re.error as e:
                raise UserError(f'{path}: [{name}] has a bad regex {pattern!r}: {e}') from e
    return table


def select(table, arches, names):
    for arch in arches:
        if arch not in ARCHES and arch != 'all':
            raise UserError(f"unknown arch '{arch}' (known: {' '.join(ARCHES)} all)")
    for name in names:
        if name not in table:
            raise UserError(f"unknown scenario '{name}' (known: {' '.join(table)})")
    return [n for n, s in table.items()
            if (not names or n in names)
            and ('all' in arches or s['arch'] in arches)]


def qemu_command(s, kernel, initrd=None, disk=None):
    a = ARCHES[s['arch']]
    accel = 'kvm' if os.environ.get('KVM') == '1' else 'tcg'
    edu = s.get('edu', [])
    # With an /init, KUnit must not end the boot: the kernel goes on to run
    # /init after the built-in suites, and /init powers the machine off.
    shutdown = '' if initrd else 'kunit_shutdown=reboot '
    cmdline = (f"console={a['console']} {shutdown}panic=-1 "
               f"{s['cmdline']}").strip()
    if edu:
        cmdline += ' edu_kunit.dma_bits=' + ','.join(map(str, edu))
    cmd = [a['qemu'], '-nodefaults', '-display', 'none', '-serial', 'stdio',
           '-no-reboot', '-accel', accel, '-machine', s['machine'],
           '-cpu', s['cpu'], '-m', str(s['memory']), '-smp', str(s['smp']),
           '-kernel', kernel, '-append', cmdline]
    if initrd:
        cmd += ['-initrd', initrd]
    if disk:
        cmd += ['-drive', f'file={disk},if=none,format=raw,id=disk0']
        for dev in DISK_BUSES[s.get('disk_bus', 'virtio-blk')]:
            cmd += ['-device', dev]
    for dev in s['devices']:
        cmd += ['-device', dev]
    for bits in edu:
        cmd += ['-device', f'edu,dma_mask={(1 << bits) - 1:#x}']
    return cmd


def make_initrd(s, args, name, extra=()):
    """Compile the scenario's /init statically for its arch and pack it into
    an initramfs with the kernel's own usr/gen_init_cpio, with the (path in
    the initramfs, file) pairs of @extra.  Returns the path, or raises
    UserError with what went wrong."""
    a = ARCHES[s['arch']]
    gen = os.path.join(args.out, s['arch'], 'usr/gen_init_cpio')
    if not os.access(gen, os.X_OK):
        raise UserError(f'no {os.path.relpath(gen, TOP)}: the kernel needs '
                        'CONFIG_BLK_DEV_INITRD')
    init = os.path.join(args.results, f'{name}.init')
    cpio = os.path.join(args.results, f'{name}.cpio')
    cc = subprocess.run([a['cc'], '-static', '-O2', '-Wall', '-o', init,
                         os.path.join(TOP, s['init'])],
                        capture_output=True, text=True, check=False)
    if cc.returncode:
        raise UserError(f"cannot compile {s['init']} with {a['cc']}: "
                        + (cc.stderr.strip().splitlines() or ['?'])[-1])
    listing = ('dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n'
               'dir /sys 0755 0 0\n'
               f'file /init {init} 0755 0 0\n'
               + ''.join(f'file {dest} {src} 0755 0 0\n' for dest, src in extra))
    with open(cpio, 'wb') as f:
        packed = subprocess.run([gen, '-'], input=listing.encode(), stdout=f,
                                stderr=subprocess.PIPE, check=False)
    if packed.returncode:
        raise UserError(f'gen_init_cpio failed: {packed.stderr.decode().strip()}')
    return cpio


def console_lines(text):
    """The console's lines, less printk's replays: when a console line is
    interrupted, printk prints "** replaying previous printk message **" and
    the whole line again, and the truncated first copy would read as a
    second KTAP result."""
    lines = []
    for line in text.splitlines():
        if line.strip() == '** replaying previous printk message **':
            if lines:
                lines.pop()
            continue
        lines.append(line)
    return lines


def suite_seconds(log):
    """Seconds per suite, from the printk timestamps around its KTAP."""
    start, times = {}, {}
    for line in log:
        m = STAMP.match(line)
        if not m:
            continue
        t = float(m.group(1))
        sub = re.search(r'# Subtest: (\S+)', line)
        if sub:
            start[sub.group(1)] = t
        end = re.search(r'\b(?:not )?ok \d+ (\S+)\s*(?:#.*)?$', line)
        if end and end.group(1) in start:
            times[end.group(1)] = t - start.pop(end.group(1))
    return times


def leaves(test):
    """The test cases (parameter instances count) under a KTAP test."""
    if not test.subtests:
        return [test]
    return [leaf for sub in test.subtests for leaf in leaves(sub)]


def boot(name, s, args, kunit_parser, kunit_printer):
    result = dict(name=name, arch=s['arch'], status='fail', error='',
                  seconds=0.0, backend='', suites=[])
    kernel = os.path.join(args.out, s['arch'], ARCHES[s['arch']]['image'])
    if not os.path.exists(kernel):
        result['error'] = f'no kernel at {os.path.relpath(kernel, TOP)}'
        return result
    initrd = disk = None
    try:
        if 'init' in s:
            initrd = make_initrd(s, args, name)
    except (UserError, OSError) as e:
        result['error'] = str(e)
        return result
    if 'disk' in s:
        disk = os.path.join(args.results, f'{name}.disk')
        with open(disk, 'wb') as f:
            f.truncate(s['disk'] << 20)
    cmd = qemu_command(s, kernel, initrd, disk)
    logpath = os.path.join(args.results, f'{name}.log')
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=s['timeout'], check=False)
        output, timed_out = proc.stdout, False
    except subprocess.TimeoutExpired as e:
        output, timed_out = e.stdout or b'', True
    result['seconds'] = round(time.monotonic() - start, 1)
    text = output.decode('utf-8', 'replace')
    with open(logpath, 'w', encoding='utf-8') as f:
        f.write('# ' + ' '.join(cmd) + '\n' + text)
    log = console_lines(text)

    test = kunit_parser.parse_run_tests(log, kunit_printer.null_printer)
    seconds = suite_seconds(log)
    for suite in test.subtests:
        cases = leaves(suite)
        result['suites'].append(dict(
            name=suite.name,
            passed=sum(c.status == kunit_parser.TestStatus.SUCCESS for c in cases),
            failed=sum(c.status not in (kunit_parser.TestStatus.SUCCESS,
                                        kunit_parser.TestStatus.SKIPPED)
                       for c in cases),
            skipped=sum(c.status == kunit_parser.TestStatus.SKIPPED for c in cases),
            seconds=round(seconds.get(suite.name, 0.0), 2),
            failures=[c.name for c in cases if c.status not in (
                kunit_parser.TestStatus.SUCCESS, kunit_parser.TestStatus.SKIPPED)],
            skips=sorted({f'{c.name}: {c.skip_reason}' for c in cases
                          if c.status == kunit_parser.TestStatus.SKIPPED})))

    backend = next((m.group(1) for m in map(BACKEND.search, log) if m), '')
    result['backend'] = backend
    ran = {x['name'] for x in result['suites']}
    crash = next((line for line in log if CRASH.search(line)), None)
    missing_expect = [p for p in s.get('expect', [])
                      if not any(re.search(p, line) for line in log)]
    if timed_out:
        result['error'] = f"timed out after {s['timeout']} s"
    elif crash:
        result['error'] = 'crashed: ' + crash.strip()[:120]
    elif not test.subtests:
        result['error'] = 'no KTAP output'
    elif test.counts.errors:
        result['error'] = f'{test.counts.errors} KTAP parse errors'
    elif set(s['suites']) - ran:
        result['error'] = 'missing suites: ' + ' '.join(sorted(set(s['suites']) - ran))
    elif missing_expect:
        result['error'] = 'console lacks: ' + ' | '.join(missing_expect)
    elif 'backend' in s and not re.search(s['backend'], backend):
        result['error'] = (f"backend is '{backend or 'not reported'}', "
                           f"not /{s['backend']}/")
    elif any(x['failed'] for x in result['suites']):
        result['error'] = 'test failures'
    else:
        result['status'] = 'pass'
    return result


def print_table(results):
    rows = [('scenario', 'suite', 'passed', 'failed', 'skipped', 'seconds')]
    for r in results:
        for x in r['suites']:
            rows.append((r['name'], x['name'], x['passed'], x['failed'],
                         x['skipped'], f"{x['seconds']:.2f}"))
        boot = f"(boot; backend: {r['backend']})" if r.get('backend') else '(boot)'
        rows.append((r['name'], boot, '', '', '', f"{r['seconds']:.1f}"))
        if r['error']:
            rows.append((r['name'], 'FAILED: ' + r['error'], '', '', '', ''))
    widths = [max(len(str(row[i])) for row in rows
                  if i != 1 or not str(row[1]).startswith(('FAILED', '(boot')))
              for i in range(6)]
    for row in rows:
        print('  '.join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    for r in results:
        for x in r['suites']:
            for f in x['failures']:
                print(f"FAIL {r['name']}: {x['name']}: {f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='all',
                    help='x86_64, arm64 or all (comma-separated)')
    ap.add_argument('--scenario', default='',
                    help='scenario names (comma-separated); default: every one of --arch')
    ap.add_argument('--scenarios', default=os.path.join(TOP, 'configs/scenarios.toml'))
    ap.add_argument('--tree', default=os.path.join(TOP, 'build/linux'))
    ap.add_argument('--out', default=os.path.join(TOP, 'build/out'))
    ap.add_argument('--results', default=os.path.join(TOP, 'build/results'))
    ap.add_argument('--list', action='store_true', help='list the scenarios')
    args = ap.parse_args()

    table = load_scenarios(args.scenarios)
    arches = [a for a in args.arch.split(',') if a]
    names = [n for n in args.scenario.split(',') if n]
    chosen = select(table, arches, names)
    if args.list:
        for n in chosen:
            print(n)
        return 0
    if not chosen:
        raise UserError(f'no scenario matches arch {args.arch}')
    kunit_dir = os.path.join(args.tree, 'tools/testing/kunit')
    if not os.path.exists(os.path.join(kunit_dir, 'kunit_parser.py')):
        raise UserError(f'no kunit.py in {args.tree}; run make tree first')
    sys.path.insert(0, kunit_dir)
    import kunit_parser  # pylint: disable=import-outside-toplevel
    import kunit_printer  # pylint: disable=import-outside-toplevel

    os.makedirs(args.results, exist_ok=True)
    results = []
    for name in chosen:
        print(f'>>> booting {name}', file=sys.stderr, flush=True)
        results.append(boot(name, table[name], args, kunit_parser, kunit_printer))
    with open(os.path.join(args.results, 'scenarios.json'), 'w',
              encoding='utf-8') as f:
        json.dump(results, f, indent=1)
    print_table(results)
    passed, failed, skipped, _ = kunit_counts(results)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 0 if all(r['status'] == 'pass' for r in results) else 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except UserError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
