// Checkpoint container: every damaged byte and every truncation is refused; a save keeps the
// previous good file; resume falls back to it when the latest is corrupt.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/common/checkpoint_format.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) { return read_file_bytes(p.string()); }
void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

void save_linear(const fs::path& path, torch::nn::Linear& lin, int64_t step) {
  CheckpointMeta m;
  m.config_toml = "[train]\nseed = 1\n";
  m.step = step;
  m.state = {{"guard", {{"consecutive_bad", 0}}}};
  save_checkpoint(path.string(), *lin, nullptr, m);
}

}  // namespace

TEST(CheckpointFormat, RoundTripsSections) {
  std::vector<CkptSection> s = {{"meta", "{}"}, {"model", std::string("\0\1\2", 3)}, {"x", ""}};
  const std::string file = encode_checkpoint(s);
  EXPECT_EQ(file.size(), kCkptHeaderBytes + (4 + 4 + 8 + 2) + (4 + 5 + 8 + 3) + (4 + 1 + 8));
  EXPECT_EQ(decode_checkpoint(file.data(), file.size(), "f"), s);
  // zlib's CRC32 of "123456789" is the standard check value.
  EXPECT_EQ(crc32_of("123456789", 9), 0xCBF43926u);
}

TEST(CheckpointFormat, EveryFlippedByteAndEveryTruncationIsRefused) {
  CheckpointMeta m;
  m.step = 7;
  m.config_toml = "x";
  const std::string file =
      encode_checkpoint({{"meta", checkpoint_meta_json(m)}, {"model", "weights"}});
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = char(bad[i] ^ 0x10);
    EXPECT_THROW(decode_checkpoint(bad.data(), bad.size(), "f"), InputError) << "byte " << i;
  }
  for (size_t n = 0; n < file.size(); ++n)
    EXPECT_THROW(decode_checkpoint(file.data(), n, "f"), InputError) << "length " << n;
  const std::string longer = file + "x";
  EXPECT_THROW(decode_checkpoint(longer.data(), longer.size(), "f"), InputError);
  auto meta = parse_checkpoint_meta(decode_checkpoint(file.data(), file.size(), "f"), "f");
  EXPECT_EQ(meta.step, 7);
}

