#pragma once
// NeuronSpark language model (papers.md 3), scaled by config, and its non-spiking twin.
//   ids (B, L) -> embedding (B, L, D) -> repeat into K frames (B, L K, D)   [residual stream h]
//   -> n_layers NeuronSparkLayer (SNNBlock and SNNFFN sublayers, PonderNet, centering)
//   -> decode: RMSNorm -> output PLIF leak -> mean over the K frames (B, L, D) -> projection
//      -> lateral inhibition (RMSNorm with gamma) -> head tied to the embedding -> (B, L, V)
// Recurrent state (constant in the text length): every neuron membrane after the last frame.
// Non-spiking twin (spiking = false): every neuron is the same scan without spike and reset;
// the parameters (thresholds included, unused) are the same, so the parameter count is too.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "spikessm/layers/neuronspark_layer.h"
#include "spikessm/models/language_model.h"

namespace spikessm {

struct NeuronSparkLmOptions {
  NeuronSparkLmOptions(int64_t vocab) : vocab_(vocab) {}
  TORCH_ARG(int64_t, vocab);
  TORCH_ARG(int64_t, d_model) = 128;  // D
  TORCH_ARG(int64_t, n_state) = 4;    // N hidden neurons per channel in SNNBlock
  TORCH_ARG(int64_t, frames) = 4;     // K SNN frames per token
  TORCH_ARG(int64_t, n_layers) = 4;
  TORCH_ARG(int64_t, d_ff) = 384;
  TORCH_ARG(bool, spiking) = true;
  TORCH_ARG(double, v_min) = 0.1;            // SNNBlock threshold floor V_min
  TORCH_ARG(double, plif_tau) = 2.0;         // PLIFNode init_tau
  TORCH_ARG(double, plif_v_th) = 0.5;        // PLIFNode v_threshold
  TORCH_ARG(double, surrogate_alpha) = 4.0;  // Sigmoid(alpha) surrogate
  TORCH_ARG(double, ponder_weight) = 0.01;
  TORCH_ARG(double, halt_bias) = -3.5;
  TORCH_ARG(int64_t, k_ref) = 16;
  TORCH_ARG(double, p_assumed) = 0.15;
  TORCH_ARG(double, embed_std) = 0.02;
  TORCH_ARG(double, grad_comp_max) = 100.0;  // C_max of the natural-gradient compensation
};

class NeuronSparkLmImpl : public LanguageModelImpl {
 public:
  explicit NeuronSparkLmImpl(const NeuronSparkLmOptions& options);

  torch::Tensor forward(const torch::Tensor& ids) override;
  torch::Tensor forward_with_state(const torch::Tensor& ids, LmState* state) override;
  LmState initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& ids, LmState* state) override;

  int64_t vocab_size() const override { return options.vocab(); }
  std::string family() const override { return "neuronspark_lm"; }
  bool spiking() const override { return options.spiking(); }

  void set_collect_stats(bool on) override;
  StatsRecorder& stats() override { return *recorder_; }
  OpsReport ops_report() const override;

  // ponder_weight x mean over the 2 n_layers aggregation points and tokens of E[K].
  torch::Tensor aux_loss() override;
  // Natural-gradient compensation (papers.md 3.4): phase 1 per SNNBlock, then phase 2
  // rescales each layer's (b_beta, b_alpha, b_th) gradient norm to their geometric mean.
  void adjust_gradients() override;

  // Mean E[K] per aggregation point [layer0.block, layer0.ffn, ...] since stats were turned on.
  std::vector<double> expected_frames() const;
  // Spike statistics in ops_report() order (for tests): per layer in_block, hidden, in_ffn,
  // gate, up; then the decoder's output PLIF.
  std::vector<SpikeStats> spike_tallies() const;
  // The recorder's population names in that order.
  std::vector<std::string> population_names() const;

  NeuronSparkLmOptions options;
  torch::Tensor embedding;  // (V, D), also the output head
  std::vector<NeuronSparkLayer> layers;
  RmsNorm norm_out{nullptr}, lateral{nullptr};
  PlifNode out_plif{nullptr};
  torch::Tensor proj;  // (D, D) decode projection

 private:
  // ids (B, L); state in/out: layers x 5 + 1 membranes, either may be null -> logits (B, L, V)
  torch::Tensor run(const torch::Tensor& ids, const LmState* in, LmState* out);
  void check_state(const LmState& s, int64_t batch) const;

  bool collect_ = false;
  std::vector<NeuronSparkLayerStats> stats_;
  SpikeSink out_sink_;
  StatsRecorderPtr recorder_ = std::make_shared<StatsRecorder>();
  double tokens_ = 0;
  torch::Tensor last_aux_;
};

}  // namespace spikessm
