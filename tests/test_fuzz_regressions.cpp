// Replays every fuzz seed and every input a fuzzer once crashed on (fuzz/corpus/<name>/)
// through the same harness code, in the normal (gcc) build.
#include <gtest/gtest.h>

#include <filesystem>

#define SPIKESSM_FUZZ_NO_MAIN
#include "../fuzz/fuzz_checkpoint.cpp"
#include "../fuzz/fuzz_config.cpp"
#include "../fuzz/fuzz_idx.cpp"

namespace fs = std::filesystem;

namespace {

void replay(const std::string& name, int (*one)(const uint8_t*, size_t)) {
  const fs::path dir = fs::path(SPIKESSM_SOURCE_DIR) / "fuzz" / "corpus" / name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string bytes = spikessm::read_file_bytes(e.path().string());
    SCOPED_TRACE(e.path().string());
    EXPECT_EQ(one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
    ++n;
  }
  EXPECT_GT(n, 0);
}

}  // namespace

TEST(FuzzRegressions, Idx) { replay("idx", spikessm::fuzz::idx_one); }
TEST(FuzzRegressions, Config) { replay("config", spikessm::fuzz::config_one); }
TEST(FuzzRegressions, Checkpoint) { replay("checkpoint", spikessm::fuzz::checkpoint_one); }
