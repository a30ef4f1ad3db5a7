#pragma once
// One NeuronSpark decoder layer (papers.md 3.4), Pre-LN with a continuous residual stream h
// kept at frame rate:
//   h <- h + repeat_K(center(OutProj(PonderAgg(SNNBlock(PLIF(RMSNorm(h)))))))
//   h <- h + repeat_K(center(OutProj(PonderAgg(SNNFFN(PLIF(RMSNorm(h)))))))
// center(x) = x - mean_D(x). The aggregation mixes the K frames of a token only, so token t
// never sees token t + 1 and the layer runs one token at a time with its membranes carried.
#include <torch/torch.h>

#include <vector>

#include "spikessm/layers/neuronspark_parts.h"
#include "spikessm/layers/snn_block.h"
#include "spikessm/layers/snn_ffn.h"

namespace spikessm {

struct NeuronSparkLayerOptions {
  NeuronSparkLayerOptions(int64_t d_model, int64_t n_state, int64_t d_ff, int64_t frames)
      : block_(d_model, n_state), ffn_(d_model, d_ff), plif_(d_model), frames_(frames) {}
  TORCH_ARG(SnnBlockOptions, block);
  TORCH_ARG(SnnFfnOptions, ffn);
  TORCH_ARG(PlifNodeOptions, plif);  // the input PLIF of each sublayer
  TORCH_ARG(int64_t, frames);        // K
  TORCH_ARG(int64_t, n_layers) = 1;  // for the OutProj init scale
  TORCH_ARG(double, halt_bias) = -3.5;
  TORCH_ARG(double, rms_eps) = 1e-6;
};

// Where one layer reports its spikes (to the model's recorder), and its PonderNet statistics,
// while collection is on.
struct NeuronSparkLayerStats {
  SpikeSink in_block, hidden, in_ffn, gate, up;
  double ek_block = 0, ek_ffn = 0, tokens = 0;  // sums of E[K] over tokens
};

struct NeuronSparkLayerOutput {
  torch::Tensor h;                 // (B, L K, D)
  torch::Tensor ek_block, ek_ffn;  // (B, L) E[K] of each sublayer's aggregation
};

class NeuronSparkLayerImpl : public torch::nn::Cloneable<NeuronSparkLayerImpl> {
 public:
  static constexpr int kStateTensors = 5;  // v_in_block, v_hidden, v_in_ffn, v_gate, v_up

  explicit NeuronSparkLayerImpl(const NeuronSparkLayerOptions& options) : options(options) {
    reset();
  }
  void reset() override;
  // h: (B, L K, D); state: kStateTensors membranes [(B, D), (B, D N), (B, D), (B, D_ff) x 2]
  // or null (zeros) -> h (B, L K, D); *state_out gets the membranes after the last frame.
  NeuronSparkLayerOutput forward(const torch::Tensor& h, const torch::Tensor* state = nullptr,
                                 torch::Tensor* state_out = nullptr,
                                 NeuronSparkLayerStats* stats = nullptr);

  NeuronSparkLayerOptions options;
  RmsNorm norm_block{nullptr}, norm_ffn{nullptr};
  PlifNode in_block{nullptr}, in_ffn{nullptr};
  SnnBlock block{nullptr};
  SnnFfn ffn{nullptr};
  torch::Tensor halt_w_block, halt_b_block, halt_w_ffn, halt_b_ffn;  // (D), ()
  torch::Tensor out_block, out_ffn;                                  // (D, D) OutProj
};
TORCH_MODULE(NeuronSparkLayer);

}  // namespace spikessm
