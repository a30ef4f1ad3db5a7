#include "spikessm/export/safetensors.h"

#include <cstring>

#include "spikessm/common/error.h"
#include "spikessm/common/safetensors_format.h"

namespace spikessm {

namespace {

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_names() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> names = {
      {"F64", torch::kDouble},    {"F32", torch::kFloat}, {"F16", torch::kHalf},
      {"BF16", torch::kBFloat16}, {"I64", torch::kLong},  {"I32", torch::kInt},
      {"I16", torch::kShort},     {"I8", torch::kChar},   {"U8", torch::kByte},
      {"BOOL", torch::kBool}};
  return names;
}

std::string shape_text(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

NamedTensors flat_state_dict(torch::nn::Module& model) {
  NamedTensors out;
  for (const auto& p : model.named_parameters(/*recurse=*/true))
    if (p.value().defined()) out.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers(/*recurse=*/true))
    if (b.value().defined()) out.emplace_back(b.key(), b.value());
  return out;
}

std::string safetensors_bytes(const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the format is little-endian");
  std::vector<SafetensorsEntry> entries;
  std::vector<std::string> data;
  for (const auto& [name, t_in] : tensors) {
    SafetensorsEntry e;
    e.name = name;
    for (const auto& [n, st] : dtype_names())
      if (st == t_in.scalar_type()) e.dtype = n;
    if (e.dtype.empty())
      throw InputError("safetensors: tensor '" + name + "' has an unsupported dtype " +
                       std::string(c10::toString(t_in.scalar_type())));
    const auto t = t_in.detach().cpu().contiguous();
    e.shape = t.sizes().vec();
    data.emplace_back(t.numel() ? static_cast<const char*>(t.data_ptr()) : "", size_t(t.nbytes()));
    entries.push_back(std::move(e));
  }
  return encode_safetensors(std::move(entries), data, metadata);
}

NamedTensors read_safetensors(const std::string& bytes, const std::string& where,
                              std::map<std::string, std::string>* metadata) {
  const auto f = parse_safetensors(bytes.data(), bytes.size(), where);
  NamedTensors out;
  for (const auto& e : f.entries) {
    torch::ScalarType st = torch::kFloat;
    for (const auto& [n, s] : dtype_names())
      if (n == e.dtype) st = s;
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(st));
    if (e.end > e.begin)
      std::memcpy(t.data_ptr(), bytes.data() + f.data_start + e.begin, size_t(e.end - e.begin));
    out.emplace_back(e.name, t);
  }
  if (metadata) *metadata = f.metadata;
  return out;
}

void load_flat_state_dict(torch::nn::Module& model, const NamedTensors& tensors,
                          const std::string& where) {
  std::map<std::string, torch::Tensor> have;
  for (auto& [name, t] : flat_state_dict(model)) have.emplace(name, t);
  std::map<std::string, const torch::Tensor*> given;
  for (const auto& [name, t] : tensors) given.emplace(name, &t);
  for (const auto& [name, t] : have) {
    auto it = given.find(name);
    if (it == given.end())
      throw InputError(where + ": the model's tensor '" + name + "' is missing from the file");
    if (it->second->sizes() != t.sizes())
      throw InputError(where + ": tensor '" + name + "' has shape " +
                       shape_text(it->second->sizes()) + " in the file but " +
                       shape_text(t.sizes()) + " in the model");
  }
  for (const auto& [name, t] : given)
    if (!have.count(name))
      throw InputError(where + ": tensor '" + name + "' of the file is not in the model");
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : have) t.copy_(*given.at(name));
}

}  // namespace spikessm
