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
//
// Compatibility: a later format keeps this header and section layout and only adds sections
// or metadata fields (a change of layout takes a new magic). So a file that declares a newer
// format than kCkptVersion is still read, with one warning on stderr per file, and fails
// with the usual messages only if it really differs. The "meta" section records the
// spikessm version and commit that wrote it (absent in files of spikessm before 0.1.0).
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

// Parses and verifies a whole file image; InputError("<where>: ...") on any defect. A newer
// format version than kCkptVersion is read as this one, after warn_newer_checkpoint_format.
std::vector<CkptSection> decode_checkpoint(const char* data, size_t size, const std::string& where);

uint32_t crc32_of(const char* data, size_t size);

struct CheckpointMeta {
  std::string config_toml;  // Config::to_toml() of the run
  int64_t step = 0;         // optimizer steps taken (skipped steps included)
  int64_t format = 2;
  // The spikessm that wrote the file (common/version.h); empty in files that predate it.
  // save_checkpoint fills them; checkpoint_meta_json writes them when set.
  std::string spikessm_version, git_commit;
  nlohmann::json state = nlohmann::json::object();  // trainer state beyond model/optimizer
  std::string rng_state;  // default CPU generator state; filled by save_checkpoint
};

// The "meta" (JSON) and "rng" sections of a decoded file; InputError when absent or malformed.
CheckpointMeta parse_checkpoint_meta(const std::vector<CkptSection>& sections,
                                     const std::string& where);
std::string checkpoint_meta_json(const CheckpointMeta& meta);

// "warning: <where>: checkpoint format N is newer than ..." on stderr, once per `where` in a
// process (reading a file's metadata and then its weights warns once).
void warn_newer_checkpoint_format(const std::string& where, int64_t format);

// The named section, or nullptr.
const std::string* find_section(const std::vector<CkptSection>& sections, const std::string& name);

}  // namespace spikessm
