// A model.nir_block classifier as standard NIR nodes only (nir_model.h lists the mapping).
// Per block, with u = BatchNorm(x) (or x) and k = 2 Re(C Bbar) / v_th_h of the one real mode:
//   S4D state       y_t = a y_{t-1} + k u_t        -> CubaLIF synaptic current I
//   LIF             v_t = decay v_{t-1} + y_t      -> CubaLIF membrane, hard reset to 0
// NIR's CubaLIF, tau_syn dI/dt = -I + w_in S, tau_mem dv/dt = v_leak - v + r I, stepped by
// forward Euler at dt, is exactly this with tau_syn = dt / (1 - a), w_in = 1 / (1 - a),
// tau_mem = dt / (1 - decay), r = 1 / (1 - decay); the gain k goes into the Affine before.
#include <cmath>

#include "nir_parts.h"
#include "spikessm/common/error.h"

namespace spikessm {

namespace {

using nir_parts::affine;
using nir_parts::from_tensor;

// BatchNorm in eval mode as (scale, shift) per channel; (1, 0) without a norm. Shapes: (H).
void norm_affine(SpikingSSMBlockImpl& blk, torch::Tensor& scale, torch::Tensor& shift) {
  const int64_t H = blk.options.s4d().d_model();
  scale = torch::ones({H}, torch::kDouble);
  shift = torch::zeros({H}, torch::kDouble);
  if (!blk.batch_norm) return;
  auto& bn = blk.batch_norm;
  auto var = bn->running_var.detach().to(torch::kDouble);
  scale = bn->weight.detach().to(torch::kDouble) / torch::sqrt(var + bn->options.eps());
  shift =
      bn->bias.detach().to(torch::kDouble) - bn->running_mean.detach().to(torch::kDouble) * scale;
}

// Nodes p + {in, lif, mix, residual} fed by prev; prev becomes the residual node.
void add_standard_block(NirGraph& g, SpikingSSMBlockImpl& blk, const std::string& p, double dt,
                        std::string& prev) {
  const auto& bo = blk.options;
  const int64_t H = bo.s4d().d_model();
  const double decay = bo.lif().tau;
  torch::Tensor w, z;  // w: (1, H, 1, 2) C Bbar, z: (H, 1, 2) exp(dt A), Im = 0
  blk.s4d->mode_weights(w, z);
  auto a = z.select(-1, 0).select(-1, 0).to(torch::kDouble);  // (H) decay of the real mode
  auto k = 2 * w[0].select(-1, 0).select(-1, 0).to(torch::kDouble) *
           torch::exp(-blk.ln_vth.detach().to(torch::kDouble));  // (H) input gain / v_th_h
  if (!(a.gt(0).all().item<bool>() && a.lt(1).all().item<bool>()))
    throw InputError(p + "s4d: a mode decay outside (0, 1) has no NIR synaptic time constant");
  torch::Tensor scale, shift;
  norm_affine(blk, scale, shift);
  const bool pre = bo.prenorm() && blk.batch_norm;
  auto& in = g.nodes[p + "in"] = pre ? affine(torch::diag(k * scale), k * shift)
                                     : affine(torch::diag(k), torch::zeros({H}, torch::kDouble));
  in.metadata["spikessm.note"] = NirValue::str(
      pre ? "BatchNorm (eval) folded with the S4D mode's input gain 2 Re(C Bbar) / v_th"
          : "the S4D mode's input gain 2 Re(C Bbar) / v_th");
  g.connect(prev, p + "in");

  auto& lif = g.add(p + "lif", "CubaLIF");
  const auto ones = torch::ones({H}, torch::kDouble);
  lif.params["tau_syn"] = from_tensor(dt / (1 - a));
  lif.params["w_in"] = from_tensor(1 / (1 - a));
  lif.params["tau_mem"] = from_tensor(ones * (dt / (1 - decay)));
  lif.params["r"] = from_tensor(ones / (1 - decay));
  lif.params["v_leak"] = from_tensor(torch::zeros({H}, torch::kDouble));
  lif.params["v_reset"] = from_tensor(torch::zeros({H}, torch::kDouble));
  lif.params["v_threshold"] = from_tensor(ones * double(bo.lif().v_th));
  lif.metadata["spikessm.note"] = NirValue::str(
      "synaptic current = the S4D real mode (decay exp(dt_h A) per step), membrane = the LIF "
      "(decay model.tau per step), hard reset to 0 in the step it spikes");
  g.connect(p + "in", p + "lif");

  g.nodes[p + "mix"] = affine(blk.mix->weight.detach(), blk.mix->bias.detach());
  g.connect(p + "lif", p + "mix");
  // NIR sums a node's incoming edges: residual = post-norm(prev + mix).
  const bool post = !bo.prenorm() && blk.batch_norm;
  g.nodes[p + "residual"] =
      post ? affine(torch::diag(scale), shift)
           : affine(torch::eye(H, torch::kDouble), torch::zeros({H}, torch::kDouble));
  g.connect(prev, p + "residual");
  g.connect(p + "mix", p + "residual");
  prev = p + "residual";
}

}  // namespace

NirGraph classifier_to_standard_nir(SequenceClassifierImpl& model, const NirExportOptions& opt) {
  torch::NoGradGuard no_grad;
  const auto& mo = model.options;
  NirGraph g;
  nir_parts::add_io(g, mo.d_input(), mo.n_classes());
  std::string prev = nir_parts::add_input_and_encoder(g, model, opt);
  int i = 0;
  for (auto& blk : model.layers())
    add_standard_block(g, *blk, "block" + std::to_string(i++) + "_", opt.dt, prev);
  auto& dec = g.nodes["decoder"] =
      affine(model.decoder->weight.detach(), model.decoder->bias.detach());
  dec.metadata["spikessm.note"] = NirValue::str(
      "class scores at every step; the model's class is the argmax of their mean over the "
      "sequence_length steps (the decoder is affine, so this equals decoding the mean)");
  g.connect(prev, "decoder");
  g.connect("decoder", "output");

  nir_parts::add_graph_metadata(g, opt);
  g.metadata["spikessm.format"] = NirValue::str(kStandardNirFormat);
  g.metadata["spikessm.readout"] = NirValue::str("mean of the output over the sequence");
  g.metadata["spikessm.integration"] = NirValue::str("forward Euler at dt");
  g.metadata["spikessm.note"] = NirValue::str(
      "standard NIR nodes only; one sequence step = dt seconds; CubaLIF time constants are "
      "those whose forward-Euler step at dt is the model's step (see spikessm docs/nir.md)");
  return g;
}

}  // namespace spikessm
