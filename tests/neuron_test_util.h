#pragma once
// Helpers shared by the neuron tests (PLIF, selective PLIF, stateless spikes, surrogates).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "spikessm/common/surrogate.h"

namespace spikessm::testing {

// Runs f with n intra-op threads, then restores the previous count.
inline void with_threads(int n, const std::function<void()>& f) {
  const int before = at::get_num_threads();
  at::set_num_threads(n);
  f();
  at::set_num_threads(before);
}

// f must throw a c10::Error whose message names the op (e.g. "[plif_multistep]") and part.
inline void expect_op_error(const std::string& op, const std::function<void()>& f,
                            const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error for " << part;
  } catch (const c10::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(op), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

// Largest |a - b| relative to max(1, max |b|).
inline double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  if (b.numel() == 0) return 0;
  const double scale = std::max(1.0, b.abs().max().item<double>());
  return (a - b).abs().max().item<double>() / scale;
}

inline const Surrogate kAllSurrogates[] = {Surrogate::Triangle, Surrogate::Sigmoid, Surrogate::Atan,
                                           Surrogate::Rectangle, Surrogate::FastSigmoid};

// The smooth stand-in f of each surrogate, written from its definition (surrogate.h), in
// double: the kernels' backward must equal f'.
inline double surrogate_primitive(Surrogate k, double x, double a) {
  switch (k) {
    case Surrogate::Triangle:  // integral of max(0, 1 - |x|), f(0) = 1/2
      if (x <= -1) return 0;
      if (x >= 1) return 1;
      return x < 0 ? 0.5 * (1 + x) * (1 + x) : 1 - 0.5 * (1 - x) * (1 - x);
    case Surrogate::Sigmoid:
      return 1 / (1 + std::exp(-a * x));
    case Surrogate::Atan:
      return std::atan(M_PI / 2 * a * x) / M_PI + 0.5;
    case Surrogate::Rectangle:
      return std::clamp(a * x + 0.5, 0.0, 1.0);
    case Surrogate::FastSigmoid:
      return x / (1 + a * std::fabs(x));
  }
  return 0;
}

// The same f on a double tensor (for frozen-spike smooth models in the tests).
inline torch::Tensor surrogate_primitive(Surrogate k, const torch::Tensor& x, double a) {
  switch (k) {
    case Surrogate::Triangle: {
      const auto c = x.clamp(-1, 1);
      return torch::where(c < 0, 0.5 * (1 + c) * (1 + c), 1 - 0.5 * (1 - c) * (1 - c));
    }
    case Surrogate::Sigmoid:
      return torch::sigmoid(a * x);
    case Surrogate::Atan:
      return torch::atan(M_PI / 2 * a * x) / M_PI + 0.5;
    case Surrogate::Rectangle:
      return (a * x + 0.5).clamp(0, 1);
    case Surrogate::FastSigmoid:
      return x / (1 + a * x.abs());
  }
  return x;
}

}  // namespace spikessm::testing
