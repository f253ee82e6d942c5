#!/usr/bin/env python3
"""The boot gate's redundant checks are in the built bootloader.

Every FIH_FAILED(v) in the gate's source (boot/core/boot_fih.h) must show in
the disassembly as two compares of a fresh load of the verdict against
FIH_SUCCESS. The optimiser removes a second test of a value it already
knows, so a re-check written on a plain int can vanish at -Os; this test
catches that. For each checkpoint it counts, in the named function of the
ELF, the compares on each side of an anchor call and wants at least two per
FIH_FAILED the source has on that side.

  check_fih.py <objdump> <fota-boot.elf> <boot_fih.h> <boot_core.c> <main.c>

Prints one "fih: <function> ..." line per checkpoint; exit 1 if any is short.
"""
import re
import subprocess
import sys

# (ELF function or None = the one that calls the anchor, source file index,
#  source function, anchor call or None)
CHECKPOINTS = [
    ("confirm_jump", 0, "confirm_jump", "check_meta"),
    (None, 0, "check_signature", "fota_ed25519_verify_image"),
    ("main", 1, "main", "boot_decide"),
]

NO_DEST = ("cmp", "cmn", "tst", "teq", "b", "bx", "cbz", "cbnz", "it", "str",
           "push", "stm", "nop", "dsb", "isb", "dmb", "cpsid", "cpsie", "wfi",
           "msr", "svc", "bkpt", "udf")
CALL_CLOBBERS = {"r0", "r1", "r2", "r3", "ip", "lr"}


def fail(msg):
    print("fih: " + msg)
    sys.exit(1)


def source_body(text, name):
    """The body of the C function `name` (from its definition line to the
    closing brace in column 0)."""
    m = re.search(r"^[a-zA-Z_][^;{}]*\b" + name + r"\([^;{]*\)\s*\{", text,
                  re.M)
    if not m:
        fail("function %s not found in the source" % name)
    end = text.find("\n}", m.end())
    return text[m.end():end]


def expected(body, anchor):
    """Compares wanted before and after the anchor call (2 per FIH_FAILED)."""
    cut = body.find(anchor + "(") if anchor else -1
    before = body if cut < 0 else body[:cut]
    after = "" if cut < 0 else body[cut:]
    return 2 * before.count("FIH_FAILED("), 2 * after.count("FIH_FAILED(")


def regs_of(operands):
    return re.findall(r"\b(r1[0-5]|r[0-9]|sl|fp|ip|sp|lr|pc)\b", operands)


def dests(mn, ops):
    base = mn.split(".")[0]
    if base in ("bl", "blx"):
        return set(CALL_CLOBBERS)
    if base.startswith(("ldm", "pop")):
        return set(regs_of(ops[ops.find("{"):])) if "{" in ops else set()
    if base.startswith("ldrd"):
        return set(regs_of(ops)[:2])
    stem = re.sub(r"(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)$", "",
                  base)
    if base.startswith(NO_DEST) or stem in NO_DEST:
        return set()
    r = regs_of(ops)
    return {r[0]} if r else set()


def calls(ops, name):
    """Whether a bl's operands name the function (or its long-call veneer:
    the boot decision runs from RAM and main calls it through one)."""
    return re.search(r"<(__)?%s(_veneer)?>" % re.escape(name), ops) is not None


def ends_flow(mn, ops):
    """An unconditional branch or a return: what follows is reached from
    elsewhere, so this instruction's effect on registers does not carry."""
    base = mn.split(".")[0]
    if base == "b" or (base == "bx" and "lr" in ops):
        return True
    return base.startswith(("pop", "ldm")) and "pc" in regs_of(ops)


