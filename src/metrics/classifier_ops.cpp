#include "spikessm/metrics/classifier_ops.h"

namespace spikessm {

OpsReport classifier_ops(SequenceClassifierImpl& model, int64_t L) {
  OpsReport r;
  const auto& o = model.options;
  const double H = double(o.block().s4d().d_model()), N = double(o.block().s4d().d_state());
  const double Ld = double(L);
  const bool spiking = o.block().spiking();

  auto mac = [](std::string name, double macs, bool paper) {
    LayerOps l;
    l.name = std::move(name);
    l.kind = "MAC";
    l.dense_macs = l.ops = macs;
    l.counted_by_paper = paper;
    return l;
  };
  r.layers.push_back(mac("encoder", Ld * double(o.d_input()) * H, false));
  double spikes = 0, elements = 0;
  int i = 0;
  for (auto& block : model.layers()) {
    const std::string p = "block" + std::to_string(i++);
    // Recurrent-mode cost of the diagonal SSM: per mode and step, Abar h (complex x complex,
    // 4 MAC) + Bbar x (2 MAC) + Re(C h) (2 MAC); plus the D skip. N/2 modes.
    const double dirs = o.block().s4d().bidirectional() ? 2.0 : 1.0;
    r.layers.push_back(mac(p + ".s4d", dirs * Ld * H * (4.0 * N + 1.0), false));
    LayerOps mix;
    mix.name = p + ".mix";
    mix.dense_macs = Ld * H * 2 * H;
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
  r.layers.push_back(mac("decoder", H * double(o.n_classes()), false));
  r.mean_rate = elements > 0 ? spikes / elements : 0.0;
  return r;
}

}  // namespace spikessm
