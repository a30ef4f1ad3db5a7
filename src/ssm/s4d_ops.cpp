// Public checks and autograd Functions around the S4D kernels.
#include "spikessm/ssm/s4d_ops.h"

#include "../kernels/cpu/fft_conv_cpu.h"
#include "../kernels/cpu/vandermonde_cpu.h"

namespace spikessm {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

int64_t fft_size_for(int64_t min_n) { return kernels::fft_good_size(min_n); }

namespace {

class VandermondeFunction : public torch::autograd::Function<VandermondeFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor w, torch::Tensor z, int64_t L) {
    w = w.contiguous();
    z = z.contiguous();
    ctx->save_for_backward({w, z});
    ctx->saved_data["L"] = L;
    auto k = torch::empty({w.size(0), w.size(1), L}, w.options());
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "s4d_vandermonde", [&] {
      kernels::VandermondeParams<scalar_t> p;
      p.C = w.size(0), p.H = w.size(1), p.M = w.size(2), p.L = L;
      p.w = w.data_ptr<scalar_t>(), p.z = z.data_ptr<scalar_t>(), p.k = k.data_ptr<scalar_t>();
      kernels::vandermonde_forward_cpu(p);
    });
    return k;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto w = saved[0], z = saved[1];
    auto dk = grads[0].contiguous();
    auto dw = torch::empty_like(w), dz = torch::empty_like(z);
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "s4d_vandermonde_backward", [&] {
      kernels::VandermondeParams<scalar_t> p;
      p.C = w.size(0), p.H = w.size(1), p.M = w.size(2), p.L = ctx->saved_data["L"].toInt();
      p.w = w.data_ptr<scalar_t>(), p.z = z.data_ptr<scalar_t>();
      p.dk = dk.data_ptr<scalar_t>(), p.dw = dw.data_ptr<scalar_t>(), p.dz = dz.data_ptr<scalar_t>();
      kernels::vandermonde_backward_cpu(p);
    });
    return {dw, dz, torch::Tensor()};
  }
};

class FftConvFunction : public torch::autograd::Function<FftConvFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor u, torch::Tensor kc,
                               torch::Tensor d) {
    u = u.contiguous();
    kernels::FftConvSaved s;
    auto y = kernels::fft_conv_forward_cpu(u, kc.contiguous(), d, s);
    ctx->save_for_backward({u, d, s.uf, s.kf});
    ctx->saved_data["n"] = kc.size(1);
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    kernels::FftConvSaved s{saved[2], saved[3]};
    torch::Tensor du, dkc, dd;
    kernels::fft_conv_backward_cpu(grads[0].contiguous(), saved[0], saved[1], s,
                                   ctx->saved_data["n"].toInt(), du, dkc, dd);
    return {du, dkc, dd};
  }
};

}  // namespace

torch::Tensor s4d_vandermonde(const torch::Tensor& w, const torch::Tensor& z, int64_t L) {
  TORCH_CHECK(w.dim() == 4 && w.size(3) == 2, "[s4d_vandermonde] w must be (C, H, M, 2), got ", w.sizes());
  TORCH_CHECK(z.dim() == 3 && z.size(0) == w.size(1) && z.size(1) == w.size(2) && z.size(2) == 2,
              "[s4d_vandermonde] z must be (H, M, 2) matching w, got ", z.sizes());
  TORCH_CHECK(w.scalar_type() == z.scalar_type() && w.is_floating_point() && w.device().is_cpu(),
              "[s4d_vandermonde] w and z must be CPU float tensors of one dtype");
  TORCH_CHECK(L >= 1, "[s4d_vandermonde] L must be >= 1, got ", L);
  return VandermondeFunction::apply(w, z, L);
}

torch::Tensor fft_conv(const torch::Tensor& u, const torch::Tensor& kc, const torch::Tensor& d) {
  TORCH_CHECK(u.dim() == 3, "[fft_conv] u must be (B, L, H), got ", u.sizes());
  TORCH_CHECK(kc.dim() == 2 && kc.size(0) == u.size(2) && kc.size(1) >= 2 * u.size(1),
              "[fft_conv] kc must be (H, n) with n >= 2L, got ", kc.sizes(), " for u ", u.sizes());
  TORCH_CHECK(d.dim() == 1 && d.size(0) == u.size(2), "[fft_conv] d must be (H), got ", d.sizes());
  TORCH_CHECK(u.scalar_type() == kc.scalar_type() && u.scalar_type() == d.scalar_type() &&
                  u.is_floating_point() && u.device().is_cpu(),
              "[fft_conv] u, kc, d must be CPU float tensors of one dtype");
  return FftConvFunction::apply(u, kc, d);
}

namespace ref {

torch::Tensor s4d_vandermonde(const torch::Tensor& w, const torch::Tensor& z, int64_t L) {
  auto wc = torch::view_as_complex(w.contiguous()), zc = torch::view_as_complex(z.contiguous());
  auto l = torch::arange(L, w.options());
  auto vander = torch::exp(torch::log(zc).unsqueeze(-1) * l);          // (H, M, L)
  return 2.0 * torch::real(torch::einsum("chm,hml->chl", {wc, vander}));
}

torch::Tensor fft_conv(const torch::Tensor& u, const torch::Tensor& kc, const torch::Tensor& d) {
  const int64_t L = u.size(1), n = kc.size(1);
  auto kf = torch::fft::rfft(kc, n, -1).transpose(0, 1);                // (F, H)
  auto uf = torch::fft::rfft(u, n, 1);                                   // (B, F, H)
  return torch::fft::irfft(uf * kf, n, 1).narrow(1, 0, L) + u * d;
}

}  // namespace ref
}  // namespace spikessm
