#pragma once
// The safetensors file layout (Hugging Face's flat tensor format), free of LibTorch so that
// fuzz/ builds it alone:
//
//   offset  size
//   0       8     N: header length, u64 little-endian (N <= kSafetensorsMaxHeader)
//   8       N     JSON object, padded with spaces:
//                   "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//                   "__metadata__": {"<key>": "<string>", ...}   (optional)
//   8 + N   ...   the data: every tensor C-order, little-endian, at [begin, end) of this buffer
//
// A valid file's tensors tile the buffer exactly (sorted by begin: the first at 0, each where
// the previous ends, the last at the end), and end - begin = product(shape) x dtype size.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spikessm {

constexpr uint64_t kSafetensorsMaxHeader = 100u << 20;  // the reference reader's limit

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL
  std::vector<int64_t> shape;   // () for a scalar
  uint64_t begin = 0, end = 0;  // byte range in the data buffer
};

struct SafetensorsFile {
  std::vector<SafetensorsEntry> entries;  // in the order of their data
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // 8 + N: where the data buffer begins in the file
};

// Bytes per element of a dtype name; 0 for a name this format does not define.
size_t safetensors_dtype_size(const std::string& dtype);

// Parses and checks every field of a whole file image; InputError("<where>: ...") on any
// defect (nothing is trusted before it is checked: sizes, offsets, shapes, overflow).
SafetensorsFile parse_safetensors(const char* data, size_t size, const std::string& where);

// A file of `entries` (name, dtype, shape; begin/end are assigned in this order) with the data
// of entry i in data[i] (its size must be the entry's) and string metadata.
std::string encode_safetensors(std::vector<SafetensorsEntry> entries,
                               const std::vector<std::string>& data,
                               const std::map<std::string, std::string>& metadata);

}  // namespace spikessm
