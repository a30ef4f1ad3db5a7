// The neuron ops as PyTorch operators (torch.ops.spikessm.*, usable from TorchScript). Each
// kernel is the library's public function, registered CompositeImplicitAutograd: the library
// op is already an autograd Function, so gradients come from its fused backward.
#include <torch/library.h>

#include "py_common.h"
#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/lif.h"
#include "spikessm/neurons/plif.h"
#include "spikessm/neurons/sdn.h"
#include "spikessm/neurons/selective_plif.h"
#include "spikessm/neurons/ternary.h"

namespace spikessm::python {
namespace {

using Tensor = at::Tensor;
using OptTensor = c10::optional<at::Tensor>;

Tensor or_undefined(const OptTensor& t) { return t.has_value() ? *t : Tensor(); }

// x: (B, L, D) -> s: (B, L, D). The learnable threshold is the SpikingSSM block's input
// scaling x / exp(ln_vth) (ln_vth: (D)); an initial membrane v0: (B, D) enters as tau v0 added
// to the first step's input, which is exactly u'_0 = tau v0 + x_0 of the recurrence.
Tensor lif_op(const Tensor& x, double tau, double v_th, c10::string_view reset,
              c10::string_view grad, c10::string_view surrogate, double alpha, bool detach_reset,
              const OptTensor& ln_vth, const OptTensor& v0) {
  LifOptions o;
  o.tau = float(tau);
  o.v_th = float(v_th);
  o.reset = enum_arg<ResetMode>(reset, "lif_multistep", "reset");
  o.grad = enum_arg<GradMode>(grad, "lif_multistep", "grad");
  o.surrogate = enum_arg<Surrogate>(surrogate, "lif_multistep", "surrogate");
  o.alpha = float(alpha);
  o.detach_reset = detach_reset;
  TORCH_CHECK(x.dim() == 3, "[lif_multistep] expected x of shape (B, L, D), got ", x.sizes());
  Tensor in = x;
  if (ln_vth.has_value()) {
    TORCH_CHECK(ln_vth->dim() == 1 && ln_vth->size(0) == x.size(2) &&
                    ln_vth->scalar_type() == x.scalar_type(),
                "[lif_multistep] ln_vth must be (D) = (", x.size(2), ") of x's dtype, got ",
                ln_vth->sizes(), " ", ln_vth->scalar_type());
    in = in * torch::exp(-*ln_vth);  // as the block: a product's backward is cheaper
  }
  if (v0.has_value()) {
    TORCH_CHECK(v0->dim() == 2 && v0->size(0) == x.size(0) && v0->size(1) == x.size(2) &&
                    v0->scalar_type() == x.scalar_type(),
                "[lif_multistep] v0 must be (B, D) = (", x.size(0), ", ", x.size(2),
                ") of x's dtype, got ", v0->sizes(), " ", v0->scalar_type());
    TORCH_CHECK(x.size(1) >= 1, "[lif_multistep] v0 needs at least one step, got L = 0");
    auto first = in.narrow(1, 0, 1) + (*v0 * tau).unsqueeze(1);  // (B, 1, D)
    in = torch::cat({first, in.narrow(1, 1, x.size(1) - 1)}, 1);
  }
  return lif_multistep(in, o);
}

// x: (B, L, D), w, v_th: (D), v0: (B, D) -> s, v: (B, L, D)
std::tuple<Tensor, Tensor> plif_op(const Tensor& x, const Tensor& w, const Tensor& v_th,
                                   c10::string_view reset, bool decay_input, bool detach_reset,
                                   c10::string_view surrogate, double alpha, const OptTensor& v0) {
  PlifOptions o;
  o.reset = enum_arg<ResetMode>(reset, "plif_multistep", "reset");
  o.decay_input = decay_input;
  o.detach_reset = detach_reset;
  o.surrogate = enum_arg<Surrogate>(surrogate, "plif_multistep", "surrogate");
  o.surrogate_alpha = float(alpha);
  auto r = plif_multistep(x, w, v_th, o, or_undefined(v0));
  return {r.s, r.v};
}

// current, beta, gain, v_th: (B, L, D), v0: (B, D) -> s, v: (B, L, D)
std::tuple<Tensor, Tensor> selective_plif_op(const Tensor& current, const Tensor& beta,
                                             const Tensor& gain, const Tensor& v_th,
                                             c10::string_view surrogate, double alpha,
                                             bool detach_reset, const OptTensor& v0) {
  SelectivePlifOptions o;
  o.surrogate = enum_arg<Surrogate>(surrogate, "selective_plif", "surrogate");
  o.surrogate_alpha = float(alpha);
  o.detach_reset = detach_reset;
  auto r = selective_plif(current, beta, gain, v_th, o, or_undefined(v0));
  return {r.s, r.v};
}

// x: any shape -> s: same shape
Tensor heaviside_op(const Tensor& x, double v_th, c10::string_view surrogate, double alpha) {
  HeavisideOptions o;
  o.v_th = v_th;
  o.surrogate = enum_arg<Surrogate>(surrogate, "heaviside_spike", "surrogate");
  o.surrogate_alpha = float(alpha);
  return heaviside_spike(x, o);
}

// x: (..., D), scale: one element -> q: x's shape
Tensor ternary_op(const Tensor& x, const Tensor& scale, c10::string_view scope, double ratio,
                  c10::string_view surrogate, double alpha) {
  TernaryOptions o;
  TORCH_CHECK(scope == "row" || scope == "tensor", "[ternary_spike] scope: unknown scope '",
              std::string(scope), "' (expected one of: row, tensor)");
  o.scope = scope == "row" ? TernaryScope::Row : TernaryScope::Tensor;
  o.ratio = ratio;
  o.surrogate = enum_arg<Surrogate>(surrogate, "ternary_spike", "surrogate");
  o.surrogate_alpha = float(alpha);
  return ternary_spike(x, scale, o);
}

// y: (B, L, D) float32 -> s: (B, L, D), with the SDN weights compiled into the library
Tensor sdn_spike_op(const Tensor& y, c10::string_view surrogate, double alpha) {
  return sdn_spike(builtin_sdn_weights(), y,
                   enum_arg<Surrogate>(surrogate, "sdn_spike", "surrogate"), float(alpha));
}

// x: (B, L, D) float32 -> m: (B, L, D), the predicted leaked membrane (no gradient)
Tensor sdn_predict_op(const Tensor& x) { return sdn_predict(builtin_sdn_weights(), x); }

}  // namespace
}  // namespace spikessm::python

