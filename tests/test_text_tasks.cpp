// IMDB (aclImdb folders) and AAN (pair TSV) readers on small fixtures, byte level.
#include <gtest/gtest.h>

#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/data/text_tasks.h"
#include "test_util.h"

using namespace spikessm;

namespace {
std::vector<int64_t> ids_of(const std::string& s) {
  std::vector<int64_t> v;
  for (unsigned char c : s) v.push_back(int64_t(c) + 3);
  return v;
}
std::vector<int64_t> row(const torch::Tensor& t, int64_t n) {
  auto r = t.narrow(0, 0, n).contiguous();
  return std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + n);
}
}  // namespace

TEST(TextTasks, ImdbFoldersByteLevel) {
  torch::Tensor x, y;
  read_imdb_split(spikessm::testing::fixture("lra/aclImdb"), "train", 12, x, y);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 12}));
  // neg first, then pos, files in name order
  EXPECT_TRUE(torch::equal(y, torch::tensor({0, 1, 1}, torch::kInt64)));
  EXPECT_EQ(row(x[0], 5), ids_of("Dull."));
  EXPECT_EQ(x[0][5].item<int64_t>(), 0);             // padding after the text
  EXPECT_EQ(row(x[1], 12), ids_of("A wonderful "));  // truncated to 12 bytes
  read_imdb_split(spikessm::testing::fixture("lra/aclImdb"), "test", 64, x, y);
  // UTF-8 bytes stay bytes: "é" is two ids
  EXPECT_EQ(row(x[0], 18), ids_of("Awful, caf\xc3\xa9 scene"));
  EXPECT_THROW(read_imdb_split(spikessm::testing::fixture("lra"), "train", 8, x, y), InputError);
}

TEST(TextTasks, AanPairTsv) {
  torch::Tensor x, y;
  read_aan_tsv(spikessm::testing::fixture("lra/aan/new_aan_pairs.train.tsv"), 10, x, y);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 2, 10}));
  EXPECT_TRUE(torch::equal(y, torch::tensor({1, 0}, torch::kInt64)));
  EXPECT_EQ(row(x[0][0], 10), ids_of("We cite pa"));
  EXPECT_EQ(row(x[1][0], 6), ids_of("Speech"));
  EXPECT_EQ(x[1][0][6].item<int64_t>(), 0);
  EXPECT_EQ(row(x[1][1], 10), ids_of("Trees and "));
  read_aan_tsv(spikessm::testing::fixture("lra/aan/new_aan_pairs.eval.tsv"), 10, x, y);
  EXPECT_EQ(y.item<int64_t>(), 1);  // "1.0"
  auto dir = spikessm::testing::scratch_dir("aan_bad");
  std::ofstream(dir / "bad.tsv") << "1\tonly\tthree\n";
  EXPECT_THROW(read_aan_tsv((dir / "bad.tsv").string(), 10, x, y), InputError);
}
