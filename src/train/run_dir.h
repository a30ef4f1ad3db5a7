#pragma once
// What every trainer (classifier, language model) does with its output directory: the opening
// check, and the metrics.jsonl lines.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "spikessm/common/error.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"

namespace spikessm {

// Whether a checkpoint (or its previous copy) already exists at ckpt; refuses to start over
// one unless the run resumes it or overwrites it.
inline bool existing_run(const std::string& ckpt, const TrainRunOptions& run) {
  const bool have = checkpoint_exists(ckpt);
  if (have && !run.resume && !run.overwrite)
    throw InputError(ckpt + ": a run already exists here; pass --resume to continue it, "
                            "--overwrite to replace it, or set train.out_dir");
  return have;
}

// One JSON line appended to metrics.jsonl.
inline void append_metric(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
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
