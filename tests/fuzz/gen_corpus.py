#!/usr/bin/env python3
"""Write the fuzz seed corpus: one small file per command and framing.

Engine seeds (corpus/engine): byte 0 = flags (bit 0: UART, bit 1: escapes,
bit 2: structured actions), then the host's byte stream (or the actions),
as fuzz_proto_engine.c reads it. SPI streams
include the host's ACK polls (0x00) and ACK-of-ACK (0x79) at plausible
places; exact alignment does not matter, the fuzzer mutates from there.
Image seeds (corpus/image): 512-byte headers.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SLOT_B = 0x08080000


def xor(bs):
    x = 0
    for b in bs:
        x ^= b
    return bytes([x])


def with_xor(bs):
    return bytes(bs) + xor(bs)


class Spi:
    flags = 0x02

    def sync(self):
        return b"\x5a\x00\x00\x79"

    def ack(self, polls=3):
        return b"\x00" * polls + b"\x79"

    def cmd(self, c):
        return bytes([0x5A, c, c ^ 0xFF]) + self.ack()

    def read(self, n):
        return b"\x00" * (n + 1)


class Uart:
    flags = 0x03

    def sync(self):
        return b"\x7f"

    def ack(self, polls=0):
        return b""

    def cmd(self, c):
        return bytes([c, c ^ 0xFF])

    def read(self, n):
        return b""


def addr(a):
    return with_xor(struct.pack(">I", a))


def seeds(L):
    s = {}
    s["get"] = L.sync() + L.cmd(0x00) + L.read(12) + L.ack()
    s["getver"] = L.cmd(0x01) + L.read(3) + L.ack()
    s["getid"] = L.cmd(0x02) + L.read(3) + L.ack()
    s["read"] = L.cmd(0x11) + addr(0x08020000) + L.ack() + bytes([15, 0xF0]) + L.ack() + L.read(16)
    data = bytes(range(16))
    s["write"] = L.cmd(0x31) + addr(SLOT_B) + L.ack() + with_xor(bytes([15]) + data) + L.ack(8)
    s["write_sector0"] = L.cmd(0x31) + addr(0x08000000) + L.ack() + with_xor(bytes([15]) + data) + L.ack()
    if isinstance(L, Spi):
        s["erase"] = L.cmd(0x44) + with_xor(b"\x00\x00") + L.ack() + with_xor(b"\x00\x08") + L.ack() + b"\xfe\x80"
        s["erase_mass"] = L.cmd(0x44) + with_xor(b"\xff\xff") + L.ack()
    else:
        s["erase"] = L.cmd(0x44) + with_xor(b"\x00\x00\x00\x08") + b"\xfe\x80"
        s["erase_mass"] = L.cmd(0x44) + with_xor(b"\xff\xff")
    s["crc"] = L.cmd(0xA1) + addr(0x08020000) + L.ack() + addr(512) + L.ack() + L.ack() + L.read(5)
    s["go"] = L.cmd(0x21) + addr(0x08000000) + L.ack()
    s["status"] = L.cmd(0x50) + with_xor(b"\x46\x00") + L.ack() + with_xor(b"\x00\x00") + L.ack() + L.read(70) + L.ack()
    s["commit"] = L.cmd(0x50) + with_xor(b"\x46\x01") + L.ack() + with_xor(b"\x00\x01\x01") + L.ack(20) + L.read(6) + L.ack()
    s["reboot"] = L.cmd(0x50) + with_xor(b"\x46\x02") + L.ack() + with_xor(b"\x00\x00") + L.ack() + L.read(6) + L.ack()
    chunk = bytes((i * 7) & 0xFF for i in range(64))
    one = (L.cmd(0x51) + with_xor(b"\x46\x10") + L.ack()
           + with_xor(b"\x00\x04" + struct.pack(">I", SLOT_B)) + L.ack()
           + with_xor(b"\x00\x40" + chunk) + L.ack() + L.read(3) + L.ack())
    s["stream"] = one
    s["stream3"] = one * 3
    # Write lengths that are not whole words, continued at the next byte.
    odd = bytes(range(1, 8))
    s["write_odd"] = (L.cmd(0x31) + addr(SLOT_B) + L.ack() + with_xor(bytes([6]) + odd) + L.ack(8)
                      + L.cmd(0x31) + addr(SLOT_B + 7) + L.ack() + with_xor(bytes([2]) + odd[:3]) + L.ack(8)
                      + L.cmd(0x11) + addr(SLOT_B) + L.ack() + bytes([15, 0xF0]) + L.ack() + L.read(16))
    s["timeout"] = L.cmd(0x31) + b"\x08\x08" + b"\xfe\x80" + L.cmd(0x00)
    s["reset"] = L.cmd(0x31) + b"\x08\x08\xfd" + L.cmd(0x02)
    return s


def main():
    eng = os.path.join(HERE, "corpus", "engine")
    img = os.path.join(HERE, "corpus", "image")
    os.makedirs(eng, exist_ok=True)
    os.makedirs(img, exist_ok=True)
    for name, L in (("spi", Spi()), ("uart", Uart())):
        for k, v in seeds(L).items():
            with open(os.path.join(eng, f"{name}-{k}"), "wb") as f:
                f.write(bytes([L.flags]) + v)
    # Structured inputs (flags bit 2): actions (op, arg) framed by the
    # harness: 0 write arg+1 bytes at the next word (| 0x08: at the next
    # byte), 1 read, 2 checksum, 3 get, 4 raw bytes, 5 idle, 6 erase,
    # 7 link reset; | 0x10 no wait, | 0x20 over-read, | 0x40 blind.
    acts = {
        "chunks255": [(0x00, 254), (0x08, 254), (0x08, 254), (0x08, 16), (0x02, 0)],
        "lengths": [(0x00, 0), (0x08, 1), (0x08, 2), (0x08, 3), (0x08, 4), (0x01, 0),
                    (0x00, 5), (0x08, 200), (0x05, 250)],
        "b2b": [(0x13, 0), (0x03, 0), (0x10, 30), (0x08, 30), (0x23, 0), (0x43, 0),
                (0x16, 0), (0x03, 0)],
        "erase_write": [(0x06, 0), (0x00, 99), (0x08, 154), (0x11, 3), (0x02, 0),
                        (0x07, 0), (0x08, 9)],
    }
    for name, link in (("spi", 0x04), ("uart", 0x05)):
        for k, v in acts.items():
            with open(os.path.join(eng, f"st-{name}-{k}"), "wb") as f:
                f.write(bytes([link]) + bytes(b for a in v for b in a))
    # Image headers: a plausible one with a signature TLV, and an empty one.
    h = bytearray(b"\xff" * 512)
    struct.pack_into("<IHHBBHIIIII", h, 0, 0x41544F46, 1, 512, 1, 2, 3, 4, 1,
                     4096, 0x08080200, 0)
    h[32:48] = b"stm32f407-disco\x00"
    h[48:64] = bytes(16)
    h[64:96] = bytes(range(32))
    struct.pack_into("<HH", h, 96, 4 + 64 + 4 + 8, 0)
    struct.pack_into("<HH", h, 100, 0x20, 64)
    h[104:168] = bytes(range(64))
    struct.pack_into("<HH", h, 168, 0x21, 8)
    h[172:180] = bytes(8)
    with open(os.path.join(img, "hdr-signed"), "wb") as f:
        f.write(bytes(h))
    struct.pack_into("<HH", h, 96, 0, 0)
    with open(os.path.join(img, "hdr-plain"), "wb") as f:
        f.write(bytes(h))
    struct.pack_into("<HH", h, 96, 412, 0)
    struct.pack_into("<HH", h, 100, 0x20, 0xFFFF)
    with open(os.path.join(img, "hdr-bad-tlv"), "wb") as f:
        f.write(bytes(h))
    return 0


if __name__ == "__main__":
    sys.exit(main())
