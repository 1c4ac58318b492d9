"""The CRD manifests (charts/twill/crds), the examples and the invalid manifests.

Two groups of tests:
- static checks of the manifests themselves (no server): every kind of the field contract has
  a CRD with a structural schema, descriptions everywhere, the contract's defaults and enums,
  printer columns and the `twill` category, and docs/crds.md documents every field;
- against the test API server (fixture `apiserver` from conftest.py): the CRDs register, the
  examples apply and read back with the schema defaults filled in, the invalid manifests meant
  for the schema are rejected naming the field, `kubectl get twill` and the printer columns work.

YAML is turned into JSON with `kubectl ... --local -o json` (no PyYAML dependency).
"""

import glob
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CRD_DIR = os.path.join(ROOT, "charts", "twill", "crds")
EXAMPLES = os.path.join(ROOT, "examples")
INVALID = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "invalid")
DOCS = os.path.join(ROOT, "docs", "crds.md")
KUBECTL = os.environ.get("KUBECTL", "/opt/twill-tools/bin/kubectl")

# kind -> (plural, short name, printer columns that must be there)
KINDS = {
    "IPPool": ("ippools", "twpool", ["CIDR", "BlockSize", "IPIP", "VXLAN", "NAT", "Disabled", "Age"]),
    "BGPConfiguration": ("bgpconfigurations", "twbgpconfig", ["AS", "Mesh", "ListenPort", "Age"]),
    "BGPPeer": ("bgppeers", "twpeer", ["Node", "PeerIP", "AS", "Age"]),
    "FelixConfiguration": ("felixconfigurations", "twfelixconfig", ["LogSeverity", "Age"]),
    "IPAMBlock": ("ipamblocks", "twblock", ["CIDR", "Affinity", "Age"]),
    "BlockAffinity": ("blockaffinities", "twaffinity", ["Node", "CIDR", "State", "Age"]),
    "IPAMHandle": ("ipamhandles", "twhandle", ["HandleID", "Age"]),
    "IPAMConfig": ("ipamconfigs", "twipamconfig", ["StrictAffinity", "MaxBlocksPerHost", "Age"]),
}

# The defaults of the field contract (what lib/model applies too). blockSize has none in the
# schema on purpose: it depends on the family.
CONTRACT_DEFAULTS = {
    "IPPool": {"ipipMode": "Never", "vxlanMode": "Never", "natOutgoing": False,
               "disabled": False, "disableBGPExport": False, "nodeSelector": "all()",
               "allowedUses": ["Workload", "Tunnel"]},
    "BGPConfiguration": {"asNumber": 64512, "nodeToNodeMeshEnabled": True,
                         "logSeverityScreen": "Info", "listenPort": 179,
                         "nodeMeshMaxRestartTime": "120s"},
    "BGPPeer": {"keepOriginalNextHop": False, "sourceAddress": "UseNodeIP"},
    "FelixConfiguration": {"logSeverityScreen": "Info", "routeRefreshInterval": "90s",
                           "healthEnabled": True, "healthPort": 9099,
                           "prometheusMetricsEnabled": True, "prometheusMetricsPort": 9091,
                           "vxlanVNI": 4096, "vxlanPort": 4789, "vxlanMTU": 0, "ipipMTU": 0,
                           "mtuIfacePattern": "", "interfacePrefix": "tw", "routeProtocol": 81,
                           "programClusterRoutes": "Disabled",
                           "defaultEndpointToHostAction": "Accept", "ipv6Support": True,
                           "policyEnabled": True},
    "IPAMBlock": {"deleted": False, "sequenceNumber": 0, "strictAffinity": False},
    "BlockAffinity": {"deleted": False},
    "IPAMHandle": {"deleted": False},
    "IPAMConfig": {"strictAffinity": False, "autoAllocateBlocks": True, "maxBlocksPerHost": 0},
}

