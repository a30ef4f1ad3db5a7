#pragma once
// Data-parallel training on PyTorch's c10d: a TCPStore rendezvous and a Gloo process group
// (CPU). Every rank holds the whole model; each computes gradients on its shard of the global
// batch, and allreduce_gradients() averages them, so every rank takes the same optimizer step.
//
// Failure model: a collective that cannot finish (a peer died, or did not answer within the
// timeout) throws DistributedError naming this rank, the operation and the cause; it never
// hangs. After such an error the process group is abandoned, not torn down, because its
// destructor would wait for the dead peer.
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikessm {

class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DistOptions {
  int rank = 0;
  int world_size = 1;       // 1: no process group, every call is local
  std::string master = "";  // "ADDR:PORT" of rank 0's TCPStore
  double timeout_s = 60;    // rendezvous and every collective
};

// Parses "ADDR:PORT"; InputError naming `flag` when malformed.
void parse_master(const std::string& text, const std::string& flag, std::string& addr, int& port);

class Distributed {
 public:
  explicit Distributed(const DistOptions& opts);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  bool is_root() const { return rank_ == 0; }

  // Copies rank 0's parameters and buffers to every rank.
  void broadcast_module(torch::nn::Module& module);
  // Throws DistributedError when the ranks' parameters differ in any bit (a CRC32 of every
  // parameter's bytes is compared across ranks).
  void check_parameters_equal(torch::nn::Module& module, const std::string& when);
  // Averages the gradients of `params` over ranks, bucket by bucket (flatten, allreduce,
  // unflatten), and sums `stats` (a small float64 vector of per-rank totals) in the same pass.
  // A missing gradient counts as zero.
  void allreduce_gradients(const std::vector<torch::Tensor>& params, torch::Tensor& stats);
  // In-place sum over ranks.
  void allreduce_sum(torch::Tensor& t, const std::string& what);
  // Rank 0's bytes, on every rank.
  std::string broadcast_bytes(const std::string& bytes, const std::string& what);

  static constexpr int64_t kBucketBytes = 4 << 20;  // 4 MiB: a few buckets in flight at once

 private:
  struct Impl;
  void run(const std::string& what, const std::function<void()>& op);
  int rank_ = 0, world_ = 1;
  double timeout_s_ = 60;
  std::unique_ptr<Impl> impl_;
};

// A free TCP port on the loopback interface (bind to port 0 and read it back).
int free_local_port();

// `spikessm train --nproc N`: runs N copies of this program (argv without --nproc) as ranks
// 0..N-1 of a loopback group, each with `threads_per_rank` intra-op threads. Returns the exit
// code: 0 when every rank succeeded, else the first failing rank's code (its peers are
// stopped: SIGTERM, then SIGKILL after a grace period).
int launch_local_workers(int nproc, const std::vector<std::string>& argv, int threads_per_rank);

}  // namespace spikessm
