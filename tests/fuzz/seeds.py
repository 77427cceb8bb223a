#!/usr/bin/env python3
# Writes the seed corpora in tests/fuzz/corpus/<fuzzer>/: a few small,
# meaningful inputs per fuzzer, in the input format each fuzzer's comments
# describe. The files are in the repository; run this only to regenerate
# them after changing a fuzzer's input format: python3 tests/fuzz/seeds.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- virtqueue: enable(size, desc, avail, used), then ops ----
def vq_enable(size_log2, desc, avail, used):
    return u8(size_log2) + u32(desc) + u32(avail) + u32(used)


def vq_desc(idx, addr, length, flags, nxt):
    return u8(1) + u8(idx) + u32(addr) + u16(length) + u8(flags) + u8(nxt)


def vq_offer(head): return u8(2) + u8(head)
def vq_pop(write_len, push): return u8(3) + u16(write_len) + u8(push)


def virtqueue():
    en = vq_enable(4, 0x1000, 0x3000, 0x4000)
    write('virtqueue', 'two-desc-chain',
          en + vq_desc(0, 0x8000, 100, 1, 1) + vq_desc(1, 0x100000, 200, 2, 0) +
          vq_offer(0) + vq_pop(50, 1) + vq_pop(0, 0))
    write('virtqueue', 'loop',
          en + vq_desc(0, 0x8000, 8, 1, 1) + vq_desc(1, 0x8100, 8, 1, 0) +
          vq_offer(0) + vq_pop(0, 0))
    write('virtqueue', 'indirect-and-outside',
          en + vq_desc(0, 0x8000, 16, 4, 0) + vq_offer(0) + vq_pop(0, 0) +
          vq_desc(1, 0x10000 - 4, 8, 0, 0) + vq_offer(1) + vq_pop(0, 0))
    write('virtqueue', 'index-jump-and-reenable',
          en + u8(8) + u16(0x8000) + vq_pop(0, 0) +
          u8(7) + vq_enable(8, 0x0, 0x100000, 0x101000) +
          vq_desc(5, 0x100800, 0x7800, 2, 0) + vq_offer(5) + vq_pop(4096, 1))


# ---- virtio_pci: firmware byte, then ops ----
def vp_setup(q, size_log2, vec, desc, avail, used):
    return u8(8) + u8(q) + u8(size_log2) + u8(vec) + u32(desc) + u32(avail) + u32(used)


def vp_desc(q, idx, addr, length, flags, nxt):
    return u8(9) + u8(q) + u8(idx) + u32(addr) + u16(length) + u8(flags) + u8(nxt)


def vp_ram(gpa, data): return u8(5) + u32(gpa) + u8(len(data)) + data
def vp_offer(q, head): return u8(10) + u8(q) + u8(head)
def vp_kick(q): return u8(11) + u8(q)
def vp_input(data): return u8(6) + u8(len(data)) + data


def vp_bar_write(sel, off, size_code, val):      # size_code 2: 4 bytes
    return u8(2) + u8(sel) + u16(off) + u8(size_code) + u32(val)


def virtio_pci():
    write('virtio_pci', 'tx-hello',
          u8(1) + vp_setup(1, 4, 2, 0x1000, 0x2000, 0x3000) +
          vp_desc(1, 0, 0x8000, 5, 0, 0) + vp_ram(0x8000, b'hello') +
          vp_offer(1, 0) + vp_kick(1))
    write('virtio_pci', 'rx-input',
          u8(1) + vp_setup(0, 3, 1, 0x1000, 0x2000, 0x3000) +
          vp_desc(0, 0, 0x9000, 64, 2, 0) + vp_offer(0, 0) + vp_input(b'abc') +
          vp_input(b'more input than fits'))
    # MSI-X on, vector 1 unmasked with an address in the MSI window.
    write('virtio_pci', 'msix-vector',
          u8(1) + u8(7) + u8(1) +
          vp_bar_write(4, 16, 2, 0xfee00000) + vp_bar_write(4, 24, 2, 0x41) +
          vp_bar_write(4, 28, 2, 0) +
          vp_setup(1, 2, 1, 0x1000, 0x2000, 0x3000) +
          vp_desc(1, 0, 0x8000, 1, 0, 0) + vp_offer(1, 0) + vp_kick(1))
    # Broken ring: head out of range, then a reset through status 0.
    write('virtio_pci', 'broken-then-reset',
          u8(1) + vp_setup(1, 2, 0, 0x1000, 0x2000, 0x3000) + vp_offer(1, 9) +
          vp_kick(1) + u8(0) + u8(0x14 | 0 << 6) + u8(0) +
          vp_setup(1, 2, 0, 0x1000, 0x2000, 0x3000))
    # BAR0 moved through ECAM, then MMIO through the bus.
    write('virtio_pci', 'bar-through-bus',
          u8(0) + u8(3) + u32(0x10) + u8(2) + u32(0xd0000000) +
          u8(3) + u32(0x04) + u8(1) + u16(6) +
          u8(4) + u8(0x80 | 1) + u16(0x12) + u8(4) + u8(0) + u16(0x16) + u8(1))


# ---- pci: ops of (op, b, payload) ----
def pci():
    cf8 = lambda slot, reg: u8(0) + u8(0x80) + u8(slot) + u8(reg)
    cfc_rd = lambda: u8(1) + u8(4 | 2 << 3)
    cfc_wr = lambda v: u8(2) + u8(0 | 2 << 2) + u32(v)
    write('pci', 'read-ids', cf8(0, 0) + cfc_rd() + cf8(1, 0) + cfc_rd() +
          cf8(2, 8) + cfc_rd())
    write('pci', 'bar-sizing', u8(8) + u8(0) + u32(0) + u8(8) + u8(2) + u32(0xc0001000) +
          u8(8) + u8(1) + u32(0))
    write('pci', 'decode-and-access',
          cf8(1, 4) + cfc_wr(3) + cf8(2, 4) + cfc_wr(2) +
          u8(5) + u8(0) + u8(0) + u32(4) + u8(6) + u8(2) + u8(2) + u32(0x10) + u32(7) +
          u8(5) + u8(3) + u8(1) + u32(0x123))
    # MSI-X control through ECAM (00:01.0, capability after the vendor cap).
    write('pci', 'ecam-msix', u8(4) + u8(1) + u32(0x8000 + 0x4a) + u16(0xc000) +
          u8(3) + u8(2) + u32(0x8000 + 0x48))
    write('pci', 'reset-port', u8(0) + u8(0x40) + u8(6))


