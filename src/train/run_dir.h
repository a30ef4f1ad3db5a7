#pragma once
// What every trainer (classifier, language model) does with its output directory: the lock,
// the opening check, the metrics.jsonl lines and the training time that carries over a resume.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"

namespace spikessm {

// One process at a time in an output directory: a second run started on the same train.out_dir
// (a repeated command, two bench cells) would interleave checkpoints and metric lines. The
// flock goes with the process however it ends, so a crash leaves no stale lock. A directory
// this lock created is removed again if the run leaves nothing else in it (bad input).
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir) : dir_(dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    created_ = fs::create_directories(dir, ec);
    if (ec) throw InputError(dir + ": cannot create the run directory (" + ec.message() + ")");
    fd_ = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw InputError(dir + "/.lock: cannot open the run's lock file (" + std::strerror(errno) +
                       ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw InputError(dir +
                       ": another spikessm process is training in this directory; wait for it to "
                       "end or set train.out_dir");
    }
  }
  ~RunDirLock() {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (created_ && std::distance(fs::directory_iterator(dir_, ec), fs::directory_iterator()) == 1)
      fs::remove_all(dir_, ec);
    ::close(fd_);
  }
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  std::string dir_;
  bool created_ = false;
  int fd_ = -1;
};

// Whether a checkpoint (or its previous copy) already exists at ckpt; refuses to start over
// one unless the run resumes it or overwrites it.
inline bool existing_run(const std::string& ckpt, const TrainRunOptions& run) {
  const bool have = checkpoint_exists(ckpt);
  if (have && !run.resume && !run.overwrite)
    throw InputError(ckpt +
                     ": a run already exists here; pass --resume to continue it, "
                     "--overwrite to replace it, or set train.out_dir");
  return have;
}

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
  // Runs f (a mid-run evaluation) off the clock: it is not training time and does not spend
  // train.max_minutes. Returns the seconds it took.
  template <typename F>
  double off_the_clock(F&& f) {
    const auto t = std::chrono::steady_clock::now();
    f();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    prior_ -= s;
    return s;
  }

 private:
  double prior_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace spikessm
