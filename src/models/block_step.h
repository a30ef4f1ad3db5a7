#pragma once
// A SpikingSSM block's fixed weights laid out once for the one-step kernel
// (kernels/cpu/ssm_block_step_cpu.h), shared by the language model's and the streaming
// classifier's step engines. Built from a block in eval mode (dropout is the identity,
// BatchNorm a per-channel affine of its running statistics).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "../kernels/cpu/ssm_block_step_cpu.h"
#include "spikessm/layers/spiking_ssm_block.h"

namespace spikessm {

// The per-token scratch of a step engine, sized once.
template <typename T>
struct StepScratch {
  std::vector<T> u, a, m;
  std::vector<int32_t> active;
  void fit(int64_t H, int64_t n_mix);
};

template <typename T>
struct SpikingBlockStep {
  // c_folded: the mode state is C h (the classifier's diag_ssm_stream state); otherwise h
  // (S4D::step's state) with C applied at the output.
  SpikingBlockStep(const SpikingSSMBlockImpl& b, bool c_folded);
  // `fixed` points into the vectors: a move keeps their buffers, a copy would not.
  SpikingBlockStep(const SpikingBlockStep&) = delete;
  SpikingBlockStep(SpikingBlockStep&&) noexcept = default;

  int64_t H = 0, M = 0, n_mix = 0;
  // s: (H, 2, M) planar mode states; v: (H) membranes; x: (H) residual stream.
  kernels::SsmBlockStepParams<T> params(T* s, T* v, T* x, StepScratch<T>& scratch) const;

  bool spiking = true;
  std::vector<T> z, w, c, d, norm_w, norm_b, inv_vth, mix_wt, mix_b;  // planar (H, 2, M) modes
  kernels::SsmBlockStepParams<T> fixed;  // everything but the state and scratch pointers
};

// Why a block has no step engine ("" when it has): the soma is not a LIF.
std::string block_step_refusal(const SpikingSSMBlockImpl& b);

// A tensor's values as T (any float dtype in, contiguous copy out).
template <typename T>
std::vector<T> values_of(const torch::Tensor& t);

// Complex arrays: interleaved (rows, M, 2) <-> planar (rows, 2, M).
template <typename T>
void to_planar(const T* in, int64_t rows, int64_t M, T* out);
template <typename T>
void from_planar(const T* in, int64_t rows, int64_t M, T* out);

}  // namespace spikessm
