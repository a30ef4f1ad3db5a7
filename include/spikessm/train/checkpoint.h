#pragma once
// Checkpoints: model, optimizer, the config that built them, the step they stopped at, the
// trainer's state (schedule, data order, numerical-guard counters) and the CPU RNG state,
// in the checksummed container of checkpoint_format.h.
//
// Crash safety: a save writes "<path>.tmp", fsyncs it, moves the current (verified) file to
// "<stem>.prev.pt" and renames the new one into place, then fsyncs the directory. At every
// instant one complete, checksummed checkpoint exists; a corrupt or truncated latest file is
// refused with a message and the previous one is used instead (find_resumable_checkpoint).
#include <torch/torch.h>

#include <string>

#include "spikessm/common/checkpoint_format.h"

namespace spikessm {

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointMeta& meta);

// The bytes of a checkpoint file: every read of one goes through here. InputError when it is
// missing or not a regular file (/dev/zero, a FIFO, a directory).
std::string read_checkpoint_file(const std::string& path);

// Reads only the metadata (to rebuild the model before loading its weights).
CheckpointMeta read_checkpoint_meta(const std::string& path);

// Loads weights (and optimizer state when given); InputError when the file is missing,
// corrupt or does not match the model.
void load_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer);

// The same from a file image already in memory (distributed resume broadcasts the bytes);
// `where` names the source in errors. Returns the metadata.
CheckpointMeta load_checkpoint_bytes(const std::string& bytes, const std::string& where,
                                     torch::nn::Module& model, torch::optim::Optimizer* optimizer);
CheckpointMeta read_checkpoint_meta_bytes(const std::string& bytes, const std::string& where);

// Restores the default CPU generator from CheckpointMeta::rng_state.
void restore_rng_state(const std::string& state, const std::string& where);

// "<dir>/checkpoint.pt" -> "<dir>/checkpoint.prev.pt"
std::string previous_checkpoint_path(const std::string& path);

// The newest checkpoint that verifies: `path`, or its previous one when `path` is missing or
// fails its checksum (a warning on stderr says which and why). Removes a stale "<path>.tmp"
// left by a crash mid-write. "" when neither file exists; InputError when files exist but
// none verifies.
std::string find_resumable_checkpoint(const std::string& path);

// True when either the checkpoint or its previous copy exists.
bool checkpoint_exists(const std::string& path);

}  // namespace spikessm
