#include "spikessm/layers/block_ops.h"

#include "../kernels/cpu/glu_residual_cpu.h"
#include "spikessm/neurons/sparse_mix.h"

namespace spikessm {

torch::Tensor tied_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  auto mask = torch::empty({x.size(0), 1, x.size(2)}, x.options()).bernoulli_(1 - p);  // (B, 1, H)
  return x * mask / (1 - p);
}

torch::Tensor channel_norm(const torch::Tensor& x, torch::nn::LayerNorm& layer_norm,
                           torch::nn::BatchNorm1d& batch_norm) {
  if (layer_norm) return layer_norm(x);
  if (batch_norm) {  // fold (B, L) into BatchNorm's batch axis
    auto sizes = x.sizes().vec();
    return batch_norm(x.reshape({-1, sizes[2]})).view(sizes);
  }
  return x;
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Saves m (without bias) and sigmoid(b); nothing 2H-wide is allocated in backward beyond the
// gradient the GEMM consumes.
struct GluResidualFunction : torch::autograd::Function<GluResidualFunction> {
  // x: (B, L, H), m: (B, L, 2H), both contiguous, bias: (2H) or empty -> (B, L, H)
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& m,
                               const torch::Tensor& bias) {
    const int64_t H = x.size(2);
    auto sig = torch::empty_like(x), out = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "glu_residual_forward_cpu", [&] {
      kernels::GluResidualParams<scalar_t> p;
      p.M = x.numel() / std::max<int64_t>(H, 1), p.H = H;
      p.x = x.data_ptr<scalar_t>(), p.m = m.data_ptr<scalar_t>();
      p.bias = bias.numel() ? bias.data_ptr<scalar_t>() : nullptr;
      p.sig = sig.data_ptr<scalar_t>(), p.out = out.data_ptr<scalar_t>();
      kernels::glu_residual_forward_cpu(p);
    });
    ctx->save_for_backward({m, sig, bias});
    return out;
  }

  // grad: (B, L, H) -> dx: (B, L, H), dm: (B, L, 2H), dbias: (2H)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &m = saved[0], &sig = saved[1], &bias = saved[2];
    const auto g = grad[0].to(m.scalar_type()).contiguous();
    auto dm = torch::empty_like(m);
    AT_DISPATCH_FLOATING_TYPES(m.scalar_type(), "glu_residual_backward_cpu", [&] {
      kernels::GluResidualParams<scalar_t> p;
      p.H = sig.size(2), p.M = sig.numel() / std::max<int64_t>(p.H, 1);
      p.m = m.data_ptr<scalar_t>(), p.sig = sig.data_ptr<scalar_t>();
      p.bias = bias.numel() ? bias.data_ptr<scalar_t>() : nullptr;
      p.grad = g.data_ptr<scalar_t>(), p.dm = dm.data_ptr<scalar_t>();
      kernels::glu_residual_backward_cpu(p);
    });
    // The bias gradient as addmm's backward takes it: ATen's sum over the rows.
    auto dbias = bias.numel() ? dm.view({-1, dm.size(2)}).sum(0) : torch::Tensor();
    return {g, dm, dbias};
  }
};

}  // namespace

torch::Tensor glu_residual(const torch::Tensor& x, const torch::Tensor& m,
                           const torch::Tensor& bias) {
  TORCH_CHECK(x.defined() && m.defined() && x.dim() == 3 && m.dim() == 3,
              "[glu_residual] expected x (B, L, H) and m (B, L, 2H)");
  TORCH_CHECK(m.size(0) == x.size(0) && m.size(1) == x.size(1) && m.size(2) == 2 * x.size(2),
              "[glu_residual] expected m of shape (", x.size(0), ", ", x.size(1), ", ",
              2 * x.size(2), "), got ", m.sizes());
  TORCH_CHECK(x.scalar_type() == m.scalar_type() &&
                  (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble) &&
                  x.device().is_cpu() && m.device().is_cpu(),
              "[glu_residual] expected CPU float32/float64 x and m of one dtype");
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == m.size(2) &&
                                  bias.scalar_type() == m.scalar_type() && bias.device().is_cpu()),
              "[glu_residual] expected bias of shape (", m.size(2), ") and m's dtype");
  // No bias: an empty tensor (autograd Functions take no undefined tensor arguments).
  return GluResidualFunction::apply(
      x.contiguous(), m.contiguous(),
      bias.defined() ? bias.contiguous() : torch::empty({0}, m.options()));
}

namespace ref {
torch::Tensor glu_residual(const torch::Tensor& x, const torch::Tensor& m,
                           const torch::Tensor& bias) {
  return x + glu_halves(bias.defined() ? m + bias : m);
}
}  // namespace ref

}  // namespace spikessm
