#include "spikessm/metrics/energy.h"

#include <cstdio>
#include <sstream>

namespace spikessm {

double OpsReport::energy_uj(bool paper_convention) const {
  double pj = 0;
  for (const auto& l : layers)
    if (!paper_convention || l.counted_by_paper) pj += l.energy_pj();
  return pj * 1e-6;
}

double OpsReport::ann_energy_uj(bool paper_convention) const {
  double pj = 0;
  for (const auto& l : layers)
    if (!paper_convention || l.counted_by_paper) pj += l.dense_macs * kEnergyMacPj;
  return pj * 1e-6;
}

nlohmann::json OpsReport::to_json() const {
  nlohmann::json j;
  j["mean_spiking_rate"] = mean_rate;
  j["energy_uj_per_sample"] = energy_uj(false);
  j["energy_uj_per_sample_paper_convention"] = energy_uj(true);
  j["ann_energy_uj_per_sample"] = ann_energy_uj(false);
  j["ann_energy_uj_per_sample_paper_convention"] = ann_energy_uj(true);
  j["pj_per_mac"] = kEnergyMacPj;
  j["pj_per_ac"] = kEnergyAcPj;
  auto& arr = j["layers"] = nlohmann::json::array();
  for (const auto& l : layers) {
    nlohmann::json e{{"name", l.name},
                     {"kind", l.kind},
                     {"dense_macs", l.dense_macs},
                     {"ops", l.ops},
                     {"energy_pj", l.energy_pj()},
                     {"counted_by_paper", l.counted_by_paper}};
    if (l.firing_rate >= 0) e["firing_rate"] = l.firing_rate;
    arr.push_back(e);
  }
  return j;
}

std::string OpsReport::to_table() const {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %-4s %10s %14s %14s %12s\n", "layer", "op", "rate",
                "dense MACs", "ops", "energy (nJ)");
  os << line;
  for (const auto& l : layers) {
    char rate[32] = "-";
    if (l.firing_rate >= 0) std::snprintf(rate, sizeof rate, "%.4f", l.firing_rate);
    std::snprintf(line, sizeof line, "%-22s %-4s %10s %14.4g %14.4g %12.4g%s\n", l.name.c_str(),
                  l.kind.c_str(), rate, l.dense_macs, l.ops, l.energy_pj() * 1e-3,
                  l.counted_by_paper ? "" : "  (not in paper's count)");
    os << line;
  }
  std::snprintf(line, sizeof line,
                "mean spiking rate %.4f (sparsity %.1f%%)\n"
                "energy per sample, paper convention (mixing layers only): %.3f uJ "
                "(the same layers as an ANN: %.3f uJ)\n"
                "energy per sample, every layer: %.3f uJ (ANN: %.3f uJ)\n",
                mean_rate, 100 * (1 - mean_rate), energy_uj(true), ann_energy_uj(true),
                energy_uj(false), ann_energy_uj(false));
  os << line;
  return os.str();
}

}  // namespace spikessm
