#!/usr/bin/env python3
# A one-connection QMP server for the `conduit ctl` tests (tests/cli/run.sh):
# greets, answers qmp_capabilities, sends an event, then answers the
# command with its own arguments as the return value ("echo"), an error
# ("fail"), {} ("empty"), or the bytes passed with SCM_RIGHTS read back
# ("fd": {"fds": N}). Usage: fake_qmp.py SOCKET; prints "ready" once it listens.
import array
import json
import os
import socket
import sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print('ready', flush=True)
srv.settimeout(20)
conn, _ = srv.accept()
conn.settimeout(20)
conn.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, '
             b'"package": "fake"}, "capabilities": []}}\r\n')
dec = json.JSONDecoder()
buf = ''
fds = []


def messages():
    global buf
    while True:
        s = buf.lstrip()
        try:
            obj, end = dec.raw_decode(s)
            buf = s[end:]
            yield obj
            continue
        except ValueError:
            pass
        data, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array('i')
                a.frombytes(raw[:len(raw) - len(raw) % 4])
                fds.extend(a)
        if not data:
            return
        buf += data.decode()


def send(obj):
    conn.sendall(json.dumps(obj).encode() + b'\r\n')


for msg in messages():
    cmd = msg.get('execute')
    if cmd == 'qmp_capabilities':
        send({'return': {}, 'id': msg.get('id')} if 'id' in msg else {'return': {}})
        continue
    send({'timestamp': {'seconds': 1, 'microseconds': 2}, 'event': 'TEST_EVENT'})
    if cmd == 'echo':
        send({'return': msg.get('arguments', {}), 'id': msg.get('id')})
    elif cmd == 'fail':
        send({'error': {'class': 'DeviceNotFound', 'desc': "Device 'x' not found"},
              'id': msg.get('id')})
    elif cmd == 'fd':
        send({'return': {'fds': len(fds)}, 'id': msg.get('id')})
    elif cmd == 'hang':
        continue
    else:
        send({'return': {}, 'id': msg.get('id')})
    break
for fd in fds:
    os.close(fd)
conn.close()
srv.close()
os.unlink(path)