TORCH_LIBRARY(spikessm, m) {
  using namespace spikessm::python;
  m.def(
      "lif_multistep(Tensor x, float tau=0.125, float v_th=1.0, str reset=\"hard\", "
      "str grad=\"bptt\", str surrogate=\"triangle\", float alpha=4.0, bool detach_reset=True, "
      "Tensor? ln_vth=None, Tensor? v0=None) -> Tensor",
      &lif_op);
  m.def(
      "plif_multistep(Tensor x, Tensor w, Tensor v_th, str reset=\"soft\", bool decay_input=True, "
      "bool detach_reset=False, str surrogate=\"sigmoid\", float alpha=4.0, Tensor? v0=None) "
      "-> (Tensor, Tensor)",
      &plif_op);
  m.def(
      "selective_plif(Tensor current, Tensor beta, Tensor gain, Tensor v_th, "
      "str surrogate=\"sigmoid\", float alpha=4.0, bool detach_reset=False, Tensor? v0=None) "
      "-> (Tensor, Tensor)",
      &selective_plif_op);
  m.def(
      "heaviside_spike(Tensor x, float v_th=0.0, str surrogate=\"triangle\", float alpha=4.0) "
      "-> Tensor",
      &heaviside_op);
  m.def(
      "ternary_spike(Tensor x, Tensor scale, str scope=\"row\", float ratio=0.15, "
      "str surrogate=\"atan\", float alpha=2.0) -> Tensor",
      &ternary_op);
  m.def("sdn_spike(Tensor y, str surrogate=\"triangle\", float alpha=4.0) -> Tensor",
        &sdn_spike_op);
  m.def("sdn_predict(Tensor x) -> Tensor", &sdn_predict_op);
}