TEST(CheckpointFormat, MessagesNameTheDefect) {
  auto msg = [](const std::string& bytes) {
    try {
      decode_checkpoint(bytes.data(), bytes.size(), "ck.pt");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string good = encode_checkpoint({{"meta", "{}"}});
  EXPECT_NE(msg(good.substr(0, 10)).find("truncated"), std::string::npos);
  EXPECT_NE(msg(good.substr(0, good.size() - 1)).find("truncated"), std::string::npos);
  EXPECT_NE(msg("PK\x03\x04 zip").find("bare LibTorch archive"), std::string::npos);
  std::string flipped = good;
  flipped.back() ^= 1;
  EXPECT_NE(msg(flipped).find("payload checksum mismatch"), std::string::npos);
  EXPECT_EQ(msg(good), "");
}

TEST(Checkpoint, SaveKeepsThePreviousGoodFileAndResumeFallsBackToIt) {
  const auto dir = spikessm::testing::scratch_dir("ckpt_prev_" + std::to_string(getpid()));
  const fs::path ck = dir / "checkpoint.pt", prev = dir / "checkpoint.prev.pt";
  torch::manual_seed(0);
  torch::nn::Linear lin(3, 2);
  save_linear(ck, lin, 1);
  EXPECT_FALSE(fs::exists(prev));
  save_linear(ck, lin, 2);
  ASSERT_TRUE(fs::exists(prev));
  EXPECT_EQ(read_checkpoint_meta(prev.string()).step, 1);
  EXPECT_EQ(read_checkpoint_meta(ck.string()).step, 2);
  EXPECT_EQ(find_resumable_checkpoint(ck.string()), ck.string());

  // Truncate the latest: resume uses the previous one, and the next save does not rotate the
  // damaged file over the good previous copy.
  const std::string latest = slurp(ck);
  spit(ck, latest.substr(0, latest.size() / 2));
  EXPECT_THROW(read_checkpoint_meta(ck.string()), InputError);
  EXPECT_EQ(find_resumable_checkpoint(ck.string()), prev.string());
  save_linear(ck, lin, 3);
  EXPECT_EQ(read_checkpoint_meta(prev.string()).step, 1);
  EXPECT_EQ(read_checkpoint_meta(ck.string()).step, 3);

  // A crash between the two renames leaves only the previous file; a stale temp file is removed.
  fs::remove(ck);
  spit(ck.string() + ".tmp", "half");
  EXPECT_EQ(find_resumable_checkpoint(ck.string()), prev.string());
  EXPECT_FALSE(fs::exists(ck.string() + ".tmp"));

  // Both damaged: refused, naming both.
  spit(ck, "garbage");
  spit(prev, "garbage too");
  try {
    find_resumable_checkpoint(ck.string());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("checkpoint.pt"), std::string::npos) << m;
    EXPECT_NE(m.find("previous checkpoint is unusable"), std::string::npos) << m;
  }
}

TEST(Checkpoint, EveryReadRefusesAFileThatIsNotRegular) {
  // /dev/zero would be read until memory runs out, a FIFO would block: refused before reading,
  // by the loaders, by resume's search for a good file (which then falls back to the previous
  // one) and by a save deciding whether the current file is worth keeping.
  const auto dir = spikessm::testing::scratch_dir("ckpt_special_" + std::to_string(getpid()));
  ASSERT_EQ(::mkfifo((dir / "fifo.pt").c_str(), 0600), 0);
  for (const auto& [path, kind] :
       {std::pair<std::string, std::string>{"/dev/zero", "is a character device"},
        {(dir / "fifo.pt").string(), "is a FIFO"},
        {dir.string(), "is a directory"}}) {
    const std::string want =
        path + ": " + kind + ", not a regular file (expected a checkpoint file)";
    for (int reader = 0; reader < 2; ++reader) {
      try {
        if (reader == 0) read_checkpoint_meta(path);
        if (reader == 1) read_checkpoint_file(path);
        ADD_FAILURE() << path << " was read";
      } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()), want);
      }
    }
  }
  EXPECT_THROW(read_checkpoint_file((dir / "none.pt").string()), InputError);
  const fs::path ck = dir / "checkpoint.pt", prev = dir / "checkpoint.prev.pt";
  torch::nn::Linear lin(3, 2);
  save_linear(prev, lin, 4);
  fs::create_symlink("/dev/zero", ck);
  EXPECT_EQ(find_resumable_checkpoint(ck.string()), prev.string());
  save_linear(ck, lin, 5);  // the device is not "a good file" to rotate over prev
  EXPECT_EQ(read_checkpoint_meta(prev.string()).step, 4);
  EXPECT_EQ(read_checkpoint_meta(ck.string()).step, 5);
  fs::remove_all(dir);
}

TEST(Checkpoint, RestoresWeightsAndRngState) {
  const auto dir = spikessm::testing::scratch_dir("ckpt_rng_" + std::to_string(getpid()));
  torch::manual_seed(5);
  torch::nn::Linear a(4, 3);
  save_linear(dir / "c.pt", a, 9);
  const auto expected_next = torch::rand({4});  // drawn right after the save
  torch::manual_seed(99);
  torch::nn::Linear b(4, 3);
  load_checkpoint((dir / "c.pt").string(), *b, nullptr);
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
  const auto meta = read_checkpoint_meta((dir / "c.pt").string());
  restore_rng_state(meta.rng_state, "c.pt");
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected_next));
}

