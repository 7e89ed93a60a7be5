#!/usr/bin/env python3
"""coccicheck's report mode on what the series changes, at its base and at
its head, both with the series' scripts/coccinelle; a report the base does
not have fails.

Which files: the .c and .h files the series (fixes and series) adds or
changes, for every script; and for the scripts that read headers, the files
in those directories that #include a header the series changes.  Most
scripts run with --no-includes, so a file's reports depend on its own text
and the scripts.  Without that option spatch also reads a file's local
includes ("sdhci.h"), and with --all-includes its <linux/...> ones too;
such a script runs on those includers as well.  Any other pairing of file
and script gives the same reports on both sides, so leaving it out checks
nothing less.  Changed headers are checked as coccicheck checks them
(--include-headers).

How: coccicheck takes one directory (M=) or one file (C=1), and spatch's
--file-groups, which takes a list, conflicts with the --dir that M= adds.
So this runs spatch itself, once per script and side, with coccicheck's own
command line for report mode (its "virtual report" filter, "Options:" and
"Requires:" lines, flags and include directories) and --file-groups; the
tree's .cocciconfig (--timeout 200) applies as it does under coccicheck.
But with --file-groups, .cocciconfig's --use-gitgrep makes spatch 1.1.1
grep the whole tree and parse every file that matches instead of the list
(503 files and 368 s for api/kstrdup.cocci), so --no-scanner turns that
prefilter off: it only ever skipped files that cannot match.

A file's reports are cached under CACHE_DIR/cocci by (its blob, the blobs of
the headers the series changes on that side, the scripts' tree, the spatch
version), so the base side is computed once per machine.  Reports are
compared as counts, not sets: a second copy of a report is new.  A timeout,
an exception or any output spatch gives besides reports fails the check.
SPFLAGS adds spatch options last, as coccicheck's SPFLAGS does (with
SPFLAGS="--timeout 1" the check must fail).  Writes
build/results/cocci.{base,series,new}.
"""
import collections
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmaseries import CACHE_DIR, TOP, UserError, cli, git  # noqa: E402

BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))
TREE = os.environ.get('BUILD_TREE', os.path.join(BUILD, 'linux'))
CHECK = os.path.join(BUILD, 'check')
CACHE = os.path.join(CACHE_DIR, 'cocci')
JOBS = int(os.environ.get('JOBS') or os.cpu_count() or 1)
# coccicheck's includes for ARCH=x86 in the source tree: LINUXINCLUDE with
# "-I dir" and "--include" spelled as spatch wants them.
INCLUDES = ['-I', './arch/x86/include', '-I', './arch/x86/include/generated',
            '-I', './include', '-I', './arch/x86/include/uapi',
            '-I', './arch/x86/include/generated/uapi', '-I', './include/uapi',
            '-I', './include/generated/uapi',
            '--include', './include/linux/compiler-version.h',
            '--include', './include/linux/kconfig.h']
REPORT = re.compile(r'^([^ :]+):\d+:[0-9-]+: (.*)$')
# What spatch prints besides reports that is no fault: SmPL parse notes on
# the scripts themselves (api/stream_open.cocci has four).
NOTE = re.compile(r'^warning: line \d+: should \S+ be a metavariable\?$')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def spatch_version():
    out = subprocess.run(['spatch', '--version'], capture_output=True, text=True,
                         check=False).stdout.split()
    return out[2] if len(out) > 2 else 'unknown'


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r'\d+', v))


def scripts(root, version):
    """(path, extra options) of each script coccicheck runs in report mode."""
    found = []
    for d, _, files in os.walk(os.path.join(root, 'scripts/coccinelle')):
        for f in sorted(files):
            if not f.endswith('.cocci'):
                continue
            path = os.path.join(d, f)
            with open(path, encoding='utf-8', errors='replace') as fh:
                text = fh.read()
            if not re.search(r'virtual\s+report', text):
                continue
            req = re.search(r'Requires:\s*(\S+)', text)
            if req and version_tuple(req.group(1)) > version_tuple(version):
                raise UserError(f'{os.path.relpath(path, root)} needs spatch '
                                f'{req.group(1)}, this is {version}')
            opt = re.search(r'Options:(.*)', text)
            found.append((os.path.relpath(path, root), opt.group(1).split() if opt else []))
    return sorted(found)


