#pragma once
// S4D: H independent diagonal state space models of state size N (papers.md 1.3, 7).
//   h_t = Abar h_{t-1} + Bbar x_t,  y_t = 2 Re(C h_t) + D x_t     (N/2 complex modes)
// Trained as the causal (or bidirectional) convolution with the Vandermonde kernel
//   K_l = 2 Re sum_n C_n B_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l)
// computed by a fused scan of the recurrence (or an FFT convolution), and run in step
// (recurrent) mode for streaming; all give the same outputs.
#include <torch/torch.h>

#include <string>

#include "spikessm/common/kinds.h"

namespace spikessm {

struct S4DOptions {
  S4DOptions(int64_t d_model, int64_t d_state) : d_model_(d_model), d_state_(d_state) {}
  TORCH_ARG(int64_t, d_model);       // H channels
  TORCH_ARG(int64_t, d_state);       // N (even): N/2 complex conjugate-pair modes
  TORCH_ARG(double, dt_min) = 1e-3;  // log dt ~ U[log dt_min, log dt_max] per channel
  TORCH_ARG(double, dt_max) = 1e-1;
  TORCH_ARG(S4DInit, init) = S4DInit::Lin;
  TORCH_ARG(bool, trainable_b) = false;  // B fixed to 1 (SpikingSSM default) or learned
  TORCH_ARG(bool, bidirectional) = false;
  // Compute the layer as an FFT convolution instead of the fused scan. The scan costs
  // O(L N) per channel and wins for the usual N <= 64; the FFT costs O(L log L).
  TORCH_ARG(bool, use_fft) = false;
  // Real modes: Im A fixed to 0 (a buffer), so with B = 1 each mode is a leaky integrator,
  // NIR's synaptic current (CubaLIF) in the NIR-standard block.
  TORCH_ARG(bool, real_modes) = false;
  TORCH_ARG(bool, skip) = true;  // false: no D skip (D a zero buffer)
};

// Recurrent state for step mode: (B, H, N/2) complex.
struct S4DState {
  torch::Tensor h;
};

class S4DImpl : public torch::nn::Cloneable<S4DImpl> {
 public:
  explicit S4DImpl(const S4DOptions& options);
  void reset() override;

  // u: (B, L, H) -> y: (B, L, H): the fused scan (or the FFT convolution), plus the D skip.
  torch::Tensor forward(const torch::Tensor& u);

  // Convolution kernel(s): (C, H, L) with C = 2 when bidirectional.
  torch::Tensor kernel(int64_t L) const;
  // Per-mode input weights w = C Bbar: (C, H, N/2, 2) and decays z = exp(dt A): (H, N/2, 2).
  void mode_weights(torch::Tensor& w, torch::Tensor& z) const;

  // Step mode (causal models only). x: (B, H) -> y: (B, H); updates state.
  S4DState initial_state(int64_t batch) const;
  torch::Tensor step(const torch::Tensor& x, S4DState& state) const;
  // u: (B, L, H) -> y: (B, L, H) by running step() over time (the streaming path).
  torch::Tensor forward_recurrent(const torch::Tensor& u) const;
  // The state step() would hold after reading u: (B, L, H) -> h: (B, H, N/2) complex, in
  // closed form h_L = sum_k Abar^(L-1-k) Bbar u_k, parallel over L in chunks (prompt ingestion).
  S4DState state_after(const torch::Tensor& u) const;

  // Names of the parameters that take the SSM optimiser group (lr <= 1e-3, no decay).
  static bool is_ssm_parameter(const std::string& name);

  // Discretised (dtA, Bbar*C-free factor): dta (H, N/2) complex, dtb (H, N/2) complex; step()
  // uses Abar = exp(dta) and Bbar = dtb (the step engines precompute both once).
  void discretise(torch::Tensor& dta, torch::Tensor& dtb) const;

  S4DOptions options;
  torch::Tensor log_dt;      // (H)
  torch::Tensor log_a_real;  // (H, N/2)
  torch::Tensor a_imag;      // (H, N/2)
  torch::Tensor c;           // (C, H, N/2, 2) complex as real pairs
  torch::Tensor b;           // (H, N/2, 2) complex, or undefined when B = 1
  torch::Tensor d;           // (H)

 private:
  // One step with Abar = exp(dt A) and Bbar already computed: x (B, H) -> y (B, H).
  torch::Tensor step_discretised(const torch::Tensor& x, S4DState& state, const torch::Tensor& abar,
                                 const torch::Tensor& bbar) const;
};
TORCH_MODULE(S4D);

}  // namespace spikessm
