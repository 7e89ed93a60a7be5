"""configs/scenarios.toml: its fields and their checks, choosing scenarios,
and the QEMU command line and initramfs of a scenario."""
import gzip
import os
import re
import shutil
import subprocess

from . import ARCHES, TOP, UserError, load_toml

FIELDS = {'arch': str, 'machine': str, 'cpu': str, 'memory': int, 'smp': int,
          'devices': list, 'cmdline': str, 'timeout': int, 'suites': list}
OPTIONAL = {'expect': list, 'edu': list, 'backend': str, 'disk': int,
            'disk_bus': str, 'init': str, 'xen': str}
# How a scenario's disk is attached.  virtio-blk with iommu_platform=on, so
# that its I/O goes through the DMA API as real hardware's does; or an SD
# card behind sdhci-pci with ADMA masked out of its capabilities (bits 19
# and 20 of capareg), so that the kernel's sdhci driver uses SDMA through
# its bounce buffer.  virtio-blk-direct is virtio-blk without indirect
# descriptors, so that every buffer sits in a ring descriptor: virtio_ring
# keeps mapping records for those only, not for the entries of indirect
# tables.
DISK_BUSES = {
    'virtio-blk': ['virtio-blk-pci,drive=disk0,iommu_platform=on,disable-legacy=on'],
    'virtio-blk-direct': ['virtio-blk-pci,drive=disk0,iommu_platform=on,disable-legacy=on,indirect_desc=off'],
    'sdhci': ['sdhci-pci,capareg=0x056034b4', 'sd-card,drive=disk0'],
}
# swiotlb counts the slots in use, which the suites' leak checks read, only
# when asked to; a scenario's own swiotlb= option is parsed after this one.
COUNT_SLOTS = 'swiotlb=track_hiwater'


def check_scenario(name, s):
    """An error text for scenario @s, or None."""
    del name
    if s['arch'] not in ARCHES:
        return f"has unknown arch {s['arch']}"
    if 'disk' in s and not 1 <= s['disk'] <= 4096:
        return 'disk needs a size from 1 to 4096 MiB'
    if s.get('disk_bus', 'virtio-blk') not in DISK_BUSES:
        return f"disk_bus must be one of {' '.join(DISK_BUSES)}"
    if 'init' in s and not os.path.isfile(os.path.join(TOP, s['init'])):
        return f"init {s['init']} is not a file"
    if not all(isinstance(b, int) and 1 <= b <= 64 for b in s.get('edu', [])):
        return 'edu needs DMA widths from 1 to 64'
    if 'xen' in s and 'xen' not in ARCHES[s['arch']]:
        return f"xen: no Xen for {s['arch']} here"
    if not 10 <= s['timeout'] <= 3600:
        return 'timeout must be 10 to 3600 s'
    for pattern in s.get('expect', []) + [s.get('backend', '')]:
        try:
            re.compile(pattern)
        except re.error as e:
            return f'has a bad regex {pattern!r}: {e}'
    return None


def load_scenarios(path):
    return load_toml(path, FIELDS, OPTIONAL, check_scenario)


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


def xen_image(arch, results):
    """Xen for @arch; x86_64's uncompressed into @results, since QEMU's
    multiboot loader takes no gzip.  Raises UserError when the package is
    not installed."""
    src = ARCHES[arch]['xen']
    if not src.endswith('.gz'):
        if not os.path.isfile(src):
            raise UserError(f'no Xen at {src}; run tools/deps.sh')
        return src
    dest = os.path.join(results, os.path.basename(src).removesuffix('.gz'))
    try:
        with gzip.open(src) as f, open(dest, 'wb') as out:
            shutil.copyfileobj(f, out)
    except OSError as e:
        raise UserError(f'cannot read Xen at {src} ({e.strerror or e}); '
                        'run tools/deps.sh') from e
    return dest


# Where arm64's Xen finds dom0's kernel and initramfs: boot modules in RAM
# (virt's starts at 1 GiB), clear of Xen itself, which QEMU loads at its
# start, and of the device tree, which QEMU places after it.
XEN_ARM64_DOM0 = 0x50000000
XEN_ARM64_INITRD = 0x54000000


def kernel_cmdline(s, initrd=None, extra=''):
    """The kernel's command line for scenario @s."""
    a = ARCHES[s['arch']]
    # With an /init, KUnit must not end the boot: the kernel goes on to run
    # /init after the built-in suites, and /init powers the machine off.
    shutdown = '' if initrd else 'kunit_shutdown=reboot '
    # dom0's console is Xen's, which Xen copies to its serial port.
    console = 'hvc0' if 'xen' in s else a['console']
    cmdline = (f"console={console} {shutdown}panic=-1 {extra} "
               f"{s['cmdline']}").strip()
    cmdline = ' '.join(cmdline.split())
    if s.get('edu'):
        cmdline += ' edu_kunit.dma_bits=' + ','.join(map(str, s['edu']))
    return cmdline


