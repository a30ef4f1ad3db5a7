#pragma once
// Float64 central-difference gradient check (LibTorch C++ has no gradcheck).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace spikessm::testing {

// f maps the inputs to a tensor; checks d(sum(f * r))/d(input) for a fixed random r.
inline void expect_gradients_match(
    const std::function<torch::Tensor(std::vector<torch::Tensor>&)>& f,
    std::vector<torch::Tensor> inputs, double eps = 1e-6, double tol = 1e-6) {
  for (auto& x : inputs) x = x.detach().to(torch::kDouble).requires_grad_(true);
  auto out = f(inputs);
  auto r = torch::randn_like(out);
  auto grads = torch::autograd::grad({(out * r).sum()}, inputs);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto flat = inputs[i].view(-1);
    auto g = grads[i].reshape(-1);
    const int64_t n = flat.numel(), stride = std::max<int64_t>(1, n / 40);  // sample entries
    for (int64_t j = 0; j < n; j += stride) {
      const double orig = flat[j].item<double>();
      flat[j] = orig + eps;
      const double up = (f(inputs) * r).sum().item<double>();
      flat[j] = orig - eps;
      const double down = (f(inputs) * r).sum().item<double>();
      flat[j] = orig;
      const double num = (up - down) / (2 * eps);
      EXPECT_NEAR(g[j].item<double>(), num, tol * std::max(1.0, std::abs(num)))
          << "input " << i << " entry " << j;
    }
  }
}

}  // namespace spikessm::testing
