#!/usr/bin/env python3
"""Firmware budget and placement checks (cross builds).

  fw_size.py ramfunc <elf>
      Fails if code that runs from SRAM (the .ramfunc region) calls into
      flash, directly or through a linker veneer, or loads a literal that
      points into the bootloader's own flash image (its .text/.rodata):
      on the single-bank F407 either would stall while flash is busy.

  fw_size.py api <elf>
      Fails if the API table's entries (boot_api_confirm,
      boot_api_request_update_mode) reach code in SRAM or load a literal
      pointing into SRAM other than the no-init window: once the
      application runs, all of SRAM below FOTA_NOINIT_ADDR is its own.

  fw_size.py prefix <in.o> <out.o> <prefix>
      Copies an object with every symbol renamed <prefix><name>, except the
      ARM mapping symbols ($t, $d, ...) the disassembler needs (the API
      table's copy of the confirm path, boot/CMakeLists.txt).

  fw_size.py size <elf> <build dir>
      Prints flash/RAM of the bootloader and its worst-case stack, ending
      with "size: bootloader_flash=<b> bootloader_ram=<b> bootloader_stack=<b>".
      Fails if the flash footprint exceeds sectors 0-1 (32768 bytes).

Stack method: GCC's -fstack-usage (.su) gives each function's own frame;
the call graph comes from the disassembly of the linked ELF (bl/blx/b.w to
a symbol, veneers resolved). The worst case is the maximum over all call
chains from the reset handler of the sum of frames (a depth-first search
with memoisation; the code has no recursion, a cycle fails the check).
Functions without a .su entry (none expected) count as 0 and are listed;
an indirect call (blx rN) in a reachable function is listed too, since
the graph cannot follow it. The one interrupt the bootloader takes (the
FLASH global interrupt in update mode, fw_flash_irq, not nested) may land
on the deepest chain: its own worst chain plus the largest exception frame
(ARMv7-M B1.5.7: 26 words with the FP context, plus the alignment word)
are added.
"""
import os
import re
import subprocess
import sys

OBJDUMP = os.environ.get("OBJDUMP", "arm-none-eabi-objdump")
RAM = (0x20000000, 0x20020000)
# The application's SRAM (fota_layout.h FOTA_APP_SRAM_*) and CCM.
APP_RAM = (0x20000000, 0x2001FFF0)
CCM = (0x10000000, 0x10010000)
API_ROOTS = ("boot_api_confirm", "boot_api_request_update_mode")
# The largest exception frame: 8 core words, 18 FP words, 1 alignment word.
IRQ_FRAME = 27 * 4
# Sectors 0 and 1 (FOTA_BOOT_ADDR/SIZE in include/fota/fota_layout.h).
BOOT_BUDGET = 0x8000
BOOT_FLASH = (0x08000000, 0x08000000 + BOOT_BUDGET)

FUNC_RE = re.compile(r"^([0-9a-f]{8}) <([^>]+)>:$")
CALL_RE = re.compile(
    r"\s(bl|blx|b\.w|b|b[a-z]{2}\.w|b[a-z]{2}|cbn?z)\s+(?:[a-z0-9]+,\s*)?"
    r"(?:0x)?([0-9a-f]+) <([^>+]+)(\+0x[0-9a-f]+)?>")
WORD_RE = re.compile(r"\.word\s+0x([0-9a-f]{8})")
INDIRECT_RE = re.compile(r"\sblx\s+(r\d+|ip|lr)\b")
VENEER_LDR_RE = re.compile(r"ldr(\.w)?\s+pc,")


def disassemble(elf):
    out = subprocess.run([OBJDUMP, "-d", elf], check=True,
                         capture_output=True, text=True).stdout
    funcs = {}
    cur = None
    for line in out.splitlines():
        m = FUNC_RE.match(line)
        if m:
            cur = {"addr": int(m.group(1), 16), "name": m.group(2),
                   "calls": set(), "words": [], "indirect": False,
                   "veneer_ldr": False}
            funcs[cur["name"]] = cur
            continue
        if cur is None:
            continue
        m = CALL_RE.search(line)
        if m and m.group(3) != cur["name"]:
            cur["calls"].add(m.group(3))
        for w in WORD_RE.findall(line):
            cur["words"].append(int(w, 16))
        if INDIRECT_RE.search(line):
            cur["indirect"] = True
        if VENEER_LDR_RE.search(line):
            cur["veneer_ldr"] = True
    by_addr = {f["addr"] & ~1: n for n, f in funcs.items()}
    # A long-branch veneer loads pc from the literal that follows it.
    for f in funcs.values():
        if f["name"].endswith("_veneer") and f["words"]:
            target = by_addr.get(f["words"][0] & ~1)
            if target:
                f["calls"] = {target}
            f["words"] = []
    return funcs


