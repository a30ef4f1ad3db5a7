#pragma once
// Numerical guard: a step whose loss or gradient is not finite is skipped (no optimizer
// update), logged, and counted; too many in a row stop the run. Also the test hook that
// injects such steps on purpose (train.inject_nonfinite).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikessm {

// The guard gave up: too many consecutive non-finite steps.
class NumericalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "loss:3-5,grad:7@1": make the loss (or one gradient) NaN at steps 3..5 (0-based optimizer
// steps) on every rank, and a gradient NaN at step 7 on rank 1 only. Empty: no injection.
class FaultInjection {
 public:
  static FaultInjection parse(const std::string& spec, const std::string& where);
  bool loss_at(int64_t step, int rank) const { return hit(false, step, rank); }
  bool grad_at(int64_t step, int rank) const { return hit(true, step, rank); }

 private:
  struct Rule {
    bool grad;
    int64_t first, last;
    int rank;  // -1: every rank
  };
  bool hit(bool grad, int64_t step, int rank) const;
  std::vector<Rule> rules_;
};

class NumericalGuard {
 public:
  explicit NumericalGuard(int64_t max_consecutive) : max_(max_consecutive) {}
  void good() { consecutive_ = 0; }
  // Counts a skipped step; true when the run must stop.
  bool bad() {
    ++total_;
    return ++consecutive_ >= max_;
  }
  int64_t consecutive() const { return consecutive_; }
  int64_t total() const { return total_; }
  int64_t limit() const { return max_; }
  nlohmann::json state() const {
    return {{"consecutive_bad", consecutive_}, {"total_bad", total_}};
  }
  void restore(const nlohmann::json& j) {
    consecutive_ = j.value("consecutive_bad", int64_t(0));
    total_ = j.value("total_bad", int64_t(0));
  }

 private:
  int64_t max_, consecutive_ = 0, total_ = 0;
};

}  // namespace spikessm
