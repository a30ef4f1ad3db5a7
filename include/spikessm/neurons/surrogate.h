#pragma once
// Surrogate gradients for the Heaviside spike: forward is exactly H(x) = 1[x >= 0];
// backward uses the derivative of a smooth stand-in.
#include <cmath>
#include <string>

namespace spikessm {

enum class Surrogate {
  Triangle,  // max(0, 1 - |x|): SpikingSSM's piecewise_quadratic
  Sigmoid,   // d/dx sigmoid(alpha x) = alpha s (1 - s)
  Atan,      // d/dx (1/pi) atan(pi/2 alpha x) + 1/2 = alpha / 2 / (1 + (pi/2 alpha x)^2)
};

Surrogate surrogate_from_string(const std::string& name);  // throws InputError
std::string to_string(Surrogate s);

// Scalar derivative; kernels use a vectorised copy of the same formula.
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
  }
  return 0.f;
}

}  // namespace spikessm
