"""KUnit results: times per suite, the cases of a KTAP test and JUnit XML."""
import re
from xml.etree import ElementTree

STAMP = re.compile(r'^\[\s*(\d+\.\d+)\]')


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


def junit_xml(results, tests, kunit_parser):
    """JUnit XML of the runs: a <testsuite> per scenario and suite, a
    <testcase> per case (parameter instances count), and a failing
    <testcase> "boot" for a scenario that failed without a failing case."""
    status = kunit_parser.TestStatus
    root = ElementTree.Element('testsuites', name='dma-series')
    for r in results:
        test = tests.get(r['name'])
        for suite in test.subtests if test else []:
            cases = leaves(suite)
            el = ElementTree.SubElement(
                root, 'testsuite', name=f"{r['name']}.{suite.name}", tests=str(len(cases)),
                failures=str(sum(c.status not in (status.SUCCESS, status.SKIPPED)
                                 for c in cases)),
                skipped=str(sum(c.status == status.SKIPPED for c in cases)))
            for c in cases:
                tc = ElementTree.SubElement(el, 'testcase', name=c.name,
                                            classname=f"{r['name']}.{suite.name}")
                if c.status == status.SKIPPED:
                    ElementTree.SubElement(tc, 'skipped', message=c.skip_reason or '')
                elif c.status != status.SUCCESS:
                    ElementTree.SubElement(tc, 'failure', message=c.status.name).text = \
                        '\n'.join(c.log)
        if r['status'] != 'pass' and not any(x['failed'] for x in r['suites']):
            el = ElementTree.SubElement(root, 'testsuite', name=r['name'], tests='1',
                                        failures='1', skipped='0')
            tc = ElementTree.SubElement(el, 'testcase', name='boot', classname=r['name'])
            ElementTree.SubElement(tc, 'failure', message=r['error'])
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding='unicode', xml_declaration=True) + '\n'
