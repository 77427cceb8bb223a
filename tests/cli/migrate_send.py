#!/usr/bin/env python3
"""tests/cli/migrate_send.py - a hostile live-migration source for
`conduit --incoming` (tests/cli/run.sh): connects to URI (unix:PATH or
tcp:HOST:PORT, retrying for up to 10 s while the destination starts) and
sends the snapshot FILE whole or spoiled in one way, or nothing.

usage: migrate_send.py URI MODE [FILE]
modes: whole      the stream as it is (the control: it must load)
       truncate   the first half of it, then hang up
       crc        one byte of the first ram record's payload flipped
       version    the header's version set to 99
       recsize    the first ram record's length set to 2 GiB
       devsize    the first device-state record one byte longer (a byte
                  more after it)
       devindex   the first device-state record's index set to 200
       rectype    the first record's type set to 99
       hangup     connect, send nothing, close
       silent     connect, send nothing, wait until killed
"""
import socket
import struct
import sys
import time

REC_HDR = 8


def records(b):
    """(offset, type, index, length) of each record of stream b."""
    shape_len = struct.unpack_from('<I', b, 12)[0]
    off = 16 + shape_len
    while off + REC_HDR <= len(b):
        t, i, n = struct.unpack_from('<HHI', b, off)
        yield off, t, i, n
        off += REC_HDR + n


def first(b, rtype):
    for off, t, i, n in records(b):
        if t == rtype:
            return off, n
    sys.exit('migrate_send: no record of type %d in the stream' % rtype)


def spoil(mode, b):
    b = bytearray(b)
    if mode == 'truncate':
        return bytes(b[:len(b) // 2])
    if mode == 'crc':
        off, n = first(b, 4)                      # ram: u64 gpa, then bytes
        b[off + REC_HDR + n - 1] ^= 0x5a
    elif mode == 'version':
        struct.pack_into('<I', b, 8, 99)
    elif mode == 'recsize':
        off, n = first(b, 4)
        struct.pack_into('<I', b, off + 4, 1 << 31)
    elif mode == 'devsize':
        off, n = first(b, 5)
        struct.pack_into('<I', b, off + 4, n + 1)
        b[off + REC_HDR + n:off + REC_HDR + n] = b'\0'
    elif mode == 'devindex':
        off, n = first(b, 5)                      # device-state
        struct.pack_into('<H', b, off + 2, 200)
    elif mode == 'rectype':
        off, t, i, n = next(records(b))
        struct.pack_into('<H', b, off, 99)
    elif mode != 'whole':
        sys.exit('migrate_send: unknown mode ' + mode)
    return bytes(b)


def connect(uri):
    end = time.monotonic() + 10
    while True:
        try:
            if uri.startswith('unix:'):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(uri[5:])
            else:
                host, port = uri[4:].rsplit(':', 1)
                s = socket.create_connection((host, int(port)))
            return s
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def main():
    uri, mode = sys.argv[1], sys.argv[2]
    s = connect(uri)
    if mode == 'silent':
        while True:
            time.sleep(60)
    if mode != 'hangup':
        with open(sys.argv[3], 'rb') as f:
            data = spoil(mode, f.read())
        try:
            s.sendall(data)
        except OSError:
            pass                # the destination refused it and closed
    s.close()


if __name__ == '__main__':
    main()
