#include "spikessm/train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/common/checkpoint_format.h"
#include "spikessm/common/version.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string archive_bytes(torch::serialize::OutputArchive& ar) {
  std::ostringstream os;
  ar.save_to(os);
  return os.str();
}

bool verifies(const std::string& path) {
  try {
    const std::string bytes = read_checkpoint_file(path);
    decode_checkpoint(bytes.data(), bytes.size(), path);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

std::string first_line(const c10::Error& e) {
  std::string msg = e.what_without_backtrace();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

void load_archive(const std::string& bytes, const std::string& what, const std::string& where,
                  torch::serialize::InputArchive& ar) {
  try {
    ar.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error& e) {
    throw InputError(where + ": checkpoint section '" + what + "' is unreadable (" + first_line(e) +
                     ")");
  }
}

std::string shape_text(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

// LibTorch's Module::load copies a saved tensor with set_(), which takes the saved shape: a
// checkpoint of another width loads "fine" and fails later inside a layer (or not at all, and
// the run saves weights that disagree with its config). So every parameter and buffer is
// compared first, walking the archive as Module::load does.
void check_shapes(torch::nn::Module& model, torch::serialize::InputArchive& ar,
                  const std::string& prefix, const std::string& where) {
  const std::string hint =
      " (the config, e.g. model.d_model / model.d_state / model.n_layers / --set, "
      "differs from the one the checkpoint was trained with)";
  auto compare = [&](const std::string& name, const torch::Tensor& want, bool buffer) {
    if (!want.defined()) return;
    const std::string what = std::string(buffer ? "buffer '" : "parameter '") + prefix + name + "'";
    torch::Tensor saved;
    if (!ar.try_read(name, saved, buffer))
      throw InputError(where + ": " + what + " of the model is missing from the checkpoint" + hint);
    if (saved.sizes() != want.sizes())
      throw InputError(where + ": " + what + " has shape " + shape_text(saved.sizes()) +
                       " in the checkpoint but " + shape_text(want.sizes()) +
                       " in the model built from the config" + hint);
  };
  for (const auto& p : model.named_parameters(/*recurse=*/false))
    compare(p.key(), p.value(), false);
  for (const auto& b : model.named_buffers(/*recurse=*/false)) compare(b.key(), b.value(), true);
  for (const auto& c : model.named_children()) {
    if (!c.value()->is_serializable()) continue;
    torch::serialize::InputArchive child;
    if (!ar.try_read(c.key(), child))
      throw InputError(where + ": module '" + prefix + c.key() +
                       "' of the model is missing from the checkpoint" + hint);
    check_shapes(*c.value(), child, prefix + c.key() + ".", where);
  }
}

// Shapes first (a message naming the parameter), then the weights.
void load_model(torch::nn::Module& model, torch::serialize::InputArchive& ar,
                const std::string& where) {
  check_shapes(model, ar, "", where);
  try {
    model.load(ar);
  } catch (const c10::Error& e) {
    throw InputError(where + ": checkpoint does not match the model (" + first_line(e) + ")");
  }
}

// Format 1 (before the checksummed container): a bare LibTorch archive holding "format" = 1,
// "config", "step", "model" and optionally "optimizer". Its weights still load (eval, export,
// report, bench); it holds no RNG, schedule or data-order state, so it cannot be resumed.
bool is_format1(const std::string& bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0;
}

CheckpointMeta load_format1(const std::string& bytes, const std::string& where,
                            torch::nn::Module* model, torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive ar;
  CheckpointMeta meta;
  try {
    ar.load_from(bytes.data(), bytes.size());
    c10::IValue v;
    if (!ar.try_read("format", v) || !v.isInt() || v.toInt() != 1) throw InputError("");
    meta.format = 1;
    if (!ar.try_read("config", v) || !v.isString()) throw InputError("");
    meta.config_toml = v.toStringRef();
    if (!ar.try_read("step", v) || !v.isInt()) throw InputError("");
    meta.step = v.toInt();
  } catch (const std::exception&) {
    throw InputError(where +
                     ": not a usable spikessm checkpoint: a LibTorch archive that is "
                     "neither this version's format nor format 1 (another tool's file?)");
  }
  if (optimizer)
    throw InputError(where +
                     ": a format-1 checkpoint (no RNG or data-order state) cannot be "
                     "resumed exactly; its weights still load for eval, export and report");
  if (model) {
    torch::serialize::InputArchive model_ar;
    if (!ar.try_read("model", model_ar))
      throw InputError(where + ": format-1 checkpoint has no 'model' archive");
    load_model(*model, model_ar, where);
  }
  return meta;
}

}  // namespace

std::string read_checkpoint_file(const std::string& path) {
  return read_regular_file(path, "checkpoint file");
}

std::string previous_checkpoint_path(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".prev" + p.extension().string())).string();
}

bool checkpoint_exists(const std::string& path) {
  return fs::exists(path) || fs::exists(previous_checkpoint_path(path));
}

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointMeta& meta) {
  std::vector<CkptSection> sections;
  CheckpointMeta stamped = meta;  // every file says which spikessm wrote it
  stamped.spikessm_version = version();
  stamped.git_commit = git_commit();
  sections.emplace_back("meta", checkpoint_meta_json(stamped));
  {
    torch::serialize::OutputArchive ar;
    model.save(ar);
    sections.emplace_back("model", archive_bytes(ar));
  }
  if (optimizer) {
    torch::serialize::OutputArchive ar;
    optimizer->save(ar);
    sections.emplace_back("optimizer", archive_bytes(ar));
  }
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    torch::Tensor state;
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      state = gen.get_state();
    }
    sections.emplace_back(
        "rng", std::string(static_cast<const char*>(state.data_ptr()), size_t(state.numel())));
  }
  const std::string tmp = path + ".tmp", prev = previous_checkpoint_path(path);
  write_file_synced(tmp, encode_checkpoint(sections));
  // Keep the current file as the previous good one, unless it is damaged (then the older
  // previous copy is the good one and must survive).
  if (fs::exists(path) && verifies(path)) fs::rename(path, prev);
  fs::rename(tmp, path);  // atomic on POSIX within one directory
  sync_directory(fs::path(path).parent_path().string());
}

