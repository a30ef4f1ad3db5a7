#include "spikessm/layers/neural_dynamics.h"

#include <cmath>

#include "../kernels/cpu/ndyn_scan_cpu.h"
#include "spikessm/ssm/s4d_ops.h"

namespace spikessm {

namespace {

void check_params(const char* op, const torch::Tensor& u, const torch::Tensor& a,
                  const torch::Tensor& beta, const torch::Tensor& c) {
  TORCH_CHECK(u.dim() == 3, "[", op, "] u must be (R, N, D), got ", u.sizes());
  TORCH_CHECK(a.dim() == 1 && a.size(0) >= 1, "[", op, "] a must be (k), got ", a.sizes());
  const int64_t k = a.size(0);
  TORCH_CHECK(beta.dim() == 1 && beta.size(0) == k - 1, "[", op, "] beta must be (k-1) = (", k - 1,
              "), got ", beta.sizes());
  TORCH_CHECK(c.dim() == 2 && c.size(0) == k && c.size(1) == u.size(2), "[", op,
              "] c must be (k, D) = (", k, ", ", u.size(2), "), got ", c.sizes());
  TORCH_CHECK(u.scalar_type() == a.scalar_type() && a.scalar_type() == beta.scalar_type() &&
                  beta.scalar_type() == c.scalar_type(),
              "[", op, "] u, a, beta and c must share a dtype");
}

}  // namespace

namespace ref {

torch::Tensor ndyn_matrix(const torch::Tensor& a, const torch::Tensor& beta) {
  auto A = torch::diag(a);
  if (beta.numel() > 0) A = A + torch::diag(beta, 1) + torch::diag(beta, -1);
  return A;  // (k, k)
}

// u: (R, N, D) -> y: (R, N, D)
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma) {
  check_params("ref::ndyn_recurrent", u, a, beta, c);
  const auto A = ndyn_matrix(a, beta);
  auto x = torch::zeros({u.size(0), a.size(0), u.size(2)}, u.options());  // (R, k, D)
  std::vector<torch::Tensor> ys;
  for (int64_t n = 0; n < u.size(1); ++n) {
    x = torch::matmul(A, x) + gamma * u.select(1, n).unsqueeze(1);
    ys.push_back((c * x).sum(1));  // (R, D)
  }
  return torch::stack(ys, 1);
}

}  // namespace ref

// a: (k), beta: (k-1), c: (k, D) -> K: (N, D)
torch::Tensor ndyn_kernel(const torch::Tensor& a, const torch::Tensor& beta, const torch::Tensor& c,
                          double gamma, int64_t N) {
  TORCH_CHECK(N >= 1, "[ndyn_kernel] N must be >= 1, got ", N);
  const auto A = ref::ndyn_matrix(a, beta);  // symmetric, so 1^T A^n = (A^n 1)^T
  // rows[n] = 1^T A^n, doubled each round: rows[m..2m) = rows[0..m) A^m.
  auto rows = torch::ones({1, a.size(0)}, a.options());
  auto power = A;  // A^m with m = rows.size(0)
  while (rows.size(0) < N) {
    rows = torch::cat({rows, torch::matmul(rows, power)}, 0);
    if (rows.size(0) < N) power = torch::matmul(power, power);
  }
  return gamma * torch::matmul(rows.narrow(0, 0, N), c);  // (N, k) (k, D) -> (N, D)
}

// u: (R, N, D) -> y: (R, N, D)
torch::Tensor ndyn_parallel(const torch::Tensor& u, const torch::Tensor& a,
                            const torch::Tensor& beta, const torch::Tensor& c, double gamma) {
  check_params("ndyn_parallel", u, a, beta, c);
  const int64_t N = u.size(1);
  auto K = ndyn_kernel(a, beta, c, gamma, N);  // (N, D)
  // Linear (not circular) convolution: zero-pad both to n >= 2N. Plain ATen FFTs, so autograd
  // differentiates it in every thread configuration.
  const int64_t n = fft_size_for(2 * N);
  auto uf = torch::fft::rfft(u, n, 1);  // (R, n/2+1, D)
  auto kf = torch::fft::rfft(K, n, 0);  // (n/2+1, D)
  return torch::fft::irfft(uf * kf.unsqueeze(0), n, 1).narrow(1, 0, N);
}

