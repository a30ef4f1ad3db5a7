// Checkpoint container: encode/verify the sectioned, checksummed file layout
// (include/spikessm/common/checkpoint_format.h). No LibTorch here, so fuzz/ can build it alone.
#include "spikessm/common/checkpoint_format.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'K', 'S', 'S', 'M', 'C', 'K'};

void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
uint32_t get_u32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t get_u64(const unsigned char* p) {
  return uint64_t(get_u32(p)) | uint64_t(get_u32(p + 4)) << 32;
}

}  // namespace

uint32_t crc32_of(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes uInt lengths
    const uInt n = uInt(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    size -= n;
  }
  return uint32_t(crc);
}

std::string encode_checkpoint(const std::vector<CkptSection>& sections) {
  std::string payload;
  for (const auto& [name, bytes] : sections) {
    put_u32(payload, uint32_t(name.size()));
    payload += name;
    put_u64(payload, uint64_t(bytes.size()));
    payload += bytes;
  }
  std::string out(kMagic, 8);
  put_u32(out, kCkptVersion);
  put_u32(out, uint32_t(sections.size()));
  put_u64(out, uint64_t(payload.size()));
  put_u32(out, crc32_of(payload.data(), payload.size()));
  put_u32(out, crc32_of(out.data(), out.size()));
  return out + payload;
}

std::vector<CkptSection> decode_checkpoint(const char* data, size_t size,
                                           const std::string& where) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const std::string refuse = where + ": not a usable spikessm checkpoint: ";
  if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0)
    throw InputError(refuse +
                     "a bare LibTorch archive without the spikessm header and checksum "
                     "(format 1 or another tool's file); retrain, or use a checkpoint "
                     "written by this version");
  if (size < kCkptHeaderBytes)
    throw InputError(refuse + "truncated: " + std::to_string(size) + " bytes, shorter than the " +
                     std::to_string(kCkptHeaderBytes) + "-byte header");
  if (std::memcmp(data, kMagic, 8) != 0)
    throw InputError(refuse + "wrong magic bytes (expected \"SPKSSMCK\")");
  if (get_u32(p + 28) != crc32_of(data, 28))
    throw InputError(refuse + "header checksum mismatch (corrupt file)");
  const uint32_t version = get_u32(p + 8), count = get_u32(p + 12);
  const uint64_t payload = get_u64(p + 16);
  if (version < kCkptVersion)  // format 1 was a bare LibTorch archive, refused above
    throw InputError(refuse + "format version " + std::to_string(version) + " (expected " +
                     std::to_string(kCkptVersion) + ")");
  if (count == 0 || count > kCkptMaxSections)
    throw InputError(refuse + std::to_string(count) + " sections (expected 1 to " +
                     std::to_string(kCkptMaxSections) + ")");
  const uint64_t have = size - kCkptHeaderBytes;
  if (payload != have)
    throw InputError(refuse + (payload > have ? "truncated: " : "trailing bytes: ") +
                     "payload is " + std::to_string(have) + " bytes, the header says " +
                     std::to_string(payload));
  const char* body = data + kCkptHeaderBytes;
  if (get_u32(p + 24) != crc32_of(body, size_t(payload)))
    throw InputError(refuse + "payload checksum mismatch (corrupt file)");

  // The checksum matched, but the layout is still checked field by field: a file can be
  // written wrongly and checksummed correctly.
  std::vector<CkptSection> out;
  uint64_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string at = "section " + std::to_string(i) + ": ";
    if (have - pos < 4) throw InputError(refuse + at + "ends inside its name length");
    const uint32_t name_len = get_u32(p + kCkptHeaderBytes + pos);
    pos += 4;
    if (name_len == 0 || name_len > kCkptMaxName)
      throw InputError(refuse + at + "name length " + std::to_string(name_len) +
                       " (expected 1 to " + std::to_string(kCkptMaxName) + ")");
    if (have - pos < uint64_t(name_len) + 8) throw InputError(refuse + at + "ends inside its name");
    std::string name(body + pos, name_len);
    pos += name_len;
    const uint64_t len = get_u64(p + kCkptHeaderBytes + pos);
    pos += 8;
    if (len > have - pos)
      throw InputError(refuse + at + "'" + name + "' claims " + std::to_string(len) + " bytes, " +
                       std::to_string(have - pos) + " remain");
    for (const auto& s : out)
      if (s.first == name) throw InputError(refuse + "section '" + name + "' appears twice");
    out.emplace_back(std::move(name), std::string(body + pos, size_t(len)));
    pos += len;
  }
  if (pos != have)
    throw InputError(refuse + std::to_string(have - pos) + " bytes after the last section");
  if (version > kCkptVersion) warn_newer_checkpoint_format(where, version);  // a sound file
  return out;
}

