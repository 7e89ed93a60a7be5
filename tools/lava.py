#!/usr/bin/python3
"""Write a LAVA job definition for each scenario (make lava).

A kernel CI farm (KernelCI, LKFT) runs QEMU boots as LAVA jobs on its
"qemu" device type.  Each job here is made from configs/scenarios.toml by
the code that makes run-scenarios.py's QEMU command (qemu_command()), so a
scenario is described in one place:

- the files the command names (the kernel, and the initramfs, disk, Xen
  and device tree where the scenario has them) become deploy images, each
  with the QEMU arguments that name it as its image_arg; the kernel's
  carries the command line;
- the rest of the command (machine, CPU, TCG, vIOMMU, edu devices, disk
  bus) goes in the job context, as qemu.jinja2, the device type's
  template, takes it: extra_options, memory, machine and cpu on arm64,
  machine on ppc64le; no_kvm, since the boots run under TCG;
- the boot is LAVA's qemu method, whose prompt is the KUnit run's first
  KTAP header (the kernel has no shell; LAVA fails a boot that panics
  before it);
- the test is a list of monitors, one per KUnit suite in the order the
  kernel runs them (the scenario's "suites"): each waits for the suite's
  KTAP header and turns every "ok"/"not ok" line up to the suite's own
  result into a LAVA result, one per KUnit case.  The last suite's result
  is the end of the KTAP output.

Images are named by URL: file:// paths under build/ by default, or --url
BASE for a farm that serves build/'s files (BASE/out/x86_64/..., and
BASE/lava/... for what this writes).  Each job is checked against
lava-common's own job schema (Debian's lava-common, which is why this runs
on Debian's python3 rather than whatever python3 is first in PATH).

Writes build/lava/<scenario>.yaml and the files the jobs deploy that make
run builds per boot (initramfs, blank disk, Xen's device tree); prints one
"ok" or "FAIL" line per job.
"""
import argparse
import os
import re
import shlex
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmaseries import ARCHES, TOP, UserError, cli  # noqa: E402
from dmaseries.scenarios import (COUNT_SLOTS, load_scenarios,  # noqa: E402
                                 make_initrd, qemu_command, select, xen_files)

BUILD = os.path.join(TOP, 'build')
# LAVA's names for the arches (qemu.jinja2's available_architectures).
LAVA_ARCH = {'x86_64': 'x86_64', 'arm64': 'arm64', 'ppc64le': 'ppc64'}
# The options that qemu.jinja2 writes itself for an arch, from the context.
TEMPLATE_OPTS = {'arm64': ('-machine', '-cpu'), 'ppc64le': ('-machine',)}
# The console: qemu.jinja2 runs QEMU with -nographic, which puts the
# serial port on stdio, and -monitor none; these of ours would clash.
CONSOLE_OPTS = {'-nodefaults', '-display', '-serial'}
# One KTAP result line: "ok 3 name", "not ok 3 name" or "ok 3 name # SKIP
# why", at any depth.  LAVA's monitor maps the text of the "result" group
# through fixupdict, so the lookahead captures "SKIP" for a skip and the
# leading "ok"/"not ok" otherwise.  The line must be followed by another
# that is not printk's "** replaying previous printk message **": a line
# cut short is replayed whole, and its first copy is no result (as
# dmaseries.console_lines() drops it for make run).
KTAP_RESULT = (r'(?=(?:ok \d+ [^#\r\n]*# )?(?P<result>SKIP|not ok|ok))'
               r'(?:not )?ok \d+ (?P<test_case_id>[^#\r\n]*?)'
               r'(?: # [^\r\n]*)?[\r\n]+(?=[^*\r\n])')
FIXUP = {'ok': 'pass', 'not ok': 'fail', 'SKIP': 'skip'}


def quote(arg):
    """@arg as one word of the command line that LAVA splits (pexpect's
    split_command_line(), which honours quotes)."""
    return shlex.quote(arg) if re.search(r'[\s\'"]', arg) else arg


def options(cmd):
    """@cmd's options after the binary, as (option, argument or None)."""
    pairs, i = [], 1
    while i < len(cmd):
        if i + 1 < len(cmd) and not cmd[i + 1].startswith('-'):
            pairs.append((cmd[i], cmd[i + 1]))
            i += 2
        else:
            pairs.append((cmd[i], None))
            i += 1
    return pairs


def monitors(s):
    """One LAVA monitor per suite of scenario @s, in its (run) order."""
    return [dict(name=suite,
                 start=f'# Subtest: {suite}',
                 # the suite's own result line, also when it skipped
                 end=rf'(?:not )?ok \d+ {suite}(?:[ \t]+#[^\r\n]*)?[ \t]*[\r\n]',
                 pattern=KTAP_RESULT, fixupdict=FIXUP)
            for suite in s['suites']]


