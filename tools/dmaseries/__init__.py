"""The harness's shared Python: paths, errors, the per-arch table, TOML
loading with validation, the QEMU runner and the result formats.  Used by
tools/run-scenarios.py, bench.py, mutants.py and check-cocci.py; the shell
scripts keep what is naturally shell (tools/lib.sh)."""
import os
import subprocess
import sys
import time
import tomllib

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One row per arch: QEMU binary, kernel image in the build dir, console
# device and the C compiler for an /init (tools/lib.sh's cross_compile()
# is the shell's copy of the prefix).
# xen is the hypervisor of Debian's xen-hypervisor package, for the
# scenarios that boot the kernel as Xen's dom0: tools/deps.sh installs
# amd64's and unpacks arm64's, another architecture's package, into
# CACHE_DIR (tools/lib.sh's default, spelled again here).
CACHE_DIR = os.environ.get('CACHE_DIR') or os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dma-series')
ARCHES = {
    'x86_64': dict(qemu='qemu-system-x86_64', image='arch/x86/boot/bzImage',
                   console='ttyS0', cc='gcc',
                   xen='/boot/xen-4.17-amd64.gz'),
    'arm64': dict(qemu='qemu-system-aarch64', image='arch/arm64/boot/Image.gz',
                  console='ttyAMA0', cc='aarch64-linux-gnu-gcc',
                  xen=os.path.join(CACHE_DIR, 'xen-arm64/boot/xen-4.17-arm64')),
    # pseries: QEMU loads the ELF vmlinux itself, and the console is the
    # hypervisor's (hvc0).
    'ppc64le': dict(qemu='qemu-system-ppc64', image='vmlinux',
                    console='hvc0', cc='powerpc64le-linux-gnu-gcc'),
}


class UserError(Exception):
    """A bad argument or input: reported as one "error:" line, exit 2."""


def cli(main):
    """Run @main as a command: its return value is the exit status, a
    UserError or a failed command is one "error:" line, never a traceback."""
    try:
        sys.exit(main())
    except UserError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    except subprocess.CalledProcessError as e:
        detail = (e.stderr or '').strip().splitlines()
        print(f'error: {" ".join(map(str, e.cmd))} failed'
              + (f': {detail[-1]}' if detail else ''), file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:
        # a reader such as head(1) stopped reading: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def git(cwd, *args):
    return subprocess.run(['git', *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def load_toml(path, fields, optional=None, check=None):
    """The tables of the TOML file @path, each checked: @fields {name: type}
    are required, @optional may be there, nothing else; @check(name, table)
    returns an error text or None.  Any fault is a UserError naming the
    file and the table."""
    try:
        with open(path, 'rb') as f:
            table = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UserError(f'{path}: {e}') from e
    optional = optional or {}
    for name, t in table.items():
        if not isinstance(t, dict):
            raise UserError(f'{path}: {name} is not a table')
        for field, kind in {**fields, **optional}.items():
            if field in t and not isinstance(t[field], kind) or \
                    field in fields and field not in t:
                raise UserError(f'{path}: [{name}] needs {field} ({kind.__name__})')
        unknown = set(t) - set(fields) - set(optional)
        if unknown:
            raise UserError(f'{path}: [{name}] has unknown fields {sorted(unknown)}')
        error = check(name, t) if check else None
        if error:
            raise UserError(f'{path}: [{name}] {error}')
    return table


def run_qemu(cmd, timeout, logpath):
    """Run @cmd (a QEMU command line) with stdin closed, up to @timeout
    seconds; write its console to @logpath, after the command as a comment.
    Returns (console text, timed out, seconds)."""
    start = time.monotonic()
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout,
                             check=False).stdout
        timed_out = False
    except subprocess.TimeoutExpired as e:
        out, timed_out = e.stdout or b'', True
    seconds = round(time.monotonic() - start, 1)
    text = out.decode('utf-8', 'replace')
    with open(logpath, 'w', encoding='utf-8') as f:
        f.write('# ' + ' '.join(cmd) + '\n' + text)
    return text, timed_out, seconds


def console_lines(text):
    """The console's lines, less printk's replays: when a console line is
    interrupted, printk prints "** replaying previous printk message **" and
    the whole line again, and the truncated first copy would read as a
    second KTAP result.  The line before the marker is dropped only if the
    replay repeats it: when the message was cut before any of it was
    printed, that line is whole and the replay is of the next message.
    Carriage returns go: Xen's console ends dom0's lines "\\r\\r\\n", which
    would read as an empty line after each."""
    lines = []
    replay = False
    for line in text.replace('\r', '').splitlines():
        if line.strip() == '** replaying previous printk message **':
            replay = True
            continue
        if replay and lines and line.startswith(lines[-1].rstrip()):
            lines.pop()
        replay = False
        lines.append(line)
    return lines


def print_table(rows, left=1, skip=lambda row: False):
    """@rows as aligned columns: the first @left left-aligned, the rest
    right-aligned; a row for which @skip is true does not set the widths."""
    widths = [max((len(str(row[i])) for row in rows if not skip(row)), default=0)
              for i in range(len(rows[0]))]
    for row in rows:
        print('  '.join(str(c).ljust(w) if i < left else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
