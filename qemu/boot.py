#!/usr/bin/env python3
"""Boots QEMU and drives its serial console: waits for text, types answers, checks the outcome.

usage: boot.py --log FILE --timeout SECONDS [--monitor SOCKET] [--stop-at-end]
               [--step expect:TEXT | --step send:TEXT | --step keys:KEY... | --step hmp:COMMAND]...
               -- QEMU-COMMAND...
send: types TEXT on the serial console. keys: presses keyboard keys, named as QEMU's sendkey names
them ("z", "shift-a", "slash", "ret"), through the human monitor at SOCKET (QEMU started with
-monitor unix:SOCKET,server=on,wait=off): they reach the guest as a PS/2 keyboard's scancodes.
hmp: gives COMMAND to that monitor as it is (a disk plugged in late: drive_add, device_add).
Every step must happen in order before the timeout; QEMU is always killed at the end. After the
last step the guest is given time to power off, so the log holds what it printed on the way;
--stop-at-end stops it at once (a real system's shutdown, which is not under test). Exit 0 when
all steps matched, 1 otherwise (the reason goes to stderr, the console to the log)."""
import argparse
import os
import re
import select
import socket
import subprocess
import sys
import time


def monitor_connect(path, deadline):
    while True:
        try:
            mon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            mon.connect(path)
            return mon
        except OSError:
            mon.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def monitor_command(mon, command):
    mon.sendall(f"{command}\n".encode())
    time.sleep(0.15)
    try:  # the monitor's echo is of no interest, but must not fill the socket
        while mon.recv(4096, socket.MSG_DONTWAIT):
            pass
    except BlockingIOError:
        pass


def press_keys(mon, keys):
    for key in keys.split():
        monitor_command(mon, f"sendkey {key}")


# Kernel messages that arrive while a line of ours is half written (a prompt waiting for its
# answer, a line still draining through the UART) are printed in the middle of it, often several
# in a burst. Matching skips such runs, so a line split by them still matches; messages at the
# start of a line (the kernel's own, unlock's rd.debug lines) stay.
KERNEL_LINE_INSIDE_LINE = re.compile(rb"(?<=[^\n])(?:\[ *\d+\.\d+\] [^\n]*\n)+")


def console_text(seen):
    return KERNEL_LINE_INSIDE_LINE.sub(b"", seen)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--monitor")
    parser.add_argument("--stop-at-end", action="store_true")
    parser.add_argument("--step", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    deadline = time.monotonic() + args.timeout
    qemu = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    searched_from = 0
    result = 0
    mon = None
    try:
        with open(args.log, "wb") as log:
            for step in args.step:
                kind, _, text = step.partition(":")
                if kind == "send":
                    time.sleep(0.3)
                    qemu.stdin.write(text.encode().decode("unicode_escape").encode())
                    qemu.stdin.flush()
                    continue
                if kind in ("keys", "hmp"):
                    time.sleep(0.3)
                    mon = mon or monitor_connect(args.monitor, deadline)
                    if kind == "keys":
                        press_keys(mon, text)
                    else:
                        monitor_command(mon, text)
                    continue
                want = text.encode()
                while want not in console_text(seen)[searched_from:]:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        print(f"boot.py: timed out waiting for {text!r}", file=sys.stderr)
                        return 1
                    ready, _, _ = select.select([qemu.stdout], [], [], min(left, 1.0))
                    if ready:
                        chunk = os.read(qemu.stdout.fileno(), 65536)
                        if not chunk:
                            print(f"boot.py: QEMU exited before {text!r}", file=sys.stderr)
                            return 1
                        seen += chunk
                        log.write(chunk)
                        log.flush()
                searched_from = console_text(seen).index(want, searched_from) + len(want)
            # Let the guest finish (power off) so the log is complete; a guest left waiting at a
            # failure message never does: stop once it has been quiet for a few seconds.
            finish = time.monotonic() if args.stop_at_end else min(deadline, time.monotonic() + 15)
            quiet_until = time.monotonic() + 3
            while qemu.poll() is None and time.monotonic() < min(finish, quiet_until):
                ready, _, _ = select.select([qemu.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(qemu.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    log.write(chunk)
                    quiet_until = time.monotonic() + 3
    finally:
        if mon:
            mon.close()
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
    return result


if __name__ == "__main__":
    sys.exit(main())
