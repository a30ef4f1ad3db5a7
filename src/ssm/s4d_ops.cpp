// Public checks and autograd Functions around the S4D kernels.
#include "spikessm/ssm/s4d_ops.h"

#include "../kernels/cpu/diag_ssm_cpu.h"
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
      p.dk = dk.data_ptr<scalar_t>(), p.dw = dw.data_ptr<scalar_t>(),
      p.dz = dz.data_ptr<scalar_t>();
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

class DiagSsmFunction : public torch::autograd::Function<DiagSsmFunction> {
 public:
  template <typename T>
  static kernels::DiagSsmParams<T> params(const torch::Tensor& u, const torch::Tensor& w,
                                          const torch::Tensor& z, const torch::Tensor& d) {
    kernels::DiagSsmParams<T> p;
    p.B = u.size(0), p.L = u.size(1), p.H = u.size(2), p.M = z.size(1), p.C = w.size(0);
    p.u = u.data_ptr<T>(), p.w = w.data_ptr<T>(), p.z = z.data_ptr<T>(), p.d = d.data_ptr<T>();
    return p;
  }
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor u, torch::Tensor w,
                               torch::Tensor z, torch::Tensor d) {
    u = u.contiguous(), w = w.contiguous(), z = z.contiguous(), d = d.contiguous();
    auto y = torch::empty_like(u);
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "diag_ssm", [&] {
      auto p = params<scalar_t>(u, w, z, d);
      p.y = y.data_ptr<scalar_t>();
      kernels::diag_ssm_forward_cpu(p);
    });
    ctx->save_for_backward({u, w, z, d});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    auto gy = grads[0].contiguous();
    auto du = torch::empty_like(s[0]), dw = torch::empty_like(s[1]), dz = torch::empty_like(s[2]),
         dd = torch::empty_like(s[3]);
    AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "diag_ssm_backward", [&] {
      auto p = params<scalar_t>(s[0], s[1], s[2], s[3]);
      p.gy = gy.data_ptr<scalar_t>(), p.du = du.data_ptr<scalar_t>();
      p.dw = dw.data_ptr<scalar_t>(), p.dz = dz.data_ptr<scalar_t>(),
      p.dd = dd.data_ptr<scalar_t>();
      kernels::diag_ssm_backward_cpu(p);
    });
    return {du, dw, dz, dd};
  }
};

}  // namespace

torch::Tensor diag_ssm(const torch::Tensor& u, const torch::Tensor& w, const torch::Tensor& z,
                       const torch::Tensor& d) {
  TORCH_CHECK(u.dim() == 3, "[diag_ssm] u must be (B, L, H), got ", u.sizes());
  TORCH_CHECK(w.dim() == 4 && (w.size(0) == 1 || w.size(0) == 2) && w.size(1) == u.size(2) &&
                  w.size(3) == 2,
              "[diag_ssm] w must be (C in {1, 2}, H, M, 2) with H = ", u.size(2), ", got ",
              w.sizes());
  TORCH_CHECK(z.dim() == 3 && z.size(0) == w.size(1) && z.size(1) == w.size(2) && z.size(2) == 2,
              "[diag_ssm] z must be (H, M, 2) matching w, got ", z.sizes());
  TORCH_CHECK(d.dim() == 1 && d.size(0) == u.size(2), "[diag_ssm] d must be (H), got ", d.sizes());
  for (const auto* t : {&w, &z, &d})
    TORCH_CHECK(t->scalar_type() == u.scalar_type() && t->device().is_cpu(),
                "[diag_ssm] u, w, z, d must be CPU tensors of one floating dtype");
  TORCH_CHECK(u.is_floating_point() && u.device().is_cpu(),
              "[diag_ssm] u must be a CPU float tensor");
  return DiagSsmFunction::apply(u, w, z, d);
}

