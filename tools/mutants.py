#!/usr/bin/env python3
"""Replay the deliberate breakages in configs/mutants.toml: each must turn
its scenario red.

Each mutant is applied alone to build/mutant, a worktree of build/linux at
the series' head, built for its scenario's arch in build/out/mutant/ARCH and
booted with tools/run-scenarios.py.  A mutant that builds and boots green
survived, and so does one that fails to build (it proves nothing), or one
that leaves green a suite it names in 'suites', or whose boot error does not
match the regex in 'error' (a KASAN report, say).  Prints one line per mutant
with the cases that killed it; exits non-zero if any survived.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmaseries import TOP, UserError, cli, load_toml  # noqa: E402
from dmaseries.scenarios import load_scenarios  # noqa: E402

BUILD = os.path.join(TOP, 'build')
TREE = os.path.join(BUILD, 'linux')
MUTANT_OPTIONAL = {'suites': list, 'error': str}
WORK = os.path.join(BUILD, 'mutant')
OUT = os.path.join(BUILD, 'out', 'mutant')


def git(*args, cwd=WORK):
    return subprocess.run(['git', *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def prepare():
    if not os.path.isdir(os.path.join(TREE, '.git')):
        raise UserError('no build/linux; run make tree first')
    head = git('rev-parse', 'series', cwd=TREE).strip()
    if not os.path.exists(os.path.join(WORK, '.git')):
        git('worktree', 'prune', cwd=TREE)
        git('worktree', 'add', '-q', '--detach', WORK, head, cwd=TREE)
    git('checkout', '-q', '-f', '--detach', head)


def run_mutant(name, m, scenarios, results):
    arch = scenarios[m['scenario']]['arch']
    path = os.path.join(WORK, m['file'])
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if text.count(m['find']) != 1:
        return 'SKIP', f"find text occurs {text.count(m['find'])} times in {m['file']}"
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text.replace(m['find'], m['replace']))
    try:
        env = dict(os.environ, BUILD_TREE=WORK, BUILD_OUT=OUT)
        build = subprocess.run([os.path.join(TOP, 'tools/build-kernel.sh'), arch],
                               env=env, capture_output=True, text=True, check=False)
        if build.returncode:
            return 'SURVIVED', 'does not build: ' + build.stderr.strip().splitlines()[-1]
        res = os.path.join(results, name)
        boot = subprocess.run([os.path.join(TOP, 'tools/run-scenarios.py'),
                               '--scenario', m['scenario'], '--tree', WORK,
                               '--out', OUT, '--results', res],
                              capture_output=True, text=True, check=False)
        with open(os.path.join(res, 'scenarios.json'), encoding='utf-8') as f:
            r = json.load(f)[0]
        if boot.returncode == 0:
            return 'SURVIVED', f"{m['scenario']} stayed green"
        killers = [f"{x['name']}: {c}" for x in r['suites'] for c in x['failures']]
        red = {x['name'] for x in r['suites'] if x['failed']}
        green = [x for x in m.get('suites', []) if x not in red]
        if green:
            return 'SURVIVED', f"{m['scenario']}: {' '.join(green)} stayed green"
        if 'error' in m and not re.search(m['error'], r['error']):
            return 'SURVIVED', (f"{m['scenario']}: boot error is '{r['error']}', "
                                f"not /{m['error']}/")
        if 'error' in m:
            killers.insert(0, r['error'])
        return 'killed', f"{m['scenario']}: " + ('; '.join(killers[:4]) or r['error'])
    finally:
        git('checkout', '-q', '--', m['file'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('names', nargs='*', help='mutants to run (default: all)')
    ap.add_argument('--mutants', default=os.path.join(TOP, 'configs/mutants.toml'))
    ap.add_argument('--scenarios', default=os.path.join(TOP, 'configs/scenarios.toml'))
    args = ap.parse_args()
    scenarios = load_scenarios(args.scenarios)
    table = load_toml(args.mutants, {'scenario': str, 'file': str, 'find': str,
                                     'replace': str}, MUTANT_OPTIONAL,
                      lambda name, m: None if m['scenario'] in scenarios else
                      f"names unknown scenario '{m['scenario']}'")
    for name in args.names:
        if name not in table:
            raise UserError(f"unknown mutant '{name}' (known: {' '.join(table)})")
    prepare()
    results = os.path.join(BUILD, 'results', 'mutants')
    os.makedirs(results, exist_ok=True)
    survived = 0
    for name in args.names or table:
        status, detail = run_mutant(name, table[name], scenarios, results)
        survived += status != 'killed'
        print(f'{status:8} {name}: {detail}', flush=True)
    print(f'{len(args.names or table) - survived} killed, {survived} survived')
    return 1 if survived else 0


if __name__ == '__main__':
    cli(main)