def includers(rev, dirs, headers):
    """{file: "local" or "system"} of the .c and .h files in @dirs at @rev
    that #include one of @headers: "local" when one such include is
    '#include "x.h"', which spatch reads by default."""
    out = {}
    for path in git(TREE, 'ls-tree', '-r', '--name-only', rev, '--', *dirs).split():
        if not path.endswith(('.c', '.h')) or os.path.dirname(path) not in dirs:
            continue
        text = git(TREE, 'show', f'{rev}:{path}')
        for kind, name in INCLUDE.findall(text):
            if kind == '"':
                if os.path.normpath(os.path.join(os.path.dirname(path), name)) in headers:
                    out[path] = 'local'
                    break
            elif 'include/' + name in headers or 'include/uapi/' + name in headers:
                out[path] = 'system'
    return out


def runs_on(opts, kind):
    """Whether a script with @opts reads a file of @kind: "changed", or an
    includer of a changed header by a "local" or "system" include."""
    if kind == 'changed':
        return True
    if '--no-includes' in opts:
        return False
    return kind == 'local' or '--all-includes' in opts or '--recursive-includes' in opts


def blobs(rev, paths):
    """{path: blob id} at @rev, for the paths that exist there."""
    out = {}
    if paths:
        for line in git(TREE, 'ls-tree', rev, '--', *paths).splitlines():
            meta, path = line.split('\t', 1)
            out[path] = meta.split()[2]
    return out


def faults(lines):
    """The lines of spatch's output that are neither reports nor harmless
    notes: a timeout ("EXN: ...Timeout in FILE"), an exception, anything."""
    return [line for line in lines
            if line.strip() and not REPORT.match(line) and not NOTE.match(line)]


def run_script(script, opts, files):
    """spatch's report lines for @files, as coccicheck runs @script; raises
    UserError on a timeout, an exception or unexpected output."""
    if not files:
        return []
    listing = os.path.join(BUILD, 'results', 'cocci-files-' + script.replace('/', '_') + '.txt')
    with open(listing, 'w', encoding='utf-8') as f:
        f.write('\n\n'.join(files) + '\n')
    cmd = ['spatch', '-D', 'report', '--no-show-diff', '--very-quiet',
           '--cocci-file', script, *opts, *INCLUDES, '--no-scanner',
           '--file-groups', listing, *os.environ.get('SPFLAGS', '').split()]
    proc = subprocess.run(cmd, cwd=CHECK, capture_output=True, text=True, check=False)
    lines = (proc.stdout + proc.stderr).splitlines()
    bad = faults(lines)
    if proc.returncode or bad:
        raise UserError(f'{script}: spatch ' + (f'exited {proc.returncode}: ' if proc.returncode
                                                else '') + (bad or ['no output'])[0])
    os.unlink(listing)
    return [line for line in lines if REPORT.match(line)]


