#!/usr/bin/python3
"""Entry point of the twill test API server.

Usage: run.py --etcd-endpoint http://127.0.0.1:2379 --state-dir DIR [--port 0]
              [--bind 127.0.0.1] [--san IP|DNS]... [--etcd-prefix /registry]
              [--tokens FILE] [--tls-cert F --tls-key F --ca-cert F]

Writes into DIR (unless given existing files): ca.crt/ca.key and server.crt/server.key
(made with the openssl CLI; SANs 127.0.0.1, localhost and every --san), admin.token and
tokens.csv (`token,user` lines), kubeconfig (server, CA data, token, current-context),
requests.log (one JSON line per request). Prints `READY https://HOST:PORT` once listening,
then serves until SIGTERM/SIGINT and exits 0. Exits 1 with a message on start-up errors.
"""

import argparse
import base64
import ipaddress
import os
import secrets
import signal
import ssl
import subprocess
import sys
import threading

if __package__ in (None, ""):  # run as a script: make `tests.apiserver` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    __package__ = "tests.apiserver"

from tests.apiserver.etcdclient import EtcdClient, EtcdError  # noqa: E402
from tests.apiserver.registry import Registry  # noqa: E402
from tests.apiserver.server import ApiServer  # noqa: E402


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certs(state_dir, sans):
    """CA + serving certificate for 127.0.0.1/localhost and the extra SANs."""
    ca_crt, ca_key = os.path.join(state_dir, "ca.crt"), os.path.join(state_dir, "ca.key")
    crt, key = os.path.join(state_dir, "server.crt"), os.path.join(state_dir, "server.key")
    if not (os.path.exists(ca_crt) and os.path.exists(ca_key)):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "3650",
                 "-subj", "/CN=twill-test-ca")
    alt = ["IP:127.0.0.1", "DNS:localhost"]
    for s in sans:
        try:
            ipaddress.ip_address(s)
            alt.append("IP:" + s)
        except ValueError:
            alt.append("DNS:" + s)
    csr = os.path.join(state_dir, "server.csr")
    ext = os.path.join(state_dir, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                "keyUsage=digitalSignature,keyEncipherment\n" % ",".join(dict.fromkeys(alt)))
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=twill-test-apiserver")
    _openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
             "-out", crt, "-days", "3650", "-extfile", ext)
    os.unlink(csr)
    os.unlink(ext)
    return ca_crt, crt, key


def load_tokens(path):
    tokens = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [x.strip() for x in line.split(",")]
            if len(fields) >= 2 and fields[0]:
                tokens[fields[0]] = fields[1]
    return tokens


class TokenFile:
    """token -> user from a tokens file, re-read whenever the file changes, so a test can
    rotate a token (revoke the old one) while clients run. kube-apiserver's static token
    file is not reloaded; this is test infrastructure for token-rotation tests. `always`
    holds tokens valid whatever the file says (the admin's)."""

    def __init__(self, path, always):
        self.path, self.always = path, dict(always)
        self._stamp, self._tokens = None, {}
        self._lock = threading.Lock()

    def get(self, token, default=None):
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._tokens = load_tokens(self.path) if stamp else {}
                self._stamp = stamp
            user = self._tokens.get(token)
        return user if user is not None else self.always.get(token, default)


def write_kubeconfig(path, url, ca_file, token, user="admin"):
    ca = base64.b64encode(open(ca_file, "rb").read()).decode()
    # JSON is valid YAML, and needs no YAML library here.
    import json
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "twill-test",
           "clusters": [{"name": "twill-test", "cluster": {"server": url,
                                                            "certificate-authority-data": ca}}],
           "users": [{"name": user, "user": {"token": token}}],
           "contexts": [{"name": "twill-test", "context": {"cluster": "twill-test", "user": user}}],
           "preferences": {}}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="twill test API server")
    ap.add_argument("--etcd-endpoint", required=True)
    ap.add_argument("--etcd-prefix", default="/registry")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6443)
    ap.add_argument("--san", action="append", default=[])
    ap.add_argument("--tokens", help="token,user lines (default: STATE/tokens.csv, created)")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--ca-cert")
    ap.add_argument("--bookmark-interval", type=float, default=10.0)
    args = ap.parse_args(argv)

    os.makedirs(args.state_dir, exist_ok=True)
    sd = args.state_dir
    try:
        if args.tls_cert and args.tls_key:
            crt, key = args.tls_cert, args.tls_key
            ca_crt = args.ca_cert or crt
        else:
            sans = list(args.san)
            if args.bind not in ("127.0.0.1", "0.0.0.0", "::", "localhost"):
                sans.append(args.bind)
            ca_crt, crt, key = make_certs(sd, sans)
        token_path = os.path.join(sd, "admin.token")
        tokens_file = args.tokens or os.path.join(sd, "tokens.csv")
        if not os.path.exists(token_path):
            with open(token_path, "w") as f:
                f.write(secrets.token_hex(24) + "\n")
        admin_token = open(token_path).read().strip()
        if not args.tokens and not os.path.exists(tokens_file):
            with open(tokens_file, "w") as f:
                f.write("%s,admin\n" % admin_token)
        tokens = TokenFile(tokens_file, {admin_token: "admin"})

        etcd = EtcdClient(args.etcd_endpoint)
        registry = Registry(etcd, args.etcd_prefix)
        registry.bootstrap()

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(crt, key)
        ctx.set_alpn_protocols(["http/1.1"])
        server = ApiServer((args.bind, args.port), registry, ctx, tokens,
                           os.path.join(sd, "requests.log"),
                           bookmark_interval=args.bookmark_interval)
    except (OSError, subprocess.CalledProcessError, EtcdError, ValueError) as e:
        detail = getattr(e, "stderr", b"") or b""
        print("apiserver: start-up failed: %s %s" % (e, detail.decode(errors="replace")),
              file=sys.stderr)
        return 1

    port = server.server_address[1]
    host = args.bind if args.bind not in ("0.0.0.0", "::") else "127.0.0.1"
    url = "https://%s:%d" % (host, port)
    write_kubeconfig(os.path.join(sd, "kubeconfig"), url, ca_crt, admin_token)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("READY " + url, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
