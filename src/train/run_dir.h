#pragma once
// What every trainer (classifier, language model) does with its output directory: the opening
// check, the metrics.jsonl lines and the training time that carries over a resume.
#include <chrono>
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

// Training time over every part of a run: the seconds of the earlier parts (from the
// checkpoint's "train_seconds") plus this part's. train.max_minutes budgets the whole run, so a
// budgeted run can be continued across sessions with --resume.
class TrainClock {
 public:
  void resume_from(double prior_seconds) { prior_ = prior_seconds; }
  void start() { t0_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return prior_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  double prior_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace spikessm
