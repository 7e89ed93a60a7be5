#!/usr/bin/env python3
"""Boot the KUnit kernels under QEMU and report.

Scenarios come from configs/scenarios.toml.  QEMU runs here rather than
through 'kunit.py run', which always tries KVM first (nested KVM hangs in
early boot on our machines) and cannot add devices per scenario.  The console
output is parsed as KTAP by kunit.py's own parser.  A boot that crashes, hangs
past its timeout, prints no KTAP or lacks an expected suite is a failure.

Writes build/results/<scenario>.log (the raw console) and
build/results/scenarios.json, prints a table of scenario by suite, and exits
non-zero when anything failed.  --jobs N boots N scenarios at a time (default:
one per CPU, since each guest's TCG runs mostly on one host thread), and
the results keep the scenarios' order.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmaseries import (ARCHES, TOP, UserError, cli, console_lines,  # noqa: E402
                       print_table as columns, run_qemu)
from dmaseries.results import junit_xml, leaves, suite_seconds  # noqa: E402
from dmaseries.scenarios import (COUNT_SLOTS, load_scenarios,  # noqa: E402
                                 make_initrd, qemu_command, select, xen_files)
from summary import kunit_counts  # noqa: E402

CRASH = re.compile(r'Kernel panic|Oops|BUG: |Internal error:|Unable to handle kernel')
# The backend that the dma_edu suite reads from the kernel and reports.
BACKEND = re.compile(r'# edu_test_backend: backend: (.+?)\s*$')


def boot(name, s, args, kunit_parser, kunit_printer):
    result = dict(name=name, arch=s['arch'], status='fail', error='',
                  seconds=0.0, backend='', suites=[])
    kernel = os.path.join(args.out, s['arch'], ARCHES[s['arch']]['image'])
    if not os.path.exists(kernel):
        result['error'] = f'no kernel at {os.path.relpath(kernel, TOP)}'
        return result, None
    initrd = disk = None
    if 'disk' in s:
        disk = os.path.join(args.results, f'{name}.disk')
        with open(disk, 'wb') as f:
            f.truncate(s['disk'] << 20)
    try:
        if 'init' in s:
            initrd = make_initrd(s, args, name)
        xen, dtb = xen_files(s, kernel, initrd, args.results, name, COUNT_SLOTS)
    except (UserError, OSError) as e:
        result['error'] = str(e)
        return result, None
    cmd = qemu_command(s, kernel, initrd, disk, extra=COUNT_SLOTS, xen=xen, dtb=dtb)
    logpath = os.path.join(args.results, f'{name}.log')
    text, timed_out, result['seconds'] = run_qemu(cmd, s['timeout'], logpath)
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
    order = [x['name'] for x in result['suites'] if x['name'] in s['suites']]
    crash = next((line for line in log if CRASH.search(line)), None)
    missing_expect = [p for p in s.get('expect', [])
                      if not any(re.search(p, line) for line in log)]
    if timed_out:
        result['error'] = f"timed out after {s['timeout']} s"
        if crash:
            result['error'] += ', after: ' + crash.strip()[:120]
    elif crash:
        result['error'] = 'crashed: ' + crash.strip()[:120]
    elif not test.subtests:
        result['error'] = 'no KTAP output'
    elif test.counts.errors:
        result['error'] = f'{test.counts.errors} KTAP parse errors'
    elif set(s['suites']) - ran:
        result['error'] = 'missing suites: ' + ' '.join(sorted(set(s['suites']) - ran))
    elif order != s['suites']:
        # tools/lava.py's monitors wait for the suites in the listed order.
        result['error'] = (f"suites ran in the order {' '.join(order)}, not "
                           'in the order the scenario lists them')
    elif missing_expect:
        result['error'] = 'console lacks: ' + ' | '.join(missing_expect)
    elif 'backend' in s and not re.search(s['backend'], backend):
        result['error'] = (f"backend is '{backend or 'not reported'}', "
                           f"not /{s['backend']}/")
    elif any(x['failed'] for x in result['suites']):
        result['error'] = 'test failures'
    else:
        result['status'] = 'pass'
    return result, test


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
    columns(rows, left=2, skip=lambda row: str(row[1]).startswith(('FAILED', '(boot')))
    for r in results:
        for x in r['suites']:
            for f in x['failures']:
                print(f"FAIL {r['name']}: {x['name']}: {f}")


def write_results(results, tests, args, kunit_parser, kunit_json):
    """scenarios.json, kunit.py's JSON per scenario (kunit/<name>.json) and
    junit.xml, in args.results."""
    with open(os.path.join(args.results, 'scenarios.json'), 'w',
              encoding='utf-8') as f:
        json.dump(results, f, indent=1)
    os.makedirs(os.path.join(args.results, 'kunit'), exist_ok=True)
    for r in results:
        if tests.get(r['name']):
            meta = kunit_json.Metadata(arch=r['arch'],
                                       build_dir=os.path.join(args.out, r['arch']))
            with open(os.path.join(args.results, 'kunit', f"{r['name']}.json"), 'w',
                      encoding='utf-8') as f:
                f.write(kunit_json.get_json_result(tests[r['name']], meta))
    with open(os.path.join(args.results, 'junit.xml'), 'w', encoding='utf-8') as f:
        f.write(junit_xml(results, tests, kunit_parser))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='all',
                    help='x86_64, arm64, ppc64le or all (comma-separated)')
    ap.add_argument('--scenario', default='',
                    help='scenario names (comma-separated); default: every one of --arch')
    ap.add_argument('--scenarios', default=os.path.join(TOP, 'configs/scenarios.toml'))
    ap.add_argument('--tree', default=os.path.join(TOP, 'build/linux'))
    ap.add_argument('--out', default=os.path.join(TOP, 'build/out'))
    ap.add_argument('--results', default=os.path.join(TOP, 'build/results'))
    ap.add_argument('--jobs', type=int, default=min(os.cpu_count() or 1, 16),
                    help='scenarios booted at a time')
    ap.add_argument('--list', action='store_true', help='list the scenarios')
    ap.add_argument('--arches', action='store_true',
                    help="print the chosen scenarios' arches, comma-separated")
    args = ap.parse_args()
    if not 1 <= args.jobs <= 16:
        raise UserError('--jobs must be 1 to 16')

    table = load_scenarios(args.scenarios)
    arches = [a for a in args.arch.split(',') if a]
    names = [n for n in args.scenario.split(',') if n]
    chosen = select(table, arches, names)
    if args.arches:
        print(','.join(sorted({table[n]['arch'] for n in chosen})))
        return 0 if chosen else 2
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
    import kunit_json  # pylint: disable=import-outside-toplevel

    os.makedirs(args.results, exist_ok=True)
    def one(name):
        print(f'>>> booting {name}', file=sys.stderr, flush=True)
        return boot(name, table[name], args, kunit_parser, kunit_printer)

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(one, chosen))
    results = [r for r, _ in done]
    tests = {name: t for name, (_, t) in zip(chosen, done)}
    write_results(results, tests, args, kunit_parser, kunit_json)
    print_table(results)
    passed, failed, skipped, _ = kunit_counts(results)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 0 if all(r['status'] == 'pass' for r in results) else 1


if __name__ == '__main__':
    cli(main)
