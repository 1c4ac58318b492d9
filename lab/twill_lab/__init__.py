"""twill-lab: a multi-node twill cluster in network namespaces (docs/lab.md).

One module per concern: lab (naming, state file, lock), sh (commands and
namespaces), procs (detached processes recorded by pid + start time),
relay (API server access from node namespaces), control_plane (etcd, API
server, kubectl), topology (the node network), chart (the chart's
DaemonSet as processes), node_agent (runs them on a node), pods, names
(what twill's components call things, e.g. a pod's host veth), status,
teardown, cli.
"""
