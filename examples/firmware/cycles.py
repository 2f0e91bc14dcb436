"""cycles.py ELF < QEMU_LOG -- estimate the Cortex-M4 cycles of main.c's forward pass.

QEMU counts instructions, not cycles.  This reads QEMU's `-d in_asm,exec,nochain`
log of a run of an image built by build.sh (cycles.sh does the plumbing), takes
the instructions executed between the two calls of systick_count() that time the
forward pass, and prices each with the Cortex-M4 timings of Arm's Technical
Reference Manual (chapter 3, "Processor instruction timings"), assuming
zero-wait-state memory:

    ALU, MUL, compare, MOV, FPU add/mul/convert     1
    LDR (any width), VLDR, VSTR                     2
    STR                                             1
    LDRD/STRD                                       3
    LDM/STM/PUSH/POP, VLDM/VSTM/VPUSH/VPOP          1 + registers (+2 popping pc)
    MLA/MLS                                         2
    VMLA/VMLS/VFMA/VFMS/VNMLA...                    3
    SDIV/UDIV                                       7 (2 to 12)
    VDIV/VSQRT                                      14
    branch: conditional 2, unconditional 3 (1 + refill of 1 to 3)
    IT                                              0 (folded)

It ignores load pipelining (back-to-back loads cost 1 each after the first),
branch prediction and real taken/not-taken counts, so read it as +-20%: a
rougher but closer figure for a real M4 than the bare instruction count.
Prints one line: instructions, estimated cycles, cycles per instruction.
"""
import re
import subprocess
import sys

COND = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls",
        "ge", "lt", "gt", "le"}


def nregs(ops):
    """Registers in a {r4, r5-r7, pc} or {s16-s23} list."""
    m = re.search(r"\{([^}]*)\}", ops)
    if not m:
        return 1
    n = 0
    for part in m.group(1).split(","):
        a = re.findall(r"\d+", part)
        n += int(a[1]) - int(a[0]) + 1 if "-" in part and len(a) == 2 else 1
    return n


def cost(mn, ops):
    m = mn.split(".")[0]
    if m.startswith("it"):
        return 0
    if m.startswith("v"):
        if re.match(r"v(n?ml[as]|f?n?fm[as])", m):
            return 3
        if m.startswith(("vdiv", "vsqrt")):
            return 14
        if m.startswith(("vldm", "vstm", "vpush", "vpop")):
            return 1 + nregs(ops)
        if m.startswith(("vldr", "vstr")):
            return 2
        return 1
    if m.startswith(("ldm", "stm", "push", "pop")):
        return 1 + nregs(ops) + (2 if m.startswith(("pop", "ldm")) and "pc" in ops else 0)
    if m.startswith(("ldrd", "strd")):
        return 3
    if m.startswith("ldr"):
        return 2
    if m.startswith(("sdiv", "udiv")):
        return 7
    if m.startswith(("mla", "mls")):
        return 2
    if m in ("b", "bl", "blx", "bx"):
        return 3
    if m in ("cbz", "cbnz") or (m[0] == "b" and m[1:] in COND):
        return 2
    return 1


def main():
    elf = sys.argv[1]
    nm = subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True).stdout
    entry = None
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == "systick_count":
            entry = int(f[0], 16) & ~1
    if entry is None:
        sys.exit("cycles.py: no systick_count in " + elf)

    tbs = {}            # host address of a translated block -> (instructions, cycles)
    pending = None      # the block being read from an IN: section
    seen = 0            # entries into systick_count so far
    insns = cycles = 0
    for line in sys.stdin:
        if line.startswith("IN:"):
            pending = [0, 0]
        elif pending is not None and line.startswith("0x"):
            f = line.split()
            i = 1
            while i < len(f) and re.fullmatch(r"[0-9a-f]{4}", f[i]):
                i += 1                      # skip the encoding's halfwords
            if i < len(f):
                pending[0] += 1
                pending[1] += cost(f[i], " ".join(f[i + 1:]))
        elif line.startswith("Trace"):
            f = line.split()
            host = f[2]
            if pending is not None:
                tbs[host] = tuple(pending)
                pending = None
            pc = int(f[3][1:].split("/")[1], 16)
            if pc == entry:
                seen += 1
                continue
            if seen == 1 and host in tbs:
                insns += tbs[host][0]
                cycles += tbs[host][1]
    if seen < 2 or insns == 0:
        sys.exit("cycles.py: the log does not show a timed forward pass")
    print(f"forward: {insns} instructions, ~{cycles} Cortex-M4 cycles "
          f"(zero-wait-state model, {cycles / insns:.2f} per instruction)")


if __name__ == "__main__":
    main()
