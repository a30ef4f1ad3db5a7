// .npz archives: a ZIP file (numpy.savez stores its members, savez_compressed deflates them,
// both may use ZIP64 sizes) of .npy members, read through the central directory.
#include <zlib.h>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/npy.h"

namespace spikessm {
namespace {

uint64_t le(const std::string& b, size_t at, int bytes, const std::string& where) {
  if (at > b.size() || size_t(bytes) > b.size() - at)  // no overflow for offsets near 2^64
    throw InputError(where + ": zip structure is truncated");
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(b[at + size_t(i)])) << (8 * i);
  return v;
}

struct Member {
  std::string name;
  int method = 0;
  uint64_t packed = 0, size = 0, offset = 0;
  uint32_t crc = 0;
};

// ZIP64 sizes and offset in a central-directory entry's extra field (tag 0x0001).
void read_zip64(const std::string& b, size_t extra, size_t len, Member& m, const std::string& w) {
  for (size_t p = extra; p + 4 <= extra + len;) {
    const uint64_t tag = le(b, p, 2, w), n = le(b, p + 2, 2, w);
    size_t q = p + 4;
    if (tag == 1) {
      if (m.size == 0xFFFFFFFF) m.size = le(b, q, 8, w), q += 8;
      if (m.packed == 0xFFFFFFFF) m.packed = le(b, q, 8, w), q += 8;
      if (m.offset == 0xFFFFFFFF) m.offset = le(b, q, 8, w);
    }
    p += 4 + n;
  }
}

std::vector<Member> central_directory(const std::string& b, const std::string& w) {
  size_t eocd = std::string::npos;
  for (size_t i = b.size() >= 22 ? b.size() - 22 : 0, stop = i > 65557 ? i - 65557 : 0;; --i) {
    if (le(b, i, 4, w) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == stop) break;
  }
  if (eocd == std::string::npos) throw InputError(w + ": not a zip archive (no end record)");
  uint64_t count = le(b, eocd + 10, 2, w), at = le(b, eocd + 16, 4, w);
  if (at == 0xFFFFFFFF && eocd >= 20 && le(b, eocd - 20, 4, w) == 0x07064b50) {
    const uint64_t z = le(b, eocd - 12, 8, w);  // the ZIP64 end record
    if (le(b, z, 4, w) != 0x06064b50) throw InputError(w + ": zip64 end record is damaged");
    count = le(b, z + 32, 8, w);
    at = le(b, z + 48, 8, w);
  }
  std::vector<Member> out;
  for (uint64_t k = 0; k < count; ++k) {
    if (le(b, at, 4, w) != 0x02014b50) throw InputError(w + ": zip central directory is damaged");
    Member m;
    m.method = int(le(b, at + 10, 2, w));
    m.crc = uint32_t(le(b, at + 16, 4, w));
    m.packed = le(b, at + 20, 4, w);
    m.size = le(b, at + 24, 4, w);
    const size_t name_len = le(b, at + 28, 2, w), extra = le(b, at + 30, 2, w),
                 comment = le(b, at + 32, 2, w);
    m.offset = le(b, at + 42, 4, w);
    if (at + 46 + name_len > b.size()) throw InputError(w + ": zip central directory is truncated");
    m.name = b.substr(at + 46, name_len);
    read_zip64(b, at + 46 + name_len, extra, m, w);
    out.push_back(m);
    at += 46 + name_len + extra + comment;
  }
  return out;
}

std::string member_bytes(const std::string& b, const Member& m, const std::string& w) {
  if (le(b, m.offset, 4, w) != 0x04034b50) throw InputError(w + ": zip local header is damaged");
  const size_t start = m.offset + 30 + le(b, m.offset + 26, 2, w) + le(b, m.offset + 28, 2, w);
  if (m.packed > b.size() || start > b.size() - m.packed)
    throw InputError(w + ": member is truncated");
  if (m.size > uint64_t(kNpyMaxElements) * 8 + (1 << 20))
    throw InputError(w + ": member is larger than any array spikessm reads");
  // Deflate expands at most 1032-fold: a larger claim is a damaged archive, refused before
  // its size is allocated.
  if ((m.method == 0 && m.size != m.packed) || (m.method == 8 && m.size / 1032 > m.packed + 1))
    throw InputError(w + ": member claims " + std::to_string(m.size) + " bytes from " +
                     std::to_string(m.packed) + " stored (the archive is damaged)");
  std::string out;
  if (m.method == 0) {
    out = b.substr(start, m.packed);
  } else if (m.method == 8) {
    out.resize(m.size);
    z_stream z{};
    inflateInit2(&z, -15);  // raw deflate, as in zip
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data() + start));
    z.avail_in = uInt(m.packed);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(m.size);
    const int rc = inflate(&z, Z_FINISH);
    const uint64_t got = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || got != m.size) throw InputError(w + ": compressed data is corrupt");
  } else {
    throw InputError(w + ": zip compression method " + std::to_string(m.method) +
                     " (expected stored or deflate, as numpy writes)");
  }
  if (out.size() != m.size ||
      crc32_z(0, reinterpret_cast<const Bytef*>(out.data()), out.size()) != m.crc)
    throw InputError(w + ": checksum mismatch (the archive is damaged)");
  return out;
}

}  // namespace

std::map<std::string, torch::Tensor> read_npz(const std::string& path) {
  const std::string b = read_file_bytes(path);
  std::map<std::string, torch::Tensor> out;
  for (const Member& m : central_directory(b, path)) {
    const std::string where = path + " member '" + m.name + "'";
    std::string key = m.name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    out[key] = parse_npy(member_bytes(b, m, where), where);
  }
  if (out.empty()) throw InputError(path + ": the archive holds no arrays");
  return out;
}

}  // namespace spikessm
