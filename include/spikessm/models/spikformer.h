#pragma once
// Spikformer for images (papers.md 4.4) with SSA, LRF-SSA or LRF-Dyn attention, CPU-sized:
//  spiking patch splitting  conv3x3 C->D/4 + BN + LIF (the encoding layer: real pixels, run
//                           once and repeated over the T steps, as the input is static),
//                           conv3x3 D/4->D/2 + BN + LIF, maxpool 2, conv3x3 D/2->D + BN + LIF,
//                           maxpool 2, relative position embedding x + LIF(BN(conv3x3(x)))
//  n_layers blocks          x = x + attention(x); x = x + MLP(x), MLP = LIF(BN(fc2(LIF(BN(fc1
//  x))))) head                     mean over tokens and the T steps -> Linear(D, n_classes)
// Neurons: tau 2, hard reset, detached reset, v_th 1 (0.5 in the attention LIF).
// Input x: (B, C, H, W) float with H, W divisible by 4 -> logits (B, n_classes).
#include <torch/torch.h>

#include "spikessm/layers/spiking_attention.h"
#include "spikessm/models/classifier.h"

namespace spikessm {

struct SpikformerOptions {
  SpikformerOptions(int64_t in_channels, int64_t image_h, int64_t image_w, int64_t n_classes)
      : in_channels_(in_channels), image_h_(image_h), image_w_(image_w), n_classes_(n_classes) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, image_h);
  TORCH_ARG(int64_t, image_w);
  TORCH_ARG(int64_t, n_classes);
  TORCH_ARG(int64_t, d_model) = 64;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, n_layers) = 1;
  TORCH_ARG(int64_t, mlp_ratio) = 4;
  TORCH_ARG(int64_t, time_steps) = 4;  // T
  TORCH_ARG(AttentionKind, attention) = AttentionKind::Ssa;
  TORCH_ARG(int64_t, dendrites) = 8;
};

class SpikformerBlockImpl : public torch::nn::Cloneable<SpikformerBlockImpl> {
 public:
  SpikformerBlockImpl(const SpikingAttentionOptions& attn, int64_t hidden);
  void reset() override;
  // x: (T, B, N, D) -> (T, B, N, D)
  torch::Tensor forward(const torch::Tensor& x);
  SpikingAttentionOptions attn_options;
  int64_t hidden;
  SpikingAttention attn{nullptr};
  LinearBn fc1{nullptr}, fc2{nullptr};
  StatsRecorderPtr recorder;
  std::string name = "block";
};
TORCH_MODULE(SpikformerBlock);

class SpikformerImpl : public torch::nn::Cloneable<SpikformerImpl>, public ClassifierImpl {
 public:
  explicit SpikformerImpl(const SpikformerOptions& options);
  void reset() override;
  // x: (B, C, H, W) -> logits (B, n_classes)
  torch::Tensor forward(const torch::Tensor& x) override;
  void set_collect_stats(bool on) override;
  StatsRecorder& stats() override { return *recorder; }
  OpsReport ops_report(int64_t L) override;
  int64_t tokens() const;  // N = (H/4)(W/4)

  SpikformerOptions options;
  torch::nn::Conv2d conv0{nullptr}, conv1{nullptr}, conv2{nullptr}, rpe{nullptr};
  torch::nn::BatchNorm2d bn0{nullptr}, bn1{nullptr}, bn2{nullptr}, rpe_bn{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Linear head{nullptr};
  StatsRecorderPtr recorder = std::make_shared<StatsRecorder>();
};
TORCH_MODULE(Spikformer);

}  // namespace spikessm
