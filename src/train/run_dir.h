#pragma once
// The opening check every trainer (classifier, language model) makes of its output directory.
#include <string>

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

}  // namespace spikessm
