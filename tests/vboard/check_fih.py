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


COND = ("eq", "ne", "cs", "cc", "hs", "lo", "mi", "pl", "vs", "vc", "hi",
        "ls", "ge", "lt", "gt", "le")


def branch_kind(mn, ops):
    """None for an instruction that falls through; otherwise (target or
    None, falls_through) for a branch or a return."""
    base = mn.split(".")[0]
    m = re.match(r"([0-9a-f]+) <", ops)
    target = int(m.group(1), 16) if m else None
    if base in ("cbz", "cbnz"):
        m = re.search(r"\b([0-9a-f]+) <", ops)
        return (int(m.group(1), 16) if m else None, True)
    if base == "b":
        return (target, False)
    if base[:1] == "b" and base[1:] in COND:
        return (target, True)
    if base == "bx" and "lr" in ops:
        return (None, False)
    if base.startswith(("pop", "ldm")) and "pc" in regs_of(ops):
        return (None, False)
    return None


def transfer(state, insn, words, tag, on_check):
    """One instruction's effect on (tag registers, freshly loaded
    registers); on_check is called for each compare of a fresh load with
    the tag."""
    tagregs, fresh, half = state
    _addr, mn, ops, comment = insn
    base = mn.split(".")[0]
    if base == "cmp":
        a = regs_of(ops)
        if len(a) == 2 and ((a[0] in tagregs and a[1] in fresh) or
                            (a[1] in tagregs and a[0] in fresh)):
            on_check()
            # Past the compare (on the path that goes on) the loaded word
            # equals the tag.
            tagregs |= set(a)
        return
    d = dests(mn, ops)
    tagregs -= d
    fresh -= d
    for r in d:
        half.pop(r, None)
    if len(d) != 1:
        return
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


def count_checks(insns, words, tag, anchor):
    """Compares of a fresh memory load against a register known to hold the
    tag on every path that reaches them (a must-analysis over the
    function's control flow, so code the compiler duplicated or moved is
    judged by its real predecessors), split at the first call to anchor."""
    addrs = [a for a, _, _, _ in insns]
    index = {a: k for k, a in enumerate(addrs)}
    leaders = {0}
    succ_of = {}
    for k, (a, mn, ops, _c) in enumerate(insns):
        bk = branch_kind(mn, ops)
        if bk is None:
            continue
        target, falls = bk
        if target in index:
            leaders.add(index[target])
        if k + 1 < len(insns):
            leaders.add(k + 1)
    starts = sorted(leaders)
    blocks = []
    for n, st in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(insns)
        blocks.append((st, end))
    block_at = {st: n for n, (st, _e) in enumerate(blocks)}
    for n, (st, end) in enumerate(blocks):
        a, mn, ops, _c = insns[end - 1]
        bk = branch_kind(mn, ops)
        succ = []
        if bk is None:
            falls, target = True, None
        else:
            target, falls = bk
        if target in index and index[target] in block_at:
            succ.append(block_at[index[target]])
        if falls and end < len(insns):
            succ.append(block_at[end])
        succ_of[n] = succ
    first_anchor = None
    if anchor:
        for a, mn, ops, _c in insns:
            if mn.split(".")[0] in ("bl", "blx") and calls(ops, anchor):
                first_anchor = a
                break
    # Entry states: None = not reached yet (the top of the lattice).
    entry = {0: (set(), set(), {})}
    work = [0]
    while work:
        n = work.pop()
        tagregs, fresh, half = entry[n]
        state = (set(tagregs), set(fresh), dict(half))
        for k in range(*blocks[n]):
            transfer(state, insns[k], words, tag, lambda: None)
        for m in succ_of[n]:
            if m not in entry:
                entry[m] = (set(state[0]), set(state[1]), dict(state[2]))
                work.append(m)
                continue
            old = entry[m]
            new = (old[0] & state[0], old[1] & state[1],
                   {r: v for r, v in old[2].items() if state[2].get(r)})
            if new[0] != old[0] or new[1] != old[1] or new[2] != old[2]:
                entry[m] = new
                work.append(m)
    before = after = 0
    for n, (st, end) in enumerate(blocks):
        if n not in entry:
            continue
        tagregs, fresh, half = entry[n]
        state = (set(tagregs), set(fresh), dict(half))
        for k in range(st, end):
            hits = []
            transfer(state, insns[k], words, tag, lambda: hits.append(1))
            if hits:
                if first_anchor is not None and insns[k][0] > first_anchor:
                    after += 1
                else:
                    before += 1
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
        funcs[cur].append((int(addr, 16), mn, ops.strip(), comment))

    bad = 0
    for elf_fn, src, src_fn, anchor in CHECKPOINTS:
        want_b, want_a = expected(source_body(texts[src], src_fn), anchor)
        if want_b + want_a == 0:
            fail("%s: no FIH_FAILED in the source" % src_fn)
        if elf_fn is None:
            callers = [f for f, ins in funcs.items()
                       if any(calls(o, anchor) for _a, mn, o, _ in ins
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