def job(name, s, files, url):
    """The LAVA job of scenario @s, whose files (label: path under build/)
    are @files, served under @url."""
    labels = {f'{{{label}}}': label for label in files}
    cmd = qemu_command(s, '{kernel}', files.get('ramdisk') and '{ramdisk}',
                       files.get('disk') and '{disk}', extra=COUNT_SLOTS,
                       xen=files.get('xen') and '{xen}',
                       dtb=files.get('dtb') and '{dtb}')
    context = dict(arch=LAVA_ARCH[s['arch']], no_kvm=True)
    image_args = {label: [] for label in files}
    extra = []
    kernel_label = None
    for opt, arg in options(cmd):
        text = opt if arg is None else f'{opt} {quote(arg)}'
        label = next((lab for ph, lab in labels.items() if arg and ph in arg), None)
        if opt in CONSOLE_OPTS:
            continue
        if opt == '-m':
            context['memory'] = int(arg)
        elif opt in TEMPLATE_OPTS.get(s['arch'], ()):
            context[opt[1:]] = arg
        elif opt == '-append':
            image_args[kernel_label].append(text)
        elif label:
            image_args[label].append(text)
            if opt == '-kernel':
                kernel_label = label
        else:
            extra.append(text)
    context['extra_options'] = extra
    minutes = -(-s['timeout'] // 60)
    images = {label: dict(url=f'{url}/{path}', image_arg=' '.join(image_args[label]))
              for label, path in files.items()}
    return {
        'device_type': 'qemu',
        'job_name': f'dma-series {name}',
        'timeouts': {'job': {'minutes': minutes + 10},
                     'action': {'minutes': minutes + 5}},
        'priority': 'medium',
        'visibility': 'public',
        'context': context,
        'metadata': {'scenario': name, 'source': 'configs/scenarios.toml'},
        'actions': [
            {'deploy': {'to': 'tmpfs', 'timeout': {'minutes': 5}, 'images': images}},
            # The boot ends at the first KTAP header, the KUnit run's:
            # LAVA's boot action fails on a kernel panic before it.
            {'boot': {'method': 'qemu', 'media': 'tmpfs', 'prompts': ['KTAP version 1'],
                      'timeout': {'minutes': minutes}}},
            {'test': {'timeout': {'minutes': minutes},
                      'monitors': monitors(s)}},
        ],
    }


def scenario_files(name, s, args):
    """The files scenario @s boots, made as run-scenarios.py makes them,
    as {LAVA label: path under build/}."""
    kernel = os.path.join(args.out, s['arch'], ARCHES[s['arch']]['image'])
    if not os.path.isfile(kernel):
        raise UserError(f'no kernel at {os.path.relpath(kernel, TOP)}; run make build '
                        f"ARCH={s['arch']} first")
    files = {'kernel': kernel}
    if 'init' in s:
        files['ramdisk'] = make_initrd(s, args, name)
    if 'disk' in s:
        files['disk'] = os.path.join(args.results, f'{name}.disk')
        with open(files['disk'], 'wb') as f:
            f.truncate(s['disk'] << 20)
    xen, dtb = xen_files(s, kernel, files.get('ramdisk'), args.results, name, COUNT_SLOTS)
    if xen:
        files['xen'] = xen
    if dtb:
        files['dtb'] = dtb
    # What is not under build/ (Xen, from CACHE_DIR) is copied there, so
    # that --url serves every image.
    for label, path in files.items():
        if not os.path.abspath(path).startswith(BUILD + os.sep):
            files[label] = os.path.join(args.dest, os.path.basename(path))
            shutil.copyfile(path, files[label])
    return {label: os.path.relpath(os.path.abspath(path), BUILD)
            for label, path in files.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='all', help='x86_64, arm64, ppc64le or all (comma-separated)')
    ap.add_argument('--scenario', default='',
                    help='scenario names (comma-separated); default: every one of --arch')
    ap.add_argument('--scenarios', default=os.path.join(TOP, 'configs/scenarios.toml'))
    ap.add_argument('--out', default=os.path.join(BUILD, 'out'), help='the kernels')
    ap.add_argument('--dest', default=os.path.join(BUILD, 'lava'))
    ap.add_argument('--url', default='file://' + BUILD,
                    help="where a farm finds build/'s files (default: file://build)")
    args = ap.parse_args()
    try:
        import yaml  # pylint: disable=import-outside-toplevel
        from lava_common.schemas import validate  # pylint: disable=import-outside-toplevel
    except ImportError as e:
        raise UserError(f'{e.name} is missing: run tools/deps.sh (Debian\'s lava-common), '
                        f'and run this with /usr/bin/python3') from e
    if not os.path.abspath(args.dest).startswith(os.path.abspath(BUILD) + os.sep):
        raise UserError('--dest must be under build/, which --url serves')
    table = load_scenarios(args.scenarios)
    chosen = select(table, [a for a in args.arch.split(',') if a],
                    [n for n in args.scenario.split(',') if n])
    if not chosen:
        raise UserError(f'no scenario matches arch {args.arch}')

    class NoAliases(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
        """Each monitor spelt out: a job is read by people too."""
        def ignore_aliases(self, data):
            return True

    os.makedirs(args.dest, exist_ok=True)
    args.results = args.dest
    url = args.url.rstrip('/')
    bad = 0
    for name in chosen:
        definition = job(name, table[name], scenario_files(name, table[name], args), url)
        path = os.path.join(args.dest, f'{name}.yaml')
        with open(path, 'w', encoding='utf-8') as f:
            yaml.dump(definition, f, Dumper=NoAliases, sort_keys=False, width=1000)
        try:
            with open(path, encoding='utf-8') as f:
                validate(yaml.safe_load(f), strict=True)
            print(f'ok {name}: {os.path.relpath(path, TOP)}')
        except Exception as e:  # pylint: disable=broad-except
            # voluptuous's Invalid, with the path of the bad field
            print(f'FAIL {name}: lava-common rejects {os.path.relpath(path, TOP)}: {e}')
            bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    cli(main)
