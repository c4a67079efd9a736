#!/usr/bin/env python3
"""Test helper: rewrites the JSON of both LUKS2 header copies and recomputes their checksums,
so a test can hand unlock a header whose checksums are right but whose metadata is hostile.
usage: luks2_rewrite.py IMAGE 'PYTHON-EXPRESSION-ON-j'   (j is the parsed JSON; the result replaces it)"""
import hashlib
import json
import struct
import sys

path, expression = sys.argv[1], sys.argv[2]
with open(path, "r+b") as f:
    data = bytearray(f.read(8 << 20))
    hdr_size = struct.unpack(">Q", data[8:16])[0]
    j = json.loads(bytes(data[4096:hdr_size]).rstrip(b"\0"))
    result = eval(expression, {"j": j})  # noqa: S307 - test input written by our own tests
    text = (result if isinstance(result, str) else json.dumps(result)).encode()
    for offset in (0, hdr_size):
        area = text + b"\0" * (hdr_size - 4096 - len(text))
        data[offset + 4096:offset + hdr_size] = area[:hdr_size - 4096]
        data[offset + 448:offset + 512] = b"\0" * 64
        digest = hashlib.sha256(bytes(data[offset:offset + hdr_size])).digest()
        data[offset + 448:offset + 448 + len(digest)] = digest
        f.seek(offset)
        f.write(data[offset:offset + hdr_size])