CheckpointMeta read_checkpoint_meta_bytes(const std::string& bytes, const std::string& where) {
  if (is_format1(bytes)) return load_format1(bytes, where, nullptr, nullptr);
  return parse_checkpoint_meta(decode_checkpoint(bytes.data(), bytes.size(), where), where);
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  return read_checkpoint_meta_bytes(read_checkpoint_file(path), path);
}

CheckpointMeta load_checkpoint_bytes(const std::string& bytes, const std::string& where,
                                     torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  if (is_format1(bytes)) return load_format1(bytes, where, &model, optimizer);
  const auto sections = decode_checkpoint(bytes.data(), bytes.size(), where);
  CheckpointMeta meta = parse_checkpoint_meta(sections, where);
  const std::string* m = find_section(sections, "model");
  if (!m) throw InputError(where + ": checkpoint has no 'model' section");
  torch::serialize::InputArchive model_ar;
  load_archive(*m, "model", where, model_ar);
  load_model(model, model_ar, where);
  if (optimizer) {
    const std::string* o = find_section(sections, "optimizer");
    if (!o) throw InputError(where + ": checkpoint has no optimizer state to resume from");
    torch::serialize::InputArchive optim_ar;
    load_archive(*o, "optimizer", where, optim_ar);
    try {
      optimizer->load(optim_ar);
    } catch (const c10::Error& e) {
      throw InputError(where + ": checkpoint optimizer state does not match (" + first_line(e) +
                       ")");
    }
  }
  return meta;
}

void load_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer) {
  load_checkpoint_bytes(read_checkpoint_file(path), path, model, optimizer);
}

void restore_rng_state(const std::string& state, const std::string& where) {
  if (state.empty()) return;
  auto gen = at::detail::getDefaultCPUGenerator();
  auto t = torch::empty({int64_t(state.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), state.data(), state.size());
  std::lock_guard<std::mutex> lock(gen.mutex());
  try {
    gen.set_state(t);
  } catch (const c10::Error& e) {
    throw InputError(where + ": checkpoint RNG state is invalid (" + first_line(e) + ")");
  }
}

std::string find_resumable_checkpoint(const std::string& path) {
  std::error_code ec;
  fs::remove(path + ".tmp", ec);  // a crash mid-write: the rename never happened
  const std::string prev = previous_checkpoint_path(path);
  const bool have = fs::exists(path), have_prev = fs::exists(prev);
  if (!have && !have_prev) return "";
  std::string why;
  if (have) {
    try {
      const std::string bytes = read_checkpoint_file(path);
      decode_checkpoint(bytes.data(), bytes.size(), path);
      return path;
    } catch (const InputError& e) {
      why = e.what();
    }
  } else {
    why = path + ": missing (a crash between the two renames of a save)";
  }
  if (have_prev) {
    try {
      const std::string bytes = read_checkpoint_file(prev);
      decode_checkpoint(bytes.data(), bytes.size(), prev);
      std::fprintf(stderr, "warning: %s; resuming from the previous good checkpoint %s\n",
                   why.c_str(), prev.c_str());
      return prev;
    } catch (const InputError& e) {
      throw InputError(why + "; and the previous checkpoint is unusable too (" + e.what() + ")");
    }
  }
  throw InputError(why + "; no previous checkpoint " + prev + " to fall back to");
}

}  // namespace spikessm
