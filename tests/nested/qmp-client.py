#!/usr/bin/env python3
# tests/nested/qmp-client.py - a scripted QMP session over QEMU's own client
# (qemu.qmp.QMPClient from QEMU's source, scripts/fetch-qemu-qmp.sh), for the
# QMP cases (cases-qmp.sh) and the QMP benchmark (cases-bench-qmp.sh) in L1.
# Owns: connecting (the greeting and qmp_capabilities are QMPClient's),
# running the commands it reads on stdin one a line, printing every reply and
# every event as it arrives. Works against conduit's --api-socket and QEMU's
# -qmp alike.
#
#   qmp-client.py SOCKET <commands >log
#
# Input lines (blank and '#' lines ignored):
#   CMD [key=value ...]   execute CMD; a value that parses as JSON (numbers,
#                         true/false, {...}) is that, else a string (qmp-shell's rule)
#   CMD {json}            execute CMD with these arguments
#   wait-event NAME SECS  until an event NAME has arrived since the last
#                         command was sent
#   mark-file PATH        remember PATH's size (a VMM's output file)
#   wait-file PATH REGEX SECS   until a whole line matching REGEX appears in
#                         PATH after the mark (L2's markers, for timing)
#   send-fd PATH          open PATH and send its fd (SCM_RIGHTS) before the
#                         next command (for getfd)
#   bench N CMD           execute CMD N times, print the round-trip times
#   timed CMD [ARGS]      execute CMD as above, then print how long its
#                         reply took (QMP-TIMED; the benchmarks)
#   wait-query CMD KEY V1|V2.. SECS   execute CMD every 10 ms until its
#                         reply's KEY is one of the values (query-migrate
#                         status completed|failed); these polls are not
#                         "the last command" of the ms= figures
#   sleep SECS
#   end                   disconnect and end (so does end of input)
# Output lines (each flushed):
#   QMP-GREETING {json}          QMP-RETURN CMD {json}       QMP-ERROR CMD CLASS: DESC
#   QMP-EVENT NAME {data}        QMP-WAITED NAME ms=MS       QMP-WAIT-TIMEOUT NAME
#   QMP-FILE-MATCHED ms=MS LINE  QMP-FILE-TIMEOUT REGEX
#   (MS: milliseconds from sending the last command to the event or line)
#   QMP-BENCH CMD n=N p50=MS p99=MS max=MS   (milliseconds, 3 decimals)
#   QMP-TIMED CMD ms=MS at=EPOCHMS up=UPMS {json}
#   QMP-QUERY CMD ms=MS at=EPOCHMS up=UPMS {json}
#   QMP-QUERY-TIMEOUT CMD {json of the last reply}
#   (at=: the wall clock in ms since the epoch, as `date +%s%N` / 10^6
#   gives it; up=: ms since boot, as /proc/uptime gives it, for a busybox
#   date without %N: the runner's now_ms takes whichever it can)
#   QMP-CLOSED (the server went away)        QMP-CONNECT-ERROR MESSAGE (exit 2)
#   QMP-DONE (input ended, disconnected)
# Exit code: 0, or 2 when it could not connect.
# QMP_CONNECT_WAIT=SECS: print QMP-WAITING once started, then try to connect
# every 5 ms for up to SECS (a client ready before its VMM is launched).
import asyncio
import json
import os
import re
import sys
import time

from qemu.qmp import EventListener, ExecuteError, QMPClient


def out(*words):
    print(*words, flush=True)


def stamp():
    return 'at=%d up=%d' % (time.time() * 1000, time.clock_gettime(time.CLOCK_BOOTTIME) * 1000)


def parse_args(words):
    if words and words[0].startswith('{'):
        return json.loads(' '.join(words))
    args = {}
    for w in words:
        k, _, v = w.partition('=')
        try:
            args[k] = json.loads(v)
        except ValueError:
            args[k] = v
    return args


async def execute(client, cmd, args):
    try:
        ret = await client.execute(cmd, args or None)
        out('QMP-RETURN', cmd, json.dumps(ret, sort_keys=True))
        return True
    except ExecuteError as e:
        out('QMP-ERROR', cmd, '%s: %s' % (e.error_class, e.error.error.desc))
    except Exception as e:  # the connection went away, a protocol error
        out('QMP-ERROR', cmd, '%s: %s' % (type(e).__name__, e))
    return False


