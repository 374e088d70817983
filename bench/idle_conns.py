#!/usr/bin/env python3
"""Opens N keep-alive connections to HOST:PORT, sends one GET on each and reads its reply, holds
them all idle for HOLD seconds, then sends a second GET on each: every connection must still be
open and answer 200. Prints one line of counts; exits 1 on any failure.

    idle_conns.py HOST PORT N HOLD [READY_FILE]

READY_FILE, when given, is created once all N are open and idle (the caller measures memory then)
and the hold starts; the script waits HOLD seconds after that.
"""
import selectors, socket, sys, time

host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ready = sys.argv[5] if len(sys.argv) > 5 else None
REQ = ("GET / HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port)).encode()


def round_trip(socks, label):
    """One request on every socket, BATCH at a time; returns how many got a whole 200 reply."""
    ok = 0
    BATCH = 500
    for start in range(0, len(socks), BATCH):
        sel = selectors.DefaultSelector()
        pending = {}
        for s in socks[start:start + BATCH]:
            try:
                s.sendall(REQ)
            except OSError:
                continue
            sel.register(s, selectors.EVENT_READ)
            pending[s] = b""
        deadline = time.time() + 30
        while pending and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    del pending[s]
                    continue
                buf = pending[s] + data
                head, sep, body = buf.partition(b"\r\n\r\n")
                if sep:
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            length = int(v.strip())
                    if len(body) >= length:
                        if head.startswith(b"HTTP/1.1 200"):
                            ok += 1
                        sel.unregister(s)
                        del pending[s]
                        continue
                pending[s] = buf
        sel.close()
    return ok


socks = []
refused = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((host, port))
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
first = round_trip(socks, "first")
if ready:
    open(ready, "w").close()
time.sleep(hold)
second = round_trip(socks, "second")
print("connections=%d refused=%d first_ok=%d after_hold_ok=%d hold=%.0fs" % (len(socks), refused, first, second, hold))
for s in socks:
    s.close()
sys.exit(0 if refused == 0 and first == n and second == n else 1)