def in_range(addr, rng):
    return rng[0] <= addr < rng[1]


def flash_image_end(elf):
    out = subprocess.run([OBJDUMP, "-h", elf], check=True,
                         capture_output=True, text=True).stdout
    end = BOOT_FLASH[0]
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 6 and p[0].isdigit():
            size, lma = int(p[2], 16), int(p[4], 16)
            nxt = out.splitlines()[out.splitlines().index(line) + 1]
            if "LOAD" in nxt and in_range(lma, BOOT_FLASH):
                end = max(end, lma + size)
    return end


def sections(elf):
    out = subprocess.run([OBJDUMP, "-h", elf], check=True,
                         capture_output=True, text=True).stdout
    res = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 6 and p[0].isdigit():
            res.append((p[1], int(p[2], 16), int(p[3], 16), int(p[4], 16)))
    return res


def check_ramfunc(elf):
    funcs = disassemble(elf)
    ram = {n for n, f in funcs.items() if in_range(f["addr"], RAM)}
    img_end = flash_image_end(elf)
    # .flashdata (boot.ld.in): tables read only while flash is idle.
    data = [(s[2], s[2] + s[1]) for s in sections(elf) if s[0] == ".flashdata"]
    bad = []
    for n in sorted(ram):
        f = funcs[n]
        for c in sorted(f["calls"]):
            callee = c
            if callee in funcs and funcs[callee]["name"].endswith("_veneer"):
                targets = funcs[callee]["calls"]
                callee = next(iter(targets)) if targets else callee
            if callee in funcs and not in_range(funcs[callee]["addr"], RAM):
                bad.append("%s -> %s (flash)" % (n, callee))
        for w in f["words"]:
            if BOOT_FLASH[0] <= w < img_end and \
                    not any(in_range(w, r) for r in data):
                bad.append("%s loads 0x%08x (bootloader flash)" % (n, w))
    ram_bytes = sum(s[1] for s in sections(elf) if s[0] == ".ramfunc")
    if bad:
        print("ramfunc: %d reference(s) from SRAM code into flash:" % len(bad))
        for b in bad:
            print("  " + b)
        return 1
    print("ramfunc: %d functions, %d bytes in SRAM, no call or literal into "
          "flash" % (len(ram), ram_bytes))
    return 0


def check_api(elf):
    funcs = disassemble(elf)
    seen, todo, bad = set(), list(API_ROOTS), []
    for r in API_ROOTS:
        if r not in funcs:
            bad.append("%s missing" % r)
    while todo:
        n = todo.pop()
        if n in seen or n not in funcs:
            continue
        seen.add(n)
        f = funcs[n]
        if in_range(f["addr"], RAM) or in_range(f["addr"], CCM):
            bad.append("%s runs from RAM (0x%08x)" % (n, f["addr"]))
        if f["indirect"]:
            bad.append("%s makes an indirect call" % n)
        for w in f["words"]:
            if in_range(w, APP_RAM) or in_range(w, CCM):
                bad.append("%s loads 0x%08x (application RAM)" % (n, w))
        todo.extend(f["calls"])
    if bad:
        print("api: %d problem(s) in the API table's code:" % len(bad))
        for b in bad:
            print("  " + b)
        return 1
    print("api: %d functions reachable from the API table, all in flash, "
          "no fixed RAM but the no-init window" % len(seen))
    return 0


def norm(name):
    # The API table's copy of the core (fota_api_*) has the frames of the
    # functions it was compiled from.
    return re.sub(r"^fota_api_", "", re.sub(r"\.\d+$", "", name))


def read_su(build_dir):
    frames = {}
    dynamic = []
    walk = []
    for sub in ("boot", "common"):
        walk.extend(os.walk(os.path.join(build_dir, sub)))
    for root, _, files in walk:
        for fn in files:
            if not fn.endswith(".su"):
                continue
            with open(os.path.join(root, fn)) as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) < 3:
                        continue
                    name = parts[0].rsplit(":", 1)[-1]
                    size = int(parts[1])
                    if "dynamic" in parts[2] and "bounded" not in parts[2]:
                        dynamic.append(name)
                    frames[name] = max(size, frames.get(name, 0))
    return frames, dynamic