# ---- msix ----
def msix():
    init = u8(1) + u16(4) + u8(0x40) + u32(0) + u32(0x800)
    op = lambda o, b, off: u8(o) + u8(b) + u16(off)
    write('msix', 'program-and-fire',
          init + op(0, 2, 0) + u64(0xfee00000) + op(0, 2, 8) + u64(0x41) +
          op(3, 2 | 1 << 2, 0) + u16(0x8000) + op(4, 0, 0) + u16(0) +
          op(2, 3, 0) + op(0, 2, 12) + u64(0) + op(4, 1, 0) + u16(0) +
          op(4, 0, 0) + u16(1) + op(1, 2, 8))
    write('msix', 'init-at-max', u8(0) + u16(2048) + u8(0xf4) +
          op(0, 3, 2047 * 16 + 8) + u64(0x1_0000_0000) + op(5, 2, 0) + u16(2047) +
          op(2, 3, 0xf8))
    write('msix', 'odd-sizes', init + op(0, 0x80 | 16, 0) + u64(1) + op(1, 0x80 | 3, 1) +
          op(1, 0xc0, 0) + u64(1 << 40))


# ---- msi: 256 config bytes, cap, then ops ----
def msi_cfg(cap, ctrl):
    c = bytearray(256)
    c[0x06] = 0x10
    c[0x34] = cap
    c[cap] = 0x05
    c[cap + 2:cap + 4] = u16(ctrl)
    return bytes(c)


def msi():
    # A write of n bytes at cap + k (op % 5 == 0, op >> 3 picks the size).
    wr = lambda k, n, v: u8({1: 0, 2: 10, 4: 40}[n]) + u8(k + 4) + u32(v)
    # 64-bit, per-vector masking, 32 vectors offered: enable with 8.
    write('msi', '64bit-pvm', msi_cfg(0x50, 0x0180 | 5 << 1) + u8(0x50) +
          wr(2, 2, 0x0031) + wr(4, 4, 0xfee00000) + wr(12, 2, 0x41) +
          u8(1) + u8(3) + u8(2) + u8(3) + wr(16, 4, 0xff))
    write('msi', '32bit-at-end', msi_cfg(0xf4, 0) + u8(0xf4) + wr(2, 2, 1) +
          u8(4) + u8(0))
    write('msi', 'does-not-fit', msi_cfg(0xf0, 0x0180) + u8(0xf0))


# ---- serial: op bytes ----
def serial():
    rd = lambda off: u8(off << 4 | 0)
    wr = lambda off, v: u8(off << 4 | 1) + u8(v)
    recv = lambda data: u8(3) + u16(len(data)) + data
    write('serial', 'receive-read', wr(1, 1) + recv(b'hello') + rd(2) + rd(5) +
          rd(0) * 5 + rd(5) + rd(2))
    write('serial', 'loopback', wr(4, 0x10) + wr(0, 0x41) + wr(0, 0x42) + rd(0) + rd(6) +
          wr(4, 0x0b) + wr(0, 0x43))
    write('serial', 'divisor-fifo', wr(3, 0x83) + wr(0, 1) + wr(1, 0) + rd(0) + rd(1) +
          wr(3, 3) + wr(2, 0xc7) + rd(2) + wr(7, 0x55) + rd(7))
    write('serial', 'thr-interrupt', wr(1, 2) + rd(2) + rd(2) + wr(0, 0x61) + rd(2) +
          u8(0x80 | 0 << 4) + u8(2))


# ---- acpi_pm: op (0x80 keyboard port, else 0x600 + op & 7; 0x40 write;
# size from op >> 3), then the value of that size ----
def acpi_op(port_off, size, write_, kbd=False):
    for op in range(256):
        if (op & 0x80) == (0x80 if kbd else 0) and (op & 0x40) == (0x40 if write_ else 0) \
                and (kbd or op & 7 == port_off) and 1 << ((op >> 3) % 3) == size:
            return u8(op)


def acpi_pm():
    wr = lambda off, n, v: acpi_op(off, n, True) + {1: u8, 2: u16, 4: u32}[n](v)
    rd = lambda off, n: acpi_op(off, n, False)
    # S5 poweroff: SLP_TYP 5 and SLP_EN, as a 16-bit write to PM1a_CNT
    write('acpi_pm', 's5', rd(4, 2) + wr(4, 2, 5 << 10 | 1 << 13) + rd(4, 2))
    write('acpi_pm', 'enable-bytes', wr(2, 2, 0x0120) + wr(3, 1, 0x7c) + rd(2, 2) +
          wr(0, 4, 0xffff0000) + rd(0, 4) + rd(3, 2) + rd(5, 1))
    write('acpi_pm', 'keyboard-reset', acpi_op(0, 1, True, True) + u8(0xfe) +
          acpi_op(0, 1, False, True))


# ---- acpi_hotplug: u32 slots, then ops: op (bit 7: a host call, (op >> 5)
# & 3 plug/request_unplug/cancel/power button, then the slot; else a port
# access, 0x40 write, size from op >> 3, then the port byte: 0x00 | off
# PM1, 0x40 | off GPE0, 0x80 | off hotplug) and for a write the value ----
def hp_port_op(block, off, size, write_):
    for op in range(0x80):
        if (op & 0x40) == (0x40 if write_ else 0) and 1 << ((op >> 3) % 3) == size:
            return u8(op) + u8(block | off)


def acpi_hotplug():
    wr = lambda blk, off, n, v: hp_port_op(blk, off, n, True) + {1: u8, 2: u16, 4: u32}[n](v)
    rd = lambda blk, off, n: hp_port_op(blk, off, n, False)
    call = lambda kind, slot: u8(0x80 | kind << 5) + u8(slot)
    PM1, GPE, HP = 0x00, 0x40, 0x80
    enable = wr(GPE, 2, 1, 1 << 1)
    # plug slot 5, the guest's _E01: GPE status cleared, INS read and acked
    write('acpi_hotplug', 'plug', u32(0xfffffffe) + enable + call(0, 5) + rd(GPE, 0, 1) +
          wr(GPE, 0, 1, 1 << 1) + rd(HP, 0, 4) + wr(HP, 0, 4, 1 << 5) + rd(HP, 0, 4))
    # unplug request, twice (-EBUSY), REM acked, then _EJ0 for it and others
    write('acpi_hotplug', 'unplug-eject', u32(0xfffffffe) + enable + call(1, 7) + call(1, 7) +
          rd(HP, 4, 4) + wr(HP, 4, 4, 1 << 7) + wr(GPE, 0, 1, 2) + wr(HP, 8, 4, 0xffffffff) +
          call(1, 9) + call(2, 9) + wr(HP, 8, 4, 1 << 9) + rd(HP, 12, 4))
    # the power button with PWRBTN_EN, cleared by a byte write
    write('acpi_hotplug', 'power-button', u32(0) + wr(PM1, 2, 2, 0x100) + call(3, 0) +
          rd(PM1, 0, 4) + wr(PM1, 1, 1, 1) + rd(PM1, 0, 2))
    # odd offsets and accesses running past the blocks' ends
    write('acpi_hotplug', 'edges', u32(0x00ff00f0) + call(0, 4) + call(0, 40) + rd(HP, 14, 4) +
          rd(GPE, 3, 4) + wr(GPE, 3, 4, 0xffffffff) + rd(HP, 1, 2) + rd(GPE, 8, 2) +
          wr(HP, 10, 4, 0xffffffff) + rd(HP, 20, 1))


