#!/usr/bin/python3
"""Independent check of superpeer's overlay test vectors with Debian's python3-cbor2.

For every test/fixtures/overlay/valid/*.hex vector: decodes the frame, the envelope inside it, the
message body inside that (and an enrollment certificate when present) with cbor2; renders each in
CBOR diagnostic notation (RFC 8949 section 8) and compares it with the .diag file beside the vector;
and checks that each level is deterministically encoded (cbor2's canonical re-encoding gives the same
bytes). Prints one JSON line per vector and exits 1 if any vector failed.
Usage: /usr/bin/python3 test/interop/cbor2_check.py FIXTURES_DIR
"""
import json
import pathlib
import sys

import cbor2


def diag(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return "h'" + value.hex() + "'"
    if isinstance(value, list):
        return "[" + ", ".join(diag(v) for v in value) + "]"
    raise ValueError("outside the subset: %r" % type(value))


def parse_hex(text):
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return bytes.fromhex("".join("".join(lines).split()))


def level(name, raw, out, errors):
    value = cbor2.loads(raw)
    if cbor2.dumps(value, canonical=True) != raw:
        errors.append(name + ": not deterministic")
    out.append(name + ": " + diag(value))
    return value


def check(path):
    raw = parse_hex(path.read_text())
    lines, errors = [], []
    frame = level("frame", raw, lines, errors)
    if frame[0] == 1:
        envelope = level("envelope", frame[3], lines, errors)
        proof = envelope[8]
        if isinstance(proof, list) and proof[0] == 1:
            level("certificate", proof[1], lines, errors)
        level("body", envelope[9], lines, errors)
    expected = path.with_suffix(".diag").read_text().strip().splitlines()
    if lines != expected:
        for got, want in zip(lines + [""] * len(expected), expected + [""] * len(lines)):
            if got != want:
                errors.append("differs: got %s / want %s" % (got[:120], want[:120]))
                break
    return errors


def main():
    root = pathlib.Path(sys.argv[1]) / "valid"
    failed = 0
    vectors = sorted(root.glob("*.hex"))
    for path in vectors:
        try:
            errors = check(path)
        except Exception as error:  # any decoder failure is a finding, reported per vector
            errors = ["cbor2 failed: %r" % error]
        failed += bool(errors)
        print(json.dumps({"vector": path.name, "ok": not errors, "errors": errors}))
    print(json.dumps({"checked": len(vectors), "failed": failed, "cbor2": getattr(cbor2, "__version__", "?")}))
    sys.exit(1 if failed or not vectors else 0)


main()
