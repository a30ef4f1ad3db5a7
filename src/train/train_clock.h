#pragma once
// Training time across the parts of a resumed run, with mid-run evaluations off the clock.
#include <chrono>

namespace spikessm {

// Training time over every part of a run: the seconds of the earlier parts (from the
// checkpoint's "train_seconds") plus this part's. train.max_minutes budgets the whole run, so a
// budgeted run can be stopped and continued with --resume, any number of times.
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