# ---- bzimage: ram, initrd, cmdline length, then the image ----
def bzimage_image(version=0x020f, sects=1, ksize=1024, pref=0x1000000,
                  init_size=0x100000, rd_max=0x7fffffff, hdr_len=0x6a):
    setup = (sects + 1) * 512
    img = bytearray(setup + ksize)
    img[0x1f1] = sects
    img[0x1f4:0x1f8] = u32(ksize // 16)
    img[0x1fe:0x200] = u16(0xaa55)
    img[0x200] = 0xeb
    img[0x201] = hdr_len
    img[0x202:0x206] = b'HdrS'
    img[0x206:0x208] = u16(version)
    img[0x211] = 1                          # LOADED_HIGH
    img[0x22c:0x230] = u32(rd_max)
    img[0x230:0x234] = u32(0x200000)
    img[0x234] = 1
    img[0x236:0x238] = u16(1)               # XLF_KERNEL_64
    img[0x238:0x23c] = u32(2048)
    img[0x258:0x25c] = u32(pref)
    img[0x260:0x264] = u32(init_size)
    for i in range(ksize):
        img[setup + i] = (i * 7 + 3) & 0xff
    return bytes(img)


def bzimage():
    write('bzimage', 'valid-initrd', u8(16) + u8(0x88) + u16(24) + bzimage_image())
    write('bzimage', 'valid-low', u8(0) + u8(0) + u16(0) + bzimage_image(pref=0))
    write('bzimage', 'initrd-max-low', u8(32) + u8(0xff) + u16(100) +
          bzimage_image(rd_max=0x1200000))
    write('bzimage', 'long-header', u8(8) + u8(0) + u16(5) + bzimage_image(hdr_len=0xff))
    write('bzimage', 'old-protocol', u8(8) + u8(0) + u16(5) + bzimage_image(version=0x0200))


# ---- arm64_boot: ram, cpus, initrd, cmdline length, then the Image ----
def arm64_image(text_offset=0, image_size=0x20000, flags=0xa, klen=0x2000, pe=True):
    img = bytearray(klen)
    img[0x08:0x10] = u64(text_offset)
    img[0x10:0x18] = u64(image_size)
    img[0x18:0x20] = u64(flags)
    img[0x38:0x3c] = b'ARM\x64'
    for i in range(0x200, klen):
        img[i] = (i * 13 + 5) & 0xff
    if pe:                                  # EFI stub: MZ, PE header at 0x40
        img[0:2] = b'MZ'
        img[0x3c:0x40] = u32(0x40)
        img[0x40:0x44] = b'PE\0\0'
        img[0x44:0x46] = u16(0xaa64)
        img[0x46:0x48] = u16(1)
        img[0x54:0x56] = u16(0xa0)
        img[0xf8:0x100] = b'.text\0\0\0'
        img[0xf8 + 16:0xf8 + 20] = u32(klen - 0x1000)
        img[0xf8 + 20:0xf8 + 24] = u32(0x1000)
    return bytes(img)


def arm64_boot():
    write('arm64_boot', 'efi-initrd', u8(0) + u8(3) + u8(0x88) + u16(40) + arm64_image())
    write('arm64_boot', 'old-offset', u8(1) + u8(2) + u8(0) + u16(10) +
          arm64_image(text_offset=0x80000, pe=False))
    write('arm64_boot', 'pre-3.17', u8(2) + u8(1) + u8(0x90) + u16(0) +
          arm64_image(image_size=0, flags=0, pe=False))
    write('arm64_boot', 'big-endian', u8(0) + u8(1) + u8(0) + u16(0) + arm64_image(flags=1))
    write('arm64_boot', 'truncated', u8(0) + u8(1) + u8(0) + u16(0) + arm64_image()[:0x1800])


# ---- config: how byte, then the file ----
def config():
    full = (b'# example\nkernel  = /boot/vmlinuz\ninitrd  = "rd.cpio.gz"\n'
            b'cmdline = "console=ttyS0 quiet"\nmemory  = 1G\ncpus    = 2\n'
            b'console = serial\npassthrough = 0000:03:00.0,msix=off\n'
            b'stats = yes\nno-reboot = 0\n')
    write('config', 'full', u8(0) + full)
    write('config', 'relative-in-dir', u8(1) + b'kernel = bzImage\ninitrd = ../rd\n')
    write('config', 'from-file', u8(3) + full)
    write('config', 'bad-key-short-err', u8(0x10) + b'memory = 64M\nbogus = 1\n')
    write('config', 'long-path', u8(2) + b'kernel = k\n')
    write('config', 'limits', u8(0) + b'memory = 1M\n' + b'passthrough = 01:00.0\n' * 9)


def size():
    for i, s in enumerate([b'512M', b'2G', b'1GiB', b'4096K', b'1073741824B', b'16',
                           b'18446744073709551615', b'3tb', b'12Q', b'64']):
        write('size', 'size-%d' % i, s)


def bdf():
    for i, s in enumerate([b'0000:03:00.0', b'03:00.0', b'ffff:ff:1f.7',
                           b'0000:03:00.0,msix=off', b'3:0.0', b'00:20.0',
                           b'01:00.0,msix=on']):
        write('bdf', 'bdf-%d' % i, s)


# ---- vfio_config: how, 6 BAR size bytes, the KVM failure plan (u32 mask,
# u8 errno), 256 config bytes, then ops ----
def vfio_cfg(with_msi=True, with_msix=True, msi_ctrl=0x0080, io_bar=False):
    c = bytearray(256)
    c[0:4] = u32(0x15338086)
    c[0x06:0x08] = u16(0x10)
    c[0x08:0x0c] = u32(0x02000003)
    c[0x0e] = 0x80
    c[0x10:0x14] = u32(0xfe000004)
    c[0x18:0x1c] = u32(0x0000e001 if io_bar else 0)
    c[0x30:0x34] = u32(0xfe100000)
    c[0x34] = 0x40
    c[0x3c] = 0x0b
    c[0x3d] = 1
    c[0x40] = 0x01                            # PM
    c[0x41] = 0x50 if with_msi else 0x70
    c[0x42:0x44] = u16(0xc823)
    if with_msi:
        c[0x50] = 0x05
        c[0x51] = 0x70
        c[0x52:0x54] = u16(msi_ctrl)
    if with_msix:
        c[0x70] = 0x11
        c[0x71] = 0x90
        c[0x72:0x74] = u16(3)                 # 4 vectors
        c[0x74:0x78] = u32(0x2000)            # BAR0 + 0x2000
        c[0x78:0x7c] = u32(0x3000)
    c[0x90:0x94] = u32(0x00020010)            # PCIe, end of list
    return bytes(c)


def vfio_config():
    cw = lambda off, size_code, v: u8(1) + u8(size_code) + u8(off) + u32(v)
    fw = u8(7) + u8(1)
    # BAR0 (b % 6 == 0), 4 bytes (b >> 3 == 6); sel 0x10: the MSI-X table.
    table_wr = lambda off, v: u8(4) + u8(48) + u8(0x10) + u32(off) + u32(v)
    pba_rd = u8(3) + u8(48) + u8(0x70) + u32(0)
    irq = lambda vec: u8(6) + u8(1) + u16(vec)
    kvm_ok = u32(0) + u8(0)
    bars = u8(14) + u8(0) + u8(0) + u8(0) + u8(0) + u8(0) + kvm_ok
    msix_ops = (fw + cw(0x70, 2, 0x80000000) + table_wr(0, 0xfee00000) + table_wr(8, 0x41) +
                table_wr(12, 0) + irq(0) + pba_rd + table_wr(12, 1) + irq(0) + pba_rd +
                table_wr(12, 0) + u8(0) + u8(2) + u16(0x70) + u8(5) + u8(0x81) + u16(0x10))
    write('vfio_config', 'msix-device', u8(0x0a) + bars + vfio_cfg() + msix_ops)
    # The same with KVM refusing calls: all but the first (the INTx irqfd,
    # without which the device does not attach) with ENOSPC, then every
    # other one (EINVAL) with an mmap-able BAR0 whose slot may be refused.
    write('vfio_config', 'msix-kvm-refuses',
          u8(0x0a) + bars[:6] + u32(0xfffffffe) + u8(1) + vfio_cfg() + msix_ops)
    write('vfio_config', 'msix-kvm-some',
          u8(0x0a) + u8(14 + 2 * 17 | 0x20) + bars[1:6] + u32(0xaaaaaaaa) + u8(0) + vfio_cfg() +
          msix_ops)
    # MSI with 32 vectors and masking; enable 4, mask one, read pending.
    write('vfio_config', 'msi-device',
          u8(0x08) + bars + vfio_cfg(with_msix=False, msi_ctrl=0x0180 | 5 << 1) + fw +
          cw(0x54, 2, 0xfee00000) + cw(0x5c, 2, 0x41) + cw(0x60, 2, 2) +
          cw(0x50, 2, 0x00210000) + u8(6) + u8(0) + u8(1) + u8(0) + u8(2) + u16(0x64))
    # msix=off, an I/O BAR, 256-byte config space, mmap-able BAR0.
    write('vfio_config', 'msix-off-io',
          u8(0x05) + u8(14 | 0x20) + u8(0) + u8(5) + u8(0) + u8(0) + u8(0) + kvm_ok +
          vfio_cfg(io_bar=True) + fw + u8(3) + u8(2) + u8(0) + u32(4) +
          u8(4) + u8(2) + u8(0) + u32(8) + u8(0x55) + u8(0) + u8(0x84) + u16(0x100))
    write('vfio_config', 'bridge', u8(0) + bars + vfio_cfg()[:0x0e] + b'\x01')


# ---- fw_cfg: setup byte (bits 0-1 3: no DMA; bits 2-6 extra files), then
# ops; addresses are u32 codes (fwc_low/fwc_high/fwc_wrap) ----
def fwc_low(off): return u32(off + 0x40)            # 0x10000 + off
def fwc_high(off): return u32(6 << 29 | (0x100 + off))  # 4 GiB + off
def fwc_wrap(k): return u32(7 << 29 | k)            # 2^64 - 1 - k


FWC_READ, FWC_SKIP, FWC_SELECT, FWC_WRITE = 0x02, 0x04, 0x08, 0x10


def fwc_sel(key): return u8(0) + u16(key)
def fwc_sel_ref(i, wbit=False): return u8(1) + u8(i | (0x80 if wbit else 0))
def fwc_rd(n): return u8(2 | (n - 1) << 3)


def fwc_dma(at, ctl, key, length, addr, long_len=False, keep_hi=False):
    op = 4 | (0x80 if long_len else 0) | (0x40 if keep_hi else 0)
    return u8(op) + at + u8(ctl) + u16(key) + (u32 if long_len else u16)(length) + addr


def fwc_port(port, size_code, value=None):
    op = 3 | size_code << 3 | (0x80 if value is not None else 0)
    v = b'' if value is None else {0: u8, 1: u16, 2: u32}[size_code](value)
    return u8(op) + u8(port - 0x50e) + v


def fw_cfg():
    write('fw_cfg', 'signature-id-dir',
          u8(0) + fwc_sel(0) + fwc_rd(4) + fwc_rd(1) + fwc_sel(1) + fwc_rd(4) +
          fwc_sel_ref(2) + fwc_rd(32) * 4 + fwc_sel(0x8003) + fwc_rd(32) * 2)
    write('fw_cfg', 'dma-read-dir',
          u8(0) + fwc_dma(fwc_low(0x100), FWC_READ | FWC_SELECT, 0x19, 0x200, fwc_low(0x1000)) +
          fwc_dma(fwc_low(0x100), FWC_READ, 0, 0x80, fwc_high(0x10)))
    # Skip into the 5000-byte file and read past its end, then a short one.
    write('fw_cfg', 'dma-skip-read',
          u8(0) + fwc_dma(fwc_low(0x20), FWC_SKIP | FWC_SELECT, 0x23, 4990, fwc_low(0)) +
          fwc_dma(fwc_low(0x20), FWC_READ, 0, 64, fwc_low(0x2000)) + fwc_rd(4) +
          fwc_dma(fwc_low(0x20), FWC_READ | FWC_SELECT, 0x20, 19, fwc_low(0x18)) +
          fwc_sel_ref(5) + fwc_rd(2))
    write('fw_cfg', 'dma-errors',
          u8(0) + fwc_dma(fwc_low(0x40), FWC_READ | FWC_SELECT, 0x21, 0x100, fwc_wrap(0x10)) +
          fwc_dma(fwc_low(0x40), FWC_WRITE | FWC_SELECT, 0x20, 4, fwc_low(0x800)) +
          fwc_dma(fwc_low(0xfff0), FWC_READ | FWC_SELECT, 0x0, 0x20, fwc_low(0xffe8)) +
          fwc_dma(fwc_low(0xfff8), FWC_READ, 0, 4, fwc_low(0)) +
          fwc_dma(fwc_high(0x40), FWC_READ | FWC_SELECT, 0x22, 0xffffffff, fwc_high(0),
                  long_len=True) +
          fwc_dma(fwc_low(0x80), FWC_READ | FWC_SELECT, 0x8003, 60, fwc_low(0x88), keep_hi=True) +
          u8(5) + fwc_wrap(4))
    write('fw_cfg', 'no-dma',
          u8(3) + fwc_port(0x514, 2) + fwc_port(0x518, 2) + fwc_port(0x514, 0) +
          fwc_dma(fwc_low(0), FWC_READ | FWC_SELECT, 0, 4, fwc_low(0x10)) +
          fwc_sel(1) + fwc_rd(4))
    write('fw_cfg', 'many-files',
          u8(31 << 2) + fwc_dma(fwc_low(0), FWC_READ | FWC_SELECT, 0x19, 4 + 32 * 64,
                                fwc_low(0x100)) +
          fwc_sel(0x3f) + fwc_rd(8) + fwc_sel(0x40) + fwc_rd(2))
    ports = b''
    for port in range(0x50e, 0x51e):
        for sc in range(3):
            ports += fwc_port(port, sc)
    write('fw_cfg', 'odd-ports',
          u8(1) + fwc_sel(0x4000) + ports + fwc_port(0x511, 0, 0x55) + fwc_rd(4) +
          u8(7 | 1 << 3) + u8(7 | 2 << 3) + u8(7 | 0x80) + u8(0xaa) +
          fwc_port(0x510, 2, 0x20) + fwc_rd(3) + fwc_port(0x516, 2, 0x12345678))


# ---- cmos: RAM (u16, shift), CPUs (u16), host clock, then ops ----
def cmos_host(how, v):
    return u8(how) + {0: u64, 1: u32, 2: lambda x: u64(x)[:5], 3: u32}[how](v)


def cmos_head(ram_units, shift, cpus, host):
    return u16(ram_units) + u8(shift) + u16(cpus) + host


LEAP_DAY = cmos_host(3, 1709211909 - 1700000000)      # 2024-02-29 13:05:09


def c_rd(idx): return u8(3) + u8(idx)
def c_wr(idx, v): return u8(4) + u8(idx) + u8(v)
def c_tick(delta, hours=False, months=False):
    return u8(5 | (0x08 if hours else 0) | (0x10 if months else 0)) + u8(delta)


TIME = [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32]


def c_rd_time(): return b''.join(c_rd(i) for i in TIME)


def cmos():
    base = cmos_head(4095, 0, 2, LEAP_DAY)              # 256 MiB, 2 CPUs
    write('cmos', 'read-clock',
          base + c_rd_time() + c_tick(60, hours=True) + c_rd_time() + c_rd(0x0c) +
          c_rd(0x0c) + c_tick(1) + u8(1) + c_rd(0x0a) + c_rd(0x0d))
    write('cmos', 'set-time',
          base + c_wr(0x0b, 0x82) + c_tick(100) + c_rd(0) + c_wr(0, 0x00) + c_wr(2, 0x30) +
          c_wr(4, 0x08) + c_wr(7, 0x15) + c_wr(8, 0x06) + c_wr(9, 0x30) + c_rd(2) +
          c_wr(0x0b, 0x02) + c_rd_time() + c_tick(61) + c_rd_time())
    write('cmos', '12h-binary',
          base + c_wr(0x0b, 0x04) + c_rd(4) + c_wr(4, 0x87) + c_rd(4) + c_wr(0x0b, 0x84) +
          c_wr(4, 0x80 | 12) + c_wr(0x0b, 0x06) + c_rd_time() + c_wr(0x0b, 0x00) + c_rd(4) +
          c_tick(12, hours=True) + c_rd(4))
    write('cmos', 'bad-dates',
          base + c_wr(7, 0x30) + c_wr(0x32, 0x19) + c_wr(0, 0x5a) + c_wr(0x0b, 0x82) +
          c_wr(8, 0x02) + c_wr(7, 0x30) + c_wr(0x0b, 0x02) + c_rd_time() +
          c_wr(0x0b, 0x86) + c_wr(9, 99) + c_wr(0x32, 99) + c_wr(8, 12) + c_wr(7, 31) +
          c_wr(4, 23) + c_wr(2, 59) + c_wr(0, 59) + c_wr(0x0b, 0x06) + c_rd_time() +
          c_tick(1) + c_rd_time())
    write('cmos', 'nvram-memory',
          cmos_head(8191, 4, 4, LEAP_DAY) +                 # 8 GiB, 4 CPUs
          c_rd(0x15) + c_rd(0x34) + c_rd(0x5b) + c_wr(0x17, 0x12) + c_wr(0x5d, 0xff) +
          c_rd(0x97) + c_wr(0xc0, 0x5a) + c_rd(0x40) + c_wr(0x0a, 0xff) + c_rd(0x0a) +
          c_wr(0x0c, 0xff) + c_wr(0x0d, 0) + c_rd(0x0d) + c_wr(0x0b, 0x12) + c_tick(5) +
          c_rd(0x0c) + u8(7 | 1 << 3 | 1 << 5) + u8(7 | 2 << 3 | 2 << 5) +
          u8(7 | 0x80 | 1 << 3) + u8(0x5f) + u8(7 | 2 << 3) + u8(7 | 0x80 | 2 << 3) + u8(1) +
          u8(7 | 0x80 | 3 << 3) + u8(9) + u8(7 | 0x80 | 1 << 3 | 1 << 5) + u16(0x10))
    write('cmos', 'clock-extremes',
          cmos_head(0, 0, 0, cmos_host(0, 0x7fffffffffffffff)) + c_rd_time() +
          u8(6) + cmos_host(1, 12345) + c_rd_time() + c_wr(0x32, 0x20) + c_rd_time() +
          u8(6) + cmos_host(2, 253402300790) + c_rd_time() + c_tick(20) + c_rd_time() +
          c_wr(0x0b, 0x82) + c_wr(0x32, 0x99) + c_wr(9, 0x99) + c_wr(8, 0x12) +
          c_wr(7, 0x31) + c_wr(4, 0x23) + c_wr(2, 0x59) + c_wr(0, 0x59) +
          c_wr(0x0b, 0x02) + c_tick(100, months=True) + c_rd_time() +
          u8(6) + cmos_host(0, 0x8000000000000000) + c_rd_time() + c_rd(0x0c))


# ---- debugcon: output kind (0 none, 1 pipe, 2 memfd, 3 broken pipe,
# 4 read-only), then ops ----
def dc_str(data): return u8(1) + u8(len(data)) + data
def dc_run(n, b): return u8(2) + u16(n) + u8(b)
def dc_rd(port_code=0, size_code=0): return u8(3 | size_code << 2 | port_code << 4)
def dc_close(): return u8(3 | 0x80)


def dc_out(value, size_code=0, port_code=0):
    return u8(size_code << 2 | port_code << 4) + {0: u8, 1: u16, 2: u32}[size_code](value)


def debugcon():
    log = dc_str(b'SeaBIOS (version 1.16.2)\n') + dc_str(b'BUILD: gcc\n') + dc_str(b'no newline')
    write('debugcon', 'pipe-log', u8(1) + log + dc_rd() + dc_out(ord('\n')) + log)
    write('debugcon', 'memfd-full-buffer',
          u8(2) + dc_run(5000, ord('x')) + dc_str(b'\n') + dc_run(4096, ord('y')) + dc_rd(0, 2))
    write('debugcon', 'none-sizes',
          u8(0) + dc_out(0x0a41, 1) + dc_out(0x0a0a0a42, 2) + dc_out(0x43, 0, 2) +
          dc_out(0x44, 0, 3) + dc_rd(2) + dc_rd(3, 1) + dc_rd(0, 1) + dc_run(6000, 0))
    write('debugcon', 'broken-pipe', u8(3) + log + dc_run(4100, ord('z')))
    write('debugcon', 'read-only', u8(4) + log + dc_close() + log)
    write('debugcon', 'close-then-write',
          u8(1) + dc_str(b'abc\n') + dc_str(b'pending') + dc_close() + dc_str(b'more\n') +
          dc_close() + dc_rd())


# ---- qmp: ops on one client (0/1 feed LEN16 BYTES [with an fd], 2 answer a
# deferred request, 3 an event, 4 take fd f<N>, 5 hang up and reconnect) ----
def qf(data, fd=False): return u8(1 if fd else 0) + u16(len(data)) + data


CAPS = b'{"execute": "qmp_capabilities"}'


def qmp():
    echo = b'{"execute": "echo", "arguments": {"s": "x", "n": 3, "b": true, "any": [1]}, "id": 1}'
    write('qmp', 'session', qf(CAPS) + qf(echo) + qf(b'{"execute": "query-commands"}') +
          qf(b'{"execute": "fail", "id": "f"}') + u8(3) + u8(1))
    write('qmp', 'errors',
          qf(b'{"execute": "echo"}') + qf(CAPS + b'{"execute": "nope"}[1]{"execute": 1}') +
          qf(b'{"execute": "echo", "arguments": {"s": 1, "z": 2}}{"id": 2}') +
          qf(b'{"execute": nonsense}\n{"exec-oob": "echo"}') + qf(CAPS) +
          qf(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob", 1]}}'))
    split = CAPS + echo
    write('qmp', 'split', b''.join(qf(split[i:i + 7]) for i in range(0, len(split), 7)))
    write('qmp', 'deferred',
          qf(CAPS + b'{"execute": "defer", "id": [1]}{"execute": "defer"}') + u8(2) + u8(2) +
          qf(b'{"execute": "defer", "id": 3}{"execute": "event"}') + u8(5) +
          qf(CAPS + b'{"execute": "defer"}'))
    write('qmp', 'fds',
          qf(CAPS) + qf(b'{"execute": "getfd", "arguments": {"fdname": "f1"}}', True) +
          qf(b'{"execute": "getfd", "arguments": {"fdname": "f1"}}', True) +
          qf(b'{"execute": "getfd", "arguments": {"fdname": "9"}}', True) +
          qf(b'{"execute": "take", "arguments": {"name": "f1"}}') +
          qf(b'{"execute": "getfd", "arguments": {"fdname": "f2"}}', True) + u8(4) + u8(2) +
          qf(b'{"execute": "closefd", "arguments": {"fdname": "f3"}}') +
          qf(b'{"execute": "echo", "arguments": {"s": "fd"}}', True) + qf(b'{"exec', True))


# ---- exit_port: ops, an op byte (bits 0-2 port 0x4ff + n, bits 3-4 size
# 1/2/4, bits 5-6 value kind: 0 report(status), 1 report with a bit flipped,
# else raw; bit 7 read) and its operands, then a byte (0xa5: bit 32 set) ----
def ep_report(status, port=3): return u8(port | 0x10) + u8(status) + u8(0)
def ep_flip(status, bit): return u8(3 | 0x10 | 0x20) + u8(status) + u8(bit) + u8(0)
def ep_raw(port, size_code, val): return u8(port | size_code << 3 | 0x40) + u32(val) + u8(0)
def ep_read(port, size_code): return u8(0x80 | port | size_code << 3)


def exit_port():
    write('exit_port', 'report-0', ep_report(0))
    write('exit_port', 'report-137-twice', ep_read(3, 2) + ep_report(137) + ep_report(1))
    write('exit_port', 'near-misses',
          ep_flip(7, 8) + ep_flip(7, 31) + ep_report(7, port=4) + ep_raw(3, 0, 7) +
          ep_raw(3, 1, 0x5e07) + u8(3 | 0x10) + u8(9) + u8(0xa5) + ep_report(42))
    write('exit_port', 'byte-writes',
          ep_raw(3, 0, 0x00) + ep_raw(4, 0, 0x5e) + ep_raw(5, 0, 0xde) + ep_raw(6, 0, 0xc0) +
          ep_read(1, 2) + ep_read(7, 0))


# ---- snapshot_stream: a flags byte (bit 0: set a trailing end record's
# checksum), then a stream (vmm/snapshot/stream.h) for the fuzzer's machine:
# 2 MiB of RAM at 0 and 1 MiB at 4 GiB, 2 vCPUs, serial0, vcon, pt0 ----
def ss_str(s): return u8(len(s)) + s


def ss_shape(devices=None, vcpus=2):
    if devices is None:
        devices = [(b'serial0', b'serial', 0xff, b''), (b'vcon', b'virtio-console', 2, b''),
                   (b'pt0', b'vfio-mdev', 3, b'mtty-2')]
    out = u8(2) + u64(0) + u64(2 << 20) + u64(1 << 32) + u64(1 << 20) + u16(vcpus)
    out += u8(len(devices))
    for ident, kind, slot, identity in devices:
        out += ss_str(ident) + ss_str(kind) + u8(slot) + ss_str(identity)
    return out


def ss_head(shape=None, version=2):
    shape = ss_shape() if shape is None else shape
    return b'CONDSNAP' + u32(version) + u32(len(shape)) + shape


def ss_rec(rtype, index, payload): return u16(rtype) + u16(index) + u32(len(payload)) + payload


XXH_P1, XXH_P2, XXH_P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
XXH_P4, XXH_P5, XXH_M = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5, (1 << 64) - 1


def xxh64(data, seed=0):
    """XXH64 as libxxhash computes it (the stream's checksum from version 2
    on is its low 32 bits; no xxhash module for Python here)."""
    def rotl(x, r):
        return ((x << r) | (x >> (64 - r))) & XXH_M

    def rnd(acc, lane):
        return rotl((acc + lane * XXH_P2) & XXH_M, 31) * XXH_P1 & XXH_M

    def merge(h, v):
        return ((h ^ rnd(0, v)) * XXH_P1 + XXH_P4) & XXH_M

    def le(b):
        return int.from_bytes(b, 'little')

    n, i = len(data), 0
    if n >= 32:
        v = [(seed + XXH_P1 + XXH_P2) & XXH_M, (seed + XXH_P2) & XXH_M, seed,
             (seed - XXH_P1) & XXH_M]
        while i + 32 <= n:
            v = [rnd(v[k], le(data[i + 8 * k:i + 8 * k + 8])) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & XXH_M
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + XXH_P5) & XXH_M
    h = (h + n) & XXH_M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, le(data[i:i + 8])), 27) * XXH_P1 + XXH_P4) & XXH_M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (le(data[i:i + 4]) * XXH_P1 & XXH_M), 23) * XXH_P2 + XXH_P3) & XXH_M
        i += 4
    while i < n:
        h = rotl(h ^ (data[i] * XXH_P5 & XXH_M), 11) * XXH_P1 & XXH_M
        i += 1
    h ^= h >> 33
    h = h * XXH_P2 & XXH_M
    h ^= h >> 29
    h = h * XXH_P3 & XXH_M
    return h ^ (h >> 32)


