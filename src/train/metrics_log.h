#pragma once
// The run's metrics.jsonl: one JSON object a line, appended; a resumed run drops the lines
// logged after its checkpoint, and logs its final evaluation once.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"

namespace spikessm {

// One JSON line appended to metrics.jsonl.
inline void append_metric(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
}

// Whether metrics.jsonl already ends the run at `step` with its final evaluation (the eval line
// that carries train_seconds; mid-run ones do not): resuming a finished run evaluates again,
// and must not log it twice.
inline bool has_final_eval(const std::string& path, int64_t step) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    try {
      const auto m = nlohmann::json::parse(line);
      if (m.value("kind", "") == "eval" && m.contains("train_seconds") &&
          m.value("step", int64_t(-1)) == step)
        return true;
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut short by a crash
    }
  }
  return false;
}

// Keeps the metric lines up to `step`: a resumed run rewrites the ones logged after its
// checkpoint, before the crash. A line cut short by the crash is dropped.
inline void drop_metrics_after(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).value("step", int64_t(0)) > step) continue;
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

}  // namespace spikessm