def xen_dtb(s, kernel, path, initrd=None, extra=''):
    """Write to @path the device tree that arm64's Xen boots from: QEMU's
    own for scenario @s, with Xen's command line, and @kernel and @initrd
    as dom0's boot modules (the binding of Xen's
    docs/misc/arm/device-tree/booting.txt, as Xen's own QEMU tests write
    it).  Xen decompresses a gzip kernel.  Raises UserError when the kernel
    would overlap the initramfs, or QEMU or fdtput fails."""
    if os.path.getsize(kernel) > XEN_ARM64_INITRD - XEN_ARM64_DOM0:
        raise UserError(f'{kernel} is over {XEN_ARM64_INITRD - XEN_ARM64_DOM0 >> 20} MiB, '
                        "the room for dom0's kernel before its initramfs")
    # The boot's own machine, without Xen, the tree and the modules.
    boot = qemu_command(s, kernel, initrd, dtb=path)
    dump = []
    i = 0
    while i < len(boot):
        opt, arg = boot[i], boot[i + 1] if i + 1 < len(boot) else ''
        if opt in ('-kernel', '-dtb') or (opt == '-device' and arg.startswith('loader,')):
            i += 2
        else:
            dump.append(opt)
            i += 1
    dump[dump.index('-machine') + 1] += f',dumpdtb={path}'
    steps = [dump,
             ['fdtput', path, '-t', 'x', '/chosen', '#address-cells', '2'],
             ['fdtput', path, '-t', 'x', '/chosen', '#size-cells', '2'],
             ['fdtput', path, '-t', 's', '/chosen', 'xen,xen-bootargs',
              f"console=dtuart {s['xen']}"]]
    modules = [(kernel, XEN_ARM64_DOM0, 'multiboot,kernel')]
    if initrd:
        modules.append((initrd, XEN_ARM64_INITRD, 'multiboot,ramdisk'))
    for f, addr, kind in modules:
        node = f'/chosen/module@{addr:x}'
        steps += [['fdtput', path, '-c', node],
                  ['fdtput', path, '-t', 's', node, 'compatible', kind, 'multiboot,module'],
                  ['fdtput', path, '-t', 'x', node, 'reg', '0', f'{addr:x}',
                   '0', f'{os.path.getsize(f):x}']]
    steps.append(['fdtput', path, '-t', 's', f'/chosen/module@{XEN_ARM64_DOM0:x}',
                  'bootargs', kernel_cmdline(s, initrd, extra)])
    for cmd in steps:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as e:
            raise UserError(f'cannot run {cmd[0]} ({e.strerror}); run tools/deps.sh') from e
        if done.returncode:
            raise UserError(f"{' '.join(cmd[:3])} ... failed: "
                            + ((done.stderr or done.stdout).strip().splitlines() or ['?'])[-1])
    return path


def xen_files(s, kernel, initrd, results, name, extra=''):
    """The Xen image and, on arm64, the device tree (in @results, named
    after @name) that scenario @s boots from: (None, None) without Xen.
    Raises UserError as xen_image() and xen_dtb() do."""
    if 'xen' not in s:
        return None, None
    xen = xen_image(s['arch'], results)
    dtb = None
    if s['arch'] == 'arm64':
        dtb = xen_dtb(s, kernel, os.path.join(results, f'{name}.dtb'), initrd, extra)
    return xen, dtb


def qemu_command(s, kernel, initrd=None, disk=None, extra='', xen=None, dtb=None):
    """The QEMU command that boots @kernel for scenario @s; as the dom0 of
    the hypervisor @xen (xen_image()'s) when @s has a xen field, on arm64
    from the device tree @dtb (xen_dtb()'s)."""
    a = ARCHES[s['arch']]
    accel = 'kvm' if os.environ.get('KVM') == '1' else 'tcg'
    edu = s.get('edu', [])
    cmdline = kernel_cmdline(s, initrd, extra)
    cmd = [a['qemu'], '-nodefaults', '-display', 'none', '-serial', 'stdio',
           '-no-reboot', '-accel', accel, '-machine', s['machine'],
           '-cpu', s['cpu'], '-m', str(s['memory']), '-smp', str(s['smp'])]
    if 'xen' in s and s['arch'] == 'arm64':
        # Xen reads its command line, and dom0's kernel with its own, from
        # the device tree; the kernel is loaded where the tree says.
        cmd += ['-kernel', xen or a['xen'], '-dtb', dtb,
                '-device', f'loader,file={kernel},addr={XEN_ARM64_DOM0:#x},force-raw=on']
        if initrd:
            cmd += ['-device', f'loader,file={initrd},addr={XEN_ARM64_INITRD:#x},force-raw=on']
    elif 'xen' in s:
        # Multiboot: Xen is the kernel, dom0's kernel with its command line
        # the first module and the initramfs the second.  QEMU splits
        # modules at commas, and reads ",," as a comma.
        modules = [f'{kernel} {cmdline}'] + ([initrd] if initrd else [])
        cmd += ['-kernel', xen, '-append', f"console=com1 {s['xen']}",
                '-initrd', ','.join(m.replace(',', ',,') for m in modules)]
    else:
        cmd += ['-kernel', kernel, '-append', cmdline]
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


def kernel_dir(args, arch):
    """The build directory of @arch's kernel: build/out/ARCH, or
    build/out/ARCH-bench when @args asks for the bench flavour."""
    return os.path.join(args.out, arch + getattr(args, 'suffix', ''))


def make_initrd(s, args, name, extra=()):
    """Compile the scenario's /init statically for its arch and pack it into
    an initramfs with the kernel's own usr/gen_init_cpio, with the (path in
    the initramfs, file) pairs of @extra.  Returns the path, or raises
    UserError with what went wrong."""
    a = ARCHES[s['arch']]
    gen = os.path.join(kernel_dir(args, s['arch']), 'usr/gen_init_cpio')
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