def ss_end(stream):
    """The end record, summed as the header's version says (1: zlib's crc32)."""
    import zlib
    if stream[8:12] == u32(1):
        return stream + ss_rec(7, 0, u32(zlib.crc32(stream)))
    return stream + ss_rec(7, 0, u32(xxh64(stream) & 0xffffffff))


def ss_records():
    vcpu = lambda i: ss_rec(1, i, u64(0xfff0 + i) + u32(0x202) + ss_str(b'cpu%d' % i))
    irq = ss_rec(2, 0, u8(2) + u8(4) + u32(0x31) + u8(8) + u32(0x28))
    clock = ss_rec(3, 0, u64(123456789) + u64(0))
    ram_lo = ss_rec(4, 0, u64(0x1000) + bytes(range(64)))
    ram_hi = ss_rec(4, 0, u64((1 << 32) + (1 << 20) - 16) + b'\xaa' * 16)
    serial = ss_rec(5, 0, u8(0x0f) + u8(0x03) + u16(3) + b'abc')
    vcon = ss_rec(5, 1, u16(256) + ss_str(b'rx0'))
    pt = ss_rec(5, 2, bytes(range(0xa0, 0xe0)))
    data = ss_rec(6, 2, b'hello ') + ss_rec(6, 2, b'mtty')
    return vcpu(0) + vcpu(1) + irq + clock + ram_lo + ram_hi + serial + vcon + pt + data


