"""Resource types: the built-in table and ResourceType objects built from CRDs.

Contract: ResourceType describes one served group/version/resource (kind, scope, verbs,
short names, printer columns, and for custom resources the version's openAPIV3Schema).
BUILTINS lists the built-in types; from_crd(crd) returns one ResourceType per served
version of a CustomResourceDefinition (raises ValueError on a CRD too broken to serve).
Built-in objects are stored schemaless; only their field selectors are restricted like kube.
"""

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
COMMON_FIELDS = {"metadata.name", "metadata.namespace"}


class ResourceType:
    def __init__(self, group, version, plural, kind, namespaced, singular=None, short_names=(),
                 categories=(), schema=None, columns=None, fields=(), status_subresource=False,
                 crd_name=None):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.singular = singular or kind.lower()
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.schema = schema  # None: stored schemaless
        self.columns = columns or []  # additionalPrinterColumns
        self.fields = COMMON_FIELDS | set(fields)
        self.status_subresource = status_subresource
        self.crd_name = crd_name

    @property
    def group_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def storage_id(self):
        # All versions of one resource share storage (no conversion is ever needed here).
        return "%s/%s" % (self.group or "core", self.plural)

    def discovery_entry(self):
        e = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
             "kind": self.kind, "verbs": VERBS}
        if self.short_names:
            e["shortNames"] = self.short_names
        if self.categories:
            e["categories"] = self.categories
        return e


def _b(group, version, plural, kind, namespaced, short=(), fields=(), cats=(), status=False):
    return ResourceType(group, version, plural, kind, namespaced, short_names=short,
                        fields=fields, categories=cats, status_subresource=status)


BUILTINS = [
    _b("", "v1", "namespaces", "Namespace", False, ["ns"], ["status.phase"], status=True),
    _b("", "v1", "nodes", "Node", False, ["no"], ["spec.unschedulable"], status=True),
    _b("", "v1", "pods", "Pod", True, ["po"],
       ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
       ["all"], status=True),
    _b("", "v1", "secrets", "Secret", True, (), ["type"]),
    _b("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    _b("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    _b("", "v1", "services", "Service", True, ["svc"], cats=["all"], status=True),
    _b("", "v1", "endpoints", "Endpoints", True, ["ep"]),
    _b("", "v1", "events", "Event", True, ["ev"],
       ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]),
    _b("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"]),
    _b("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _b("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _b("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _b("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _b("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _b("coordination.k8s.io", "v1", "leases", "Lease", True),
    _b("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], cats=["all"], status=True),
    _b("apps", "v1", "deployments", "Deployment", True, ["deploy"], cats=["all"], status=True),
    _b("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
       False, ["crd", "crds"], status=True),
]


def from_crd(crd):
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not group or not plural or not kind:
        raise ValueError("spec.group, spec.names.plural and spec.names.kind are required")
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise ValueError('spec.scope: Unsupported value: "%s"' % scope)
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served", True) or not v.get("name"):
            continue
        schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or \
            {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        out.append(ResourceType(
            group, v["name"], plural, kind, scope == "Namespaced",
            singular=names.get("singular") or kind.lower(),
            short_names=names.get("shortNames") or (),
            categories=names.get("categories") or (),
            schema=schema, columns=v.get("additionalPrinterColumns") or [],
            status_subresource="status" in ((v.get("subresources") or {})),
            crd_name=(crd.get("metadata") or {}).get("name")))
    if not out:
        raise ValueError("spec.versions: at least one served version is required")
    return out
