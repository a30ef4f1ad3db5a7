#pragma once
// Surrogate gradients for the Heaviside spike: forward is exactly H(x) = 1[x >= 0];
// backward uses the derivative of a smooth stand-in f (listed per kind; f is what the
// finite-difference tests differentiate).
#include <cmath>
#include <string>

namespace spikessm {

enum class Surrogate {
  Triangle,     // f' = max(0, 1 - |x|): SpikingSSM's piecewise_quadratic (alpha unused)
  Sigmoid,      // f = sigmoid(alpha x), f' = alpha f (1 - f): NeuronSpark (alpha 4)
  Atan,         // f = atan(pi/2 alpha x) / pi + 1/2, f' = alpha / 2 / (1 + (pi/2 alpha x)^2)
  Rectangle,    // f = clamp(alpha x + 1/2, 0, 1), f' = alpha 1[|x| < 1 / (2 alpha)] (STBP box)
  FastSigmoid,  // f = x / (1 + alpha |x|), f' = 1 / (1 + alpha |x|)^2: SuperSpike
};

// Config names: "triangle", "sigmoid", "atan", "rectangle", "fast_sigmoid".
Surrogate surrogate_from_string(const std::string& name);  // throws InputError
std::string to_string(Surrogate s);

// Scalar derivative; kernels use a vectorised copy of the same formula
// (src/kernels/cpu/vec_util.h), the ref twins an ATen copy (src/kernels/ref/spike_ref.h).
inline float surrogate_grad(Surrogate kind, float x, float alpha) {
  switch (kind) {
    case Surrogate::Triangle: {
      float a = 1.f - std::fabs(x);
      return a > 0.f ? a : 0.f;
    }
    case Surrogate::Sigmoid: {
      float s = 1.f / (1.f + std::exp(-alpha * x));
      return alpha * s * (1.f - s);
    }
    case Surrogate::Atan: {
      float z = 1.5707963267948966f * alpha * x;
      return alpha * 0.5f / (1.f + z * z);
    }
    case Surrogate::Rectangle:
      return std::fabs(x) < 0.5f / alpha ? alpha : 0.f;
    case Surrogate::FastSigmoid: {
      float d = 1.f + alpha * std::fabs(x);
      return 1.f / (d * d);
    }
  }
  return 0.f;
}

}  // namespace spikessm
