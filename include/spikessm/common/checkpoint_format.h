#pragma once
// The byte layout of a checkpoint file, free of LibTorch so that it can be fuzzed with
// ASan/UBSan on its own. A file is a header with two CRC32s followed by named sections:
//
//   offset size
//   0      8    magic "SPKSSMCK"
//   8      4    format version (2), little-endian like every integer here
//   12     4    number of sections (1..kCkptMaxSections)
//   16     8    payload bytes (everything after the 32-byte header)
//   24     4    CRC32 of the payload
//   28     4    CRC32 of bytes 0..27
//   32     ...  sections: u32 name length (1..kCkptMaxName), name, u64 size, size bytes
//
// The payload CRC covers every section, so a flipped bit or a truncated file anywhere is
// refused before a byte of it reaches the (unchecked) LibTorch deserialiser.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "spikessm/common/file_bytes.h"

namespace spikessm {

constexpr uint32_t kCkptVersion = 2;
constexpr uint32_t kCkptMaxSections = 64;
constexpr uint32_t kCkptMaxName = 64;
constexpr size_t kCkptHeaderBytes = 32;

using CkptSection = std::pair<std::string, std::string>;  // name, bytes

std::string encode_checkpoint(const std::vector<CkptSection>& sections);

// Parses and verifies a whole file image; InputError("<where>: ...") on any defect.
std::vector<CkptSection> decode_checkpoint(const char* data, size_t size, const std::string& where);

uint32_t crc32_of(const char* data, size_t size);

struct CheckpointMeta {
  std::string config_toml;  // Config::to_toml() of the run
  int64_t step = 0;         // optimizer steps taken (skipped steps included)
  int64_t format = 2;
  nlohmann::json state = nlohmann::json::object();  // trainer state beyond model/optimizer
  std::string rng_state;  // default CPU generator state; filled by save_checkpoint
};

// The "meta" (JSON) and "rng" sections of a decoded file; InputError when absent or malformed.
CheckpointMeta parse_checkpoint_meta(const std::vector<CkptSection>& sections,
                                     const std::string& where);
std::string checkpoint_meta_json(const CheckpointMeta& meta);

// The named section, or nullptr.
const std::string* find_section(const std::vector<CkptSection>& sections, const std::string& name);

}  // namespace spikessm
