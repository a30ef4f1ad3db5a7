#pragma once
// A progress bar on stderr: done/total, ETA, samples/s and live metrics. On a terminal it
// redraws one line; otherwise (CI logs) it prints a line every ~10% so logs stay readable.
#include <chrono>
#include <string>

namespace spikessm {

class Progress {
 public:
  Progress(std::string label, int64_t total, int64_t start = 0);
  // done: units finished; samples: samples processed since construction; extra: "loss 0.41 acc
  // 0.87"
  void update(int64_t done, int64_t samples, const std::string& extra);
  void finish();

 private:
  std::string label_;
  int64_t total_, start_, last_printed_ = -1;
  bool tty_;
  std::chrono::steady_clock::time_point t0_, last_draw_;
};

}  // namespace spikessm
