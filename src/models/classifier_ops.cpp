#include "spikessm/models/classifier_ops.h"

namespace spikessm {
namespace {

// What every block's rows need: sizes per sample and the recorder's rates.
struct BlockCosts {
  double H = 0, per_sample_steps = 0;  // channels; steps x sequences per sample
  const StatsRecorder* rec = nullptr;
  double rate(const std::string& population) const {
    const SpikeStats* p = rec->find(population);
    return p != nullptr ? p->rate() : 0.0;
  }
  // The mixing layer H -> outputs (2H with a GLU): one AC per active input per output when fed by
  // spikes.
  LayerOps mix(const std::string& name, bool spike_input, double rate, double outputs) const {
    LayerOps m;
    m.name = name;
    m.dense_macs = per_sample_steps * H * outputs;
    m.kind = spike_input ? "AC" : "MAC";
    m.firing_rate = spike_input ? rate : -1;
    m.ops = spike_input ? rate * m.dense_macs : m.dense_macs;
    return m;
  }
};

// Route a: ternary weights -> one add per non-zero weight per input that is non-zero (every
// input when the activation is not binary). Route b: one add per non-zero Ter(y) per output.
// The elementwise product is a MAC per output.
void add_gsu_rows(OpsReport& r, const BlockCosts& c, const std::string& p, const GSUImpl& g,
                  bool heaviside, double rate) {
  LayerOps a;
  a.name = p + ".gsu_a";
  a.kind = "AC";
  a.dense_macs = c.per_sample_steps * c.H * c.H;
  a.firing_rate = heaviside ? rate : -1;
  a.ops = a.dense_macs * g.weight_density() * (heaviside ? rate : 1.0);
  LayerOps b = a;
  b.name = p + ".gsu_b";
  b.firing_rate = c.rate(g.stats_name);
  b.ops = b.dense_macs * b.firing_rate;
  r.layers.push_back(a);
  r.layers.push_back(b);
  r.layers.push_back(LayerOps::mac(p + ".gsu_product", c.per_sample_steps * c.H, true));
}

}  // namespace

OpsReport classifier_ops(SequenceClassifierImpl& model, int64_t L_arg) {
  OpsReport r;
  const auto& o = model.options;
  const bool binary = o.block_kind() == BlockKind::BinaryS4D;
  const auto& s4 = binary ? o.binary().s4d() : o.block().s4d();
  // Steps each block ran per sequence: token inputs are cut per batch, so use what the
  // blocks saw; a retrieval sample is two sequences.
  const double Ld =
      model.stats_sequences > 0 ? model.stats_steps / model.stats_sequences : double(L_arg);
  const double seqs = o.retrieval() ? 2.0 : 1.0, H = double(s4.d_model()), N = double(s4.d_state());
  const BlockCosts c{H, seqs * Ld, &model.stats()};
  // An embedding is a table lookup: no arithmetic.
  r.layers.push_back(LayerOps::mac(
      "encoder",
      o.encoder() == EncoderKind::Linear ? c.per_sample_steps * double(o.d_input()) * H : 0.0,
      false));
  // Recurrent-mode cost of the diagonal SSM: per mode and step, Abar h (complex x complex,
  // 4 MAC) + Bbar x (2 MAC) + Re(C h) (2 MAC); plus the D skip. N/2 modes.
  const double s4d_macs =
      c.per_sample_steps * (s4.bidirectional() ? 2.0 : 1.0) * H * (4.0 * N + 1.0);
  // Spiking populations only: GELU and Ter(y) non-zeros are activation sparsity, not spikes.
  std::vector<std::string> spiking;
  const auto binary_blocks = model.binary_layers();
  const bool heaviside = binary && o.binary().activation() == BinaryActivation::Heaviside;
  for (int64_t i = 0; i < o.n_layers(); ++i) {
    const std::string p = "block" + std::to_string(i);
    r.layers.push_back(LayerOps::mac(p + ".s4d", s4d_macs, false));
    // The mixer's input: spikes of the LIF, of H(.), or the non-zeros of GELU(.).
    const std::string input = p + (binary ? ".act" : ".lif");
    const bool spikes = binary ? heaviside : o.block().spiking();
    if (spikes) spiking.push_back(input);
    if (binary && binary_blocks[size_t(i)]->gsu)
      add_gsu_rows(r, c, p, *binary_blocks[size_t(i)]->gsu, heaviside, c.rate(input));
    else
      r.layers.push_back(
          c.mix(p + ".mix", spikes, c.rate(input), !binary && o.block().linear_mix() ? H : 2 * H));
  }
  if (o.retrieval()) r.layers.push_back(LayerOps::mac("retrieval_mlp", 4 * H * H, false));
  r.layers.push_back(LayerOps::mac("decoder", H * double(o.n_classes()), false));
  r.mean_rate = model.stats().mean_rate(spiking);
  return r;
}

}  // namespace spikessm
