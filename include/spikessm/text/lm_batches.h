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

// Evaluation scores every target of the stream once; each window starts from a fresh state.
// stride == context: non-overlapping windows (the first tokens of a window see a short
// history), the shorter last one alone. stride < context: sliding windows of `context` tokens
// moved by `stride`, each scoring only its last `stride` targets (the others are -100, the
// ignored index), so every target after the first window sees >= context - stride tokens of
// history, at context / stride times the cost. Windows of one length are batched by `batch`.
// tokens: (N,) -> batches whose scored targets together are tokens[1:N] exactly once.
std::vector<LmBatch> lm_eval_batches(const torch::Tensor& tokens, int64_t batch, int64_t context,
                                     int64_t stride);

}  // namespace spikessm