async def main():
    sock = sys.argv[1]
    seen = {}
    stamps = {}
    arrived = asyncio.Event()
    wait = float(os.environ.get('QMP_CONNECT_WAIT', '0'))
    deadline = time.monotonic() + wait
    if wait > 0:
        out('QMP-WAITING')
    while True:
        client = QMPClient('qmp-client')
        listener = EventListener()
        client.register_listener(listener)
        try:
            await client.connect(sock)
            break
        except Exception as e:
            if time.monotonic() < deadline:
                await asyncio.sleep(0.005)
                continue
            out('QMP-CONNECT-ERROR', '%s: %s' % (type(e).__name__, e))
            return 2
    out('QMP-GREETING', json.dumps(client.greeting._asdict() if hasattr(client.greeting, '_asdict')
                                   else dict(client.greeting), sort_keys=True))

    async def events():
        async for ev in listener:
            name = ev['event']
            seen[name] = seen.get(name, 0) + 1
            stamps[name] = time.monotonic()
            out('QMP-EVENT', name, json.dumps(ev.get('data', {}), sort_keys=True))
            arrived.set()

    async def watch_close():
        while True:
            state = await client.runstate_changed()
            if state.name in ('DISCONNECTING', 'IDLE'):
                out('QMP-CLOSED')
                return

    ev_task = asyncio.create_task(events())
    close_task = asyncio.create_task(watch_close())
    loop = asyncio.get_running_loop()
    pending_fd = None
    sent = {'t': time.monotonic(), 'seen': {}}
    marks = {}
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        words = line.split()
        if not words or words[0].startswith('#'):
            continue
        op = words[0]
        if op == 'end':
            break
        if op == 'sleep':
            await asyncio.sleep(float(words[1]))
        elif op == 'wait-event':
            name, secs = words[1], float(words[2])
            deadline = time.monotonic() + secs
            before = sent['seen'].get(name, 0)
            while seen.get(name, 0) <= before and time.monotonic() < deadline:
                arrived.clear()
                try:
                    await asyncio.wait_for(arrived.wait(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    pass
            if seen.get(name, 0) > before:
                out('QMP-WAITED', name, 'ms=%.1f' % ((stamps[name] - sent['t']) * 1000))
            else:
                out('QMP-WAIT-TIMEOUT', name)
        elif op == 'mark-file':
            marks[words[1]] = os.path.getsize(words[1])
        elif op == 'wait-file':
            path, rx, secs = words[1], re.compile(words[2]), float(words[3])
            deadline = time.monotonic() + secs
            hit = None
            while hit is None and time.monotonic() < deadline:
                with open(path, 'rb') as f:
                    f.seek(marks.get(path, 0))
                    text = f.read().decode('utf-8', 'replace')
                # Whole lines only: the guest may be halfway through one.
                text = text[:text.rfind('\n') + 1]
                for ln in text.splitlines():
                    if rx.search(ln):
                        hit = ln.strip()
                        break
                if hit is None:
                    await asyncio.sleep(0.01)
            if hit is None:
                out('QMP-FILE-TIMEOUT', words[2])
            else:
                out('QMP-FILE-MATCHED', 'ms=%.1f' % ((time.monotonic() - sent['t']) * 1000), hit)
        elif op == 'send-fd':
            pending_fd = os.open(words[1], os.O_RDWR)
            client.send_fd_scm(pending_fd)
        elif op == 'bench':
            n, cmd = int(words[1]), words[2]
            args = parse_args(words[3:])
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                await client.execute(cmd, args or None)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out('QMP-BENCH', cmd, 'n=%d p50=%.3f p99=%.3f max=%.3f' %
                (n, times[n // 2], times[min(n - 1, (n * 99) // 100)], times[-1]))
        elif op == 'timed':
            sent['t'] = time.monotonic()
            sent['seen'] = dict(seen)
            try:
                ret = await client.execute(words[1], parse_args(words[2:]) or None)
                t = time.monotonic()
                out('QMP-TIMED', words[1], 'ms=%.1f' % ((t - sent['t']) * 1000), stamp(),
                    json.dumps(ret, sort_keys=True))
            except ExecuteError as e:
                out('QMP-ERROR', words[1], '%s: %s' % (e.error_class, e.error.error.desc))
            except Exception as e:
                out('QMP-ERROR', words[1], '%s: %s' % (type(e).__name__, e))
        elif op == 'wait-query':
            cmd, key, want, secs = words[1], words[2], words[3].split('|'), float(words[4])
            deadline = time.monotonic() + secs
            ret = None
            while True:
                try:
                    ret = await client.execute(cmd)
                except Exception as e:
                    ret = {'error': '%s: %s' % (type(e).__name__, e)}
                if isinstance(ret, dict) and str(ret.get(key)) in want:
                    out('QMP-QUERY', cmd, 'ms=%.1f' % ((time.monotonic() - sent['t']) * 1000), stamp(),
                        json.dumps(ret, sort_keys=True))
                    break
                if time.monotonic() >= deadline:
                    out('QMP-QUERY-TIMEOUT', cmd, json.dumps(ret, sort_keys=True))
                    break
                await asyncio.sleep(0.01)
        else:
            sent['t'] = time.monotonic()
            sent['seen'] = dict(seen)
            await execute(client, op, parse_args(words[1:]))
            if pending_fd is not None:
                os.close(pending_fd)
                pending_fd = None
    close_task.cancel()
    try:
        await client.disconnect()
    except Exception as e:
        out('QMP-DISCONNECT-ERROR', '%s: %s' % (type(e).__name__, e))
    ev_task.cancel()
    out('QMP-DONE')
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
