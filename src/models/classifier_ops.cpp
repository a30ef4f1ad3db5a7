#include "spikessm/models/classifier_ops.h"

namespace spikessm {

OpsReport classifier_ops(SequenceClassifierImpl& model, int64_t L_arg) {
  OpsReport r;
  const auto& o = model.options;
  const bool binary = o.block_kind() == BlockKind::BinaryS4D;
  const auto& s4 = binary ? o.binary().s4d() : o.block().s4d();
  const double H = double(s4.d_model()), N = double(s4.d_state());
  // Steps each block ran per sequence: token inputs are cut per batch, so use what the
  // blocks saw; a retrieval sample is two sequences.
  const double Ld = model.stats_sequences > 0 ? model.stats_steps / model.stats_sequences : double(L_arg);
  const double seqs = o.retrieval() ? 2.0 : 1.0;

  const auto mac = &LayerOps::mac;
  // An embedding is a table lookup: no arithmetic.
  r.layers.push_back(mac("encoder", o.encoder() == EncoderKind::Linear ? seqs * Ld * double(o.d_input()) * H : 0.0, false));
  double spikes = 0, elements = 0;
  const double dirs = s4.bidirectional() ? 2.0 : 1.0;
  // Recurrent-mode cost of the diagonal SSM: per mode and step, Abar h (complex x complex,
  // 4 MAC) + Bbar x (2 MAC) + Re(C h) (2 MAC); plus the D skip. N/2 modes.
  const double s4d_macs = seqs * dirs * Ld * H * (4.0 * N + 1.0);
  if (!binary) {
    const bool spiking = o.block().spiking();
    int i = 0;
    for (auto& block : model.layers()) {
      const std::string p = "block" + std::to_string(i++);
      r.layers.push_back(mac(p + ".s4d", s4d_macs, false));
      LayerOps mix;
      mix.name = p + ".mix";
      mix.dense_macs = seqs * Ld * H * 2 * H;
      if (spiking) {
        const double rate = block->counter.rate();
        mix.kind = "AC";
        mix.firing_rate = rate;
        mix.ops = rate * mix.dense_macs;
        spikes += block->counter.spikes;
        elements += block->counter.elements;
      } else {
        mix.kind = "MAC";
        mix.ops = mix.dense_macs;
      }
      r.layers.push_back(mix);
    }
  } else {
    const bool heaviside = o.binary().activation() == BinaryActivation::Heaviside;
    int i = 0;
    for (auto& block : model.binary_layers()) {
      const std::string p = "block" + std::to_string(i++);
      r.layers.push_back(mac(p + ".s4d", s4d_macs, false));
      // Rate of the mixer's input: spikes of H(.), or non-zeros of GELU(.).
      const double rate = block->counter.rate();
      if (heaviside) {
        spikes += block->counter.spikes;
        elements += block->counter.elements;
      }
      if (!block->gsu) {
        LayerOps mix;
        mix.name = p + ".mix";
        mix.dense_macs = seqs * Ld * H * 2 * H;
        mix.kind = heaviside ? "AC" : "MAC";
        mix.firing_rate = heaviside ? rate : -1;
        mix.ops = heaviside ? rate * mix.dense_macs : mix.dense_macs;
        r.layers.push_back(mix);
      } else {
        // Route a: ternary weights -> one add per non-zero weight per input that is non-zero
        // (every input when the activation is not binary). Route b: one add per non-zero
        // Ter(y) per output. The elementwise product is a MAC per output.
        auto& g = *block->gsu;
        const double y_rate = g.elements > 0 ? g.nonzero / g.elements : 0.0;
        LayerOps a;
        a.name = p + ".gsu_a";
        a.kind = "AC";
        a.dense_macs = seqs * Ld * H * H;
        a.firing_rate = heaviside ? rate : -1;
        a.ops = a.dense_macs * g.weight_density() * (heaviside ? rate : 1.0);
        LayerOps b;
        b.name = p + ".gsu_b";
        b.kind = "AC";
        b.dense_macs = seqs * Ld * H * H;
        b.firing_rate = y_rate;
        b.ops = b.dense_macs * y_rate;
        r.layers.push_back(a);
        r.layers.push_back(b);
        r.layers.push_back(mac(p + ".gsu_product", seqs * Ld * H, true));
      }
    }
  }
  if (o.retrieval()) r.layers.push_back(mac("retrieval_mlp", 4 * H * H, false));
  r.layers.push_back(mac("decoder", H * double(o.n_classes()), false));
  r.mean_rate = elements > 0 ? spikes / elements : 0.0;
  return r;
}

}  // namespace spikessm