namespace {

// u: (R, N, D) -> y: (R, N, D); state: (R, k, D) or undefined (start from zero, not kept)
torch::Tensor ndyn_scan(const torch::Tensor& u_in, const torch::Tensor& a_in,
                        const torch::Tensor& beta_in, const torch::Tensor& c_in, double gamma,
                        torch::Tensor* state) {
  check_params("ndyn_recurrent", u_in, a_in, beta_in, c_in);
  if (state)
    TORCH_CHECK(
        state->is_contiguous() && state->scalar_type() == u_in.scalar_type() &&
            state->sizes() == torch::IntArrayRef({u_in.size(0), a_in.size(0), u_in.size(2)}),
        "[ndyn_recurrent] state must be contiguous (R, k, D) = (", u_in.size(0), ", ", a_in.size(0),
        ", ", u_in.size(2), ") of u's dtype, got ", state->sizes());
  torch::NoGradGuard no_grad;
  auto u = u_in.contiguous(), a = a_in.contiguous(), beta = beta_in.contiguous(),
       c = c_in.contiguous();
  auto y = torch::empty_like(u);
  AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "ndyn_recurrent", [&] {
    kernels::NdynScanParams<scalar_t> p;
    p.R = u.size(0);
    p.N = u.size(1);
    p.D = u.size(2);
    p.K = a.size(0);
    p.u = u.data_ptr<scalar_t>();
    p.a = a.data_ptr<scalar_t>();
    p.beta = beta.data_ptr<scalar_t>();
    p.c = c.data_ptr<scalar_t>();
    p.gamma = scalar_t(gamma);
    p.y = y.data_ptr<scalar_t>();
    p.state = state ? state->data_ptr<scalar_t>() : nullptr;
    kernels::ndyn_scan_cpu(p);
  });
  return y;
}

}  // namespace

// u: (R, N, D) -> y: (R, N, D)
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma) {
  return ndyn_scan(u, a, beta, c, gamma, nullptr);
}

// u: (R, n, D) -> y: (R, n, D); state: (R, k, D), updated in place
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma,
                             torch::Tensor& state) {
  return ndyn_scan(u, a, beta, c, gamma, &state);
}

NeuralDynamicsImpl::NeuralDynamicsImpl(const NeuralDynamicsOptions& o) : options(o) { reset(); }

void NeuralDynamicsImpl::reset() {
  const int64_t k = options.dendrites(), D = options.d_model();
  TORCH_CHECK(k >= 1 && D >= 1, "[NeuralDynamics] dendrites and d_model must be >= 1");
  const double bmax = options.beta_max(), scale = 1.0 - 2.0 * bmax;
  TORCH_CHECK(bmax >= 0 && bmax < 0.5, "[NeuralDynamics] beta_max must be in [0, 0.5)");
  TORCH_CHECK(options.a_min() > 0 && options.a_max() < scale && options.a_min() <= options.a_max(),
              "[NeuralDynamics] need 0 < a_min <= a_max < 1 - 2 beta_max");
  // Multi-timescale start: decays spread evenly over [a_min, a_max]; soma weights (1 - a_i)/k
  // make each dendrite a unit-gain leaky average, so y starts as the mean of k averages.
  auto a0 = k == 1 ? torch::full({1}, options.a_max(), torch::kFloat)
                   : torch::linspace(options.a_min(), options.a_max(), k, torch::kFloat);
  auto p = a0 / scale;
  w = register_parameter("w", torch::log(p / (1 - p)));
  b = register_parameter("b", torch::full({std::max<int64_t>(k - 1, 0)}, 0.5f));
  c = register_parameter("c", ((1 - a0) / double(k)).unsqueeze(1).expand({k, D}).clone());
}

torch::Tensor NeuralDynamicsImpl::decay() const {
  return (1.0 - 2.0 * options.beta_max()) * torch::sigmoid(w);
}
torch::Tensor NeuralDynamicsImpl::coupling() const { return options.beta_max() * torch::tanh(b); }

torch::Tensor NeuralDynamicsImpl::forward(const torch::Tensor& u) {
  auto a = decay().to(u.scalar_type()), beta = coupling().to(u.scalar_type()),
       cc = c.to(u.scalar_type());
  if (is_training() || parallel_in_eval) return ndyn_parallel(u, a, beta, cc, options.gamma());
  return ndyn_recurrent(u, a, beta, cc, options.gamma());
}

torch::Tensor NeuralDynamicsImpl::forward_chunk(const torch::Tensor& u, torch::Tensor& state) {
  torch::NoGradGuard no_grad;
  const auto dt = u.scalar_type();
  return ndyn_recurrent(u, decay().to(dt), coupling().to(dt), c.to(dt), options.gamma(), state);
}

}  // namespace spikessm