torch::Tensor diag_ssm_stream(const torch::Tensor& u, const torch::Tensor& w,
                              const torch::Tensor& z, const torch::Tensor& d,
                              torch::Tensor& state) {
  TORCH_CHECK(u.dim() == 3 && u.is_floating_point() && u.device().is_cpu(),
              "[diag_ssm_stream] u must be a CPU float tensor (B, L, H), got ", u.sizes());
  const int64_t B = u.size(0), H = u.size(2);
  TORCH_CHECK(
      w.dim() == 4 && w.size(0) == 1 && w.size(1) == H && w.size(3) == 2 && w.is_contiguous(),
      "[diag_ssm_stream] w must be a contiguous causal (1, H, M, 2) with H = ", H, ", got ",
      w.sizes());
  const int64_t M = w.size(2);
  TORCH_CHECK(z.sizes() == torch::IntArrayRef({H, M, 2}) && z.is_contiguous(),
              "[diag_ssm_stream] z must be a contiguous (H, M, 2) matching w, got ", z.sizes());
  TORCH_CHECK(d.dim() == 1 && d.size(0) == H && d.is_contiguous(),
              "[diag_ssm_stream] d must be (H), got ", d.sizes());
  TORCH_CHECK(
      state.defined() && state.sizes() == torch::IntArrayRef({B, H, M, 2}) && state.is_contiguous(),
      "[diag_ssm_stream] state must be a contiguous (B, H, M, 2) = (", B, ", ", H, ", ", M,
      ", 2), got ", state.sizes());
  for (const torch::Tensor* t : {&w, &z, &d, static_cast<const torch::Tensor*>(&state)})
    TORCH_CHECK(t->scalar_type() == u.scalar_type(),
                "[diag_ssm_stream] u, w, z, d and state must share one floating dtype");
  const auto uc = u.contiguous();
  auto y = torch::empty_like(uc);
  AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "diag_ssm_stream", [&] {
    auto p = DiagSsmFunction::params<scalar_t>(uc, w, z, d);
    p.y = y.data_ptr<scalar_t>();
    p.state = state.data_ptr<scalar_t>();
    kernels::diag_ssm_forward_cpu(p);
  });
  return y;
}

torch::Tensor circular_layout(const torch::Tensor& k, int64_t n) {
  const int64_t L = k.size(2);
  auto kc = torch::constant_pad_nd(k[0], {0, n - L});
  if (k.size(0) == 2) kc = kc + torch::constant_pad_nd(k[1].flip(-1), {n - L, 0});
  return kc;  // (H, n)
}

torch::Tensor s4d_vandermonde(const torch::Tensor& w, const torch::Tensor& z, int64_t L) {
  TORCH_CHECK(w.dim() == 4 && w.size(3) == 2, "[s4d_vandermonde] w must be (C, H, M, 2), got ",
              w.sizes());
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
  auto vander = torch::exp(torch::log(zc).unsqueeze(-1) * l);  // (H, M, L)
  return 2.0 * torch::real(torch::einsum("chm,hml->chl", {wc, vander}));
}

torch::Tensor fft_conv(const torch::Tensor& u, const torch::Tensor& kc, const torch::Tensor& d) {
  const int64_t L = u.size(1), n = kc.size(1);
  auto kf = torch::fft::rfft(kc, n, -1).transpose(0, 1);  // (F, H)
  auto uf = torch::fft::rfft(u, n, 1);                    // (B, F, H)
  return torch::fft::irfft(uf * kf, n, 1).narrow(1, 0, L) + u * d;
}

torch::Tensor diag_ssm(const torch::Tensor& u, const torch::Tensor& w, const torch::Tensor& z,
                       const torch::Tensor& d) {
  const int64_t L = u.size(1);
  auto k = ref::s4d_vandermonde(w, z, L);  // (C, H, L)
  return ref::fft_conv(u, circular_layout(k, fft_size_for(2 * L)), d);
}

}  // namespace ref
}  // namespace spikessm
