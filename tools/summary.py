#!/usr/bin/env python3
"""Print the closing lines of a run from build/results/.

Counts KUnit test cases (parameter instances count) over every scenario in
scenarios.json, a scenario that failed without a failing case (a crash, a
hang, no KTAP, a missing suite) as one failure, and the harness checks in
checks.tsv.  The last line is "N passed, N failed, N skipped"; the exit
status is non-zero when anything failed or nothing ran.
"""
import json
import os
import sys

RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       'build', 'results')


def kunit_counts(scenarios):
    """(passed, failed, skipped, failure lines) over the scenarios' cases."""
    passed = failed = skipped = 0
    failures = []
    for s in scenarios:
        cases_failed = sum(x['failed'] for x in s['suites'])
        passed += sum(x['passed'] for x in s['suites'])
        skipped += sum(x['skipped'] for x in s['suites'])
        failed += cases_failed
        if s['status'] != 'pass' and not cases_failed:
            failed += 1
            failures.append(f"{s['name']}: {s['error']}")
        for x in s['suites']:
            failures += [f"{s['name']}: {x['name']}: {c}" for c in x['failures']]
    return passed, failed, skipped, failures


def main():
    path = os.path.join(RESULTS, 'scenarios.json')
    scenarios = []
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            scenarios = json.load(f)
    passed, failed, skipped, failures = kunit_counts(scenarios)
    if not scenarios:
        failures.append('no scenario results (build/results/scenarios.json)')
    kunit = (passed, failed, skipped)

    checks = 0
    path = os.path.join(RESULTS, 'checks.tsv')
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                name, _, status = line.rstrip('\n').rpartition('\t')
                checks += 1
                if status == 'pass':
                    passed += 1
                else:
                    failed += 1
                    failures.append(f'check: {name}')
    if not scenarios and not checks:
        failed += 1
    for f in failures:
        print(f'FAILED {f}')
    print(f'KUnit cases: {kunit[0]} passed, {kunit[1]} failed, {kunit[2]} skipped '
          f'in {len(scenarios)} scenarios; harness checks: {checks}')
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