def snapshot_stream():
    full = ss_end(ss_head() + ss_records())
    write('snapshot_stream', 'full', u8(1) + full)
    write('snapshot_stream', 'full-checksum-kept', u8(0) + full)
    write('snapshot_stream', 'vcon-state-only',
          u8(1) + ss_end(ss_head() + ss_rec(5, 1, u16(1) + ss_str(b''))))
    reordered = ss_shape([(b'pt0', b'vfio-mdev', 3, b'mtty-2'), (b'vcon', b'virtio-console', 2, b''),
                          (b'serial0', b'serial', 0xff, b'')])
    write('snapshot_stream', 'devices-reordered',
          u8(1) + ss_end(ss_head(reordered) + ss_rec(5, 0, bytes(64)) +
                         ss_rec(5, 2, u8(0) + u8(0) + u16(0))))
    write('snapshot_stream', 'truncated', u8(1) + full[:len(full) // 2])
    write('snapshot_stream', 'after-end', u8(1) + full + b'\0')
    write('snapshot_stream', 'bad-records',
          u8(1) + ss_end(ss_head() + ss_rec(3, 0, bytes(12)) + ss_rec(1, 2, bytes(8)) +
                         ss_rec(4, 0, u64((2 << 20) - 8) + bytes(16))))
    write('snapshot_stream', 'other-version', u8(1) + ss_end(ss_head(version=3)))
    write('snapshot_stream', 'version-1', u8(1) + ss_end(ss_head(version=1) + ss_records()))
    write('snapshot_stream', 'other-mdev',
          u8(1) + ss_end(ss_head(ss_shape([(b'pt0', b'vfio-mdev', 3, b'mtty-1')]))))


# ---- x86_save: a selector byte (even: vCPU state, odd: VM state), then the
# encoding of vmm/x86/vcpu_save.h or vm_save.h ----
def sec(tag, payload): return u16(tag) + u16(0) + u32(len(payload)) + payload


def vcpu_state(fpu, msrs, mp_state=3):
    regs = b''.join(u64(0x1000 * i) for i in range(18))
    seg = u64(0) + u32(0xffff) + u16(0x10) + bytes([0xb, 1, 0, 0, 1, 1, 1, 0, 0])
    sregs = seg * 8 + (u64(0x5000) + u16(0x7f)) * 2 + u64(0x80050033) + u64(0) * 4 + \
        u64(0xd01) + u64(0xfee00900) + u64(1) + u64(0) * 8
    xcrs = u32(1) + u32(0) + u32(0) + u64(7)
    events = bytes([1, 14, 1, 0]) + u32(2) + bytes([0, 0, 0, 0, 0, 1, 0]) + u32(0) + \
        u32(0xc) + bytes([0, 0, 0, 0, 0, 0]) + u64(0)
    m = u32(len(msrs)) + b''.join(u32(i) + u64(v) for i, v in msrs)
    return (u32(0x50435663) + u16(1) + u16(0) + sec(1, regs) + sec(2, sregs) +
            sec(3, fpu) + sec(4, xcrs) + sec(5, u64(0) * 6 + u64(0)) +
            sec(6, bytes(1024)) + sec(7, events) + sec(8, m) +
            sec(9, u32(mp_state) + u32(2596000)))


def vm_state(count=0x10000, flags=0xe):
    pic = bytes(range(16))
    ioapic = u64(0xfec00000) + u32(0) + u32(2 << 24) + u32(0) + \
        b''.join(u64(0x10000 | (0x30 + i)) for i in range(24))
    chan = u32(count) + u16(0) + bytes(10) + u64(0)
    return (u32(0x534d5663) + u16(1) + u16(0) + sec(1, pic) + sec(2, pic) +
            sec(3, ioapic) + sec(4, chan * 3 + u32(0)) +
            sec(5, u64(123456789) + u32(flags) + u64(1700000000000000000) + u64(99)))


def x86_save():
    legacy = u32(2) + bytes(411)
    msrs = [(0x10, 10 ** 12), (0x6e0, 10 ** 12 + 5), (0x4b564d01, 0x100001)]
    write('x86_save', 'vcpu-legacy-fpu', u8(0) + vcpu_state(legacy, msrs))
    write('x86_save', 'vcpu-xsave', u8(0) + vcpu_state(u32(1) + bytes(4096), msrs[:1]))
    write('x86_save', 'vcpu-no-msrs', u8(2) + vcpu_state(legacy, [], mp_state=1))
    write('x86_save', 'vm', u8(1) + vm_state())
    write('x86_save', 'vm-bad-pit', u8(1) + vm_state(count=0x10001))


# ---- device_state: a selector byte (modulo 7: serial, cmos, acpi_pm,
# acpi_hotplug, the PCI bus's latch, virtio-console as a PCI device, fw_cfg), then
# the state as that device's save writes it (devices/*.h) ----
def ds_serial(ier, lcr, mcr, scr, dll, dlm, fcr, thri, level, fifo):
    return (bytes([ier, lcr, mcr, scr, dll, dlm, fcr, thri, level]) + u16(len(fifo)) + fifo)


def ds_str(s): return u8(len(s)) + s


def ds_vcon_cfg(command=0, msix_ctrl=0, intx=False, line=0):
    """virtio-console's config space as virtio_pci_init and pci_bus_add
    build it (BAR0 at the 32-bit window's start), with what a guest writes."""
    c = bytearray(4096)
    c[0:4] = u16(0x1af4) + u16(0x1043)
    c[4:6] = u16(command)
    c[6] = 0x10 | (0x08 if intx else 0)
    c[8:12] = bytes([1, 0x00, 0x80, 0x07])
    c[0x10:0x14] = u32(0xc0000000)
    c[0x2c:0x30] = u16(0x1af4) + u16(3)
    c[0x34] = 0x40
    c[0x3c] = line
    c[0x3d] = 1
    c[0x40:0x4c] = bytes([0x11, 0x4c]) + u16(2 | msix_ctrl) + u32(0x4000) + u32(0x5000)
    caps = [(0x4c, 0x5c, 1, 0x0000, 0x38, False), (0x5c, 0x70, 2, 0x3000, 8, True),
            (0x70, 0x80, 3, 0x1000, 1, False), (0x80, 0x00, 4, 0x2000, 12, False)]
    for at, nxt, kind, off, length, notify in caps:
        body = bytes([0x09, nxt, 20 if notify else 16, kind, 0, 0, 0, 0]) + u32(off) + u32(length)
        if notify:
            body += u32(4)
        c[at:at + len(body)] = body
    return bytes(c)


def ds_bars(decoding):
    out = u64(0x8000) + u8(1 if decoding else 0) + u64(0xc0000000 if decoding else 0)
    return out + (u64(0) + u8(0) + u64(0)) * 6


def ds_queue(size, ready=0, desc=0, avail=0, used=0, last=0, used_idx=0, vec=0xffff):
    return (u16(size) + u8(ready) + u64(desc) + u64(avail) + u64(used) + u16(last) +
            u16(used_idx) + u16(vec))


def ds_virtio(cfg, decoding, common, queues, table, pba, pending=b''):
    return (ds_str(b'virtio-pci') + u16(4096) + cfg + ds_bars(decoding) + common +
            u8(len(queues)) + b''.join(queues) + u16(len(table)) +
            b''.join(u32(a) + u32(0) + u32(d) + u32(m) for a, d, m in table) + u64(pba) +
            u32(len(pending)) + pending + u64(0))


def ds_common(status=0, isr=0, intx=0, features=0, cfg_vec=0xffff, qsel=0):
    return (bytes([status, 0, isr, intx]) + u64(features) + u32(1) + u32(1) + u16(cfg_vec) +
            u16(qsel) + u64(0))


def device_state():
    write('device_state', 'serial-fifo',
          u8(0) + ds_serial(0x03, 0x03, 0x0b, 0x5a, 1, 0, 0xc1, 1, 1, b'ello'))
    write('device_state', 'serial-idle', u8(0) + ds_serial(0, 3, 8, 0, 0x0c, 0, 0, 0, 0, b''))
    ram = bytearray(128)
    ram[0x0a], ram[0x0b], ram[0x0d], ram[0x40] = 0x26, 0x06, 0x80, 0xab
    write('device_state', 'cmos', u8(1) + u8(0x40) + bytes(ram) + u64(252000000) +
          u64(1952000000))
    write('device_state', 'acpi-pm', u8(2) + u16(0x100) + u16(0x100) + u16(0x0c01))
    write('device_state', 'acpi-hotplug', u8(3) + u32(0xfffffffe) + u32(1 << 3) + u32(0) +
          u32(1 << 5) + u16(2) + u16(2) + u8(0))
    write('device_state', 'pci-latch', u8(4) + u32(0x80000804))
    fresh = [ds_queue(256), ds_queue(256)]
    no_vectors = [(0, 0, 1)] * 3
    write('device_state', 'virtio-fresh',
          u8(5) + ds_virtio(ds_vcon_cfg(), False, ds_common(), fresh, no_vectors, 0))
    live = [ds_queue(16, 1, 0x10000, 0x11000, 0x12000, 0, 0, 1),
            ds_queue(16, 1, 0x20000, 0x21000, 0x22000, 1, 1, 2)]
    table = [(0xfee00000, 0x40, 0), (0xfee01000, 0x41, 0), (0xfee02000, 0x42, 1)]
    write('device_state', 'virtio-msix',
          u8(5) + ds_virtio(ds_vcon_cfg(0x6, 0x80 << 8, line=17), True,
                            ds_common(0x0f, 1, 0, 1 << 32, 0, 1), live, table, 1 << 2,
                            b'typed'))
    write('device_state', 'virtio-intx',
          u8(5) + ds_virtio(ds_vcon_cfg(0x6, 0, True, 17), True,
                            ds_common(0x0f, 1, 1, 1 << 32, 0xffff, 1), live, no_vectors, 0))
    # fw_cfg: version, selected, key, offset, DMA high half (the fuzzer's
    # table has the built-in items, NB_CPUS (2 bytes) and etc/fuzz at 0x20)
    write('device_state', 'fw-cfg-file', u8(6) + u8(1) + u8(1) + u16(0x20) + u32(5) + u32(0))
    write('device_state', 'fw-cfg-none', u8(6) + u8(1) + u8(0) + u16(0) + u32(0) + u32(0x12))


for gen in (virtqueue, virtio_pci, pci, msix, msi, serial, acpi_pm, bzimage, config, size,
            bdf, vfio_config, fw_cfg, cmos, debugcon, acpi_hotplug, qmp,
            exit_port, snapshot_stream, x86_save, device_state, arm64_boot):
    gen()
