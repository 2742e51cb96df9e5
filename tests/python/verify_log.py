"""An outsider's check of an Assent log, written apart from its Rust code.

Reads a JSON file of what the query service hands out: a verifier key (vkey), a signed note
holding a checkpoint, leaves with their audit paths, and consistency proofs from earlier tree
sizes with those sizes' roots. It checks, with nothing but `cryptography` (Ed25519) and
`hashlib`:
- the note's signature by the vkey's key (c2sp.org/signed-note), key ID included;
- the checkpoint in the note (c2sp.org/tlog-checkpoint): origin, size, root;
- each leaf's inclusion at its index, rebuilt up to the checkpoint's root (RFC 9162 §2.1.3.2),
  and, where an `expect` object is given, that the leaf's fields hold those values;
- each consistency proof from an earlier root to the checkpoint's (RFC 9162 §2.1.4.2).

usage: verify_log.py FILE.json   exit 0 when everything verifies, 1 and the reason otherwise
"""
import base64, hashlib, json, sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


def h(b):
    return hashlib.sha256(b).digest()


def node(left, right):
    return h(b"\x01" + left + right)


def open_note(vkey, note):
    name, key_id, key = vkey.split("+", 2)
    key = base64.b64decode(key)
    if len(key) != 33 or key[0] != 1:
        fail("not an Ed25519 vkey")
    if h(name.encode() + b"\n" + key).hex()[:8] != key_id:
        fail("the vkey's id does not match its key")
    cut = note.rindex("\n\n")
    text, lines = note[: cut + 1], note[cut + 2 :].split("\n")
    for line in lines:
        if not line.startswith("\u2014 "):
            continue
        who, sig = line[2:].split(" ", 1)
        sig = base64.b64decode(sig)
        if who != name or sig[:4].hex() != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], text.encode())
        except Exception:
            fail("the note's signature does not verify")
        return text
    fail("no signature by the vkey's key")


def included(leaf_hash, index, size, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistent(size1, size2, path, root1, root2):
    if size1 == 0 or size2 < size1:
        return False
    if size1 == size2:
        return not path and root1 == root2
    if not path:
        return False
    if size1 & (size1 - 1) == 0:
        path = [root1] + path
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def main():
    given = json.load(open(sys.argv[1]))
    text = open_note(given["vkey"], given["note"])
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        fail("the note holds no checkpoint")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    for p in given["inclusion"]:
        leaf = base64.b64decode(p["leaf"])
        path = [base64.b64decode(x) for x in p["inclusion_path"]]
        if p["tree_size"] != size:
            fail(f"a proof for tree size {p['tree_size']}, the checkpoint is of {size}")
        if not included(h(b"\x00" + leaf), p["leaf_index"], size, path, root):
            fail(f"leaf {p['leaf_index']} is not in the tree")
        # What the answer said of the record, checked against the leaf's own fields
        # (assent-leaf/1: `name SP value` lines).
        fields = dict(l.split(" ", 1) for l in leaf.decode().split("\n")[1:] if l)
        for name, want in p.get("expect", {}).items():
            if fields.get(name) != want:
                fail(f"leaf {p['leaf_index']}: {name} is {fields.get(name)!r}, the answer says {want!r}")
    for c in given["consistency"]:
        path = [base64.b64decode(x) for x in c["path"]]
        if not consistent(c["from"], size, path, base64.b64decode(c["from_root"]), root):
            fail(f"tree {c['from']} is not a prefix of tree {size}")
    print(f"verified: {len(given['inclusion'])} leaves and {len(given['consistency'])} earlier trees in {lines[0]} at {size}")


main()
