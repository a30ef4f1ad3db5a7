#pragma once
// Contiguous language-model batches from one token stream.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace spikessm {

struct LmBatch {
  torch::Tensor x, y;  // (B, L) int64 inputs and next-token targets
};

// Training batch of optimizer step `step`: B windows of L + 1 consecutive tokens starting at
// offsets uniform in [0, N - L - 1], drawn from a generator seeded by (seed, step) only, so a
// resumed run sees exactly the batches the uninterrupted one would.
// tokens: (N,) int64 with N > L + 1 -> x, y: (B, L)
LmBatch lm_train_batch(const torch::Tensor& tokens, int64_t batch, int64_t context, uint64_t seed,
                       int64_t step);

// Evaluation covers the stream once in non-overlapping windows of `context` targets; each
// window starts from a fresh state (the first tokens of a window see a short history). The
// windows of full length are returned batched by `batch`, the shorter last one alone.
// tokens: (N,) -> batches whose targets together are tokens[1:N] exactly once.
std::vector<LmBatch> lm_eval_batches(const torch::Tensor& tokens, int64_t batch, int64_t context);

}  // namespace spikessm
