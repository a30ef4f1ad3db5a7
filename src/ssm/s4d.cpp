#include "spikessm/ssm/s4d.h"

#include <cmath>

#include "spikessm/common/error.h"
#include "spikessm/ssm/s4d_ops.h"

namespace spikessm {

S4DImpl::S4DImpl(const S4DOptions& options_) : options(options_) { reset(); }

void S4DImpl::reset() {
  const int64_t H = options.d_model(), N = options.d_state();
  TORCH_CHECK(N >= 2 && N % 2 == 0, "[S4D] d_state must be even and >= 2, got ", N);
  TORCH_CHECK(H >= 1, "[S4D] d_model must be >= 1, got ", H);
  const int64_t n2 = N / 2;
  const int64_t channels = options.bidirectional() ? 2 : 1;

  auto lo = std::log(options.dt_min()), hi = std::log(options.dt_max());
  log_dt = register_parameter("log_dt", torch::rand({H}) * (hi - lo) + lo);

  auto n = torch::arange(n2, torch::kFloat);
  torch::Tensor imag;
  if (options.init() == S4DInit::Lin) {
    imag = M_PI * n;
  } else {
    imag = (double(N) / M_PI) * (double(N) / (2 * n + 1) - 1);
  }
  log_a_real = register_parameter("log_a_real", torch::full({H, n2}, std::log(0.5)));
  if (options.real_modes()) {
    a_imag = register_buffer("a_imag", torch::zeros({H, n2}));
  } else {
    a_imag = register_parameter("a_imag", imag.unsqueeze(0).repeat({H, 1}).contiguous());
  }
  // C ~ CN(0, 1): real and imaginary parts each N(0, 1/2).
  c = register_parameter("c", torch::randn({channels, H, n2, 2}) * std::sqrt(0.5));
  if (options.trainable_b()) {
    auto ones = torch::zeros({H, n2, 2});
    ones.select(-1, 0).fill_(1.0);
    b = register_parameter("b", ones);
  }
  d = options.skip() ? register_parameter("d", torch::randn({H}))
                     : register_buffer("d", torch::zeros({H}));
}

bool S4DImpl::is_ssm_parameter(const std::string& name) {
  for (const char* p : {"log_dt", "log_a_real", "a_imag", "c", "b"}) {
    const std::string suffix = std::string(".") + p;
    if (name == p || (name.size() > suffix.size() &&
                      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0))
      return true;
  }
  return false;
}

void S4DImpl::discretise(torch::Tensor& dta, torch::Tensor& dtb) const {
  // A = -exp(log_a_real) + i a_imag; ZOH: Abar = exp(dt A), Bbar = (Abar - 1) / A * B.
  auto a = torch::complex(-torch::exp(log_a_real), a_imag);  // (H, N/2)
  auto dt = torch::exp(log_dt).unsqueeze(-1);                // (H, 1)
  dta = a * dt;                                              // (H, N/2)
  dtb = (torch::exp(dta) - 1.0) / a;                         // (H, N/2)
  if (b.defined()) dtb = dtb * torch::view_as_complex(b);
}

void S4DImpl::mode_weights(torch::Tensor& w, torch::Tensor& z) const {
  torch::Tensor dta, dtb;
  discretise(dta, dtb);
  w = torch::view_as_real(torch::view_as_complex(c) * dtb);  // (C, H, N/2, 2)
  z = torch::view_as_real(torch::exp(dta));                  // (H, N/2, 2)
}

torch::Tensor S4DImpl::kernel(int64_t L) const {
  torch::Tensor w, z;
  mode_weights(w, z);
  // K[c, h, l] = 2 Re sum_n (C Bbar)[c, h, n] exp(dt A)[h, n]^l
  return s4d_vandermonde(w, z, L);  // (C, H, L)
}

torch::Tensor S4DImpl::forward(const torch::Tensor& u) {
  TORCH_CHECK(u.dim() == 3 && u.size(2) == options.d_model(), "[S4D] expected u of shape (B, L, ",
              options.d_model(), "), got ", u.sizes());
  const int64_t L = u.size(1);
  if (options.use_fft()) {
    const int64_t n = fft_size_for(2 * L);  // zero padding to >= 2L keeps the product linear
    return fft_conv(u, circular_layout(kernel(L), n), d);  // (B, L, H)
  }
  torch::Tensor w, z;
  mode_weights(w, z);
  return diag_ssm(u, w, z, d);  // (B, L, H)
}

S4DState S4DImpl::initial_state(int64_t batch) const {
  auto opts = torch::TensorOptions().dtype(torch::kComplexFloat);
  if (log_dt.scalar_type() == torch::kDouble) opts = opts.dtype(torch::kComplexDouble);
  return S4DState{torch::zeros({batch, options.d_model(), options.d_state() / 2}, opts)};
}

torch::Tensor S4DImpl::step(const torch::Tensor& x, S4DState& state) const {
  TORCH_CHECK(!options.bidirectional(), "[S4D.step] a bidirectional S4D has no recurrent mode");
  torch::Tensor dta, dtb;
  discretise(dta, dtb);
  return step_discretised(x, state, torch::exp(dta), dtb);
}

torch::Tensor S4DImpl::step_discretised(const torch::Tensor& x, S4DState& state,
                                        const torch::Tensor& abar,
                                        const torch::Tensor& bbar) const {
  // x: (B, H); h: (B, H, N/2) <- Abar h + Bbar x
  state.h = abar * state.h + bbar * x.unsqueeze(-1);
  auto y = 2.0 * torch::real((torch::view_as_complex(c)[0] * state.h).sum(-1));  // (B, H)
  return y + x * d;
}

torch::Tensor S4DImpl::forward_recurrent(const torch::Tensor& u) const {
  TORCH_CHECK(!options.bidirectional(), "[S4D.step] a bidirectional S4D has no recurrent mode");
  // Discretise once for the whole sequence, not once per step.
  torch::Tensor dta, dtb;
  discretise(dta, dtb);
  const auto abar = torch::exp(dta);
  auto state = initial_state(u.size(0));
  std::vector<torch::Tensor> ys;
  ys.reserve(u.size(1));
  for (int64_t t = 0; t < u.size(1); ++t)
    ys.push_back(step_discretised(u.select(1, t), state, abar, dtb));
  return torch::stack(ys, 1);
}

S4DState S4DImpl::state_after(const torch::Tensor& u) const {
  TORCH_CHECK(!options.bidirectional(),
              "[S4D.state_after] a bidirectional S4D has no recurrent mode");
  TORCH_CHECK(u.dim() == 3 && u.size(2) == options.d_model(),
              "[S4D.state_after] expected u of shape (B, L, ", options.d_model(), "), got ",
              u.sizes());
  torch::Tensor dta, dtb;
  discretise(dta, dtb);  // (H, N/2) complex
  auto state = initial_state(u.size(0));
  const int64_t L = u.size(1), chunk = 256;  // bounds the (H, T, N/2) power table
  for (int64_t t0 = 0; t0 < L; t0 += chunk) {
    const int64_t T = std::min(chunk, L - t0);
    // pw[h, j, n] = Abar^(T-1-j): the weight of input j of the chunk in its final state.
    auto j =
        torch::arange(T - 1, -1, -1, dta.options().dtype(c10::toRealValueType(dta.scalar_type())));
    auto pw = torch::exp(dta.unsqueeze(1) * j.view({1, T, 1}));             // (H, T, N/2)
    auto uc = u.narrow(1, t0, T).permute({2, 0, 1}).to(dta.scalar_type());  // (H, B, T)
    auto acc = torch::bmm(uc, pw).permute({1, 0, 2});                       // (B, H, N/2)
    state.h = torch::exp(dta * double(T)) * state.h + dtb * acc;
  }
  return state;
}

}  // namespace spikessm
