// NeuronSpark SNNFFN (papers.md 3.3).
#include "spikessm/layers/snn_ffn.h"

#include <cmath>

namespace spikessm {

void SnnFfnImpl::reset() {
  const int64_t D = options.d_model(), F = options.d_ff();
  auto linear_init = [](int64_t out, int64_t in) {  // PyTorch's default Linear init
    return (torch::rand({out, in}) * 2 - 1) / std::sqrt(static_cast<double>(in));
  };
  w_gate = register_parameter("w_gate", linear_init(F, D));
  w_up = register_parameter("w_up", linear_init(F, D));
  w_down = register_parameter("w_down", linear_init(D, F) / std::sqrt(double(options.n_layers())));
  w_skip = register_parameter("w_skip", linear_init(D, D));
  auto plif = options.plif();
  plif.dim(F);
  gate = register_module("gate", PlifNode(plif));
  up = register_module("up", PlifNode(plif));
}

// x: (B, T, D) -> (B, T, D)
torch::Tensor SnnFfnImpl::forward(const torch::Tensor& x, const torch::Tensor& v0_gate,
                                  const torch::Tensor& v0_up, torch::Tensor* v_gate,
                                  torch::Tensor* v_up, const SpikeSink* tally_gate,
                                  const SpikeSink* tally_up) {
  const int64_t F = options.d_ff();
  // Gate, up and skip projections as one matmul: (B, T, D) x (D, 2 D_ff + D).
  const auto z = torch::matmul(x, torch::cat({w_gate, w_up, w_skip}, 0).t());
  const auto parts = z.split_with_sizes({F, F, options.d_model()}, 2);
  const auto g = gate->forward(parts[0], v0_gate, v_gate, tally_gate);
  const auto u = up->forward(parts[1], v0_up, v_up, tally_up);
  return torch::matmul(g * u, w_down.t()) + parts[2];
}

}  // namespace spikessm
