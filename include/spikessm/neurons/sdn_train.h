#pragma once
// Data and training for the SDN (papers.md 1.4): N(0, 1) currents, targets from the exact
// hard-reset LIF (v_th = 1), the paper's recipe (AdamW 0.01 / 0.01, cosine, batch 64).

#include <functional>
#include <string>

#include <torch/torch.h>

#include "spikessm/neurons/sdn.h"

namespace spikessm {

struct SdnDataset {
  float tau = 0.125f;
  torch::Tensor input;  // (N, L) float32 currents
  torch::Tensor mem;    // (N, L) float32 leaked potential tau * u_{t-1}, before the input
  torch::Tensor spike;  // (N, L) uint8 spikes of the exact LIF
};

// The most steps (n x L) one generated set may hold: 9 bytes a step, and writing it copies it
// twice more, so 2^28 steps take about 7 GB at their peak (the default training set is 2^26.6).
constexpr int64_t kMaxSdnSteps = int64_t(1) << 28;

// Deterministic in (n, L, tau, seed). InputError when n x L exceeds kMaxSdnSteps.
SdnDataset generate_sdn_data(int64_t n, int64_t L, float tau, uint64_t seed);
// Binary file: magic, sizes, tau, then the three arrays. Written atomically; loading checks
// every size and throws InputError naming the file.
void save_sdn_data(const SdnDataset& d, const std::string& path);
SdnDataset load_sdn_data(const std::string& path);

struct SdnMetrics {
  double agreement = 0;  // fraction of steps where H(m_hat + x - 1) equals the LIF's spike
  double mae = 0;        // mean |m_hat - mem|
};
SdnMetrics evaluate_sdn(const SdnWeights& w, const SdnDataset& d);

struct SdnTrainOptions {
  int64_t epochs = 100, batch = 64;
  double lr = 0.01, weight_decay = 0.01;
  bool smooth_l1 = false;  // the official code's loss; the paper's is MSE
  uint64_t seed = 1;
};

// Called after each epoch with (epoch, train loss, test metrics of the folded weights).
using SdnEpochHook = std::function<void(int64_t, double, const SdnMetrics&)>;

SdnNet train_sdn(const SdnDataset& train, const SdnDataset& test, const SdnTrainOptions& o,
                 const SdnEpochHook& hook, bool show_progress);

}  // namespace spikessm
