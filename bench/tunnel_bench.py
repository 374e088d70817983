#!/usr/bin/env python3
"""Tunnel throughput: an upgraded connection (Upgrade: bench) through a proxy, 1 MiB writes.

  tunnel_bench.py backend PORT            # answers the upgrade with 101, then sinks what comes up
                                          # and sources what the client asks for
  tunnel_bench.py client HOST:PORT MIB    # upgrade, then MIB MiB up and MIB MiB down, concurrently

The same backend serves a proxy that relays the upgrade (Turnpike) and one that forwards raw TCP
(HAProxy mode tcp): both hand it the same request. The client prints seconds and MiB/s.
"""
import socket
import sys
import threading
import time

CHUNK = 1 << 20
HEAD = b"GET /bench HTTP/1.1\r\nHost: bench\r\nUpgrade: bench\r\nConnection: Upgrade\r\n\r\n"


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError("closed before the head ended")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def serve(conn):
    try:
        head, rest = read_head(conn)
        want = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"x-mib:")][0].split(b":")[1]) if b"x-mib" in head.lower() else 0
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: bench\r\nConnection: Upgrade\r\n\r\n")

        def sink():
            n = len(rest)
            while True:
                d = conn.recv(CHUNK)
                if not d:
                    break
                n += len(d)

        t = threading.Thread(target=sink, daemon=True)
        t.start()
        block = b"x" * CHUNK
        for _ in range(want):
            conn.sendall(block)
        conn.shutdown(socket.SHUT_WR)
        t.join()
    except Exception as e:
        print("backend:", e, file=sys.stderr)
    finally:
        conn.close()


def backend(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def client(target, mib):
    host, port = target.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    start = time.time()
    s.sendall(HEAD.replace(b"\r\n\r\n", b"\r\nX-MiB: %d\r\n\r\n" % mib))
    head, rest = read_head(s)
    assert b" 101 " in head.split(b"\r\n")[0], head

    def up():
        block = b"y" * CHUNK
        for _ in range(mib):
            s.sendall(block)

    t = threading.Thread(target=up)
    t.start()
    got = len(rest)
    while got < mib * CHUNK:
        d = s.recv(CHUNK)
        if not d:
            break
        got += len(d)
    t.join()
    # Half-closed only once both directions are done: with Netty 4.2.18's epoll, what a tunnel
    # still sends towards a side that half-closed can be cut (README, known limitation).
    s.shutdown(socket.SHUT_WR)
    while s.recv(CHUNK):
        pass
    took = time.time() - start
    assert got == mib * CHUNK, (got, mib * CHUNK)
    print("%.2f s, %.0f MiB/s each way" % (took, mib / took))


if __name__ == "__main__":
    if sys.argv[1] == "backend":
        backend(int(sys.argv[2]))
    else:
        client(sys.argv[2], int(sys.argv[3]))
