#!/usr/bin/env python3
"""Print the Ed25519 base-point table of common/ed25519.c: the odd multiples
B, 3B, ..., 15B of the base point (RFC 8032 section 5.1) in affine "Niels"
form (y + x, y - x, 2 d x y), each field element as eight little-endian
32-bit words, canonical mod p. Python integers only, independent of the C
field arithmetic it feeds."""
P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRTM1 = pow(2, (P - 1) // 4, P)


def inv(x):
    return pow(x, P - 2, P)


def recover_x(y):
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRTM1 % P
    return P - x if x & 1 else x


def add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * inv(1 + t) % P,
            (y1 * y2 + x1 * x2) * inv(1 - t) % P)


def fe(x):
    w = ["0x%08x" % ((x >> (32 * i)) & 0xffffffff) for i in range(8)]
    return "{{" + ", ".join(w) + "}}"


def main():
    by = 4 * inv(5) % P
    base = (recover_x(by), by)
    twice = add(base, base)
    pt = base
    for i in range(8):
        x, y = pt
        print("    /* %dB */" % (2 * i + 1))
        print("    {%s,\n     %s,\n     %s}," % (fe((y + x) % P), fe((y - x) % P),
                                               fe(2 * D * x * y % P)))
        pt = add(pt, twice)


if __name__ == "__main__":
    main()
