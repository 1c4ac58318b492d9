#!/usr/bin/python3
"""Relay: makes the API server reachable from inside node namespaces.

The API server, etcd and kubectl run in the root namespace on 127.0.0.1; a
node namespace has its own loopback. This process opens one listening socket
per node namespace on 127.0.0.1:PORT *inside* that namespace (setns in the
main thread, bind, setns back before any thread exists), and copies bytes to
127.0.0.1:PORT in the root namespace. So the same kubeconfig URL works on the
host and on every node, the TLS certificate's 127.0.0.1 SAN stays valid, and
the lab needs no interface in the root namespace. TLS passes through untouched.

Usage: relay.py --port PORT --netns /run/netns/A [--netns ...] [--lab DIR]
Prints `READY` once every listener is bound; runs until SIGTERM.
"""

import argparse
import ctypes
import os
import signal
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def listen_in(netns_path, port):
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns_path, os.O_RDONLY)
    try:
        _setns(target)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(128)
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    return s


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        src.close()


def serve(listener, port):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        # Bytes are forwarded as they arrive, often a small TLS record at a time (headers,
        # then body): with Nagle on, the second waits for the peer's delayed ACK (~40 ms
        # per response), which the real network path to an API server does not add.
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--netns", action="append", default=[])
    ap.add_argument("--lab", help="the lab directory; only marks whose relay this is")
    args = ap.parse_args()
    listeners = [listen_in(p, args.port) for p in args.netns]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for s in listeners:
        threading.Thread(target=serve, args=(s, args.port), daemon=True).start()
    print("READY", flush=True)
    while not stop.wait(1.0):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
