#pragma once
// SequenceClassifier <-> NIR graph (docs/results.md "Deployment" says what a consumer gets).
// One sequence step is dt seconds of NIR time. Standard NIR nodes carry the exact model
// wherever NIR can express it:
//   encoder/decoder        Affine
//   S4D (complex diagonal) a real linear state space: Linear B -> I (integrator, r = 1) with a
//                          recurrent Linear A (2x2 rotation-decay blocks) -> Linear C, plus a
//                          Scale D skip. Its exact ZOH discretisation at step dt is the model.
//   anti-causal S4D half   the same inside a sub-graph marked metadata spikessm.time_reversed
//                          = 1 (NIR has no time reversal), after a one-step Delay
//   threshold + LIF        LIF: tau = dt / ln(1 / decay), r = 1 / (1 - decay), v_leak = 0,
//                          v_reset = 0, v_threshold = v_th * exp(ln_vth)
//   mixing layer           Affine (2H x H) on spikes; GLU = sub-graph (spikessm.op = "glu")
//   residual               Scale(1) summing node; NIR sums a node's incoming edges
//   LayerNorm              Affine(diag(gamma), beta) marked spikessm.op = "layer_norm"
//   BatchNorm (eval)       Affine, exact; raw statistics in its metadata
//   mean over time         I with r = 1 / (L dt), read at t = L
// A model.nir_block model exports to standard nodes only (docs/nir.md):
//   normalise, encoder     Affine (the task's fixed input standardisation, if any)
//   norm + S4D gain        Affine (BatchNorm folded, times the real mode's input gain / v_th)
//   real S4D mode + LIF    CubaLIF: the synaptic current is the S4D state, the membrane the LIF
//   mixing layer           Affine (H x H) on spikes
//   residual               Affine summing node (identity, or the post-norm BatchNorm folded)
//   decoder                Affine per step; the class is the argmax of its mean over the L steps
// Its time constants are those whose forward-Euler step at dt is the model's step, the
// integration every NIR consumer on PyPI uses.
#include <string>
#include <vector>

#include "spikessm/common/config.h"
#include "spikessm/export/nir.h"
#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

struct NirExportOptions {
  double dt = 1e-3;         // seconds of NIR time per sequence step
  int64_t seq_len = 0;      // L of the checkpoint's task, for the mean over time
  std::string config_toml;  // stored in metadata so import can rebuild the model
  // The task's input standardisation x = raw * scale + shift (one per input feature), exported
  // as an Affine "normalise" node so the graph reads raw values; empty when the task has none
  // that is a fixed affine map (the graph then reads inputs as spikessm's data pipeline makes
  // them; input_note says how).
  std::vector<double> input_scale, input_shift;
  std::string input_note;
};

// The model's blocks are model.nir_block ones (every part a standard NIR primitive).
bool is_nir_standard(const SequenceClassifierImpl& model);

// InputError naming the part NIR cannot express (binary_s4d blocks, token encoders, the SDN
// neuron, the non-spiking twin, too large a state). The default block exports with its GLU
// and LayerNorm as annotated parts (see above); a model.nir_block model exports to standard
// nodes only (nir_standard.cpp: Affine, CubaLIF).
NirGraph classifier_to_nir(SequenceClassifierImpl& model, const NirExportOptions& options);

struct NirImport {
  Config cfg;
  SequenceClassifier model{nullptr};
  double dt = 0;
  int64_t seq_len = 0;
};

// Rebuilds a classifier from a graph written by classifier_to_nir (source names the file
// in errors): the architecture from its metadata, every parameter from the NIR nodes.
NirImport classifier_from_nir(const NirGraph& graph, const std::string& source);

// Largest |a - b| over every parameter and buffer of two same-architecture modules, with
// the name where it occurs.
std::pair<double, std::string> max_parameter_difference(torch::nn::Module& a, torch::nn::Module& b);

}  // namespace spikessm
