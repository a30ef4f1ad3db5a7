#!/usr/bin/env python3
"""Whether two spikessm checkpoints hold bit-identical weights.

Reads the checksummed container (include/spikessm/common/checkpoint_format.h) of each file and
compares the bytes of its "model" section, the serialised parameters and buffers; the other
sections (config, timings, optimizer, RNG) are not compared. Usage:
    compare_weights.py A.pt B.pt      exit 0 when identical, 1 when not, 2 on a bad file
"""
import hashlib
import struct
import sys


def model_section(path):
    try:
        data = open(path, "rb").read()
    except OSError as e:
        sys.stderr.write(f"{path}: cannot read ({e.strerror})\n")
        sys.exit(2)
    if data[:8] != b"SPKSSMCK" or len(data) < 32:
        sys.stderr.write(f"{path}: not a spikessm checkpoint (format 2)\n")
        sys.exit(2)
    count = struct.unpack_from("<I", data, 12)[0]
    pos = 32
    for _ in range(count):
        (name_len,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + name_len].decode()
        (size,) = struct.unpack_from("<Q", data, pos + 4 + name_len)
        start = pos + 12 + name_len
        if name == "model":
            return data[start:start + size]
        pos = start + size
    sys.stderr.write(f"{path}: no model section\n")
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = (model_section(p) for p in sys.argv[1:])
    for p, m in zip(sys.argv[1:], (a, b)):
        print(f"{hashlib.md5(m).hexdigest()}  {p} (model section, {len(m)} bytes)")
    print("identical" if a == b else "DIFFERENT")
    return 0 if a == b else 1


if __name__ == "__main__":
    sys.exit(main())
