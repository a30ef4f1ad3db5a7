// IDX reader: every malformed file fails with one InputError line naming the file;
// valid raw and gzip files round-trip; the real MNIST / Fashion-MNIST files read.
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "spikessm/common/error.h"
#include "spikessm/data/idx.h"
#include "test_util.h"

namespace {

using spikessm::idx_to_tensor;
using spikessm::IdxArray;
using spikessm::InputError;
using spikessm::read_idx;
using Bytes = std::vector<uint8_t>;
namespace fs = std::filesystem;

// Header bytes: 00 00 <type> <ndim>, then each dim as big-endian uint32.
Bytes idx_header(uint8_t type, uint8_t ndim, const std::vector<uint32_t>& dims) {
  Bytes b = {0, 0, type, ndim};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  return b;
}

Bytes idx_file(const std::vector<uint32_t>& dims, const Bytes& payload) {
  Bytes b = idx_header(0x08, uint8_t(dims.size()), dims);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes random_bytes(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(g());
  return b;
}

std::string write_raw(const fs::path& p, const Bytes& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  return p.string();
}

Bytes gzip_bytes(const Bytes& b, const fs::path& tmp) {
  gzFile g = gzopen(tmp.c_str(), "wb");
  gzwrite(g, b.data(), unsigned(b.size()));
  gzclose(g);
  std::ifstream f(tmp, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

std::string write_gz(const fs::path& p, const Bytes& b) {
  gzip_bytes(b, p);
  return p.string();
}

// Reading `path` throws InputError whose single-line message names the path and `part`.
void expect_input_error(const std::string& path, const std::string& part) {
  try {
    read_idx(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
    EXPECT_NE(m.find(part), std::string::npos) << "missing '" << part << "' in: " << m;
    EXPECT_EQ(m.find(path, path.size()), std::string::npos) << "path repeated: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

std::string md5_of_gunzipped(const std::string& path) {
  FILE* p = popen(("gzip -dc '" + path + "' | md5sum").c_str(), "r");
  if (!p) return "";
  char buf[64] = {0};
  const size_t n = std::fread(buf, 1, 32, p);
  pclose(p);
  return std::string(buf, n);
}

class IdxMalformed : public ::testing::Test {
 protected:
  fs::path dir = spikessm::testing::scratch_dir("idx_malformed");
  const Bytes good = idx_file({2, 3, 4}, random_bytes(24, 1));
};

TEST_F(IdxMalformed, MissingFile) {
  expect_input_error((dir / "nope.idx").string(), "cannot open");
}

TEST_F(IdxMalformed, Directory) { expect_input_error(dir.string(), "is a directory"); }

TEST_F(IdxMalformed, EmptyFile) { expect_input_error(write_raw(dir / "empty", {}), "empty"); }

TEST_F(IdxMalformed, ShortMagic) {
  expect_input_error(write_raw(dir / "short", {0, 0, 8}), "inside the 4-byte IDX magic");
}

TEST_F(IdxMalformed, BadMagic) {
  Bytes b = good;
  b[0] = 0x01;
  expect_input_error(write_raw(dir / "bad_magic", b), "does not start with two zero bytes");
}

TEST_F(IdxMalformed, WrongType) {
  Bytes b = good;
  b[2] = 0x09;
  expect_input_error(
      write_raw(dir / "type09", b),
      "IDX magic 0x00000903 has unsupported type 0x09 (expected 0x08 unsigned byte)");
  b[2] = 0x0D;  // float: a real IDX type, but not one we read
  expect_input_error(write_raw(dir / "type0d", b), "unsupported type 0x0d");
}

TEST_F(IdxMalformed, NdimZeroAndFive) {
  expect_input_error(write_raw(dir / "ndim0", idx_header(8, 0, {})),
                     "has 0 dimensions (expected 1 to 4)");
  Bytes b5 = idx_header(8, 5, {1, 1, 1, 1, 1});
  b5.push_back(7);
  expect_input_error(write_raw(dir / "ndim5", b5), "has 5 dimensions (expected 1 to 4)");
}

TEST_F(IdxMalformed, ZeroDim) {
  expect_input_error(write_raw(dir / "zero_dim", idx_header(8, 3, {5, 0, 4})),
                     "IDX dimension 1 of 3 is 0");
}

TEST_F(IdxMalformed, AbsurdDims) {
  // 65536^3 = 2^48 elements: refused from the header alone, before any allocation.
  expect_input_error(write_raw(dir / "huge", idx_header(8, 3, {65536, 65536, 65536})),
                     "IDX dimensions 65536x65536x65536 hold more than 2147483648 elements");
  expect_input_error(write_gz(dir / "huge.gz", idx_header(8, 4, {~0u, ~0u, ~0u, ~0u})),
                     "hold more than");
}

TEST_F(IdxMalformed, HeaderTruncated) {
  Bytes b = idx_header(8, 3, {2, 3, 4});
  b.resize(10);
  expect_input_error(write_raw(dir / "hdr", b), "ends inside the IDX header: 6 of 12 bytes");
}

TEST_F(IdxMalformed, TruncatedPayload) {
  Bytes b = good;
  b.pop_back();
  expect_input_error(write_raw(dir / "trunc", b),
                     "IDX payload truncated: got 23 of 24 bytes for dims 2x3x4");
  // The same payload shortfall inside a valid gzip stream.
  expect_input_error(write_gz(dir / "trunc.gz", b),
                     "IDX payload truncated: got 23 of 24 bytes for dims 2x3x4");
}

TEST_F(IdxMalformed, TrailingBytes) {
  Bytes b = good;
  b.push_back(0);
  b.push_back(0);
  expect_input_error(write_raw(dir / "trailing", b), "followed by 2 trailing bytes");
  expect_input_error(write_gz(dir / "trailing.gz", b), "followed by 2 trailing bytes");
}

TEST_F(IdxMalformed, TruncatedGzip) {
  Bytes z = gzip_bytes(idx_file({64, 64}, random_bytes(4096, 2)), dir / "tmp.gz");
  for (size_t cut : {size_t(4), size_t(12), z.size() / 2, z.size() - 3}) {
    Bytes t(z.begin(), z.begin() + cut);
    expect_input_error(write_raw(dir / ("cut" + std::to_string(cut) + ".gz"), t),
                       "corrupt gzip stream: unexpected end of file");
  }
}

TEST_F(IdxMalformed, CorruptGzip) {
  Bytes z = gzip_bytes(idx_file({64, 64}, random_bytes(4096, 3)), dir / "tmp.gz");
  Bytes crc = z;
  crc[crc.size() - 6] ^= 0xFF;  // CRC32 in the trailer
  expect_input_error(write_raw(dir / "crc.gz", crc), "corrupt gzip stream: incorrect data check");
  Bytes body = z;
  for (size_t i = 20; i < 60; ++i) body[i] ^= 0x5A;  // deflate blocks
  expect_input_error(write_raw(dir / "body.gz", body), "corrupt gzip stream");
  // A compressible payload gives real deflate blocks (random bytes are stored verbatim),
  // so damage there is caught by inflate itself, not only by the CRC.
  Bytes zeros = gzip_bytes(idx_file({64, 64}, Bytes(4096, 0)), dir / "tmp.gz");
  for (size_t i = 10; i < zeros.size() - 8; ++i) zeros[i] ^= 0xA5;
  expect_input_error(write_raw(dir / "deflate.gz", zeros), "corrupt gzip stream");
}

TEST_F(IdxMalformed, TextFile) {
  // Neither gzip nor IDX: the magic check catches it.
  const std::string t = "hello, this is not an IDX file\n";
  expect_input_error(write_raw(dir / "notes.txt", Bytes(t.begin(), t.end())),
                     "IDX magic 0x68656c6c does not start with two zero bytes");
}

TEST(Idx, RoundTripRawAndGzip) {
  const fs::path dir = spikessm::testing::scratch_dir("idx_roundtrip");
  const std::vector<std::vector<uint32_t>> shapes = {{7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2}};
  for (const auto& dims : shapes) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    const Bytes payload = random_bytes(size_t(n), unsigned(n));
    const Bytes file = idx_file(dims, payload);
    // Names carry no hint: gzip must be detected from the content.
    for (const std::string& path : {write_raw(dir / "a_raw", file), write_gz(dir / "a_gz", file)}) {
      IdxArray a = read_idx(path);
      ASSERT_EQ(a.dims.size(), dims.size()) << path;
      for (size_t i = 0; i < dims.size(); ++i) EXPECT_EQ(a.dims[i], int64_t(dims[i]));
      EXPECT_EQ(a.data, payload) << path;

      torch::Tensor copy = idx_to_tensor(a);
      EXPECT_EQ(copy.scalar_type(), torch::kUInt8);
      EXPECT_EQ(copy.sizes().vec(), a.dims);
      const uint8_t* p = copy.data_ptr<uint8_t>();
      EXPECT_TRUE(std::equal(payload.begin(), payload.end(), p));
      torch::Tensor moved = idx_to_tensor(std::move(a));
      EXPECT_TRUE(torch::equal(copy, moved));
    }
  }
}

TEST(Idx, MnistTrainImagesMd5AndShape) {
  const std::string path =
      spikessm::testing::shared_data_dir() + "/mnist/train-images-idx3-ubyte.gz";
  SPIKESSM_SKIP_UNLESS_EXISTS(path);
  ASSERT_EQ(md5_of_gunzipped(path), "6bbc9ace898e44ae57da46a324031adb");
  IdxArray a = read_idx(path);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{60000, 28, 28}));
  torch::Tensor t = idx_to_tensor(std::move(a));
  EXPECT_EQ(t.max().item<int>(), 255);
  EXPECT_EQ(t.min().item<int>(), 0);
}

TEST(Idx, MnistLabelsMd5AndShape) {
  const std::string dir = spikessm::testing::shared_data_dir() + "/mnist";
  SPIKESSM_SKIP_UNLESS_EXISTS(dir);
  ASSERT_EQ(md5_of_gunzipped(dir + "/train-labels-idx1-ubyte.gz"),
            "a25bea736e30d166cdddb491f175f624");
  ASSERT_EQ(md5_of_gunzipped(dir + "/t10k-labels-idx1-ubyte.gz"),
            "27ae3e4e09519cfbb04c329615203637");
  EXPECT_EQ(read_idx(dir + "/train-labels-idx1-ubyte.gz").dims, std::vector<int64_t>{60000});
  EXPECT_EQ(read_idx(dir + "/t10k-labels-idx1-ubyte.gz").dims, std::vector<int64_t>{10000});
}

TEST(Idx, FashionMnistShapes) {
  const std::string dir = spikessm::testing::fashion_mnist_dir();
  SPIKESSM_SKIP_UNLESS_EXISTS(dir + "/t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(read_idx(dir + "/t10k-images-idx3-ubyte.gz").dims,
            (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(read_idx(dir + "/t10k-labels-idx1-ubyte.gz").dims, std::vector<int64_t>{10000});
}

}  // namespace
