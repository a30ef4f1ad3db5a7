#pragma once
// The SpikingSSM language model (papers.md 1.3, 1.6; WikiText-103 setting): token embedding,
// causal SpikingSSM blocks with pre-LayerNorm, a final LayerNorm and an output head tied to
// the embedding. model.spiking = false gives the same-size non-spiking twin (S4D + GELU).
//   ids (B, L) -> x = E[ids] (B, L, H) -> blocks -> LayerNorm -> x E^T = logits (B, L, V)
// Recurrent mode: per block the S4D state (B, H, N/2) complex and the LIF membrane (B, H).
#include <torch/torch.h>

#include <vector>

#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/models/language_model.h"

namespace spikessm {

struct SpikingSsmLmOptions {
  SpikingSsmLmOptions(int64_t vocab, SpikingSSMBlockOptions block) : vocab_(vocab), block_(block) {}
  TORCH_ARG(int64_t, vocab);
  TORCH_ARG(SpikingSSMBlockOptions, block);  // must be causal, pre-norm, LIF neurons
  TORCH_ARG(int64_t, n_layers) = 2;
};

class SpikingSsmLmImpl : public LanguageModelImpl {
 public:
  explicit SpikingSsmLmImpl(const SpikingSsmLmOptions& options);

  torch::Tensor forward(const torch::Tensor& ids) override;
  torch::Tensor forward_with_state(const torch::Tensor& ids, LmState* state) override;
  LmState initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& ids, LmState* state) override;

  int64_t vocab_size() const override { return options.vocab(); }
  std::string family() const override { return "spiking_ssm_lm"; }
  bool spiking() const override { return options.block().spiking(); }
  void set_collect_stats(bool on) override;
  StatsRecorder& stats() override { return *recorder_; }
  OpsReport ops_report() const override;

  SpikingSsmLmOptions options;
  torch::nn::Embedding embed{nullptr};  // (V, H), also the output head
  std::vector<SpikingSSMBlock> blocks;
  torch::nn::LayerNorm final_norm{nullptr};

 private:
  // One block in step mode: x (B, H) -> (B, H); h: S4D state, v: membrane.
  torch::Tensor block_step(SpikingSSMBlockImpl& b, const torch::Tensor& x, torch::Tensor& h,
                           torch::Tensor& v);
  torch::Tensor head(const torch::Tensor& x);  // (..., H) -> (..., V)
  int64_t tensors_per_layer() const { return spiking() ? 2 : 1; }
  StatsRecorderPtr recorder_ = std::make_shared<StatsRecorder>();
};
TORCH_MODULE(SpikingSsmLm);

// One LIF step with the arithmetic of the fused kernel (so streaming spikes equal parallel
// ones bit for bit): u' = tau u + x, s = H(u' - v_th), reset. x, v: (B, H) -> s: (B, H).
torch::Tensor lif_step(const torch::Tensor& x, torch::Tensor& v, const LifOptions& opt);

}  // namespace spikessm
