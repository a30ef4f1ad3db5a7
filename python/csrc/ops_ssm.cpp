// The state space and mixing ops as PyTorch operators (torch.ops.spikessm.*): the S4D kernel
// paths, the selective scan, the neural-dynamics scan of LRF-Dyn and the event-driven mixing
// op. Registered CompositeImplicitAutograd over the library's functions, which carry their own
// autograd (the recurrent and event-driven ones are inference only, as in the library).
#include <torch/library.h>

#include "py_common.h"
#include "spikessm/layers/neural_dynamics.h"
#include "spikessm/neurons/sparse_mix.h"
#include "spikessm/ssm/s4d_ops.h"
#include "spikessm/ssm/selective_scan.h"

namespace spikessm::python {
namespace {

using Tensor = at::Tensor;
using OptTensor = c10::optional<at::Tensor>;

Tensor or_undefined(const OptTensor& t) { return t.has_value() ? *t : Tensor(); }

// The FFT path of the S4D layer, as S4DImpl::forward takes it: the Vandermonde kernel laid on
// an FFT circle of >= 2L points (zero padding keeps the product linear), then the convolution.
// u: (B, L, H), w: (C, H, M, 2), z: (H, M, 2), d: (H) -> y: (B, L, H)
Tensor s4d_fft_op(const Tensor& u, const Tensor& w, const Tensor& z, const Tensor& d) {
  TORCH_CHECK(u.dim() == 3, "[s4d_fft] u must be (B, L, H), got ", u.sizes());
  TORCH_CHECK(u.size(1) >= 1, "[s4d_fft] L must be >= 1, got ", u.size(1));
  const int64_t L = u.size(1);
  return fft_conv(u, circular_layout(s4d_vandermonde(w, z, L), fft_size_for(2 * L)), d);
}

// u: (R, N, D), a: (k), beta: (k-1), c: (k, D), state: (R, k, D) or None (zeros)
// -> y: (R, N, D), the state after the last token (R, k, D). The input state is not modified.
std::tuple<Tensor, Tensor> ndyn_recurrent_op(const Tensor& u, const Tensor& a, const Tensor& beta,
                                             const Tensor& c, double gamma,
                                             const OptTensor& state) {
  TORCH_CHECK(u.dim() == 3 && a.dim() == 1, "[ndyn_recurrent] u must be (R, N, D) and a (k), got ",
              u.sizes(), " and ", a.sizes());
  Tensor s = state.has_value() ? state->contiguous().clone()
                               : torch::zeros({u.size(0), a.size(0), u.size(2)}, u.options());
  auto y = ndyn_recurrent(u, a, beta, c, gamma, s);
  return {y, s};
}

// s: (M, K) binary, wt: (K, N), bias: (N) -> (M, N), or (M, N/2) with the GLU
Tensor spike_mix_linear_op(const Tensor& s, const Tensor& wt, const OptTensor& bias,
                           c10::string_view kernel, bool glu) {
  const auto kind = enum_arg<MixKernel>(kernel, "spike_mix_linear", "kernel");
  return spike_mix_linear(s, wt, or_undefined(bias), kind, nullptr, glu);
}

Tensor spike_linear_op(const Tensor& s, const Tensor& wt, const OptTensor& bias, bool glu) {
  return spike_linear(s, wt, or_undefined(bias), glu);
}

Tensor selective_scan_op(const Tensor& u, const Tensor& beta, const OptTensor& h0) {
  return selective_scan(u, beta, or_undefined(h0));
}

}  // namespace
}  // namespace spikessm::python

TORCH_LIBRARY_FRAGMENT(spikessm, m) {
  using namespace spikessm::python;
  m.def("s4d_vandermonde(Tensor w, Tensor z, int L) -> Tensor",
        [](const at::Tensor& w, const at::Tensor& z, int64_t L) {
          return spikessm::s4d_vandermonde(w, z, L);
        });
  m.def("fft_conv(Tensor u, Tensor kc, Tensor d) -> Tensor",
        [](const at::Tensor& u, const at::Tensor& kc, const at::Tensor& d) {
          return spikessm::fft_conv(u, kc, d);
        });
  m.def("circular_layout(Tensor k, int n) -> Tensor",
        [](const at::Tensor& k, int64_t n) { return spikessm::circular_layout(k, n); });
  m.def("diag_ssm(Tensor u, Tensor w, Tensor z, Tensor d) -> Tensor",
        [](const at::Tensor& u, const at::Tensor& w, const at::Tensor& z, const at::Tensor& d) {
          return spikessm::diag_ssm(u, w, z, d);
        });
  m.def("s4d_fft(Tensor u, Tensor w, Tensor z, Tensor d) -> Tensor", &s4d_fft_op);
  m.def("selective_scan(Tensor u, Tensor beta, Tensor? h0=None) -> Tensor", &selective_scan_op);
  m.def("ndyn_kernel(Tensor a, Tensor beta, Tensor c, float gamma, int N) -> Tensor",
        [](const at::Tensor& a, const at::Tensor& beta, const at::Tensor& c, double gamma,
           int64_t N) { return spikessm::ndyn_kernel(a, beta, c, gamma, N); });
  m.def("ndyn_parallel(Tensor u, Tensor a, Tensor beta, Tensor c, float gamma=1.0) -> Tensor",
        [](const at::Tensor& u, const at::Tensor& a, const at::Tensor& beta, const at::Tensor& c,
           double gamma) { return spikessm::ndyn_parallel(u, a, beta, c, gamma); });
  m.def(
      "ndyn_recurrent(Tensor u, Tensor a, Tensor beta, Tensor c, float gamma=1.0, "
      "Tensor? state=None) -> (Tensor, Tensor)",
      &ndyn_recurrent_op);
  m.def("spike_linear(Tensor s, Tensor wt, Tensor? bias=None, bool glu=False) -> Tensor",
        &spike_linear_op);
  m.def(
      "spike_mix_linear(Tensor s, Tensor wt, Tensor? bias=None, str kernel=\"auto\", "
      "bool glu=False) -> Tensor",
      &spike_mix_linear_op);
}
