#pragma once
// Sequence classifier: encoder -> n blocks -> mean over time -> decoder (the s4 pipeline's
// `encoder: linear | embedding`, `decoder: sequence, mode: pool`); or, per_step, the decoder
// on every step's output (`decoder: sequence, mode: last` without pooling: a prediction a
// step, causal when the blocks are).
//  - encoder linear: x (B, L, d_input) float; embedding: x (B, L) int64 ids, 0 = <pad>,
//    padding at the end. Token batches are cut to their longest sequence (S4 pads per batch)
//    and the mean is taken over the valid positions only.
//  - blocks: SpikingSSM (papers.md 1.3) or Binary S4D with a GLU/GSU mixer (papers.md 2).
//  - retrieval head (AAN): x (B, 2, L) ids; one shared tower pools u and v, then
//    [u, v, u*v, u-v] -> Linear(4H, H) -> GELU -> Linear(H, n_classes) (s4's nli decoder).
#include <torch/torch.h>

#include <vector>

#include "spikessm/layers/binary_s4d_block.h"
#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/models/classifier.h"

namespace spikessm {

enum class EncoderKind { Linear, Embedding };
enum class BlockKind { SpikingSSM, BinaryS4D };

struct SequenceClassifierOptions {
  SequenceClassifierOptions(int64_t d_input, int64_t n_classes, SpikingSSMBlockOptions block)
      : d_input_(d_input), n_classes_(n_classes), block_(std::move(block)) {}
  TORCH_ARG(int64_t, d_input);  // features per step, or the vocabulary size (embedding)
  TORCH_ARG(int64_t, n_classes);
  TORCH_ARG(int64_t, n_layers) = 2;
  TORCH_ARG(SpikingSSMBlockOptions, block);
  TORCH_ARG(EncoderKind, encoder) = EncoderKind::Linear;
  TORCH_ARG(bool, retrieval) = false;
  TORCH_ARG(bool, per_step) = false;  // logits for every step instead of one per sequence
  TORCH_ARG(BlockKind, block_kind) = BlockKind::SpikingSSM;
  TORCH_ARG(BinaryS4DBlockOptions, binary) = BinaryS4DBlockOptions(1, 2);  // when BinaryS4D
};

class SequenceClassifierImpl : public torch::nn::Cloneable<SequenceClassifierImpl>,
                               public ClassifierImpl {
 public:
  explicit SequenceClassifierImpl(const SequenceClassifierOptions& options);
  void reset() override;

  // x: (B, L, d_input) | (B, L) ids | (B, 2, L) ids -> logits: (B, n_classes); per_step:
  // (B, L', n_classes), L' <= L the batch's longest row (the steps after it are padding)
  torch::Tensor forward(const torch::Tensor& x) override;

  std::vector<SpikingSSMBlock> layers() const;        // the SpikingSSM blocks
  std::vector<BinaryS4DBlock> binary_layers() const;  // the Binary S4D blocks
  void set_collect_stats(bool on) override;           // also zeroes the counters when turned on
  StatsRecorder& stats() override { return *recorder_; }
  OpsReport ops_report(int64_t L) override;  // classifier_ops(*this, L)
  int64_t d_model() const;
  // One tower: encoder, blocks and the (masked) mean over time. x: (B, L, d) | (B, L) -> (B, H)
  torch::Tensor tower(const torch::Tensor& x);
  // Encoder and blocks, no pooling. x: (B, L, d) | (B, L) -> h: (B, L', H) with L' the
  // batch's longest row; mask: (B, L', 1) float, 1 at valid steps (undefined: all valid).
  torch::Tensor features(const torch::Tensor& x, torch::Tensor& mask);

  SequenceClassifierOptions options;
  torch::nn::Linear encoder{nullptr};
  torch::nn::Embedding embedding{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Linear retrieval_mlp{nullptr};
  torch::nn::Linear decoder{nullptr};

  // While statistics are collected: time steps run by the blocks and sequences seen, so
  // operation counts use the real (per-batch cut) lengths of token inputs.
  double stats_steps = 0, stats_sequences = 0;

 private:
  bool collecting_ = false;
  StatsRecorderPtr recorder_ = std::make_shared<StatsRecorder>();
};
TORCH_MODULE(SequenceClassifier);

}  // namespace spikessm
