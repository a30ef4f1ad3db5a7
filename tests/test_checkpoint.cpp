// Checkpoint container: every damaged byte and every truncation is refused; a save keeps the
// previous good file; resume falls back to it when the latest is corrupt.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/common/version.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trained_model.h"
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

namespace {

// `file` with its header's format version replaced (and the header checksum redone): a file
// as a later spikessm would write it, or an impossible older one.
std::string with_container_version(std::string file, uint32_t version) {
  for (int i = 0; i < 4; ++i) file[8 + i] = char((version >> (8 * i)) & 0xff);
  const uint32_t crc = crc32_of(file.data(), 28);
  for (int i = 0; i < 4; ++i) file[28 + i] = char((crc >> (8 * i)) & 0xff);
  return file;
}

// The checkpoint at `path` rewritten as a future format would plausibly look: format 3 in the
// header and the metadata, a metadata field and a section this version does not know.
std::string as_future_format(const std::string& bytes) {
  auto sections = decode_checkpoint(bytes.data(), bytes.size(), "f");
  for (auto& [name, body] : sections)
    if (name == "meta") {
      auto j = nlohmann::json::parse(body);
      j["format"] = 3;
      j["spikessm_version"] = "9.0.0";
      j["quantisation"] = {{"bits", 4}};
      body = j.dump();
    }
  sections.emplace_back("future_section", "bytes this version skips");
  return with_container_version(encode_checkpoint(sections), 3);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST(Checkpoint, RecordsTheSpikessmThatWroteIt) {
  const auto dir = spikessm::testing::scratch_dir("ckpt_version");
  torch::nn::Linear lin(3, 2);
  save_linear(dir / "c.pt", lin, 1);
  const auto meta = read_checkpoint_meta((dir / "c.pt").string());
  EXPECT_EQ(meta.spikessm_version, version());
  EXPECT_EQ(meta.git_commit, git_commit());
  EXPECT_EQ(meta.format, int64_t(kCkptVersion));
  fs::remove_all(dir);
}

// A checkpoint written before files recorded their version (a real one, trained by that
// spikessm: tests/fixtures/checkpoints/README.md) loads as it always did, silently.
TEST(Checkpoint, FileWithoutAVersionStillLoads) {
  const std::string path = spikessm::testing::fixture("checkpoints/pre_version.pt");
  ::testing::internal::CaptureStderr();
  const auto meta = read_checkpoint_meta(path);
  EXPECT_EQ(meta.format, 2);
  EXPECT_EQ(meta.spikessm_version, "");
  EXPECT_EQ(meta.git_commit, "");
  EXPECT_GT(meta.step, 0);
  const auto m = load_trained_model(path);
  ASSERT_TRUE(m.classifier);
  m.classifier->eval();
  torch::NoGradGuard no_grad;
  const auto logits = m.classifier->forward(torch::randn({2, 196, 1}));  // (2, 10)
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");

  // The same from a file this version writes without the fields.
  const auto dir = spikessm::testing::scratch_dir("ckpt_noversion");
  CheckpointMeta old;
  old.config_toml = "[train]\nseed = 1\n";
  old.step = 3;
  torch::nn::Linear lin(3, 2);
  torch::serialize::OutputArchive ar;
  lin->save(ar);
  std::ostringstream os;
  ar.save_to(os);
  spikessm::testing::write_file(
      dir / "old.pt",
      encode_checkpoint({{"meta", checkpoint_meta_json(old)}, {"model", os.str()}}));
  EXPECT_EQ(nlohmann::json::parse(checkpoint_meta_json(old)).count("spikessm_version"), 0u);
  torch::nn::Linear back(3, 2);
  load_checkpoint((dir / "old.pt").string(), *back, nullptr);
  EXPECT_TRUE(torch::equal(back->weight, lin->weight));
  fs::remove_all(dir);
}

// A file that declares a newer format loads as this format, with one warning per file
// however many times it is read; an older container version than 2 cannot exist and is
// refused.
TEST(Checkpoint, NewerFormatWarnsOnceAndLoads) {
  const auto dir = spikessm::testing::scratch_dir("ckpt_future");
  torch::manual_seed(3);
  torch::nn::Linear lin(3, 2);
  save_linear(dir / "now.pt", lin, 6);
  const std::string future = as_future_format(slurp(dir / "now.pt"));
  spit(dir / "future.pt", future);
  ::testing::internal::CaptureStderr();
  const auto meta = read_checkpoint_meta((dir / "future.pt").string());
  torch::nn::Linear back(3, 2);
  load_checkpoint((dir / "future.pt").string(), *back, nullptr);
  read_checkpoint_meta((dir / "future.pt").string());
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(meta.format, 3);
  EXPECT_EQ(meta.step, 6);
  EXPECT_EQ(meta.spikessm_version, "9.0.0");
  EXPECT_TRUE(torch::equal(back->weight, lin->weight));
  EXPECT_EQ(count(err, "warning:"), 1) << err;
  EXPECT_NE(err.find((dir / "future.pt").string() +
                     ": checkpoint format 3 is newer than format 2, the newest this spikessm "
                     "knows; reading it as format 2"),
            std::string::npos)
      << err;

  // Another file warns on its own.
  spit(dir / "future2.pt", future);
  ::testing::internal::CaptureStderr();
  read_checkpoint_meta((dir / "future2.pt").string());
  EXPECT_EQ(count(::testing::internal::GetCapturedStderr(), "warning:"), 1);

  const std::string old = with_container_version(slurp(dir / "now.pt"), 1);
  EXPECT_THROW(decode_checkpoint(old.data(), old.size(), "old.pt"), InputError);
  fs::remove_all(dir);
}

// Through the command line: `eval` of a newer-format checkpoint evaluates it, with one warning.
TEST(Checkpoint, EvalOfANewerFormatWarnsOnce) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("ckpt_future_eval");
  const std::string path = (dir / "future.pt").string();
  spit(path, as_future_format(slurp(spikessm::testing::fixture("checkpoints/pre_version.pt"))));
  const auto r = spikessm::testing::run_cli(
      "eval --checkpoint " + path +
      " --set data.test_limit=50 --set data.dir=" + spikessm::testing::fashion_mnist_dir());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "warning:"), 1) << r.out;
  EXPECT_EQ(count(r.out, "checkpoint format 3 is newer"), 1) << r.out;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;
  fs::remove_all(dir);
}
