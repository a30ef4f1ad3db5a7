#pragma once
// Surrogate gradients for the Heaviside spike: forward is exactly H(x) = 1[x >= 0];
// backward uses the derivative of a smooth stand-in f (listed per kind; f is what the
// finite-difference tests differentiate).
#include <cmath>
#include <string>

#include "spikessm/common/kinds.h"

namespace spikessm {

// Scalar derivative; kernels use a vectorised copy of the same formula
// (src/kernels/cpu/vec_util.h), the ref twins an ATen copy (src/neurons/ref/spike_ref.h).
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