void warn_newer_checkpoint_format(const std::string& where, int64_t format) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mutex);
  if (!warned.insert(where).second) return;
  std::fprintf(stderr,
               "warning: %s: checkpoint format %lld is newer than format %u, the newest this "
               "spikessm knows; reading it as format %u (if it fails, use a newer spikessm)\n",
               where.c_str(), (long long)format, kCkptVersion, kCkptVersion);
}

const std::string* find_section(const std::vector<CkptSection>& sections, const std::string& name) {
  for (const auto& kv : sections)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

std::string checkpoint_meta_json(const CheckpointMeta& meta) {
  nlohmann::json j{{"format", meta.format},
                   {"step", meta.step},
                   {"config", meta.config_toml},
                   {"state", meta.state}};
  if (!meta.spikessm_version.empty()) j["spikessm_version"] = meta.spikessm_version;
  if (!meta.git_commit.empty()) j["git_commit"] = meta.git_commit;
  return j.dump();
}

CheckpointMeta parse_checkpoint_meta(const std::vector<CkptSection>& sections,
                                     const std::string& where) {
  const std::string* text = find_section(sections, "meta");
  if (!text)
    throw InputError(where + ": checkpoint has no 'meta' section (not written by spikessm)");
  CheckpointMeta meta;
  try {
    auto j = nlohmann::json::parse(*text);
    // Integers must be JSON integers: nlohmann would cast a float such as 1e300 (undefined).
    auto integer = [&](const char* key) {
      const auto& v = j.at(key);
      if (!v.is_number_integer())
        throw InputError(where + ": checkpoint metadata '" + key + "' is not an integer");
      return v.get<int64_t>();
    };
    meta.format = integer("format");
    meta.step = integer("step");
    meta.config_toml = j.at("config").get<std::string>();
    meta.state = j.value("state", nlohmann::json::object());
    if (!meta.state.is_object())
      throw InputError(where + ": checkpoint state is not a JSON object");
    // Absent in files written before spikessm recorded its version.
    auto text_field = [&](const char* key) {
      if (!j.contains(key)) return std::string();
      if (!j[key].is_string())
        throw InputError(where + ": checkpoint metadata '" + key + "' is not a string");
      return j[key].get<std::string>();
    };
    meta.spikessm_version = text_field("spikessm_version");
    meta.git_commit = text_field("git_commit");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": checkpoint metadata is malformed (" + std::string(e.what()) + ")");
  }
  if (meta.format < int64_t(kCkptVersion))
    throw InputError(where + ": checkpoint format " + std::to_string(meta.format) + " (expected " +
                     std::to_string(kCkptVersion) + ")");
  if (meta.format > int64_t(kCkptVersion)) warn_newer_checkpoint_format(where, meta.format);
  if (meta.step < 0)
    throw InputError(where + ": checkpoint step " + std::to_string(meta.step) + " is negative");
  if (const std::string* rng = find_section(sections, "rng")) meta.rng_state = *rng;
  return meta;
}

}  // namespace spikessm