def side(rev, files, headers, scripts_tree, version, head):
    """{file: [report text]} at @rev, from the cache or spatch; @files maps
    each file to its kind (see runs_on())."""
    ids = blobs(rev, sorted(files))
    hdr = ' '.join(f'{p}={b}' for p, b in sorted(blobs(rev, sorted(headers)).items()))
    keys = {p: hashlib.sha256(f'{b} {files[p]} {hdr} {scripts_tree} {version}'.encode()).hexdigest()
            for p, b in ids.items()}
    reports = {}
    todo = []
    for p, k in keys.items():
        path = os.path.join(CACHE, k)
        if os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                reports[p] = f.read().splitlines()
        else:
            todo.append(p)
    if todo:
        git(CHECK, 'checkout', '-q', '-f', '--detach', rev)
        git(CHECK, 'checkout', '-q', head, '--', 'scripts/coccinelle')
        try:
            with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
                runs = list(pool.map(
                    lambda s: run_script(s[0], s[1], [p for p in todo
                                                      if runs_on(s[1], files[p])]),
                    scripts(CHECK, version)))
        finally:
            git(CHECK, 'checkout', '-q', '-f', '--detach', rev)
            git(CHECK, 'clean', '-q', '-f', '--', 'scripts/coccinelle')
        found = collections.defaultdict(list)
        for line in (line for run in runs for line in run):
            m = REPORT.match(line)
            found[os.path.normpath(m.group(1))].append(line)
        for p in todo:
            # "file: text", without positions (also "on line N" in the
            # text), so that an edit above a report does not renew it
            reports[p] = sorted(re.sub(r' on line \d+', '', f'{p}: {REPORT.match(x).group(2)}')
                                for x in found.get(p, []))
            with open(os.path.join(CACHE, keys[p]) + '.tmp', 'w', encoding='utf-8') as f:
                f.write(''.join(x + '\n' for x in reports[p]))
            os.replace(os.path.join(CACHE, keys[p]) + '.tmp', os.path.join(CACHE, keys[p]))
    return reports


def new_reports(base, series, accepted):
    """The reports of @series that @base lacks, less those @accepted lets
    through, all as counts: a second copy of a report the base has once
    is new, and each accepted line lets one copy through."""
    return collections.Counter(series) - collections.Counter(base) - \
        collections.Counter(accepted)


def main():
    if not os.path.exists(os.path.join(CHECK, '.git')):
        raise UserError('no build/check worktree; run tools/check-patches.sh first')
    os.makedirs(CACHE, exist_ok=True)
    os.makedirs(os.path.join(BUILD, 'results'), exist_ok=True)
    head = git(TREE, 'rev-parse', 'series').strip()
    changed = [p for p in git(TREE, 'diff', '--name-only', '--diff-filter=AM',
                              'base', head).split() if p.endswith(('.c', '.h'))]
    headers = {p for p in changed if p.endswith('.h')}
    dirs = sorted({os.path.dirname(p) for p in changed})
    files = {**includers('base', dirs, headers), **includers(head, dirs, headers),
             **{p: 'changed' for p in changed}}
    version = spatch_version()
    scripts_tree = git(TREE, 'rev-parse', f'{head}:scripts/coccinelle').strip()
    print(f'>>> coccicheck: {len(files)} files ({len(changed)} changed) in '
          f'{len(dirs)} directories, spatch {version}', file=sys.stderr, flush=True)
    counts = {}
    for name, rev in (('base', 'base'), ('series', head)):
        reports = side(rev, files, headers, scripts_tree, version, head)
        lines = sorted(x for p in sorted(files) for x in reports.get(p, []))
        with open(os.path.join(BUILD, 'results', f'cocci.{name}'), 'w',
                  encoding='utf-8') as f:
            f.write(''.join(x + '\n' for x in lines))
        counts[name] = lines
    with open(os.path.join(TOP, 'configs/cocci-intentional.txt'), encoding='utf-8') as f:
        accepted = [line.rstrip('\n') for line in f
                    if line.strip() and not line.startswith('#')]
    new = new_reports(counts['base'], counts['series'], accepted)
    with open(os.path.join(BUILD, 'results', 'cocci.new'), 'w', encoding='utf-8') as f:
        f.write(''.join(x + '\n' for x in sorted(new.elements())))
    if new:
        for x in sorted(new.elements()):
            print(x, file=sys.stderr)
        raise UserError(f'coccicheck: {sum(new.values())} new reports in {len(files)} files')
    print(f'ok   coccicheck: no new reports in {len(files)} files '
          f'({len(counts["series"])} at the head, {len(counts["base"])} at the base)')
    return 0


if __name__ == '__main__':
    cli(main)
