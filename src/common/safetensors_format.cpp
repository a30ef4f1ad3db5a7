// The safetensors layout (include/spikessm/common/safetensors_format.h). No LibTorch here.
#include "spikessm/common/safetensors_format.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "spikessm/common/error.h"

namespace spikessm {

size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

namespace {

// product(shape) x itemsize, refused on overflow (a hostile shape must not wrap around).
uint64_t byte_count(const std::vector<int64_t>& shape, size_t itemsize, const std::string& what) {
  uint64_t n = itemsize;
  for (int64_t d : shape) {
    if (d < 0) throw InputError(what + ": negative dimension " + std::to_string(d));
    if (d != 0 && n > UINT64_MAX / uint64_t(d))
      throw InputError(what + ": shape too large (its byte count overflows 64 bits)");
    n *= uint64_t(d);
  }
  return n;
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& v,
                             const std::string& where) {
  const std::string what = where + ": tensor '" + name + "'";
  if (name.empty()) throw InputError(where + ": a tensor has an empty name");
  if (!v.is_object()) throw InputError(what + ": expected an object");
  SafetensorsEntry e;
  e.name = name;
  const auto dt = v.find("dtype"), sh = v.find("shape"), off = v.find("data_offsets");
  if (dt == v.end() || !dt->is_string()) throw InputError(what + ": missing string 'dtype'");
  e.dtype = dt->get<std::string>();
  const size_t itemsize = safetensors_dtype_size(e.dtype);
  if (itemsize == 0)
    throw InputError(what + ": unknown dtype '" + e.dtype +
                     "' (expected F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL)");
  if (sh == v.end() || !sh->is_array()) throw InputError(what + ": missing array 'shape'");
  for (const auto& d : *sh) {
    if (!d.is_number_integer()) throw InputError(what + ": shape entries must be integers");
    e.shape.push_back(d.get<int64_t>());
  }
  if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    throw InputError(what + ": 'data_offsets' must be two non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.end < e.begin) throw InputError(what + ": data_offsets end before they begin");
  const uint64_t bytes = byte_count(e.shape, itemsize, what);
  if (e.end - e.begin != bytes)
    throw InputError(what + ": data_offsets span " + std::to_string(e.end - e.begin) +
                     " bytes but its shape and dtype need " + std::to_string(bytes));
  return e;
}

}  // namespace

SafetensorsFile parse_safetensors(const char* data, size_t size, const std::string& where) {
  if (size < 8) throw InputError(where + ": not a safetensors file (shorter than 8 bytes)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | uint64_t(static_cast<unsigned char>(data[i]));
  if (n > kSafetensorsMaxHeader)
    throw InputError(where + ": header of " + std::to_string(n) + " bytes exceeds the " +
                     std::to_string(kSafetensorsMaxHeader) + "-byte limit");
  if (n > size - 8)
    throw InputError(where + ": header of " + std::to_string(n) + " bytes but the file has " +
                     std::to_string(size - 8) + " after the length");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": header is not JSON (" + std::string(e.what()) + ")");
  }
  if (!header.is_object()) throw InputError(where + ": header is not a JSON object");
  SafetensorsFile f;
  f.data_start = 8 + n;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw InputError(where + ": __metadata__ is not an object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string())
          throw InputError(where + ": __metadata__ '" + mk + "' is not a string");
        f.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    f.entries.push_back(parse_entry(key, value, where));
  }
  std::sort(f.entries.begin(), f.entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t at = 0;
  for (const auto& e : f.entries) {
    if (e.begin != at)
      throw InputError(where + ": tensor '" + e.name + "' starts at byte " +
                       std::to_string(e.begin) + " of the data, expected " + std::to_string(at) +
                       " (tensors must tile the data without gaps or overlaps)");
    at = e.end;
  }
  if (at != size - f.data_start)
    throw InputError(where + ": the tensors cover " + std::to_string(at) +
                     " bytes of data but the file holds " + std::to_string(size - f.data_start));
  return f;
}

std::string encode_safetensors(std::vector<SafetensorsEntry> entries,
                               const std::vector<std::string>& data,
                               const std::map<std::string, std::string>& metadata) {
  if (entries.size() != data.size())
    throw std::invalid_argument("encode_safetensors: one data block per entry");
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t at = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    const size_t itemsize = safetensors_dtype_size(e.dtype);
    if (itemsize == 0 ||
        byte_count(e.shape, itemsize, "encode_safetensors: " + e.name) != data[i].size())
      throw std::invalid_argument("encode_safetensors: '" + e.name +
                                  "' has a bad dtype or a data size that disagrees with its shape");
    e.begin = at;
    e.end = at += data[i].size();
    header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(char((uint64_t(text.size()) >> (8 * i)) & 0xff));
  out += text;
  for (const auto& d : data) out += d;
  return out;
}

}  // namespace spikessm