def count_checks(insns, words, tag, anchor):
    """Compares of a fresh memory load against a register known to hold the
    tag, split at the first call to anchor."""
    tagregs, fresh, half = set(), set(), {}
    before = after = 0
    seen_anchor = anchor is None
    for mn, ops, comment in insns:
        base = mn.split(".")[0]
        if base in ("bl", "blx") and anchor and calls(ops, anchor):
            seen_anchor = True
        if base == "cmp":
            a = regs_of(ops)
            if len(a) == 2 and ((a[0] in tagregs and a[1] in fresh) or
                                (a[1] in tagregs and a[0] in fresh)):
                if seen_anchor and anchor:
                    after += 1
                else:
                    before += 1
                # Past the compare (on the path that goes on) the loaded
                # word equals the tag.
                tagregs.update(a)
            continue
        if ends_flow(mn, ops):
            continue
        d = dests(mn, ops)
        tagregs -= d
        fresh -= d
        for r in d:
            half.pop(r, None)
        if len(d) != 1:
            continue
        r = next(iter(d))
        if base == "ldr" and "[pc" in ops:
            m = re.search(r"@\s*\(?([0-9a-f]+)", comment)
            if m and words.get(int(m.group(1), 16)) == tag:
                tagregs.add(r)
        elif base == "ldr":
            fresh.add(r)
        elif base == "movw":
            m = re.search(r"#(\d+)", ops)
            if m and int(m.group(1)) == tag & 0xFFFF:
                half[r] = True
        elif base == "movt":
            m = re.search(r"#(\d+)", ops)
            if m and int(m.group(1)) == tag >> 16 and half.get(r):
                tagregs.add(r)
        elif base == "mov" and len(regs_of(ops)) == 2 and \
                regs_of(ops)[1] in tagregs:
            tagregs.add(r)
    if anchor is None:
        return 0, before
    return before, after


def main():
    if len(sys.argv) != 6:
        fail("usage: check_fih.py <objdump> <elf> <boot_fih.h> "
             "<boot_core.c> <main.c>")
    objdump, elf, fih_h, *srcs = sys.argv[1:]
    m = re.search(r"#define FIH_SUCCESS \(\(fih_int\)(0x[0-9A-Fa-f]+)u\)",
                  open(fih_h).read())
    if not m:
        fail("FIH_SUCCESS not found in " + fih_h)
    tag = int(m.group(1), 16)
    texts = [open(s).read() for s in srcs]
    dis = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf],
                         capture_output=True, text=True, check=True).stdout

    funcs, words, cur = {}, {}, None
    for line in dis.splitlines():
        h = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if h:
            cur = h.group(1)
            funcs[cur] = []
            continue
        i = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*([^@;]*)(.*)$", line)
        if not i or cur is None:
            continue
        addr, mn, ops, comment = i.groups()
        if mn == ".word":
            try:
                words[int(addr, 16)] = int(ops.strip(), 16)
            except ValueError:
                pass
            continue
        funcs[cur].append((mn, ops.strip(), comment))

    bad = 0
    for elf_fn, src, src_fn, anchor in CHECKPOINTS:
        want_b, want_a = expected(source_body(texts[src], src_fn), anchor)
        if want_b + want_a == 0:
            fail("%s: no FIH_FAILED in the source" % src_fn)
        if elf_fn is None:
            callers = [f for f, ins in funcs.items()
                       if any(calls(o, anchor) for mn, o, _ in ins
                              if mn.startswith("bl"))]
            if not callers:
                fail("%s: no function of the ELF calls %s" % (src_fn, anchor))
            elf_fn = callers[0]
        if elf_fn not in funcs:
            fail("%s: not in the ELF" % elf_fn)
        got_b, got_a = count_checks(funcs[elf_fn], words, tag, anchor)
        ok = got_b >= want_b and got_a >= want_a
        bad += not ok
        print("fih: %s (%s) %s before=%d/%d after=%d/%d" %
              (src_fn, elf_fn, "ok" if ok else "MISSING", got_b, want_b,
               got_a, want_a))
    print("fih: tag=0x%08x checkpoints=%d missing=%d" %
          (tag, len(CHECKPOINTS), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
