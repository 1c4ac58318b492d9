"""In-tree Kubernetes-like API server for twill's tests and lab (stdlib only, stores in etcd)."""
