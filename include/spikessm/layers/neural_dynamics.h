#pragma once
// Neuron-dynamics attention state of LRF-Dyn (papers.md 4.3, Eq. 12-15).
// Tokens n = 0..N-1 (the flattened patch grid, row-major) are the "time" of a causal
// recurrence with k dendrites per channel:
//   X_n = A X_{n-1} + gamma * u_n,   y_n = sum_i c_i X_n[i]     (X_n: (k, D); u_n, y_n: (D))
// A is a symmetric tridiagonal k x k decay matrix: a_i (per-dendrite decay) on the diagonal,
// beta_i (coupling of dendrites i and i+1) off it; c: (k, D) the soma weights integrating the
// dendrites; gamma the membrane-capacitance constant. Parameterised so that
//   a_i = (1 - 2 beta_max) sigmoid(w_i),  beta_i = beta_max tanh(b_i)
// which keeps every row sum |a_i| + |beta_{i-1}| + |beta_i| < 1 (||A||_inf < 1: stable).
// Because A is time-invariant, y = u * K with K_n = gamma c^T A^n 1 (Eq. 15): training runs as
// an FFT convolution, inference as the recurrence with O(k D) state (Eq. 12).
#include <torch/torch.h>

namespace spikessm {

// Kernel of the recurrence. a: (k), beta: (k-1), c: (k, D) -> K: (N, D), K_n = gamma c^T A^n 1.
// Differentiable (powers of A by repeated squaring).
torch::Tensor ndyn_kernel(const torch::Tensor& a, const torch::Tensor& beta, const torch::Tensor& c,
                          double gamma, int64_t N);

// Parallel mode (Eq. 15): causal FFT convolution of the tokens with ndyn_kernel.
// u: (R, N, D) -> y: (R, N, D). Differentiable in u, a, beta and c.
torch::Tensor ndyn_parallel(const torch::Tensor& u, const torch::Tensor& a,
                            const torch::Tensor& beta, const torch::Tensor& c, double gamma);

// Recurrent mode (Eq. 12), fused CPU kernel, no autograd (inference).
// u: (R, N, D) -> y: (R, N, D)
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma);

// The same, continuing from `state` (R, k, D) and leaving the final state in it: a sequence fed
// in chunks gives the same y as fed whole. state must be contiguous, of u's dtype.
// u: (R, n, D) -> y: (R, n, D)
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma,
                             torch::Tensor& state);

namespace ref {
// The recurrence as a loop over tokens of ATen ops (differentiable by autograd).
// u: (R, N, D) -> y: (R, N, D)
torch::Tensor ndyn_recurrent(const torch::Tensor& u, const torch::Tensor& a,
                             const torch::Tensor& beta, const torch::Tensor& c, double gamma);
// A as a dense (k, k) matrix.
torch::Tensor ndyn_matrix(const torch::Tensor& a, const torch::Tensor& beta);
}  // namespace ref

struct NeuralDynamicsOptions {
  explicit NeuralDynamicsOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, dendrites) = 8;   // k (the paper uses 8)
  TORCH_ARG(double, gamma) = 1.0;      // membrane capacitance constant
  TORCH_ARG(double, beta_max) = 0.02;  // bound of the neighbour coupling
  TORCH_ARG(double, a_min) = 0.5;      // initial decays spread over [a_min, a_max] across dendrites
  TORCH_ARG(double, a_max) = 0.95;
};

// The module: learnable w (k), b (k-1) and soma weights c (k, D). Training mode runs the FFT
// convolution; eval mode (or recurrent(true)) runs the O(kD)-state recurrence.
class NeuralDynamicsImpl : public torch::nn::Cloneable<NeuralDynamicsImpl> {
 public:
  explicit NeuralDynamicsImpl(const NeuralDynamicsOptions& options);
  void reset() override;
  // u: (R, N, D) -> y: (R, N, D)
  torch::Tensor forward(const torch::Tensor& u);
  // Recurrence over the next chunk of tokens, carrying `state` (R, k, D; zeros to start).
  // u: (R, n, D) -> y: (R, n, D). No gradient.
  torch::Tensor forward_chunk(const torch::Tensor& u, torch::Tensor& state);
  torch::Tensor decay() const;     // a: (k)
  torch::Tensor coupling() const;  // beta: (k-1)

  NeuralDynamicsOptions options;
  torch::Tensor w, b, c;  // (k), (k-1), (k, D)
  // Force the recurrence even in training mode (no gradient then); eval mode always uses it
  // unless parallel_in_eval is set (for benchmarks of the FFT path).
  bool parallel_in_eval = false;
};
TORCH_MODULE(NeuralDynamics);

}  // namespace spikessm