def worst_stack(funcs, frames, root, missing, indirect):
    memo = {}
    on_path = set()

    def visit(n):
        if n in memo:
            return memo[n]
        if n in on_path:
            raise RuntimeError("call cycle through %s" % n)
        on_path.add(n)
        f = funcs.get(n)
        own = 0
        if f is not None and not n.endswith("_veneer"):
            key = norm(n)
            if key in frames:
                own = frames[key]
            else:
                missing.add(n)
            if f["indirect"]:
                indirect.add(n)
        best, chain = 0, []
        for c in (f["calls"] if f else ()):
            d, ch = visit(c)
            if d > best:
                best, chain = d, ch
        on_path.discard(n)
        memo[n] = (own + best, [(n, own)] + chain)
        return memo[n]

    return visit(root)


def size(elf, build_dir):
    secs = sections(elf)
    flash = flash_image_end(elf) - BOOT_FLASH[0]
    ram = sum(s[1] for s in secs if in_range(s[2], RAM))
    funcs = disassemble(elf)
    frames, dynamic = read_su(build_dir)
    missing, indirect = set(), set()
    stack, chain = worst_stack(funcs, frames, "fw_reset_handler", missing,
                               indirect)
    api_stack, _ = worst_stack(funcs, frames, "boot_api_confirm", missing,
                               indirect)
    irq_stack = 0
    if "fw_flash_irq" in funcs:
        irq_stack, _ = worst_stack(funcs, frames, "fw_flash_irq", missing,
                                   indirect)
        irq_stack += IRQ_FRAME
        stack += irq_stack
    print("bootloader sections:")
    for name, sz, vma, lma in secs:
        where = "RAM" if in_range(vma, RAM) else "flash"
        extra = " (copied from flash 0x%08x)" % lma if where == "RAM" and lma != vma and sz and name in (".ramfunc", ".data") else ""
        print("  %-10s %6d bytes  %s 0x%08x%s" % (name, sz, where, vma, extra))
    print("flash: %d of %d bytes (sectors 0-1), %d free" % (flash, BOOT_BUDGET, BOOT_BUDGET - flash))
    print("ram:   %d bytes (.ramfunc + .data + .bss + stack reserve)" % ram)
    print("stack: worst chain from reset (%d bytes):" % stack)
    for n, own in chain:
        print("    %5d  %s" % (own, n))
    if irq_stack:
        print("stack: plus the flash interrupt on top of it: %d bytes (its frame and the exception frame)" % irq_stack)
    print("stack: API confirm on the application's stack: %d bytes" % api_stack)
    if missing:
        print("stack: no .su entry (counted as 0): " + ", ".join(sorted(missing)))
    if indirect:
        print("stack: indirect calls not followed in: " + ", ".join(sorted(indirect)))
    if dynamic:
        print("stack: dynamic frames: " + ", ".join(sorted(dynamic)))
    reserve = next((s[1] for s in secs if s[0] == ".stack"), 0)
    if stack > reserve:
        print("size: worst-case stack %d exceeds the %d-byte reserve" % (stack, reserve))
        return 1
    print("size: bootloader_flash=%d bootloader_ram=%d bootloader_stack=%d"
          % (flash, ram, stack))
    if flash > BOOT_BUDGET:
        print("size: bootloader exceeds sectors 0-1 (%d bytes)" % BOOT_BUDGET)
        return 1
    return 0


def prefix_object(src, dst, prefix):
    nm = os.environ.get("NM", "arm-none-eabi-nm")
    objcopy = os.environ.get("OBJCOPY", "arm-none-eabi-objcopy")
    out = subprocess.run([nm, "-a", src], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        name = line.split()[-1] if line.split() else ""
        if len(line.split()) < 2 or name.startswith("$") or name.startswith("."):
            continue
        if line.split()[-2] in ("a", "N", "n"):  # file names, debug symbols
            continue
        names.add(name)
    table = dst + ".syms"
    with open(table, "w") as f:
        for n in sorted(names):
            f.write("%s %s%s\n" % (n, prefix, n))
    subprocess.run([objcopy, "--redefine-syms=" + table, src, dst], check=True)
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "prefix":
        return prefix_object(argv[2], argv[3], argv[4])
    if len(argv) == 3 and argv[1] == "ramfunc":
        return check_ramfunc(argv[2])
    if len(argv) == 3 and argv[1] == "api":
        return check_api(argv[2])
    if len(argv) == 4 and argv[1] == "size":
        return size(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
