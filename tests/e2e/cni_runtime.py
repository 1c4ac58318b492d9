"""A small CNI runtime for tests: runs plugins exactly as the CNI spec says.

Parameters go in CNI_* environment variables, the network configuration on
stdin, the result or error object comes back on stdout. For a conflist the
runtime does what libcni does: each plugin gets the list's name and
cniVersion injected, the previous plugin's result as prevResult, and the
runtimeConfig entries its "capabilities" ask for; ADD runs in order, DEL in
reverse order (with the cached ADD result as prevResult from 0.4.0 on), CHECK
in order with the cached result. Results are cached in memory per
(network, container id, ifname), like libcni's cache directory.

`wrap` is a command prefix for running the plugin binary, e.g.
["ip", "netns", "exec", "<node-ns>"] so the host side of the CNI plugin is a
test "node" namespace, never the machine's real root namespace.
"""

import copy
import json
import os
import subprocess


class CniError(Exception):
    """An error object returned by a plugin (or a plugin that died)."""

    def __init__(self, code, msg, details="", stdout="", stderr="", plugin=""):
        super().__init__(f"{plugin}: CNI error {code}: {msg}" + (f" ({details})" if details else ""))
        self.code = code
        self.msg = msg
        self.details = details
        self.stdout = stdout
        self.stderr = stderr
        self.plugin = plugin


def version_at_least(version, minimum):
    def key(v):
        return tuple(int(x) for x in v.split("."))
    try:
        return key(version) >= key(minimum)
    except ValueError:
        return False


class RuntimeConf:
    """What the runtime knows about one attachment (libcni's RuntimeConf)."""

    def __init__(self, container_id, netns, ifname="eth0", args=None, capability_args=None):
        self.container_id = container_id
        self.netns = netns
        self.ifname = ifname
        self.args = dict(args or {})
        self.capability_args = dict(capability_args or {})


class CniRuntime:
    def __init__(self, cni_path, wrap=None, timeout=60):
        self.cni_path = cni_path if isinstance(cni_path, str) else ":".join(cni_path)
        self.wrap = list(wrap or [])
        self.timeout = timeout
        self.cache = {}

    # -- the protocol -------------------------------------------------------

    def find_plugin(self, plugin_type):
        for d in self.cni_path.split(":"):
            p = os.path.join(d, plugin_type)
            if d and os.path.isfile(p) and os.access(p, os.X_OK):
                return p
        raise CniError(7, f"plugin {plugin_type!r} not found in CNI_PATH {self.cni_path}",
                       plugin=plugin_type)

    def env_for(self, command, rt=None, extra_env=None):
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "CNI_COMMAND": command, "CNI_PATH": self.cni_path}
        if rt is not None:
            env["CNI_CONTAINERID"] = rt.container_id
            if rt.netns is not None:
                env["CNI_NETNS"] = rt.netns
            env["CNI_IFNAME"] = rt.ifname
            if rt.args:
                env["CNI_ARGS"] = ";".join(f"{k}={v}" for k, v in rt.args.items())
        # sanitizer settings of a test run reach sanitized plugin builds
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update(extra_env or {})
        return {k: v for k, v in env.items() if v is not None}

    def exec_raw(self, plugin_type, env, stdin_bytes):
        """Run one plugin; returns (returncode, stdout text, stderr text)."""
        path = self.find_plugin(plugin_type)
        proc = subprocess.run(self.wrap + [path], input=stdin_bytes, env=env,
                              capture_output=True, timeout=self.timeout)
        return proc.returncode, proc.stdout.decode(errors="replace"), \
            proc.stderr.decode(errors="replace")

    def exec_plugin(self, plugin_type, command, conf, rt=None, extra_env=None):
        stdin = conf if isinstance(conf, (bytes, bytearray)) else json.dumps(conf).encode()
        rc, out, err = self.exec_raw(plugin_type, self.env_for(command, rt, extra_env), stdin)
        parsed = None
        if out.strip():
            try:
                parsed = json.loads(out)
            except ValueError:
                raise CniError(999, f"plugin printed non-JSON: {out[:200]!r}", stdout=out,
                               stderr=err, plugin=plugin_type)
        if rc != 0:
            if isinstance(parsed, dict) and "code" in parsed:
                raise CniError(parsed["code"], parsed.get("msg", ""), parsed.get("details", ""),
                               out, err, plugin_type)
            raise CniError(999, f"exit status {rc} without an error object", stdout=out,
                           stderr=err, plugin=plugin_type)
        return parsed

    # -- single network configurations -----------------------------------------

    def _key(self, name, rt):
        return (name, rt.container_id, rt.ifname)

    def add(self, conf, rt, extra_env=None):
        result = self.exec_plugin(conf["type"], "ADD", conf, rt, extra_env)
        self.cache[self._key(conf.get("name"), rt)] = result
        return result

    def check(self, conf, rt, extra_env=None):
        conf = copy.deepcopy(conf)
        conf["prevResult"] = self.cache[self._key(conf.get("name"), rt)]
        return self.exec_plugin(conf["type"], "CHECK", conf, rt, extra_env)

    def delete(self, conf, rt, extra_env=None):
        conf = copy.deepcopy(conf)
        cached = self.cache.get(self._key(conf.get("name"), rt))
        if cached is not None and version_at_least(conf.get("cniVersion", "0.0.0"), "0.4.0"):
            conf["prevResult"] = cached
        self.exec_plugin(conf["type"], "DEL", conf, rt, extra_env)
        self.cache.pop(self._key(conf.get("name"), rt), None)

    def version(self, plugin_type, conf=None):
        stdin = json.dumps(conf).encode() if conf else b""
        return self.exec_plugin(plugin_type, "VERSION", stdin, None)

    def status(self, conf):
        return self.exec_plugin(conf["type"], "STATUS", conf, None)

    def gc(self, conf, valid_attachments):
        conf = copy.deepcopy(conf)
        conf["cni.dev/valid-attachments"] = valid_attachments
        return self.exec_plugin(conf["type"], "GC", conf, None)

    # -- conflists ------------------------------------------------------------

    @staticmethod
    def _plugin_conf(conflist, plugin, rt, prev_result):
        conf = copy.deepcopy(plugin)
        conf["name"] = conflist["name"]
        conf["cniVersion"] = conflist["cniVersion"]
        if prev_result is not None:
            conf["prevResult"] = prev_result
        caps = {k: v for k, v in rt.capability_args.items()
                if plugin.get("capabilities", {}).get(k)}
        if caps:
            conf["runtimeConfig"] = caps
        return conf

    def add_list(self, conflist, rt):
        prev = None
        for plugin in conflist["plugins"]:
            conf = self._plugin_conf(conflist, plugin, rt, prev)
            prev = self.exec_plugin(conf["type"], "ADD", conf, rt)
        self.cache[self._key(conflist["name"], rt)] = prev
        return prev

    def check_list(self, conflist, rt):
        cached = self.cache[self._key(conflist["name"], rt)]
        for plugin in conflist["plugins"]:
            conf = self._plugin_conf(conflist, plugin, rt, cached)
            self.exec_plugin(conf["type"], "CHECK", conf, rt)

    def del_list(self, conflist, rt):
        cached = self.cache.get(self._key(conflist["name"], rt))
        if not version_at_least(conflist["cniVersion"], "0.4.0"):
            cached = None
        for plugin in reversed(conflist["plugins"]):
            conf = self._plugin_conf(conflist, plugin, rt, cached)
            self.exec_plugin(conf["type"], "DEL", conf, rt)
        self.cache.pop(self._key(conflist["name"], rt), None)
