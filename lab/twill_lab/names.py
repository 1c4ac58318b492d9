"""Names twill's components give things, for the lab, tests and benches to find them."""

import hashlib


def host_veth(namespace, name):
    """twill-cni's host-side veth of a pod: "tw" + the first 11 hex characters of
    sha1("<namespace>.<name>") (lib/cni_names.h)."""
    return "tw" + hashlib.sha1(("%s.%s" % (namespace, name)).encode()).hexdigest()[:11]
