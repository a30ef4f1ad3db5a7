#include "spikessm/train/checkpoint.h"

#include <filesystem>
#include <fstream>

#include "spikessm/common/error.h"

namespace spikessm {
namespace fs = std::filesystem;

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive, model_ar, optim_ar;
  model.save(model_ar);
  archive.write("model", model_ar);
  if (optimizer) {
    optimizer->save(optim_ar);
    archive.write("optimizer", optim_ar);
  }
  archive.write("config", c10::IValue(meta.config_toml));
  archive.write("step", c10::IValue(meta.step));
  archive.write("format", c10::IValue(meta.format));
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  fs::rename(tmp, path);  // atomic on POSIX within one directory
}

static void open_archive(const std::string& path, torch::serialize::InputArchive& ar) {
  if (!fs::is_regular_file(path)) throw InputError(path + ": checkpoint file not found");
  try {
    ar.load_from(path);
  } catch (const c10::Error&) {
    throw InputError(path + ": not a readable spikessm checkpoint (corrupt or truncated file)");
  }
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  torch::serialize::InputArchive ar;
  open_archive(path, ar);
  CheckpointMeta meta;
  c10::IValue v;
  try {
    ar.read("format", v);
    meta.format = v.toInt();
    ar.read("config", v);
    meta.config_toml = v.toStringRef();
    ar.read("step", v);
    meta.step = v.toInt();
  } catch (const c10::Error&) {
    throw InputError(path + ": checkpoint lacks its config/step records (not written by spikessm)");
  }
  if (meta.format != 1)
    throw InputError(path + ": checkpoint format " + std::to_string(meta.format) + " (expected 1)");
  return meta;
}

void load_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive ar, model_ar, optim_ar;
  open_archive(path, ar);
  try {
    ar.read("model", model_ar);
    model.load(model_ar);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw InputError(path + ": checkpoint does not match the model (" + msg + ")");
  }
  if (optimizer) {
    try {
      ar.read("optimizer", optim_ar);
      optimizer->load(optim_ar);
    } catch (const c10::Error&) {
      throw InputError(path + ": checkpoint has no usable optimizer state to resume from");
    }
  }
}

}  // namespace spikessm