CONTRACT_ENUMS = {
    ("IPPool", "ipipMode"): ["Never", "Always", "CrossSubnet"],
    ("IPPool", "vxlanMode"): ["Never", "Always", "CrossSubnet"],
    ("BGPConfiguration", "logSeverityScreen"): ["Debug", "Info", "Warning", "Error", "Fatal"],
    ("BGPPeer", "sourceAddress"): ["UseNodeIP", "None"],
    ("FelixConfiguration", "logSeverityScreen"): ["Debug", "Info", "Warning", "Error"],
    ("FelixConfiguration", "programClusterRoutes"): ["Enabled", "Disabled"],
    ("FelixConfiguration", "defaultEndpointToHostAction"): ["Accept", "Drop"],
    ("BlockAffinity", "state"): ["pending", "confirmed", "pendingDeletion"],
}

# (kind, field) -> (minimum, maximum); None = unbounded on that side.
CONTRACT_RANGES = {
    ("IPPool", "blockSize"): (20, 128),
    ("BGPConfiguration", "asNumber"): (1, 4294967295),
    ("BGPConfiguration", "listenPort"): (1, 65535),
    ("BGPPeer", "asNumber"): (1, 4294967295),
    ("FelixConfiguration", "healthPort"): (1, 65535),
    ("FelixConfiguration", "vxlanVNI"): (1, 16777215),
    ("FelixConfiguration", "vxlanPort"): (1, 65535),
    ("FelixConfiguration", "vxlanMTU"): (0, 9000),
    ("FelixConfiguration", "ipipMTU"): (0, 9000),
    ("FelixConfiguration", "routeProtocol"): (1, 255),
    ("IPAMConfig", "maxBlocksPerHost"): (0, None),
}


def to_json(path):
    """Documents of a YAML file as a list of dicts, parsed by kubectl without a server."""
    r = subprocess.run([KUBECTL, "label", "--local", "-f", path, "twill-test=1", "-o", "json"],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, KUBECONFIG="/dev/null"))
    assert r.returncode == 0, "%s: %s" % (path, r.stderr)
    doc = json.loads(r.stdout)
    docs = doc["items"] if doc.get("kind") == "List" else [doc]
    for d in docs:
        d["metadata"]["labels"].pop("twill-test", None)
        if not d["metadata"]["labels"]:
            del d["metadata"]["labels"]
    return docs


def load_crds():
    crds = {}
    for path in sorted(glob.glob(os.path.join(CRD_DIR, "*.yaml"))):
        docs = to_json(path)
        assert len(docs) == 1, path
        crd = docs[0]
        crds[crd["spec"]["names"]["kind"]] = (os.path.basename(path), crd)
    return crds


@pytest.fixture(scope="module")
def crds():
    return load_crds()


def spec_schema(crd):
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def invalid_cases():
    """(file, expected field text, set of checkers that reject it) per invalid manifest."""
    cases = []
    for path in sorted(glob.glob(os.path.join(INVALID, "*.yaml"))):
        text = open(path).read()
        field = re.search(r"^# expect-field: (\S+)", text, re.M).group(1)
        by = set(re.search(r"^# rejected-by: (.+)$", text, re.M).group(1).split())
        cases.append((os.path.basename(path), field, by))
    return cases


# ---------------------------------------------------------------- static checks


def test_one_crd_per_contract_kind(crds):
    assert set(crds) == set(KINDS)
    for kind, (fname, crd) in crds.items():
        plural, short, _ = KINDS[kind]
        assert fname == plural + ".yaml"
        assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
        assert crd["metadata"]["name"] == plural + ".twill.dev"
        spec = crd["spec"]
        assert spec["group"] == "twill.dev"
        assert spec["scope"] == "Cluster"
        assert spec["names"]["plural"] == plural
        assert spec["names"]["singular"] == kind.lower()
        assert short in spec["names"]["shortNames"]
        assert "twill" in spec["names"]["categories"]
        [version] = spec["versions"]
        assert (version["name"], version["served"], version["storage"]) == ("v1", True, True)


