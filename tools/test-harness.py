#!/usr/bin/env python3
"""Unit tests of the harness's pure parts, on saved consoles and TOML
(tools/tests/): console and KTAP parsing (with kunit.py's parser from
build/linux), JUnit output, scenario, bench and mutant validation, the
bench parser, the cover-letter extraction, coccicheck's counting and the
shell's choice of compiler.  One "ok"/"FAIL" line per test, for make test.
"""
import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
import unittest
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dmaseries import TOP, UserError, console_lines, load_toml  # noqa: E402
from dmaseries import results, scenarios  # noqa: E402

DATA = os.path.join(HERE, 'tests')
KUNIT = os.path.join(os.environ.get('BUILD_TREE', os.path.join(TOP, 'build/linux')),
                     'tools/testing/kunit')


def load_tool(name):
    """A tool whose file name is not a module name (bench.py imports as is)."""
    spec = importlib.util.spec_from_file_location(name.replace('-', '_').removesuffix('.py'),
                                                  os.path.join(HERE, name))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read(name):
    with open(os.path.join(DATA, name), encoding='utf-8') as f:
        return f.read()


class Console(unittest.TestCase):
    def test_replay_drops_the_truncated_copy(self):
        lines = console_lines(read('console-x86_64.txt'))
        self.assertNotIn('[    2.500000] # dma_edu: pa', lines)
        self.assertNotIn('** replaying previous printk message **', lines)
        self.assertEqual(sum('# dma_edu: pass:1' in x for x in lines), 1)

    def test_replay_keeps_a_whole_line(self):
        """A message cut before any of it was printed: the line before the
        marker is another message's, and stays."""
        lines = console_lines('[    6.1] ok 6 a\n'
                              '** replaying previous printk message **\n'
                              '[    6.2] KTAP version 1\n')
        self.assertEqual(lines, ['[    6.1] ok 6 a', '[    6.2] KTAP version 1'])

    def test_suite_seconds(self):
        t = results.suite_seconds(console_lines(read('console-x86_64.txt')))
        self.assertAlmostEqual(t['dma_mapping'], 0.4, places=3)
        self.assertAlmostEqual(t['dma_edu'], 0.5, places=3)


@unittest.skipUnless(os.path.exists(os.path.join(KUNIT, 'kunit_parser.py')),
                     'no build/linux: kunit.py parser missing')
class Ktap(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, KUNIT)
        import kunit_parser  # pylint: disable=import-outside-toplevel
        import kunit_printer  # pylint: disable=import-outside-toplevel
        self.kp = kunit_parser
        self.test = kunit_parser.parse_run_tests(console_lines(read('console-x86_64.txt')),
                                                 kunit_printer.null_printer)

    def test_cases_count_parameters(self):
        cases = results.leaves(self.test.subtests[0])
        self.assertEqual([c.name for c in cases],
                         ['dma_test_map_single', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE',
                          'dma_test_noncoherent'])
        self.assertEqual(cases[2].status, self.kp.TestStatus.FAILURE)
        self.assertEqual(cases[3].status, self.kp.TestStatus.SKIPPED)

    def test_junit(self):
        r = [dict(name='x86_64-direct', status='fail', error='test failures',
                  suites=[dict(name='dma_mapping', failed=1)])]
        root = ElementTree.fromstring(results.junit_xml(r, {'x86_64-direct': self.test},
                                                        self.kp).split('\n', 1)[1])
        suites = {s.get('name'): s for s in root}
        self.assertEqual(suites['x86_64-direct.dma_mapping'].get('failures'), '1')
        self.assertEqual(suites['x86_64-direct.dma_mapping'].get('skipped'), '1')
        self.assertEqual(suites['x86_64-direct.dma_edu'].get('tests'), '1')
        self.assertNotIn('x86_64-direct', suites)   # no extra boot failure

    def test_junit_boot_failure(self):
        r = [dict(name='arm64-direct', status='fail', error='timed out after 60 s',
                  suites=[])]
        root = ElementTree.fromstring(results.junit_xml(r, {'arm64-direct': None},
                                                        self.kp).split('\n', 1)[1])
        self.assertEqual(root[0].find('testcase/failure').get('message'),
                         'timed out after 60 s')


