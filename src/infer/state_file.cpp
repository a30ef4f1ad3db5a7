#include "spikessm/infer/state_file.h"

#include <sstream>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/checkpoint_format.h"
#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"

namespace spikessm {

void save_state_file(const std::string& path, const std::string& kind, const nlohmann::json& info,
                     const std::vector<torch::Tensor>& tensors) {
  std::ostringstream os;
  torch::save(tensors, os);
  write_file_atomic(path, encode_checkpoint({{kind + "_state_info", info.dump()},
                                             {kind + "_state_tensors", os.str()}}));
}

StateFile load_state_file(const std::string& path, const std::string& kind,
                          const std::string& writer) {
  const std::string bytes = read_regular_file(path, "state file");
  const auto sections = decode_checkpoint(bytes.data(), bytes.size(), path);
  const std::string* meta = find_section(sections, kind + "_state_info");
  const std::string* tensors = find_section(sections, kind + "_state_tensors");
  require(meta && tensors, path, "is not a state file written by " + writer);
  StateFile f;
  try {
    f.info = nlohmann::json::parse(*meta);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": state information is not valid JSON (" + e.what() + ")");
  }
  try {
    std::istringstream is(*tensors);
    torch::load(f.tensors, is);
  } catch (const c10::Error& e) {
    throw InputError(path + ": state tensors do not load (" + e.what_without_backtrace() + ")");
  }
  return f;
}

}  // namespace spikessm
