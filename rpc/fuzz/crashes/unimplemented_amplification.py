#!/usr/bin/env python3
"""Writes two rpc_fuzz inputs for the Unimplemented amplification finding
(see README.md here): python3 unimplemented_amplification.py <out dir>

  amplification-1    one 72 KB message of an unknown type whose 1000
                     pointers all point at one 8000-word list; before
                     72f22a0 the server echoed it in an Unimplemented,
                     copying the list 1000 times: a 64 MB frame
                     (RPC_FUZZ_VERBOSE=1 shows what it sends).
  amplification-oom  40 of them (2.9 MB), the peer reading late (control
                     byte 0x20): before 72f22a0 the server queued ~2.5 GB
                     and rpc_fuzz -rss_limit_mb=2048 reported out-of-memory
                     in send_unimplemented.
Both are answered with an Abort now; keep them as regression inputs.
"""
import os
import struct
import sys


def amplifying_message(pointers=1000, list_words=8000):
    # Root: a struct with one data word (the Message union's discriminant,
    # 50: no such message) and `pointers` pointers, each a list pointer to
    # the same list of `list_words` 8-byte elements after them.
    words = [(1 << 32) | (pointers << 48), 50]
    for i in range(pointers):
        offset = pointers - 1 - i  # from the word after pointer i to the list
        words.append(1 | (offset << 2) | (5 << 32) | (list_words << 35))
    words += [0x4141414141414141] * list_words  # 8000 * 1000 words < 8 Mi: within the traversal limit
    return struct.pack("<II", 0, len(words)) + struct.pack("<%dQ" % len(words), *words)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "amplification-1"), "wb") as f:
        f.write(bytes([0x00]) + amplifying_message())
    with open(os.path.join(out, "amplification-oom"), "wb") as f:
        f.write(bytes([0x20]) + amplifying_message() * 40)


if __name__ == "__main__":
    main()