// Checkpoints written before the checksummed container (a bare LibTorch archive, the layout
// of the first release) still load their weights; resuming from one is refused.
TEST(Checkpoint, Format1WeightsLoadButDoNotResume) {
  const fs::path dir = spikessm::testing::scratch_dir("ckpt_format1");
  torch::manual_seed(21);
  torch::nn::Linear saved(3, 2);
  {
    torch::serialize::OutputArchive archive, model_ar;
    saved->save(model_ar);
    archive.write("model", model_ar);
    archive.write("config", c10::IValue(std::string("[train]\nseed = 5\n")));
    archive.write("step", c10::IValue(int64_t(42)));
    archive.write("format", c10::IValue(int64_t(1)));
    archive.save_to((dir / "old.pt").string());
  }
  const auto meta = read_checkpoint_meta((dir / "old.pt").string());
  EXPECT_EQ(meta.format, 1);
  EXPECT_EQ(meta.step, 42);
  EXPECT_EQ(meta.config_toml, "[train]\nseed = 5\n");
  torch::nn::Linear loaded(3, 2);
  load_checkpoint((dir / "old.pt").string(), *loaded, nullptr);
  EXPECT_TRUE(torch::equal(loaded->weight, saved->weight));
  EXPECT_TRUE(torch::equal(loaded->bias, saved->bias));
  torch::optim::SGD opt(loaded->parameters(), 0.1);
  EXPECT_THROW(load_checkpoint((dir / "old.pt").string(), *loaded, &opt), InputError);
  // A LibTorch archive of another tool: refused with one line.
  torch::serialize::OutputArchive foreign;
  foreign.write("weights", torch::ones({2}));
  foreign.save_to((dir / "foreign.pt").string());
  EXPECT_THROW(read_checkpoint_meta((dir / "foreign.pt").string()), InputError);
}

TEST(Checkpoint, ShapesAreComparedBeforeAnyWeightIsCopied) {
  // LibTorch's Module::load would take the saved shapes silently; a mismatch must be refused
  // with the parameter, both shapes and the config hint, and leave the model untouched.
  auto dir = spikessm::testing::scratch_dir("ckpt_shapes");
  torch::nn::Sequential saved(torch::nn::Linear(4, 3),
                              torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
  save_checkpoint((dir / "c.pt").string(), *saved, nullptr,
                  CheckpointMeta{"[train]\nseed = 1\n", 1});
  torch::nn::Sequential wider(torch::nn::Linear(4, 5),
                              torch::nn::LayerNorm(torch::nn::LayerNormOptions({5})));
  const auto before = wider->parameters()[0].clone();
  try {
    load_checkpoint((dir / "c.pt").string(), *wider, nullptr);
    ADD_FAILURE() << "a checkpoint of another shape was loaded";
  } catch (const InputError& e) {
    const std::string m = e.what();
    for (const char* frag :
         {"c.pt: parameter '0.weight' has shape [3, 4] in the checkpoint but [5, 4]",
          "model.d_model", "--set", "differs from the one the checkpoint was trained with"})
      EXPECT_NE(m.find(frag), std::string::npos) << m;
  }
  EXPECT_TRUE(torch::equal(wider->parameters()[0], before));
  EXPECT_EQ(wider->parameters()[0].sizes(), (std::vector<int64_t>{5, 4}));
  // A module the checkpoint does not have (more layers) is named too.
  torch::nn::Sequential deeper(torch::nn::Linear(4, 3),
                               torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})),
                               torch::nn::Linear(3, 3));
  try {
    load_checkpoint((dir / "c.pt").string(), *deeper, nullptr);
    ADD_FAILURE() << "a checkpoint with fewer layers was loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("module '2' of the model is missing from the checkpoint"),
              std::string::npos)
        << e.what();
  }
  // The same shapes load.
  torch::nn::Sequential same(torch::nn::Linear(4, 3),
                             torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
  load_checkpoint((dir / "c.pt").string(), *same, nullptr);
  EXPECT_TRUE(torch::equal(same->parameters()[0], saved->parameters()[0]));
  fs::remove_all(dir);
}
