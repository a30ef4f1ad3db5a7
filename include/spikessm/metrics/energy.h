#pragma once
// Synaptic operations and the 45 nm energy estimate (papers.md section 5).
// A dense layer whose input is binary spikes costs one accumulate (AC, 0.9 pJ) per active
// input per output; any other layer costs multiply-accumulates (MAC, 4.6 pJ).
// These are theoretical operation counts, not hardware measurements.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace spikessm {

constexpr double kEnergyMacPj = 4.6;
constexpr double kEnergyAcPj = 0.9;

struct LayerOps {
  std::string name;
  std::string kind;              // "AC" (spike-driven) or "MAC"
  double firing_rate = -1;       // rate of the spikes feeding this layer; -1 when not spiking
  double dense_macs = 0;         // MACs of the same layer in a non-spiking network, per sample
  double ops = 0;                // ACs (= rate x dense_macs) or MACs, per sample
  bool counted_by_paper = true;  // SpikingSSM counts only the feature-mixing layers
  double energy_pj() const { return ops * (kind == "AC" ? kEnergyAcPj : kEnergyMacPj); }
  // A layer that multiplies real values: as many MACs as its dense count.
  static LayerOps mac(std::string name, double macs, bool paper) {
    LayerOps l;
    l.name = std::move(name);
    l.kind = "MAC";
    l.dense_macs = l.ops = macs;
    l.counted_by_paper = paper;
    return l;
  }
};

struct OpsReport {
  std::vector<LayerOps> layers;
  double mean_rate = 0;  // spikes / (neurons x steps), averaged over all spiking neurons

  // Energy per sample in microjoules: all layers, or the paper's convention (mixing only).
  double energy_uj(bool paper_convention) const;
  // The same network with every layer a MAC (the ANN equivalent), microjoules per sample.
  double ann_energy_uj(bool paper_convention) const;
  nlohmann::json to_json() const;
  std::string to_table() const;  // human-readable, one layer a row
};

}  // namespace spikessm
