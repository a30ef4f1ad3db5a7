#pragma once
// Which spikessm this is: the semantic version (CMake's project(VERSION), the one place it is
// defined) and the git commit the library was built from ("unknown" outside a git checkout;
// "-dirty" appended when the tree had uncommitted changes). Run directories, metrics and
// checkpoints record both, so a result can be traced to the code that produced it.
#include <string>

namespace spikessm {

// "MAJOR.MINOR.PATCH", e.g. "0.1.0".
const char* version();
// The abbreviated commit hash, e.g. "59d8612c0a3e", or "unknown".
const char* git_commit();
// "spikessm 0.1.0 (commit 59d8612c0a3e)": what --version prints.
std::string version_line();

// The instruction set the library was compiled for (cmake -DSPIKESSM_ISA=..., docs/install.md):
// "avx2", "avx512", "native" or "generic", its compiler flags, and the CPU features those flags
// let the compiler use ("avx,avx2,bmi,...", __builtin_cpu_supports names).
const char* compiled_isa();
const char* compiled_isa_flags();
const char* required_cpu_features();
// 1 when this CPU has `feature`, 0 when not (or when it is named in the environment variable
// SPIKESSM_CPU_HIDE=f1,f2,...), -1 when it cannot be tested.
int cpu_has(const char* feature);
// True when this build carries AVX-512 copies of kernels (an avx2 build, cmake/isa.cmake) and
// this CPU has AVX-512 as x86-64-v4 defines it (F, BW, CD, DQ, VL; none of them hidden by
// SPIKESSM_CPU_HIDE): those kernels then take their AVX-512 copy.
bool runs_avx512_kernels();
// The first required feature this CPU lacks, or nullptr.
const char* missing_cpu_feature();
// Without a required feature: one error line naming it, then exit code 2. Every binary that
// links the library does this before any other code of ours runs.
void require_cpu_isa();

// `spikessm --version --verbose`: the version line, then the instruction set (compiled for,
// required, what this CPU has), the path each hot kernel takes, LibTorch's version and CPU
// capability, and the thread count; one "key: value" per line.
std::string version_verbose();

}  // namespace spikessm
