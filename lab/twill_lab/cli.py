"""Command line: one verb per subcommand, each a thin wrapper over a module."""

import argparse
import json
import os
import sys
import time

from . import node_agent, pods, status, teardown
from .lab import Lab, LabError
from .sh import CommandError


def _lab(args):
    return Lab(args.lab, args.state_dir)


def cmd_up(args):
    from . import up
    up.up(_lab(args), nodes=args.nodes, topology_name=args.topology, encap=args.encap,
          bgp=args.bgp == "on", router=args.router)
    print("up: lab %r is up; `twill-lab status` shows it, `twill-lab down` removes it"
          % args.lab)


def cmd_pod_add(args):
    pod = pods.add(_lab(args), args.name, args.node, args.namespace,
                   pods.parse_labels(args.labels), pods.parse_annotations(args.annotation))
    print("pod %s/%s on %s: %s (netns %s)" % (pod["namespace"], pod["name"], pod["node"],
                                             pod["ip"], pod["netns"]))


def cmd_pod_del(args):
    pods.delete(_lab(args), args.name, args.namespace)
    print("pod %s/%s deleted" % (args.namespace, args.name))


def cmd_exec(args):
    lab = _lab(args)
    ns = pods.resolve(lab.load(), lab, args.target)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        raise LabError("exec: give a command after --")
    os.execvp("ip", ["ip", "netns", "exec", ns] + cmd)


def cmd_status(args):
    lab = _lab(args)
    state = lab.load()
    st = status.collect(lab, state, matrix=not args.no_ping)
    deadline = time.monotonic() + args.wait
    while not status.converged(st) and time.monotonic() < deadline:
        time.sleep(2)
        st = status.collect(lab, state, matrix=not args.no_ping)
    print(json.dumps(st, indent=1, sort_keys=True) if args.json else status.render(st))
    if args.wait and not status.converged(st):
        print("twill-lab: not converged after %ds: %s" % (args.wait, status.converged(st, why=True)),
              file=sys.stderr)
        return 1
    return 0


def cmd_birdc(args):
    lab = _lab(args)
    node = pods.find_node(lab.load(), args.node)
    sock = node_agent.node_paths(lab, node)["bird_sock"]
    os.execvp("ip", ["ip", "netns", "exec", node["ns"], "birdc", "-s", sock]
              + (args.args or ["show", "protocols"]))


def cmd_vtysh(args):
    lab = _lab(args)
    from . import router
    os.execvp("vtysh", ["vtysh", "--vty_socket", router.vty_dir(lab),
                        "-c", " ".join(args.args or ["show", "bgp", "summary"])])


def cmd_down(args):
    n = teardown.down(_lab(args))
    print("down: lab %r removed (%d namespaces)" % (args.lab, n))


def cmd_kubectl(args):
    lab = _lab(args)
    api = lab.load()["api"]
    from .control_plane import KUBECTL
    cache = os.path.join(os.path.dirname(api["kubeconfig"]), "kubectl-cache")
    os.execv(KUBECTL, [KUBECTL, "--kubeconfig=" + api["kubeconfig"], "--cache-dir=" + cache]
             + args.args)


def cmd_env(args):
    api = _lab(args).load()["api"]
    print("export KUBECONFIG=%s" % api["kubeconfig"])


def parser():
    ap = argparse.ArgumentParser(prog="twill-lab", description="twill cluster in a box "
                                 "(docs/lab.md)")
    ap.add_argument("--lab", default=os.environ.get("TWILL_LAB", "lab"),
                    help="lab name, 1-8 of a-z0-9 (default: $TWILL_LAB or 'lab')")
    ap.add_argument("--state-dir", default=os.environ.get("TWILL_LAB_DIR"),
                    help="lab directory (default: <repo>/.lab/<name>)")
    sub = ap.add_subparsers(dest="verb", required=True)

    p = sub.add_parser("up", help="start a lab (removing leftovers of an earlier one)")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--topology", choices=["flat", "two-subnets"], default="flat")
    p.add_argument("--encap", choices=["none", "vxlan", "crosssubnet"], default="crosssubnet")
    p.add_argument("--bgp", choices=["on", "off"], default="on")
    p.add_argument("--router", choices=["frr"], default=None)
    p.set_defaults(fn=cmd_up)

    p = sub.add_parser("pod", help="pod add|del")
    psub = p.add_subparsers(dest="pod_verb", required=True)
    a = psub.add_parser("add")
    a.add_argument("name")
    a.add_argument("--node", required=True)
    a.add_argument("--namespace", "-n", default="default")
    a.add_argument("--labels", default="")
    a.add_argument("--annotation", action="append", metavar="KEY=VALUE",
                   help="a Pod annotation, repeatable; e.g. "
                        "--annotation 'twill.dev/ipv4pools=[\"blue-pool\"]' asks IPAM for a pool")
    a.set_defaults(fn=cmd_pod_add)
    d = psub.add_parser("del")
    d.add_argument("name")
    d.add_argument("--namespace", "-n", default="default")
    d.set_defaults(fn=cmd_pod_del)

    p = sub.add_parser("exec", help="run a command in a pod's, node's or the router's netns")
    p.add_argument("target", help="[namespace/]pod, a node name, or 'router'")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_exec)

    p = sub.add_parser("status", help="nodes, pools, pods, reachability")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-ping", action="store_true", help="skip the reachability matrix")
    p.add_argument("--wait", type=int, default=0, metavar="SECONDS",
                   help="retry until every BGP session is Established and every pod reaches "
                   "every other (exit 1 if not within SECONDS)")
    p.set_defaults(fn=cmd_status)

    p = sub.add_parser("down", help="remove every namespace, process and file of the lab")
    p.set_defaults(fn=cmd_down)

    p = sub.add_parser("birdc", help="birdc on a node's BIRD (default: show protocols)")
    p.add_argument("node")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_birdc)

    p = sub.add_parser("vtysh", help="one vtysh command on the FRR router (default: show "
                       "bgp summary)")
    p.add_argument("args", nargs="*")
    p.set_defaults(fn=cmd_vtysh)

    p = sub.add_parser("kubectl", help="kubectl against the lab's API server")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_kubectl)

    p = sub.add_parser("env", help="print `export KUBECONFIG=...` for this lab")
    p.set_defaults(fn=cmd_env)
    return ap


def main(argv=None):
    args = parser().parse_args(argv)
    if os.geteuid() != 0:
        print("twill-lab: needs root (network namespaces); try sudo", file=sys.stderr)
        return 1
    try:
        rc = args.fn(args)
    except (LabError, CommandError) as e:
        print("twill-lab: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return rc or 0