def _walk(schema, path, problems):
    if "type" not in schema and not schema.get("x-kubernetes-int-or-string"):
        problems.append("%s: no type" % path)
    for name, sub in schema.get("properties", {}).items():
        sub_path = "%s.%s" % (path, name) if path else name
        if sub_path != "metadata" and not sub.get("description"):
            problems.append("%s: no description" % sub_path)
        _walk(sub, sub_path, problems)
    if "items" in schema:
        _walk(schema["items"], path + "[]", problems)
    if isinstance(schema.get("additionalProperties"), dict):
        _walk(schema["additionalProperties"], path + "{}", problems)
    if schema.get("type") == "object" and "properties" not in schema \
            and "additionalProperties" not in schema and path != "metadata" \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        problems.append("%s: object without properties (not structural)" % path)


def test_schemas_are_structural_and_described(crds):
    problems = []
    for kind, (_, crd) in crds.items():
        root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert root["type"] == "object"
        assert set(root["properties"]) == {"apiVersion", "kind", "metadata", "spec"}, kind
        found = []
        _walk(root, "", found)
        problems += ["%s %s" % (kind, p) for p in found]
    assert problems == []


def test_schema_defaults_match_contract(crds):
    for kind, defaults in CONTRACT_DEFAULTS.items():
        props = spec_schema(crds[kind][1])["properties"]
        for field, value in defaults.items():
            assert props[field].get("default") == value, (kind, field)
        # No default the contract does not know of (blockSize must stay without one).
        extra = {f for f, s in props.items() if "default" in s} - set(defaults)
        assert extra == set(), (kind, extra)
    assert "default" not in spec_schema(crds["IPPool"][1])["properties"]["blockSize"]


def test_schema_enums_and_ranges_match_contract(crds):
    for (kind, field), values in CONTRACT_ENUMS.items():
        assert spec_schema(crds[kind][1])["properties"][field]["enum"] == values, (kind, field)
    assert spec_schema(crds["IPPool"][1])["properties"]["allowedUses"]["items"]["enum"] == \
        ["Workload", "Tunnel"]
    for (kind, field), (lo, hi) in CONTRACT_RANGES.items():
        s = spec_schema(crds[kind][1])["properties"][field]
        assert s["type"] == "integer", (kind, field)
        assert s.get("minimum") == lo and s.get("maximum") == hi, (kind, field)


def test_required_fields(crds):
    assert spec_schema(crds["IPPool"][1])["required"] == ["cidr"]
    assert sorted(spec_schema(crds["BlockAffinity"][1])["required"]) == ["cidr", "node", "state"]
    assert spec_schema(crds["IPAMHandle"][1])["required"] == ["handleID"]
    block = spec_schema(crds["IPAMBlock"][1])["properties"]
    assert block["affinity"]["nullable"] is True
    assert block["allocations"]["items"]["nullable"] is True
    assert block["sequenceNumber"]["format"] == "int64"


@pytest.mark.parametrize("kind,field,good,bad", [
    ("BGPConfiguration", "nodeMeshMaxRestartTime", ["120s", "2m", "1h30m", "500ms"],
     ["2 minutes", "120", "s", "1.5h", ""]),
    ("IPPool", "cidr", ["10.244.0.0/16", "fd00:10:244::/48", "::/0"],
     ["10.244.0.0", "pool", "10.244.0.0/16x"]),
    ("BGPPeer", "peerIP", ["192.0.2.1", "192.0.2.1:1179", "fd00::1", "[fd00::1]:179"],
     ["router.example", "192.0.2.1/32", "[fd00::1]"]),
])
def test_schema_patterns(crds, kind, field, good, bad):
    pattern = re.compile(spec_schema(crds[kind][1])["properties"][field]["pattern"])
    assert [g for g in good if not pattern.search(g)] == []
    assert [b for b in bad if pattern.search(b)] == []