class Toml(unittest.TestCase):
    def toml(self, text):
        f = tempfile.NamedTemporaryFile('w', suffix='.toml', delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_the_repository_configs_load(self):
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        self.assertIn('x86_64-direct', table)
        load_tool('mutants.py')
        bench = load_tool('bench.py')
        load_toml(os.path.join(TOP, 'configs/bench.toml'), {}, bench.BENCH_KEYS,
                  lambda name, b: bench.check_boot(name, b, table, 'bench.toml'))

    def assert_error(self, text, message, loader=scenarios.load_scenarios):
        with self.assertRaises(UserError) as e:
            loader(self.toml(text))
        self.assertIn(message, str(e.exception))

    def base(self, **extra):
        s = dict(arch='"x86_64"', machine='"q35"', cpu='"max"', memory='512', smp='1',
                 devices='[]', cmdline='""', timeout='60', suites='["dma_mapping"]')
        s.update(extra)
        return '[t]\n' + ''.join(f'{k} = {v}\n' for k, v in s.items())

    def test_good(self):
        self.assertIn('t', scenarios.load_scenarios(self.toml(self.base())))

    def test_bad_syntax(self):
        self.assert_error('[t\n', 'Expected')

    def test_missing_field(self):
        self.assert_error(self.base().replace('timeout = 60\n', ''), 'needs timeout')

    def test_wrong_type(self):
        self.assert_error(self.base(memory='"lots"'), 'needs memory (int)')

    def test_unknown_field(self):
        self.assert_error(self.base(colour='"red"'), "unknown fields ['colour']")

    def test_unknown_arch(self):
        self.assert_error(self.base(arch='"sparc"'), 'unknown arch sparc')

    def test_bad_disk_bus(self):
        self.assert_error(self.base(disk='8', disk_bus='"floppy"'), 'disk_bus must be one of')

    def test_bad_regex(self):
        self.assert_error(self.base(expect='["("]'), 'bad regex')

    def test_bad_timeout(self):
        self.assert_error(self.base(timeout='0'), 'timeout must be')

    def test_not_a_table(self):
        self.assert_error('x = 1\n', 'x is not a table')

    def test_select_by_name_ignores_arch(self):
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        self.assertEqual(scenarios.select(table, ['all'], ['arm64-direct']), ['arm64-direct'])
        with self.assertRaises(UserError):
            scenarios.select(table, ['all'], ['nope'])


    def test_boots_count_swiotlb_slots(self):
        # The leak checks read swiotlb's count of slots, kept only with
        # swiotlb=track_hiwater; a scenario's own swiotlb= comes after it.
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        runner = load_tool('run-scenarios.py')
        cmd = scenarios.qemu_command(table['x86_64-swiotlb'], 'bzImage',
                                     extra=runner.COUNT_SLOTS)
        line = cmd[cmd.index('-append') + 1]
        self.assertLess(line.index('swiotlb=track_hiwater'), line.index('swiotlb=force'))

    def test_xen_boots_the_kernel_as_dom0(self):
        # Xen is the multiboot kernel; dom0's kernel and command line the
        # first module, the initramfs the second; a comma in the command
        # line is doubled, or QEMU would split the module there.
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        s = dict(table['x86_64-direct'], xen='dom0_mem=512M')
        cmd = scenarios.qemu_command(s, 'bzImage', 'init.cpio', xen='xen')
        self.assertEqual(cmd[cmd.index('-kernel') + 1], 'xen')
        self.assertEqual(cmd[cmd.index('-append') + 1], 'console=com1 dom0_mem=512M')
        modules = cmd[cmd.index('-initrd') + 1]
        self.assertTrue(modules.startswith('bzImage console=hvc0 '), modules)
        self.assertIn('edu_kunit.dma_bits=28,,32', modules)
        self.assertTrue(modules.endswith(',init.cpio'), modules)

    def test_xen_needs_its_package(self):
        with self.assertRaises(UserError):
            scenarios.xen_image('x86_64', '/nonexistent-dir')
        saved = scenarios.ARCHES['arm64']['xen']
        scenarios.ARCHES['arm64']['xen'] = '/nonexistent-dir/xen'
        try:
            with self.assertRaises(UserError):
                scenarios.xen_image('arm64', '/nonexistent-dir')
        finally:
            scenarios.ARCHES['arm64']['xen'] = saved

    def test_xen_arm64_boots_from_the_device_tree(self):
        # arm64's Xen finds its command line and dom0's kernel, with the
        # kernel's own, in the device tree: QEMU's own, dumped for the same
        # machine, plus the module node; QEMU loads the kernel there.
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        s = table['arm64-xen-swiotlb']
        with tempfile.TemporaryDirectory() as d:
            kernel = os.path.join(d, 'Image.gz')
            with open(kernel, 'wb') as f:
                f.write(b'\0' * 4097)
            dtb = scenarios.xen_dtb(s, kernel, os.path.join(d, 'xen.dtb'))

            def get(node, prop):
                return subprocess.run(['fdtget', '-t', 's', dtb, node, prop],
                                      capture_output=True, text=True,
                                      check=True).stdout.strip()
            module = f'/chosen/module@{scenarios.XEN_ARM64_DOM0:x}'
            self.assertEqual(get('/chosen', 'xen,xen-bootargs'),
                             'console=dtuart ' + s['xen'])
            self.assertIn('multiboot,kernel', get(module, 'compatible'))
            reg = subprocess.run(['fdtget', '-t', 'x', dtb, module, 'reg'],
                                 capture_output=True, text=True, check=True).stdout
            self.assertEqual(reg.split(), ['0', f'{scenarios.XEN_ARM64_DOM0:x}', '0', '1001'])
            bootargs = get(module, 'bootargs')
            self.assertTrue(bootargs.startswith('console=hvc0 '), bootargs)
            self.assertIn('swiotlb=force', bootargs)
            self.assertIn('edu_kunit.dma_bits=32,32', bootargs)
            cmd = scenarios.qemu_command(s, kernel, xen='xen', dtb=dtb)
            self.assertEqual(cmd[cmd.index('-dtb') + 1], dtb)
            self.assertIn(f'loader,file={kernel},addr={scenarios.XEN_ARM64_DOM0:#x},force-raw=on',
                          cmd)
            self.assertNotIn('-append', cmd)
            # An initramfs is the second module, and ends KUnit's boot no more.
            initrd = os.path.join(d, 'init.cpio')
            with open(initrd, 'wb') as f:
                f.write(b'\0' * 512)
            dtb = scenarios.xen_dtb(s, kernel, os.path.join(d, 'xen2.dtb'), initrd)
            ramdisk = f'/chosen/module@{scenarios.XEN_ARM64_INITRD:x}'
            self.assertIn('multiboot,ramdisk', get(ramdisk, 'compatible'))
            self.assertNotIn('kunit_shutdown', get(module, 'bootargs'))
            cmd = scenarios.qemu_command(s, kernel, initrd, xen='xen', dtb=dtb)
            self.assertIn(f'loader,file={initrd},addr={scenarios.XEN_ARM64_INITRD:#x},force-raw=on',
                          cmd)

    def test_console_lines_drop_carriage_returns(self):
        # Xen's console ends dom0's lines with two carriage returns.
        self.assertEqual(console_lines('ok 1 a\r\r\nok 2 b\r\r\n'), ['ok 1 a', 'ok 2 b'])


class Bench(unittest.TestCase):
    def test_parse(self):
        bench = load_tool('bench.py')
        s = bench.parse(read('bench-console.txt').splitlines())
        self.assertEqual(s[('coherent', 'legacy-7.3', 1)]['unmap'], [260])
        self.assertEqual(s[('coherent', 'legacy', 1)]['unmap'], [200])
        self.assertEqual(s[('coherent', 'record', 1)]['map'], [110])
        self.assertEqual(s[('non-coherent', 'legacy', 4)]['map'], [120])
        self.assertEqual(s[(100, 'managed')]['unmap'], [600])
        # A result line after a failed run (no header) counts for nothing.
        self.assertEqual(s[('coherent', 'record', 1)]['unmap'], [150])
        self.assertEqual(bench.median(s[('coherent', 'legacy', 1)], bench.UNMAP_SYNCS), 270)
        self.assertEqual(s[('blk', 'read', 1, 'legacy')]['instructions'], [30000.0])
        self.assertEqual(s[('blk', 'read', 1, 'record')]['ns'], [45000.0])
        # Without a counter, ns only; a failed run counts for nothing.
        self.assertEqual(s[('blk', 'write', 32, 'legacy')], {'instructions': [], 'ns': [40000.0]})
        self.assertNotIn(('blk', 'write', 32, 'record'), s)

    def test_bad_boots(self):
        bench = load_tool('bench.py')
        table = {'s': {}}
        for b, error in (({'scenario': 'nope'}, 'no scenario'),
                         ({'threads': []}, 'threads'), ({'threads': [0]}, 'threads'),
                         ({'threads': ['1']}, 'threads'), ({'smp': 9}, 'smp'),
                         ({'length': 5000}, 'length')):
            self.assertIn(error, bench.check_boot('s', b, table, 'bench.toml'))
        self.assertIsNone(bench.check_boot('s', {'threads': [1, 4], 'length': 64},
                                           table, 'bench.toml'))


class CoverLetter(unittest.TestCase):
    def test_extract_drops_what_git_generates(self):
        cover = load_tool('cover-letter.py')
        text = read('cover-letter.patch')
        out = cover.extract(text)
        self.assertTrue(out.startswith('dma-mapping: a test series\n\n'))
        self.assertIn('The body says why.', out)
        for generated in ('base-commit:', 'files changed', 'Jane Doe (1):',
                          'Range-diff against v1:', 'The old body.'):
            self.assertNotIn(generated, out)

    def test_notes_round_trip(self):
        cover = load_tool('cover-letter.py')
        patch = ('Subject: [PATCH v2 1/1] x\n\nWhy.\n\nSigned-off-by: A <a@b>\n'
                 '---\n\nNotes:\n    v2:\n    - one\n    \n    - two\n\n'
                 ' a | 1 +\n 1 file changed, 1 insertion(+)\n')
        self.assertEqual(cover.notes(patch), 'v2:\n- one\n\n- two\n')
        self.assertEqual(cover.notes(patch.replace('Notes:', 'Nodes:')), '')

    def test_no_subject(self):
        cover = load_tool('cover-letter.py')
        with self.assertRaises(ValueError):
            cover.extract('From: x\n\nbody\n')


class Cocci(unittest.TestCase):
    def test_counts_not_sets(self):
        cocci = load_tool('check-cocci.py')
        a = 'kernel/dma/x.c: dma_map_single() of buf, which is on the stack'
        self.assertEqual(sum(cocci.new_reports([a], [a, a], []).values()), 1)
        self.assertEqual(sum(cocci.new_reports([], [a, a], [a]).values()), 1)
        self.assertEqual(sum(cocci.new_reports([a], [a], []).values()), 0)

    def test_timeouts_and_exceptions_are_faults(self):
        cocci = load_tool('check-cocci.py')
        out = ['drivers/mmc/host/sdhci.c:10:5-9: WARNING: something',
               'warning: line 140: should noop_llseek be a metavariable?',
               '']
        self.assertEqual(cocci.faults(out), [])
        for bad in ('EXN: Coccinelle_modules.Common.Timeout in drivers/mmc/host/sdhci.c',
                    'Fatal error: exception End_of_file', 'virtual rule report not supported'):
            self.assertEqual(cocci.faults(out + [bad]), [bad])


class Lava(unittest.TestCase):
    """tools/lava.py's jobs: its monitors replayed over a saved console as
    LAVA's lava-test-monitor reads it (lava_dispatcher/actions/test/
    monitor.py: wait for the start, then the earliest of the end and a
    result, the end first on a tie), and its QEMU options against
    run-scenarios.py's."""
    lava = load_tool('lava.py')

    def monitor(self, text, monitors):
        import re  # pylint: disable=import-outside-toplevel
        out, pos = [], 0
        for m in monitors:
            start = re.compile(m['start']).search(text, pos)
            self.assertIsNotNone(start, m['start'])
            pos = start.end()
            end, result = re.compile(m['end']), re.compile(m['pattern'])
            while True:
                e, r = end.search(text, pos), result.search(text, pos)
                self.assertIsNotNone(e, f"no end for {m['name']}")
                if not r or e.start() <= r.start():
                    pos = e.end()
                    break
                out.append((m['name'], r['test_case_id'], m['fixupdict'][r['result']]))
                pos = r.end()
        return out

    def test_monitors_read_ktap(self):
        s = dict(suites=['dma_mapping', 'dma_edu'])
        self.assertEqual(self.monitor(read('console-x86_64.txt'), self.lava.monitors(s)), [
            ('dma_mapping', 'dma_test_map_single', 'pass'),
            ('dma_mapping', 'DMA_TO_DEVICE', 'pass'),
            ('dma_mapping', 'DMA_FROM_DEVICE', 'fail'),
            ('dma_mapping', 'dma_test_directions', 'fail'),
            ('dma_mapping', 'dma_test_noncoherent', 'skip'),
            ('dma_edu', 'edu_test_backend', 'pass')])

    def test_monitors_skip_a_replayed_line(self):
        text = ('[ 1.0]     # Subtest: dma_edu\r\r\n[ 1.1]     ok 1 edu_te\n'
                '** replaying previous printk message **\n'
                '[ 1.1]     ok 1 edu_test_backend\n[ 1.2] ok 7 dma_edu\n[ 1.3] x\n')
        self.assertEqual(self.monitor(text, self.lava.monitors(dict(suites=['dma_edu']))),
                         [('dma_edu', 'edu_test_backend', 'pass')])

    def test_monitors_end_at_a_skipped_suite(self):
        # A suite whose every case skipped ends with "ok N suite # SKIP";
        # its monitor must end there, not read the next suite's results.
        text = ('[ 1.0]     # Subtest: dma_swiotlb\n[ 1.1]     ok 1 dma_swiotlb_test_bounce'
                ' # SKIP no swiotlb\n[ 1.2] ok 4 dma_swiotlb # SKIP\n'
                '[ 1.3]     # Subtest: dma_managed\n[ 1.4]     ok 1 dma_managed_test_map\n'
                '[ 1.5] ok 5 dma_managed\n[ 1.6] x\n')
        s = dict(suites=['dma_swiotlb', 'dma_managed'])
        self.assertEqual(self.monitor(text, self.lava.monitors(s)), [
            ('dma_swiotlb', 'dma_swiotlb_test_bounce', 'skip'),
            ('dma_managed', 'dma_managed_test_map', 'pass')])

    def test_lava_run_finds_a_difference(self):
        run = load_tool('lava-run.py')
        kunit = {'s': [('a', 'PASS'), ('b', 'SKIP')], 'other': [('x', 'PASS')]}
        parents = {'s': {'p'}, 'other': set()}
        same = {'s': [('a', 'PASS'), ('p', 'FAIL'), ('b', 'SKIP')]}
        self.assertEqual(run.compare(same, kunit, parents, ['s']), [])
        self.assertEqual(run.compare({'s': [('a', 'FAIL'), ('b', 'SKIP')]}, kunit, parents,
                                     ['s']),
                         ['s: a FAIL: 1 in LAVA, 0 in make run',
                          's: a PASS: 0 in LAVA, 1 in make run'])
        self.assertEqual(run.compare({'s': [('a', 'PASS')]}, kunit, parents, ['s']),
                         ['s: b SKIP: 0 in LAVA, 1 in make run'])
        self.assertEqual(run.compare(same, kunit, parents, ['s', 'other']),
                         ['other: no results in LAVA'])
        self.assertEqual(run.compare(dict(same, t=[]), kunit, parents, ['s']),
                         ['t: only in LAVA'])

    def test_job_keeps_every_qemu_option(self):
        """Each option of make run's QEMU command is in the job once: in an
        image's image_arg, in extra_options or where qemu.jinja2 puts the
        context (memory; machine and cpu on arm64, machine on ppc64le).  The
        console's options are the template's own (-nographic)."""
        table = scenarios.load_scenarios(os.path.join(TOP, 'configs/scenarios.toml'))
        for name, files in (('x86_64-intel-iommu-sd', ['kernel', 'ramdisk', 'disk']),
                            ('arm64-xen-swiotlb', ['kernel', 'ramdisk', 'disk', 'xen', 'dtb']),
                            ('ppc64le-tce', ['kernel'])):
            s = table[name]
            job = self.lava.job(name, s, {f: f'f/{f}' for f in files}, 'http://x')
            ph = {f: f'{{{f}}}' for f in files}
            cmd = scenarios.qemu_command(s, ph['kernel'], ph.get('ramdisk'), ph.get('disk'),
                                         extra=scenarios.COUNT_SLOTS,
                                         xen=ph.get('xen'), dtb=ph.get('dtb'))
            want = [o for o in self.lava.options(cmd) if o[0] not in self.lava.CONSOLE_OPTS]
            images = job['actions'][0]['deploy']['images']
            ctx = job['context']
            got = [o for arg in ctx['extra_options'] + [i['image_arg'] for i in images.values()]
                   for o in self.lava.options(['qemu'] + shlex.split(arg))]
            got.append(('-m', str(ctx['memory'])))
            got += [(f'-{o}', ctx[o]) for o in ('machine', 'cpu') if o in ctx]
            self.assertEqual(sorted(got), sorted(want), name)
            if 'disk' in images:
                self.assertEqual(images['disk']['url'], 'http://x/f/disk')
            self.assertTrue(ctx['no_kvm'])
            self.assertEqual([m['name'] for m in job['actions'][2]['test']['monitors']],
                             s['suites'])


class Shell(unittest.TestCase):
    def kernel_cc(self, arch, path):
        return subprocess.run(['bash', '-c', f'. {HERE}/lib.sh; kernel_cc {arch}'],
                              env=dict(os.environ, PATH=path), capture_output=True,
                              text=True, check=False)

    def test_cross_gcc_without_ccache(self):
        with tempfile.TemporaryDirectory() as d:
            for tool in ('dirname', 'bash'):
                os.symlink(subprocess.check_output(['which', tool], text=True).strip(),
                           os.path.join(d, tool))
            self.assertEqual(self.kernel_cc('arm64', d).stdout.strip(),
                             'aarch64-linux-gnu-gcc')
            self.assertEqual(self.kernel_cc('x86_64', d).stdout.strip(), 'gcc')

    def test_unknown_arch(self):
        r = self.kernel_cc('sparc', os.environ['PATH'])
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stderr.strip(), "error: unknown arch 'sparc' (known: x86_64 arm64 ppc64le)")


class Result(unittest.TextTestResult):
    """One "ok"/"FAIL" line per test, which tools/test.sh counts."""

    def addSuccess(self, test):
        print(f'ok   {test.id()}', flush=True)

    def addSkip(self, test, reason):
        print(f'FAIL {test.id()}: skipped: {reason}', flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print(f'FAIL {test.id()}', flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        print(f'FAIL {test.id()}: error', flush=True)


if __name__ == '__main__':
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    r = unittest.TextTestRunner(resultclass=Result, verbosity=0, stream=sys.stderr).run(suite)
    sys.exit(0 if r.wasSuccessful() and not r.skipped else 1)
