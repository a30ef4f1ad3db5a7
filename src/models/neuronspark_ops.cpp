// Operation counts and energy of the NeuronSpark LM per token (papers.md section 5).
// NeuronSpark passes float leak signals and V_post between layers (papers.md 3.1), never
// binary spikes, so by the section-5 rule (AC only where a binary spike meets a weight)
// every projection is a MAC in the spiking model too. The spikes drive one thing: the soft
// reset V -= V_th s, one accumulate per spike, listed per neuron population as "AC" with
// dense_macs = neuron-frames (every neuron could fire every frame). Counts are per token;
// a token runs K frames through every frame-rate layer.
#include "spikessm/models/neuronspark_lm.h"

namespace spikessm {

OpsReport NeuronSparkLmImpl::ops_report() const {
  OpsReport r;
  const double D = double(options.d_model()), N = double(options.n_state());
  const double F = double(options.d_ff()), K = double(options.frames()),
               V = double(options.vocab());
  auto mac = [&](std::string name, double macs, bool paper) {
    LayerOps l;
    l.name = std::move(name);
    l.kind = "MAC";
    l.dense_macs = l.ops = macs;
    l.counted_by_paper = paper;
    r.layers.push_back(l);
  };
  double spikes = 0, elements = 0;
  auto reset = [&](const std::string& population, double neurons) {
    if (!options.spiking()) return;
    const SpikeStats* found = recorder_->find(population);
    const SpikeStats t = found != nullptr ? *found : SpikeStats{};
    LayerOps l;
    l.name = population + ".reset";
    l.kind = "AC";
    l.firing_rate = t.rate();
    l.dense_macs = K * neurons;
    l.ops = l.firing_rate * l.dense_macs;
    l.counted_by_paper = false;  // not a feature-mixing layer
    r.layers.push_back(l);
    spikes += t.spikes;
    elements += t.elements;
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "layer" + std::to_string(i) + ".";
    reset(p + "block.in_plif", D);
    mac(p + "block.proj", K * D * (4 * D * N + 2 * D),
        true);  // W_in, W_beta, W_alpha, W_th, W_gate, W_skip
    reset(p + "block.hidden", D * N);
    mac(p + "block.w_out", K * D * N * D, true);
    mac(p + "block.halt", K * D, false);
    mac(p + "block.out_proj", D * D, true);
    reset(p + "ffn.in_plif", D);
    mac(p + "ffn.proj", K * D * (2 * F + D), true);  // W_gate, W_up, W_skip
    reset(p + "ffn.gate", F);
    reset(p + "ffn.up", F);
    mac(p + "ffn.w_down", K * F * D, true);
    mac(p + "ffn.halt", K * D, false);
    mac(p + "ffn.out_proj", D * D, true);
  }
  reset("decode.out_plif", D);
  mac("decode.proj", D * D, true);
  mac("head", D * V, false);
  r.mean_rate = elements > 0 ? spikes / elements : 0.0;
  return r;
}

}  // namespace spikessm
