#!/usr/bin/env python3
"""Writes the committed corpus of bad inputs, Tests/DescentTests/Fixtures/bad/ (issue 7, item 1).

Every file is deterministic (fixed seed, no timestamps): rerunning the script rewrites the
same bytes. Each file is invalid in exactly one way; the test (BadInputTests.swift) runs
`descent train` and `descent solve` on each and expects exit 1 and one line on stderr naming
the file and the position. The missing file, a directory and an unreadable file are made by
the test itself (git cannot hold them).

Usage: python3 scripts/make_bad_corpus.py
"""
import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentTests", "Fixtures", "bad")


def npy(descr, shape, data=b"", fortran=False, version=(1, 0), header=None, pad=True):
    """A .npy file with an arbitrary (possibly lying) header and data bytes."""
    if header is None:
        shape_text = "(%s,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(s) for s in shape) + ")"
        header = "{'descr': %r, 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    body = header.encode("latin-1")
    prefix = 10 if version[0] == 1 else 12
    if pad:
        total = (prefix + len(body) + 1 + 63) // 64 * 64
        body = body + b" " * (total - prefix - len(body) - 1) + b"\n"
    length = struct.pack("<H", len(body)) if version[0] == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes(version) + length + body + data


def f8(values):
    return b"".join(struct.pack("<d", v) for v in values)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(7)
    files = {
        # CSV
        "empty.csv": b"",
        "header_only.csv": b"x1,x2,y\n",
        "comments_only.csv": b"# nothing but a comment\n\n",
        "ragged_short_row.csv": b"x1,x2,y\n1,2,3\n4,5\n7,8,9\n",
        "ragged_long_row.csv": b"x1,x2,y\n1,2,3\n4,5,6,7\n",
        "text_in_numeric.csv": b"x1,x2,y\n1,2,3\n4,five,6\n",
        "empty_cell.csv": b"x1,x2,y\n1,2,3\n4,,6\n",
        "nan_cell.csv": b"x1,x2,y\n1,2,3\n4,nan,6\n",
        "inf_cell.csv": b"x1,x2,y\n1,2,3\n4,5,inf\n",
        "overflow_cell.csv": b"x1,x2,y\n1,2,3\n4,1e999,6\n",
        "unterminated_quote.csv": b"x1,x2,y\n1,2,3\n4,\"5,6\n7,8,9\n",
        "unterminated_quote_header.csv": b"x1,\"x2,y\n1,2,3\n",
        "junk_after_quote.csv": b"x1,x2,y\n1,\"2\"x,3\n",
        "binary_garbage.csv": bytes(rng.randrange(256) for _ in range(4096)),
        "nul_bytes.csv": b"x1,x2,y\n1,2,3\n4,\x00\x00,6\n",
        "only_target_column.csv": b"y\n1\n2\n",
        # .npy
        "empty.npy": b"",
        "binary_garbage.npy": bytes(rng.randrange(256) for _ in range(4096)),
        "wrong_magic.npy": b"\x93NUMPZ" + npy("<f8", (2, 2), f8([1, 2, 3, 4]))[6:],
        "bad_version.npy": npy("<f8", (2, 2), f8([1, 2, 3, 4]), version=(9, 0)),
        "truncated_header.npy": npy("<f8", (2, 2), f8([1, 2, 3, 4]))[:40],
        "truncated_data.npy": npy("<f8", (3, 2), f8([1, 2, 3, 4, 5, 6]))[:-5],
        "header_claims_more.npy": npy("<f8", (100, 3), f8(range(9))),
        "absurd_rows.npy": npy("<f8", (10**12, 3), f8(range(9))),
        "overflow_shape.npy": npy("<f8", (2**62, 2**62), b""),
        "negative_shape.npy": npy("<f8", (-3, 2), b""),
        "complex.npy": npy("<c16", (2, 2), b"\x00" * 64),
        "strings.npy": npy("<U5", (2, 2), b"\x00" * 80),
        "object.npy": npy("|O", (2, 2), b"\x00" * 32),
        "structured.npy": npy(None, None, b"\x00" * 32,
                              header="{'descr': [('a', '<f8'), ('b', '<f8')], 'fortran_order': False, 'shape': (2,), }"),
        "not_a_dict.npy": npy(None, None, f8([1, 2, 3, 4]), header="[1, 2, 3]"),
        "malformed_header.npy": npy(None, None, f8([1, 2, 3, 4]), header="{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2 }"),
        "deeply_nested_header.npy": npy(None, None, b"", header="{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 60000 + "}", version=(2, 0)),
        "one_d.npy": npy("<f8", (4,), f8([1, 2, 3, 4])),
        "three_d.npy": npy("<f8", (2, 2, 2), f8(range(8))),
        "one_column.npy": npy("<f8", (3, 1), f8([1, 2, 3])),
        "zero_rows.npy": npy("<f8", (0, 3), b""),
        "nan.npy": npy("<f8", (2, 2), f8([1, 2, float("nan"), 4])),
        "inf.npy": npy("<f8", (2, 2), f8([1, float("inf"), 3, 4])),
    }
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(files), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