def test_printer_columns(crds):
    for kind, (_, _, wanted) in KINDS.items():
        cols = crds[kind][1]["spec"]["versions"][0]["additionalPrinterColumns"]
        names = [c["name"] for c in cols]
        assert [w for w in wanted if w not in names] == [], kind
        assert names[-1] == "Age" and cols[-1]["jsonPath"] == ".metadata.creationTimestamp"
        props = spec_schema(crds[kind][1])["properties"]
        for c in cols[:-1]:
            # every column points at a real spec field
            field = c["jsonPath"].split(".")
            assert field[:2] == ["", "spec"] and field[2] in props, (kind, c)


def test_docs_cover_every_field(crds):
    docs = open(DOCS).read()
    missing = []
    for kind, (_, crd) in crds.items():
        assert "## " + kind in docs
        for field in spec_schema(crd)["properties"]:
            if not re.search(r"\bspec\.%s\b" % re.escape(field), docs):
                missing.append("%s spec.%s" % (kind, field))
    assert missing == []


def test_every_kind_has_a_valid_example():
    kinds = set()
    for path in glob.glob(os.path.join(EXAMPLES, "*.yaml")):
        for doc in to_json(path):
            assert doc["apiVersion"] == "twill.dev/v1", path
            kinds.add(doc["kind"])
    assert kinds == set(KINDS)


def test_invalid_manifests_are_annotated():
    cases = invalid_cases()
    assert len(cases) >= 8
    for fname, field, by in cases:
        assert by <= {"schema", "model", "set"} and by, fname
    assert any("schema" in by for _, _, by in cases)
    assert any(by == {"model"} for _, _, by in cases)


# ---------------------------------------------------------------- against the API server


def kubectl(api, *args, input=None):
    """Run kubectl through the fixture; (returncode, stdout, stderr)."""
    r = api.kubectl(*args, input=input, check=False)
    return r.returncode, r.stdout, r.stderr


def _delete_all(api):
    """Remove every object the examples and invalid manifests name (one kubectl run)."""
    args = ["delete", "--ignore-not-found", "--wait=false", "-f", EXAMPLES]
    for fname, _, _ in invalid_cases():
        args += ["-f", os.path.join(INVALID, fname)]
    kubectl(api, *args)


@pytest.fixture
def twill_api(apiserver):
    apiserver.apply_crds()
    _delete_all(apiserver)
    try:
        yield apiserver
    finally:
        _delete_all(apiserver)


def test_crds_register(twill_api):
    rc, out, err = kubectl(twill_api, "api-resources", "--api-group=twill.dev", "--no-headers")
    assert rc == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    for kind, (plural, short, _) in KINDS.items():
        assert plural in rows, out
        assert short in rows[plural] and kind in rows[plural] and "false" in rows[plural]


def _schema_defaults(schema, obj):
    """What the schema's defaults make of obj (the fields obj lacks), recursively."""
    out = {}
    for name, sub in schema.get("properties", {}).items():
        if name not in obj and "default" in sub:
            out[name] = sub["default"]
        elif isinstance(obj.get(name), dict) and sub.get("type") == "object":
            nested = _schema_defaults(sub, obj[name])
            if nested:
                out[name] = nested
    return out


def _contains(got, want):
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _contains(got[k], v)
                                             for k, v in want.items())
    return got == want


def test_examples_apply_and_read_back_with_defaults(twill_api, crds):
    for path in sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml"))):
        rc, out, err = kubectl(twill_api, "apply", "-f", path)
        assert rc == 0, "%s: %s" % (path, err)
        for doc in to_json(path):
            kind, name = doc["kind"], doc["metadata"]["name"]
            rc, out, err = kubectl(twill_api, "get", KINDS[kind][0], name, "-o", "json")
            assert rc == 0, err
            stored = json.loads(out)
            # everything written comes back (nothing pruned: the schema knows every field)
            assert _contains(stored["spec"], doc["spec"]), (path, stored["spec"])
            # and the schema filled in every default the manifest left out
            defaults = _schema_defaults(spec_schema(crds[kind][1]), doc["spec"])
            assert _contains(stored["spec"], defaults), (path, defaults, stored["spec"])
    # one explicit check of the contract, independent of the schema walk above
    rc, out, _ = kubectl(twill_api, "get", "ippool", "default-ipv6-ippool", "-o", "json")
    spec = json.loads(out)["spec"]
    assert spec["ipipMode"] == "Never" and spec["nodeSelector"] == "all()"
    assert spec["allowedUses"] == ["Workload", "Tunnel"] and "blockSize" not in spec


