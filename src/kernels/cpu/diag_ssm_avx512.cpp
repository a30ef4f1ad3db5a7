// The diagonal-SSM scan compiled for AVX-512 (x86-64-v4) in an avx2 build: CMake compiles
// this file with -march=x86-64-v4 and defines SPIKESSM_AVX512_KERNELS; diag_ssm_cpu.cpp
// calls it only on a CPU that has AVX-512. In other builds it is empty.
#if defined(SPIKESSM_AVX512_KERNELS)
#define DIAG_SSM_NS avx512
#include "diag_ssm_lanes.h"
#endif
