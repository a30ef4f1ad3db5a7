#pragma once
// The output directory of a training run (rank 0 writes it): one process at a time, and a new
// run that replaces nothing until it has something to keep.
//
// Lock: a flock on <out_dir>/.lock, taken before anything is read or written and held to the
// end. It goes with the process however it ends, so a crash leaves no stale lock. A second run
// on the same train.out_dir (a repeated command, two bench cells) stops with one line.
//
// A new run (not one resumed from a checkpoint) is staged: it writes config.toml,
// metrics.jsonl, its tokenizer and checkpoints into a fresh sibling directory
// <out_dir>.staging-XXXXXX, and only once its first checkpoint is durable does that directory
// take out_dir's place, in one rename (renameat2 RENAME_EXCHANGE); the run it replaces is then
// removed. Until then out_dir is exactly as it was: an --overwrite stopped early (bad data, a
// non-finite loss, a kill) leaves the old run whole, and --resume continues it rather than a
// mix of two runs. A run that fails leaves no directory it created.
//
// Because the whole directory is replaced, a new run refuses an out_dir that holds anything a
// run does not write (a report, other runs): it would be deleted with the old run.
#include <string>

#include "spikessm/train/trainer.h"

namespace spikessm {

class RunDir {
 public:
  // Locks out_dir (created when missing) and removes the staging directories a killed run left
  // beside it. InputError when another process trains there.
  explicit RunDir(const std::string& out_dir);
  // Removes an uncommitted staging directory, and out_dir when this created it and it still
  // holds only the lock.
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  // A new run: checks out_dir can be replaced, then stages. InputError naming the directory
  // when it holds other files, is a mount point, or holds the current directory.
  void start_new_run();
  // Where the run writes now: the staging directory of a new run until commit(), else out_dir.
  const std::string& path() const { return staged_ ? staging_ : dir_; }
  bool staged() const { return staged_; }
  // After the staged run's first durable checkpoint: the staging directory becomes out_dir,
  // the replaced run is removed.
  void commit();

 private:
  std::string dir_;      // train.out_dir as given (the paths the run reports)
  std::string real_;     // its canonical path, where the swap happens
  std::string staging_;  // the staging directory while staged_
  bool staged_ = false, created_ = false;
  int fd_ = -1;          // the lock of out_dir
  int staging_fd_ = -1;  // the lock of the staging directory (out_dir's, once swapped in)
};

// Whether a checkpoint (or its previous copy) already exists at ckpt; refuses to start over
// one unless the run resumes it or overwrites it.
bool existing_run(const std::string& ckpt, const TrainRunOptions& run);

}  // namespace spikessm
