#pragma once
// Small parts of NeuronSpark (papers.md 3.1, 3.4): RMSNorm, the fixed-parameter PLIF node
// that emits the leak signal, and the PonderNet aggregation of K frames per token.
// Every sequence tensor is (B, T, D) with T = tokens x K frames, frame k of token t at t K + k.
#include <torch/torch.h>

#include "spikessm/metrics/recorder.h"

namespace spikessm {

// y = gamma * x / sqrt(mean_D(x^2) + eps); also NeuronSpark's "lateral inhibition".
class RmsNormImpl : public torch::nn::Cloneable<RmsNormImpl> {
 public:
  explicit RmsNormImpl(int64_t dim, double eps = 1e-6) : dim_(dim), eps_(eps) { reset(); }
  void reset() override { weight = register_parameter("weight", torch::ones({dim_})); }
  // x: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x);
  double eps() const { return eps_; }
  torch::Tensor weight;  // (D) gamma

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(RmsNorm);

struct PlifNodeOptions {
  PlifNodeOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(double, init_tau) = 2.0;     // w ~ N(logit(1 - 1/tau0), 0.5)
  TORCH_ARG(double, v_threshold) = 0.5;  // v_th ~ U(0.5 v0, 1.5 v0)
  TORCH_ARG(double, surrogate_alpha) = 4.0;
  TORCH_ARG(bool, spiking) = true;  // false: the same integrator without spike and reset
};

// NeuronSpark's PLIFNode (papers.md 3.1): beta = sigmoid(w) per channel, soft reset, output the
// leak (1 - beta) V_post. Non-spiking: V[t] = beta V[t-1] + (1 - beta) x[t], same leak; v_th
// stays registered (same parameter count) but is unused.
class PlifNodeImpl : public torch::nn::Cloneable<PlifNodeImpl> {
 public:
  explicit PlifNodeImpl(const PlifNodeOptions& options) : options(options) { reset(); }
  void reset() override;
  // x: (B, T, D), v0: (B, D) or undefined (zeros) -> leak: (B, T, D);
  // *v_last = V_post at the last frame (B, D) when v_last is given; spikes into *tally.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& v0 = {},
                        torch::Tensor* v_last = nullptr, const SpikeSink* tally = nullptr);
  PlifNodeOptions options;
  torch::Tensor w, v_th;  // (D) decay logit, (D) threshold
};
TORCH_MODULE(PlifNode);

struct PonderOutput {
  torch::Tensor out;              // (B, L, D) weighted mean of the K frames of each token
  torch::Tensor expected_frames;  // (B, L) E[K] = sum_k k lambda_hat_k
};

// PonderNet (papers.md 3.4): p_k = sigmoid(frames_k . w + b), S_k = prod_{j<k} (1 - p_j),
// lambda_k = p_k S_k, lambda_hat = lambda / sum_k lambda; computed in log space (a softmax
// over log lambda_k = log p_k + sum_{j<k} log(1 - p_j)) so no product underflows.
// frames: (B, L K, D), w: (D), b: () -> out (B, L, D), expected_frames (B, L).
PonderOutput ponder_aggregate(const torch::Tensor& frames, int64_t K, const torch::Tensor& w,
                              const torch::Tensor& b);

// x: (B, L, D) -> (B, L K, D), each token repeated into K frames (papers.md 3.4).
torch::Tensor repeat_frames(const torch::Tensor& x, int64_t K);

}  // namespace spikessm