@pytest.mark.parametrize("case", [c for c in invalid_cases() if "schema" in c[2]],
                         ids=lambda c: c[0])
def test_invalid_manifest_rejected_naming_field(twill_api, case):
    fname, field, _ = case
    path = os.path.join(INVALID, fname)
    rc, out, err = kubectl(twill_api, "apply", "-f", path)
    assert rc != 0, "%s was accepted: %s" % (fname, out)
    assert field in err, err
    assert "is invalid" in err, err
    for doc in to_json(path):
        rc, _, err = kubectl(twill_api, "get", KINDS[doc["kind"]][0], doc["metadata"]["name"])
        if doc["metadata"]["name"] != "default":  # "default" may exist from an example
            assert rc != 0 and "NotFound" in err, err


def test_unknown_fields_are_pruned(twill_api):
    manifest = json.dumps({"apiVersion": "twill.dev/v1", "kind": "IPPool",
                           "metadata": {"name": "pruned-pool"},
                           "spec": {"cidr": "10.99.0.0/16", "ipipmode": "Always"}})
    rc, out, err = kubectl(twill_api, "apply", "--validate=false", "-f", "-", input=manifest)
    try:
        assert rc == 0, err
        rc, out, err = kubectl(twill_api, "get", "ippool", "pruned-pool", "-o", "json")
        spec = json.loads(out)["spec"]
        assert "ipipmode" not in spec and spec["ipipMode"] == "Never"
    finally:
        kubectl(twill_api, "delete", "--ignore-not-found", "ippool", "pruned-pool")


def test_get_twill_category_lists_every_kind(twill_api):
    rc, _, err = kubectl(twill_api, "apply", "-f", EXAMPLES)
    assert rc == 0, err
    rc, out, err = kubectl(twill_api, "get", "twill", "-o", "name")
    assert rc == 0, err
    listed = set(out.split())
    for path in glob.glob(os.path.join(EXAMPLES, "*.yaml")):
        for doc in to_json(path):
            assert "%s.twill.dev/%s" % (doc["kind"].lower(), doc["metadata"]["name"]) in listed
    rc, out, err = kubectl(twill_api, "get", "twill")
    assert rc == 0, err
    assert "ippool.twill.dev/default-ipv4-ippool" in out


def test_printer_columns_in_kubectl_get(twill_api):
    rc, _, err = kubectl(twill_api, "apply", "-f", os.path.join(EXAMPLES, "ippool-default.yaml"),
                         "-f", os.path.join(EXAMPLES, "bgppeer-tor.yaml"))
    assert rc == 0, err
    rc, out, err = kubectl(twill_api, "get", "twpool")
    assert rc == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "CIDR", "BLOCKSIZE", "IPIP", "VXLAN", "NAT", "DISABLED",
                              "AGE"]
    row = [r.split() for r in rows if r.startswith("default-ipv4-ippool")][0]
    assert row[1:7] == ["10.244.0.0/16", "26", "Never", "CrossSubnet", "true", "false"]
    rc, out, err = kubectl(twill_api, "get", "ippools", "-o", "wide")
    assert "NODESELECTOR" in out.splitlines()[0] and "all()" in out
    rc, out, err = kubectl(twill_api, "get", "twpeer", "rack1-tor")
    assert rc == 0, err
    header, row = out.splitlines()[:2]
    assert header.split()[:4] == ["NAME", "NODE", "PEERIP", "AS"]
    assert "192.0.2.1" in row.split() and "65001" in row.split()
