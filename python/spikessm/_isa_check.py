"""Refuses the import, in one line, on a CPU without the instruction set the extension was
compiled for (cmake -DSPIKESSM_ISA=..., docs/install.md), before the extension is loaded: its
code would otherwise die of an illegal instruction (or its own check would end Python).

The build writes the required features into _build_isa.py (GCC's __builtin_cpu_supports
names); Linux's /proc/cpuinfo says what this CPU has. SPIKESSM_CPU_HIDE=f1,f2 pretends they
are missing, as the C++ check does.
"""
import os

# __builtin_cpu_supports name -> /proc/cpuinfo flag, where they differ.
_CPUINFO_NAME = {
    "sse3": "pni", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "bmi": "bmi1", "lzcnt": "abm",
    "pclmul": "pclmulqdq", "avxvnni": "avx_vnni", "avx512vnni": "avx512_vnni",
    "avx512bf16": "avx512_bf16", "avx512fp16": "avx512_fp16", "avx512vbmi2": "avx512_vbmi2",
    "avx512bitalg": "avx512_bitalg", "avx512vpopcntdq": "avx512_vpopcntdq",
}


def _cpu_flags():
    """The flags of the first processor in /proc/cpuinfo, or None where there is none."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def missing_feature(required, flags, hidden=()):
    """The first of `required` that `flags` (a set, or None: unknown) lacks, or None."""
    for name in required:
        if name in hidden or (flags is not None and _CPUINFO_NAME.get(name, name) not in flags):
            return name
    return None


def check_cpu():
    try:
        from . import _build_isa
    except ImportError:  # not a CMake build directory: nothing to compare with
        return
    hidden = [h for h in os.environ.get("SPIKESSM_CPU_HIDE", "").split(",") if h]
    missing = missing_feature(_build_isa.REQUIRES, _cpu_flags(), hidden)
    if missing:
        raise ImportError(f"spikessm was compiled for {_build_isa.ISA} ({_build_isa.FLAGS}) and "
                          f"this CPU has no {missing}; build it with cmake "
                          f"-DSPIKESSM_ISA=generic (or a level this CPU has)")
