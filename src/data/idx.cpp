// IDX reader: header and payload are validated before we trust a byte of them, so a
// damaged download fails with one line naming the file instead of a garbled tensor.
#include "spikessm/data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string hex8(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02x", v);
  return b;
}

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return s;
}

// One byte stream over a raw file or a gzip file; zlib errors surface as InputError.
class Source {
 public:
  explicit Source(const std::string& path) : path_(path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    require(!fs::is_directory(path, ec), path,
            "is a directory (expected an IDX file, raw or gzip)");
    FILE* f = std::fopen(path.c_str(), "rb");
    require(
        f != nullptr, path,
        std::string("cannot open: ") + std::strerror(errno) + " (expected a readable IDX file)");
    file_.reset(f);
    std::fseek(f, 0, SEEK_END);
    file_size_ = static_cast<uint64_t>(std::ftell(f));
    std::rewind(f);
    unsigned char m[2] = {0, 0};
    const size_t n = std::fread(m, 1, 2, f);
    std::rewind(f);
    gzip_ = n == 2 && m[0] == 0x1f && m[1] == 0x8b;
    if (gzip_) {
      file_.reset();
      gz_ = gzopen(path.c_str(), "rb");
      require(gz_ != nullptr, path, "cannot open as gzip (expected a readable gzip file)");
      gzbuffer(gz_, 1 << 17);  // fewer, larger reads: decompression is the cost here
    }
  }
  ~Source() {
    if (gz_) gzclose(gz_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  bool gzip() const { return gzip_; }
  uint64_t file_size() const { return file_size_; }

  // Reads up to n bytes; fewer only at the end of the (decompressed) stream.
  size_t read(void* buf, size_t n) {
    auto* p = static_cast<unsigned char*>(buf);
    size_t got = 0;
    while (got < n) {
      const size_t want = std::min<size_t>(n - got, size_t{1} << 30);  // gzread takes unsigned
      size_t r;
      if (gzip_) {
        const int k = gzread(gz_, p + got, static_cast<unsigned>(want));
        check_gz();
        r = k > 0 ? static_cast<size_t>(k) : 0;
      } else {
        r = std::fread(p + got, 1, want, file_.get());
        require(!std::ferror(file_.get()), path_,
                std::string("read error: ") + std::strerror(errno));
      }
      got += r;
      if (r < want) break;
    }
    return got;
  }

 private:
  // A truncated stream shows as Z_BUF_ERROR ("unexpected end of file"); a damaged one
  // as Z_DATA_ERROR (bad block or CRC). Both mean the file cannot be trusted.
  void check_gz() {
    int err = Z_OK;
    const char* msg = gzerror(gz_, &err);
    if (err == Z_OK || err == Z_STREAM_END) return;
    std::string m = msg ? msg : "unknown zlib error";
    if (m.rfind(path_ + ": ", 0) == 0) m.erase(0, path_.size() + 2);  // zlib prefixes the path
    throw InputError(path_ + ": corrupt gzip stream: " + m +
                     " (expected a complete, valid gzip file)");
  }

  struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::string path_;
  std::unique_ptr<FILE, FileCloser> file_;
  gzFile gz_ = nullptr;
  bool gzip_ = false;
  uint64_t file_size_ = 0;
};

}  // namespace

IdxArray read_idx(const std::string& path) {
  Source src(path);

  // Magic: 0x00 0x00 <type> <ndim>.
  unsigned char m[4];
  const size_t nm = src.read(m, 4);
  require(nm > 0, path, "file is empty (expected an IDX file, raw or gzip)");
  require(nm == 4, path,
          "file ends after " + std::to_string(nm) + " bytes, inside the 4-byte IDX magic");
  const uint32_t magic = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
  require(m[0] == 0 && m[1] == 0, path,
          "IDX magic " + hex32(magic) +
              " does not start with two zero bytes (expected 0x0000TTNN, e.g. 0x00000803; "
              "not an IDX file?)");
  require(m[2] == 0x08, path,
          "IDX magic " + hex32(magic) + " has unsupported type " + hex8(m[2]) +
              " (expected 0x08 unsigned byte)");
  const int ndim = m[3];
  require(ndim >= 1 && ndim <= 4, path,
          "IDX magic " + hex32(magic) + " has " + std::to_string(ndim) +
              " dimensions (expected 1 to 4)");

  // Sizes: ndim big-endian uint32.
  unsigned char d[16];
  const size_t nd = src.read(d, 4 * ndim);
  require(nd == size_t(4 * ndim), path,
          "file ends inside the IDX header: " + std::to_string(nd) + " of " +
              std::to_string(4 * ndim) + " bytes of dimension sizes");
  IdxArray out;
  for (int i = 0; i < ndim; ++i) {
    const unsigned char* b = d + 4 * i;
    out.dims.push_back(int64_t{b[0]} << 24 | int64_t{b[1]} << 16 | int64_t{b[2]} << 8 | b[3]);
    require(out.dims[i] > 0, path,
            "IDX dimension " + std::to_string(i) + " of " + std::to_string(ndim) +
                " is 0 (expected every size > 0)");
  }
  int64_t count = 1;
  for (int64_t s : out.dims) {
    // s < 2^32 and count <= 2^31, so neither the division nor the product can overflow.
    require(count <= kIdxMaxElements / s, path,
            "IDX dimensions " + dims_str(out.dims) + " hold more than " +
                std::to_string(kIdxMaxElements) + " elements (expected at most 2^31)");
    count *= s;
  }
  const uint64_t header = 4 + 4 * uint64_t(ndim);
  const std::string expect = std::to_string(count) + " bytes for dims " + dims_str(out.dims);

  // Refuse before allocating when the file cannot possibly hold the payload: a raw file
  // by its size, a gzip file because deflate expands at most ~1032:1.
  const uint64_t avail = src.file_size() > header ? src.file_size() - header : 0;
  if (!src.gzip()) {
    require(uint64_t(count) <= avail, path,
            "IDX payload truncated: got " + std::to_string(avail) + " of " + expect +
                " (expected exactly the product of the dimensions)");
  } else {
    require(uint64_t(count) <= src.file_size() * 1032, path,
            "IDX payload truncated: a gzip file of " + std::to_string(src.file_size()) +
                " bytes cannot hold " + expect + " (deflate expands at most ~1032x)");
  }

  out.data.resize(static_cast<size_t>(count));
  const size_t got = src.read(out.data.data(), out.data.size());
  require(got == out.data.size(), path,
          "IDX payload truncated: got " + std::to_string(got) + " of " + expect +
              " (expected exactly the product of the dimensions)");

  // Anything after the payload means the header and the data disagree.
  uint64_t extra = 0;
  unsigned char scratch[1 << 16];
  for (size_t r; (r = src.read(scratch, sizeof scratch)) > 0;) extra += r;
  require(extra == 0, path,
          "IDX payload is followed by " + std::to_string(extra) +
              " trailing bytes (expected the data to end after " + expect + ")");
  return out;
}

namespace {
void check_consistent(const IdxArray& a) {
  int64_t n = 1;
  for (int64_t s : a.dims) n *= s;
  TORCH_CHECK(!a.dims.empty() && n == int64_t(a.data.size()), "[idx_to_tensor] dims ",
              dims_str(a.dims), " do not match ", a.data.size(), " data bytes");
}
}  // namespace

torch::Tensor idx_to_tensor(const IdxArray& a) {
  check_consistent(a);
  return torch::from_blob(const_cast<uint8_t*>(a.data.data()), a.dims, torch::kUInt8).clone();
}

torch::Tensor idx_to_tensor(IdxArray&& a) {
  check_consistent(a);
  // The tensor takes ownership of the vector's buffer through the deleter.
  auto* owned = new std::vector<uint8_t>(std::move(a.data));
  const std::vector<int64_t> dims = std::move(a.dims);
  return torch::from_blob(
      owned->data(), dims, [owned](void*) { delete owned; }, torch::kUInt8);
}

}  // namespace spikessm
