"""The external router: FRR (zebra + bgpd) in the lab's net namespace."""


def start(lab, state):
    raise NotImplementedError


def sessions(lab, state):
    return None
