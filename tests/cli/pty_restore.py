#!/usr/bin/env python3
"""tests/cli/pty_restore.py - does conduit give the terminal back as it found it?

Runs conduit with its stdin and stdout on a fresh pseudo-terminal, so that it
puts the terminal in raw mode, ends it one way, and compares the terminal's
settings (termios) and file status flags afterwards with those from before.

Usage: pty_restore.py CONDUIT KERNEL HOW EXIT_CODE
  HOW is 'sigterm' (SIGTERM once the terminal is raw), 'quit' (Ctrl-A x typed
  once the terminal is raw) or 'self' (the guest in KERNEL ends by itself:
  crashes or powers off).
Prints one line saying what was wrong and exits 1, or exits 0 silently.
"""
import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios
import time

TIMEOUT = 10.0


def wait_for(pred, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def is_raw(fd):
    lflag = termios.tcgetattr(fd)[3]
    return not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)


def drain(fd):
    """Reads what the guest wrote so the pty never fills up."""
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def describe(name, a, b):
    if name == "cc":
        return "cc[%s]" % ",".join(str(i) for i, (x, y) in enumerate(zip(a, b)) if x != y)
    return "%s 0x%x -> 0x%x" % (name, a, b)


def main():
    conduit, kernel, how, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    before = termios.tcgetattr(slave)
    flags_before = fcntl.fcntl(slave, fcntl.F_GETFL)
    if is_raw(slave):
        print("the new pty is raw already: nothing to compare")
        return 1
    err_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pty_restore.%d.err" % os.getpid())
    with open(err_path, "w+") as err:
        p = subprocess.Popen([conduit, "--kernel", kernel, "--memory", "64M",
                              "--console", "serial", "-v"],
                             stdin=slave, stdout=slave, stderr=err)
        problem = run_case(p, master, slave, how, err_path)
        if p.poll() is None:
            p.kill()
        code = p.wait()
        drain(master)
        err.seek(0)
        log = err.read()
    os.unlink(err_path)
    if not problem and code != want:
        problem = "exit %d, want %d" % (code, want)
    if not problem and "guest started" not in log:
        problem = "the guest never started"
    if not problem and "raw mode" in log:
        problem = "conduit could not make the terminal raw"
    after = termios.tcgetattr(slave)
    if not problem and after != before:
        names = ["iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc"]
        diff = [n for n, a, b in zip(names, before, after) if a != b]
        problem = "termios differs after exit: " + ", ".join(
            describe(n, before[names.index(n)], after[names.index(n)]) for n in diff)
    if not problem and fcntl.fcntl(slave, fcntl.F_GETFL) != flags_before:
        problem = "file status flags 0x%x -> 0x%x" % (flags_before,
                                                      fcntl.fcntl(slave, fcntl.F_GETFL))
    if problem:
        print("%s; stderr: %s" % (problem, log[:300].replace("\n", " | ")))
        return 1
    return 0


def run_case(p, master, slave, how, err_path):
    """Ends conduit the HOW way; returns what went wrong, or None."""
    if how == "self":
        if not wait_for(lambda: p.poll() is not None):
            return "still running %g s after start" % TIMEOUT
        return None
    if not wait_for(lambda: is_raw(slave) or p.poll() is not None):
        return "the terminal never went raw"
    if p.poll() is not None:
        return "conduit ended early"
    # raw is set before the vCPUs start: wait for the guest too
    if not wait_for(lambda: "guest started" in open(err_path).read()):
        return "the guest never started"
    if how == "sigterm":
        p.send_signal(signal.SIGTERM)
    elif how == "quit":
        os.write(master, b"\x01x")
    else:
        return "unknown case " + how
    if not wait_for(lambda: (drain(master), p.poll())[1] is not None):
        return "still running %g s after %s" % (TIMEOUT, how)
    return None


if __name__ == "__main__":
    sys.exit(main())
