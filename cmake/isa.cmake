# The instruction set the library's own code is compiled for (docs/install.md, "Instruction
# set"). A binary compiled for more than its CPU has dies of SIGILL somewhere inside; so the
# default is portable, and src/common/version_isa.cpp, compiled for plain x86-64, refuses to
# start (one line, exit code 2) on a CPU that lacks what the build needs.
#   avx2     -march=x86-64-v3 (AVX2, FMA, BMI2; Haswell / Zen 1 and later): the default
#   avx512   -march=x86-64-v4 (adds AVX-512 F/BW/CD/DQ/VL; Skylake-SP / Zen 4 and later)
#   native   -march=native: whatever the build machine has; runs only on its kind of CPU
#   generic  -march=x86-64 (SSE2): any 64-bit x86 CPU, kernels without AVX (several x slower)
# The fused kernels use 256-bit at::vec (vec_util.h) under avx2, avx512 and native alike, so
# avx2 loses them nothing measurable (docs/results.md, "Instruction set").
# Sets SPIKESSM_ISA_FLAGS (compile options of the library and of this build's users) and
# SPIKESSM_ISA_REQUIRES (the CPU features those flags let the compiler use, comma-separated, in
# __builtin_cpu_supports spelling).
set(SPIKESSM_ISA avx2 CACHE STRING "Instruction set of the library's code: avx2, avx512, native or generic")
set_property(CACHE SPIKESSM_ISA PROPERTY STRINGS avx2 avx512 native generic)

set(SPIKESSM_ISA_BASELINE_FLAGS "")
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # Other CPUs: the compiler's default target, nothing to check at run time.
  set(SPIKESSM_ISA_FLAGS "")
  if(SPIKESSM_ISA STREQUAL "native")
    set(SPIKESSM_ISA_FLAGS -march=native)
  endif()
elseif(SPIKESSM_ISA STREQUAL "avx2")
  set(SPIKESSM_ISA_FLAGS -march=x86-64-v3 -mtune=generic)
elseif(SPIKESSM_ISA STREQUAL "avx512")
  set(SPIKESSM_ISA_FLAGS -march=x86-64-v4 -mtune=generic)
elseif(SPIKESSM_ISA STREQUAL "native")
  set(SPIKESSM_ISA_FLAGS -march=native)
elseif(SPIKESSM_ISA STREQUAL "generic")
  set(SPIKESSM_ISA_FLAGS -march=x86-64 -mtune=generic)
else()
  message(FATAL_ERROR "SPIKESSM_ISA=${SPIKESSM_ISA}: expected avx2, avx512, native or generic")
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(SPIKESSM_ISA_BASELINE_FLAGS -march=x86-64 -mtune=generic)
endif()

# What the compiler may use under those flags: its predefined macros (__AVX2__, ...), for the
# features __builtin_cpu_supports can test (clang 14 knows all but the last six, which the
# check then skips).
set(SPIKESSM_ISA_REQUIRES "")
if(SPIKESSM_ISA_BASELINE_FLAGS)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} ${SPIKESSM_ISA_FLAGS} -dM -E -x c++ /dev/null
                  OUTPUT_VARIABLE macros RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "SPIKESSM_ISA=${SPIKESSM_ISA}: ${CMAKE_CXX_COMPILER} rejects ${SPIKESSM_ISA_FLAGS}")
  endif()
  foreach(f sse3 sse4.1 sse4.2 popcnt avx avx2 fma bmi bmi2 avx512f avx512bw avx512cd avx512dq
            avx512vl avx512ifma avx512vbmi avx512vbmi2 avx512vnni avx512bitalg avx512vpopcntdq
            avx512bf16 gfni vpclmulqdq pclmul aes f16c lzcnt movbe xsave avxvnni avx512fp16)
    string(TOUPPER "${f}" m)
    string(REPLACE "." "_" m "${m}")
    if(macros MATCHES "#define __${m}__ 1")
      list(APPEND SPIKESSM_ISA_REQUIRES ${f})
    endif()
  endforeach()
  list(JOIN SPIKESSM_ISA_REQUIRES "," SPIKESSM_ISA_REQUIRES)
endif()
# An avx2 build also carries AVX-512 copies of the kernels that gain from it (the diagonal-SSM
# scan: twice the vector width and twice the registers, the same results bit for bit) and
# runs them on CPUs that have AVX-512 (runs_avx512_kernels() in common/version.h).
set(SPIKESSM_AVX512_KERNELS 0)
if(SPIKESSM_ISA STREQUAL "avx2" AND SPIKESSM_ISA_BASELINE_FLAGS)
  set(SPIKESSM_AVX512_KERNELS 1)
endif()
list(JOIN SPIKESSM_ISA_FLAGS " " SPIKESSM_ISA_FLAGS_TEXT)
message(STATUS "spikessm: SPIKESSM_ISA=${SPIKESSM_ISA} (${SPIKESSM_ISA_FLAGS_TEXT}); "
               "needs: ${SPIKESSM_ISA_REQUIRES}")
