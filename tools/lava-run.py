#!/usr/bin/python3
"""Run scenarios' LAVA jobs here with lava-run, and compare their results
with make run's.

For each scenario: the job that tools/lava.py wrote (build/lava/NAME.yaml)
runs under lava-run, Debian's lava-dispatcher, on a "qemu" device rendered
from lava-server's own device-type template (qemu.jinja2, which a LAVA
server renders with the job's context in the same way); make run's result
for the same kernel is kunit.py's JSON of that boot (--make-run, default
build/lava-check/make-run/kunit/NAME.json, which tools/lava-check.sh
writes).  Each KUnit case must have the same result in both, and each
side must have every case: "ok" or "FAIL" per scenario, with the
differences.

Runs on Debian's python3, whose packages lava-dispatcher's are.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmaseries import TOP, UserError, cli  # noqa: E402

BUILD = os.path.join(TOP, 'build')
LAVA_STATUS = {'pass': 'PASS', 'fail': 'FAIL', 'skip': 'SKIP'}


def device_config(templates, context, path):
    """Render the qemu device type for a job's @context into @path."""
    import jinja2  # pylint: disable=import-outside-toplevel
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                             autoescape=False, trim_blocks=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(env.get_template('qemu.jinja2').render(**context))


def lava_results(log):
    """{suite: [(case, status)]} from lava-run's log @log, and the job's
    own result ("pass" or "fail")."""
    import yaml  # pylint: disable=import-outside-toplevel
    cases = collections.defaultdict(list)
    job = 'fail'
    with open(log, encoding='utf-8') as f:
        for line in f:
            if '"lvl": "results"' not in line:
                continue
            msg = yaml.safe_load(line)['msg']
            if msg.get('definition') == 'lava':
                if msg.get('case') == 'job':
                    job = msg['result']
                continue
            cases[msg['definition']].append((msg['extra']['test_case_id'],
                                             LAVA_STATUS[msg['result']]))
    return cases, job


def kunit_results(path):
    """{suite: [(case, status)]} from kunit.py's JSON @path: every leaf
    case, and the names of the parameterised cases (the groups inside a
    suite), whose own KTAP line LAVA reports too."""
    with open(path, encoding='utf-8') as f:
        top = json.load(f)
    cases, parents = {}, {}

    def walk(group, out, names):
        for sub in group['sub_groups']:
            names.add(sub['name'])
            walk(sub, out, names)
        out.extend((c['name'], c['status']) for c in group['test_cases'])

    for suite in top['sub_groups']:
        cases[suite['name']], parents[suite['name']] = [], set()
        walk(suite, cases[suite['name']], parents[suite['name']])
    return cases, parents


def compare(lava, kunit, parents, suites):
    """The differences between @lava's and @kunit's cases in @suites (the
    job's monitors: make run's boot has the kernel's other suites too)."""
    diffs = [f'{suite}: only in LAVA' for suite in sorted(set(lava) - set(suites))]
    for suite in suites:
        if suite not in kunit or suite not in lava:
            diffs.append(f"{suite}: no results {'from make run' if suite in lava else 'in LAVA'}")
            continue
        ours = collections.Counter(c for c in lava[suite] if c[0] not in parents[suite])
        theirs = collections.Counter(kunit[suite])
        for case in sorted(set(ours) | set(theirs)):
            if ours[case] != theirs[case]:
                diffs.append(f'{suite}: {case[0]} {case[1]}: {ours[case]} in LAVA, '
                             f'{theirs[case]} in make run')
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('scenarios', help='scenario names, comma-separated')
    ap.add_argument('--jobs', default=os.path.join(BUILD, 'lava'),
                    help="tools/lava.py's jobs")
    ap.add_argument('--templates', required=True,
                    help="lava-server's device-types directory (qemu.jinja2)")
    ap.add_argument('--make-run', default=os.path.join(BUILD, 'lava-check', 'make-run'),
                    help="run-scenarios.py's --results for the same kernels")
    ap.add_argument('--work', default=os.path.join(BUILD, 'lava-check'))
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.templates, 'qemu.jinja2')):
        raise UserError(f'no qemu.jinja2 in {args.templates}')
    try:
        import yaml  # pylint: disable=import-outside-toplevel
        import jinja2  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    except ImportError as e:
        raise UserError(f'{e.name} is missing: run this with /usr/bin/python3, '
                        'with Debian\'s lava-dispatcher installed') from e
    bad = 0
    for name in [n for n in args.scenarios.split(',') if n]:
        jobfile = os.path.join(args.jobs, f'{name}.yaml')
        kunit = os.path.join(args.make_run, 'kunit', f'{name}.json')
        for path, what in ((jobfile, 'tools/lava.py'), (kunit, 'tools/run-scenarios.py')):
            if not os.path.isfile(path):
                raise UserError(f'no {os.path.relpath(path, TOP)}: run {what} first')
        with open(jobfile, encoding='utf-8') as f:
            definition = yaml.safe_load(f)
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        device = os.path.join(work, 'device.yaml')
        device_config(args.templates, definition['context'], device)
        log = os.path.join(work, 'lava-run.log')
        with open(log, 'w', encoding='utf-8') as f:
            subprocess.run(['lava-run', '--job-id', '1', '--output-dir',
                            os.path.join(work, 'output'), '--device', device, jobfile],
                           stdout=f, stderr=subprocess.STDOUT, check=False)
        lava, job = lava_results(log)
        cases, parents = kunit_results(kunit)
        diffs = compare(lava, cases, parents,
                        [m['name'] for m in definition['actions'][-1]['test']['monitors']])
        n = sum(len(c) for c in lava.values())
        if job != 'pass':
            diffs.insert(0, f'the job failed (log: {os.path.relpath(log, TOP)})')
        if not n:
            diffs.append('no results from LAVA')
        if diffs:
            bad += 1
            print(f'FAIL {name}: ' + '; '.join(diffs[:20]))
        else:
            print(f'ok {name}: {n} LAVA results in {len(lava)} suites, the same as make run\'s')
    return 1 if bad else 0


if __name__ == '__main__':
    cli(main)
