#pragma once
// The surrogate dynamic network (SDN, papers.md 1.4): a 153-parameter causal CNN that
// predicts the leaked membrane tau * u_{t-1} of a hard-reset LIF (v_th = 1) from the input
// currents, so the spikes s_t = H(m_t + y_t - 1) can be computed in parallel over time.
//
// Training form (SdnNet): encoder 1x1 (1 -> 8, no bias) -> depthwise conv k = 8, padding 8,
// truncated to L (output t sees x[t-8 .. t-1] only) -> BN -> ReLU = h1;
// h2 = ReLU(BN(1x1 8 -> 8)(h1) + h1); m = 1x1 (8 -> 1)(h2).
// Inference form (SdnWeights): the encoder and both BNs folded into the convolutions.

#include <string>

#include <torch/torch.h>

#include "spikessm/common/surrogate.h"

namespace spikessm {

constexpr int64_t kSdnWidth = 8;  // hidden channels
constexpr int64_t kSdnTaps = 8;   // causal window

// Folded weights: 64 + 8 + 64 + 8 + 8 + 1 = 153 parameters.
struct SdnWeights {
  float tau = 0.125f;      // the LIF decay the network emulates
  torch::Tensor w1, b1;    // (8, 8) taps (w1[c][k] multiplies x[t - 8 + k]), (8)
  torch::Tensor w2, b2;    // (8, 8) out x in, (8)
  torch::Tensor w3, b3;    // (8), (1)
  std::string provenance;  // how these weights were made (command, seed, metrics)
};

// JSON file with the folded weights and their provenance; throws InputError on bad files.
SdnWeights load_sdn_weights(const std::string& path);
void save_sdn_weights(const SdnWeights& w, const std::string& path);
SdnWeights parse_sdn_weights(const std::string& json_text, const std::string& where);
// The weights shipped in weights/sdn_tau0.125.json, compiled into the library.
const SdnWeights& builtin_sdn_weights();

// Fused inference: x (B, L, D) float32 currents, one sequence per (b, d) -> m (B, L, D),
// the predicted leaked membrane. No gradient.
torch::Tensor sdn_predict(const SdnWeights& w, const torch::Tensor& x);

// The SDN neuron of the SpikingSSM block: s = H(m + y - 1) with m = sdn_predict(y) frozen and
// the surrogate gradient on y only (an SLTT-like graph). y: (B, L, D) -> s: (B, L, D).
torch::Tensor sdn_spike(const SdnWeights& w, const torch::Tensor& y, Surrogate sg, float alpha);

namespace ref {
// Twin of sdn_predict with ATen ops (any float dtype). x: (B, L, D) -> (B, L, D)
torch::Tensor sdn_predict(const SdnWeights& w, const torch::Tensor& x);
}  // namespace ref

// The trainable network. Also used untrained inside a task model ("SDN-S", papers.md 1.4).
class SdnNetImpl : public torch::nn::Cloneable<SdnNetImpl> {
 public:
  SdnNetImpl() { reset(); }
  void reset() override;
  // x: (R, L) currents -> (R, L) predicted leaked membrane
  torch::Tensor forward(const torch::Tensor& x);
  // Fold the encoder and BatchNorm (running statistics) into three convolutions.
  SdnWeights fold(float tau) const;

  torch::Tensor enc;            // (8)
  torch::Tensor dw, dw_bias;    // (8, 8), (8)
  torch::Tensor pw, pw_bias;    // (8, 8), (8)
  torch::Tensor dec, dec_bias;  // (8), (1)
  torch::nn::BatchNorm1d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(SdnNet);

// x: (R, L) -> (R, L, 8): the causal window x[t-8+k], k = 0..7, zero before the start.
torch::Tensor causal_windows(const torch::Tensor& x);

}  // namespace spikessm
