#!/usr/bin/env python3
"""Boots QEMU and drives its serial console: waits for text, types answers, checks the outcome.

usage: boot.py --log FILE --timeout SECONDS [--step expect:TEXT | --step send:TEXT]... -- QEMU-COMMAND...
Every step must happen in order before the timeout; QEMU is always killed at the end. Exit 0 when
all steps matched, 1 otherwise (the reason goes to stderr, the console to the log)."""
import argparse
import os
import select
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--step", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    deadline = time.monotonic() + args.timeout
    qemu = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    searched_from = 0
    result = 0
    try:
        with open(args.log, "wb") as log:
            for step in args.step:
                kind, _, text = step.partition(":")
                if kind == "send":
                    time.sleep(0.3)
                    qemu.stdin.write(text.encode().decode("unicode_escape").encode())
                    qemu.stdin.flush()
                    continue
                want = text.encode()
                while want not in seen[searched_from:]:
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
                searched_from = seen.index(want, searched_from) + len(want)
            # Let the guest finish (power off) so the log is complete; a guest left waiting at a
            # failure message never does, so this wait is short.
            finish = min(deadline, time.monotonic() + 15)
            while qemu.poll() is None and time.monotonic() < finish:
                ready, _, _ = select.select([qemu.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(qemu.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    log.write(chunk)
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
    return result


if __name__ == "__main__":
    sys.exit(main())
