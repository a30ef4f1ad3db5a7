#pragma once
// Shared by the reference twins: the surrogate slopes written with ATen ops straight from
// the definitions in surrogate.h, and a Heaviside spike whose backward uses them.
#include <torch/torch.h>

#include <cmath>

#include "spikessm/common/surrogate.h"

namespace spikessm::ref {

// ds/dh of the spike H(h).
inline torch::Tensor surrogate_derivative(const torch::Tensor& h, Surrogate kind, double alpha) {
  switch (kind) {
    case Surrogate::Triangle:
      return (1 - h.abs()).clamp_min(0);
    case Surrogate::Sigmoid: {
      const auto s = torch::sigmoid(h * alpha);
      return alpha * s * (1 - s);
    }
    case Surrogate::Atan: {
      const auto z = h * (M_PI / 2 * alpha);
      return (alpha / 2) / (1 + z * z);
    }
    case Surrogate::Rectangle:
      return h.abs().lt(0.5 / alpha).to(h.scalar_type()) * alpha;
    case Surrogate::FastSigmoid: {
      const auto d = 1 + alpha * h.abs();
      return 1 / (d * d);
    }
  }
  TORCH_CHECK(false, "[ref] unknown surrogate");
}

// Heaviside forward (exactly 0/1, H(0) = 1), surrogate derivative backward.
// h: any shape -> s: same shape
struct SpikeFunction : torch::autograd::Function<SpikeFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h,
                               Surrogate kind, double alpha) {
    ctx->save_for_backward({h});
    ctx->saved_data["kind"] = static_cast<int64_t>(kind);
    ctx->saved_data["alpha"] = alpha;
    return h.ge(0).to(h.scalar_type());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto h = ctx->get_saved_variables()[0];
    const auto kind = static_cast<Surrogate>(ctx->saved_data["kind"].toInt());
    const double alpha = ctx->saved_data["alpha"].toDouble();
    return {grad[0] * surrogate_derivative(h, kind, alpha), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace spikessm::ref
