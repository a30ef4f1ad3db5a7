#pragma once
// Which kernels the BLAS runs for GEMMs (LibTorch's matrix products go to it).
//
// OpenBLAS releases before 0.3.25 (Debian 12 ships 0.3.21) fall back to their SSE3 "Prescott"
// kernels on an x86 CPU whose model number they do not know (OpenBLAS issue 4267; Emerald
// Rapids is one), and every GEMM then runs ~3x slower than with the kernels of the CPU's
// instruction set. When the process loads the library, spikessm reruns OpenBLAS's own core
// selection with the core that OpenBLAS picks for a known CPU with the same features (SkylakeX
// for AVX-512, Haswell for AVX2 + FMA, Sandybridge for AVX), unless the user chose one with
// OPENBLAS_CORETYPE. Any other BLAS, or an OpenBLAS that chose a real core, is left alone.
#include <string>

namespace spikessm {

// Rerun OpenBLAS's selection as above; the load-time constructor calls it once, before any
// other code of ours.
void select_blas_core();

// Intra-op threads, n <= 0 meaning every core: ATen's, and OpenBLAS's own pool, which ATen's
// setting does not reach: without it, a run asked to use one thread still runs every GEMM on
// all cores, and two one-thread runs side by side spin on each other's cores. Another BLAS is
// left alone. The CLI's --threads, the benchmarks and Python's spikessm.set_threads call this.
void set_threads(int n);

// One line for `--version --verbose`: "OpenBLAS, core SkylakeX (OpenBLAS chose Prescott on
// this CPU; spikessm chose SkylakeX)", "OpenBLAS, core Haswell", or "not OpenBLAS".
std::string blas_report();

}  // namespace spikessm
