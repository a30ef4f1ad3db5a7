// LM corpora (every layout, the 90/5/5 split, the Debian Bible) and batches.
#include <gtest/gtest.h>

#include <algorithm>

#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/text/corpus.h"
#include "spikessm/text/lm_batches.h"
#include "spikessm/text/lm_data.h"
#include "test_util.h"

using namespace spikessm;
using spikessm::testing::scratch_dir;
using spikessm::testing::shared_data_dir;

TEST(LmCorpus, RawSplitIs90_5_5ByCharacters) {
  std::string text(200, 'a');
  auto c = split_raw_text(text, "raw", "t");
  EXPECT_EQ(c.train.size(), 180u);
  EXPECT_EQ(c.valid.size(), 10u);
  EXPECT_EQ(c.test.size(), 10u);
  // A two-byte character across the 90 % mark moves the boundary after it.
  std::string u(179, 'a');
  u += "\xC3\xA9";
  u += std::string(19, 'b');
  auto d = split_raw_text(u, "raw", "t");
  EXPECT_EQ(d.train.size(), 181u);
  EXPECT_EQ(d.train + d.valid + d.test, u);
  EXPECT_THROW(split_raw_text("ab", "raw", "t"), InputError);
}

TEST(LmCorpus, Layouts) {
  auto dir = scratch_dir("lm_layouts");
  auto mk = [&](const std::string& sub, const std::vector<std::string>& files) {
    std::filesystem::create_directories(dir / sub);
    for (const auto& f : files) spikessm::testing::write_file(dir / sub / f, f + " text\n");
    return (dir / sub).string();
  };
  auto wt = load_corpus(mk("wt", {"train.txt", "valid.txt", "test.txt"}));
  EXPECT_EQ(wt.name, "wikitext");
  EXPECT_EQ(wt.valid, "valid.txt text\n");
  auto tok = load_corpus(mk("tok", {"wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"}));
  EXPECT_EQ(tok.test, "wiki.test.tokens text\n");
  auto ptb = load_corpus(mk("ptb", {"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"}));
  EXPECT_EQ(ptb.name, "ptb");
  EXPECT_EQ(ptb.train, "ptb.train.txt text\n");
  spikessm::testing::write_file(dir / "raw.txt", std::string(100, 'x'));
  EXPECT_EQ(load_corpus((dir / "raw.txt").string()).train.size(), 90u);
  EXPECT_THROW(load_corpus(mk("empty", {})), InputError);
  EXPECT_THROW(load_corpus((dir / "nowhere").string()), InputError);
  mk("missing_test", {"ptb.train.txt", "ptb.valid.txt"});
  EXPECT_THROW(load_corpus((dir / "missing_test").string()), InputError);
  std::filesystem::create_directories(dir / "zero");
  for (auto f : {"train.txt", "valid.txt", "test.txt"})
    spikessm::testing::write_file(dir / "zero" / f, "");
  EXPECT_THROW(load_corpus((dir / "zero").string()), InputError);
}

TEST(LmCorpus, TinyShakespeareSplit) {
  const std::string d = shared_data_dir() + "/tinyshakespeare";
  SPIKESSM_SKIP_UNLESS_EXISTS(d);
  auto c = load_corpus(d);
  EXPECT_EQ(c.train.size() + c.valid.size() + c.test.size(), 1115394u);
  EXPECT_EQ(c.train.rfind("First Citizen:", 0), 0u);
}

TEST(LmCorpus, DefaultIsTheKingJamesBible) {
  if (std::system("command -v bible > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "Debian bible-kjv not installed";
  auto c = load_corpus("");
  EXPECT_EQ(c.name, "bible-kjv");
  EXPECT_EQ(c.train.rfind("In the beginning God created the heaven and the earth.\n", 0), 0u);
  const std::string all = c.train + c.valid + c.test;
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 31102);  // verses, Gen 1:1 to Rev 22:21
  EXPECT_NE(c.test.find("The grace of our Lord Jesus Christ be with you all. Amen.\n"),
            std::string::npos);
}

TEST(LmBatches, TrainWindowsAreContiguousAndSeeded) {
  auto tokens = torch::arange(1000, torch::kLong) * 3;
  auto a = lm_train_batch(tokens, 8, 16, 7, 3);
  ASSERT_EQ(a.x.sizes(), (std::vector<int64_t>{8, 16}));
  // Consecutive stream positions: x[t+1] = x[t] + 3, y = x shifted by one.
  EXPECT_TRUE(torch::equal(a.x.narrow(1, 1, 15) - a.x.narrow(1, 0, 15),
                           torch::full({8, 15}, 3, torch::kLong)));
  EXPECT_TRUE(torch::equal(a.y, a.x + 3));
  EXPECT_TRUE(
      torch::equal(a.x, lm_train_batch(tokens, 8, 16, 7, 3).x));  // resumable: (seed, step) only
  EXPECT_FALSE(torch::equal(a.x, lm_train_batch(tokens, 8, 16, 7, 4).x));
  EXPECT_FALSE(torch::equal(a.x, lm_train_batch(tokens, 8, 16, 8, 3).x));
  EXPECT_LE(a.y.max().item<int64_t>(), 999 * 3);
}

TEST(LmBatches, SlidingWindowsScoreEveryTargetOnceWithLongHistory) {
  // The tokens are their stream positions, so a target's value says which it is and its
  // window position how much history it saw.
  auto tokens = torch::arange(103, torch::kLong);
  std::vector<int64_t> scored;
  for (const auto& b : lm_eval_batches(tokens, 4, 10, 3)) {
    ASSERT_EQ(b.x.size(1), 10) << "every window has the full context";
    EXPECT_LE(b.x.size(0), 4);
    for (int64_t r = 0; r < b.x.size(0); ++r)
      for (int64_t t = 0; t < 10; ++t) {
        const int64_t y = b.y[r][t].item<int64_t>();
        if (y == -100) continue;
        EXPECT_EQ(y, b.x[r][t].item<int64_t>() + 1);
        if (y > 10) EXPECT_GE(t + 1, 10 - 3 + 1) << "target " << y << " saw " << t + 1 << " tokens";
        scored.push_back(y);
      }
  }
  std::sort(scored.begin(), scored.end());
  ASSERT_EQ(scored.size(), 102u);
  for (int64_t i = 0; i < 102; ++i) EXPECT_EQ(scored[size_t(i)], i + 1);
  EXPECT_THROW(lm_eval_batches(tokens, 4, 10, 11), c10::Error);
}

TEST(LmBatches, EvalCoversEveryTargetOnce) {
  auto tokens = torch::arange(103, torch::kLong);
  auto batches = lm_eval_batches(tokens, 3, 10, 10);  // 102 targets: 10 windows of 10 + one of 2
  std::vector<torch::Tensor> ys;
  int64_t windows = 0;
  for (const auto& b : batches) {
    EXPECT_TRUE(torch::equal(b.y, b.x + 1));
    ys.push_back(b.y.reshape({-1}));
    windows += b.x.size(0);
  }
  EXPECT_EQ(windows, 11);
  EXPECT_TRUE(torch::equal(torch::cat(ys), torch::arange(1, 103, torch::kLong)));
  EXPECT_EQ(text_prefix("ab\ncd\nef\n", 7), "ab\ncd\n");
  EXPECT_EQ(text_prefix("ab\n", 0), "ab\n");
}
