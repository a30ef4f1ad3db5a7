// ListOps: the generator against spec/lra.md (lengths, depth, uniqueness, labels by an
// independent evaluator, splits), the TSV format and the S4 tokenisation.
#include <gtest/gtest.h>

#include <fstream>

#include <set>

#include "spikessm/common/error.h"
#include "spikessm/data/listops.h"
#include "spikessm/data/lra_stats.h"
#include "test_util.h"

using namespace spikessm;

TEST(ListOps, EvaluatorHandCases) {
  EXPECT_EQ(evaluate_listops("( ( ( [MAX 2 ) 9 ) ] )"), 9);
  EXPECT_EQ(evaluate_listops("( ( ( [SM 5 ) 6 ) ] )"), 1);
  // MED of an even count: the mean of the two middle values, truncated (int(np.median))
  EXPECT_EQ(evaluate_listops("( ( ( ( ( [MED 1 ) 2 ) 6 ) 9 ) ] )"), 4);
  EXPECT_EQ(evaluate_listops("( ( ( ( [MED 1 ) 4 ) ( ( ( [SM 7 ) 8 ) ] ) ) ] )"), 4);
  EXPECT_THROW(evaluate_listops("( [MAX 2 )"), InputError);
}

TEST(ListOps, TenThousandSamplesFollowTheSpec) {
  ListOpsOptions o;
  o.n_train = 10000;
  o.n_val = o.n_test = 0;
  auto s = generate_listops(o, 1);
  ASSERT_EQ(s.size(), 10000u);
  std::set<std::string> uniq;
  for (const auto& x : s) {
    ASSERT_GT(x.length, 500);
    ASSERT_LT(x.length, 2000);
    ASSERT_LE(x.depth, 10);
    ASSERT_GE(x.depth, 1);
    ASSERT_EQ(evaluate_listops(x.source), x.target) << x.source.substr(0, 80);
    // the length counts operators, ']' and digits, i.e. the tokens without parentheses
    ASSERT_EQ(int64_t(tokenize_listops(x.source, 4096).size()) - 1, x.length);
    uniq.insert(x.source);
  }
  EXPECT_EQ(uniq.size(), s.size());
  auto st = listops_stats(s, 10);
  // Every class occurs and every operator roots about a quarter of the trees.
  for (auto c : st.label_hist) EXPECT_GT(c, 100);
  for (auto c : st.op_hist) {
    EXPECT_GT(c, 2000);
    EXPECT_LT(c, 3000);
  }
  // Lengths reach across the allowed range; depth 10 is where growth is forced to stop.
  EXPECT_GT(st.length_hist.front(), 0);
  EXPECT_GT(st.length_hist.back(), 0);
  EXPECT_GT(st.depth_hist[10], 0);
  // Same seed, same data; another seed, other data.
  auto again = generate_listops(o, 1);
  EXPECT_EQ(again[123].source, s[123].source);
  EXPECT_NE(generate_listops(o, 2)[0].source, s[0].source);
}

TEST(ListOps, TokenisationIsS4s) {
  // ']' -> X, parentheses dropped, <eos> appended; ids: pad 0 unk 1 eos 2, [MIN 3 .. [SM 6,
  // X 7, digits 8..17.
  auto ids = tokenize_listops("( ( ( [MAX 2 ) 9 ) ] )", 2048);
  EXPECT_EQ(ids, (std::vector<int64_t>{4, 10, 17, 7, 2}));
  EXPECT_EQ(tokenize_listops("( ( [FIRST 1 ) ] )", 2048), (std::vector<int64_t>{1, 9, 7, 2}));
  EXPECT_EQ(tokenize_listops("( ( ( [SM 5 ) 6 ) ] )", 2), (std::vector<int64_t>{6, 13, 2}));
}

TEST(ListOps, TsvRoundTripAndOfficialFixture) {
  auto dir = spikessm::testing::scratch_dir("listops_tsv");
  ListOpsOptions o;
  o.n_train = 30;
  o.n_val = 5;
  o.n_test = 5;
  auto all = generate_listops(o, 7);
  write_listops_tsv_dir(dir.string(), all, o);
  auto val = read_listops_tsv((dir / "basic_val.tsv").string());
  ASSERT_EQ(val.source.size(), 5u);
  EXPECT_EQ(val.source[0], all[30].source);
  EXPECT_EQ(val.target[0], all[30].target);

  auto rows = read_listops_tsv(spikessm::testing::fixture("lra/listops/basic_train.tsv"));
  ASSERT_EQ(rows.source.size(), 3u);
  for (size_t i = 0; i < rows.source.size(); ++i)
    EXPECT_EQ(evaluate_listops(rows.source[i]), rows.target[i]);
  torch::Tensor x, y;
  encode_listops(rows, 16, x, y);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{3, 17}));
  EXPECT_TRUE(
      torch::equal(x[0].narrow(0, 0, 6), torch::tensor({4, 10, 17, 7, 2, 0}, torch::kInt64)));
  EXPECT_EQ(y[1].item<int64_t>(), 4);
  // malformed rows are input errors naming the line
  std::ofstream(dir / "bad.tsv") << "Source\tTarget\n( ( [MAX 1 ) ] )\tZ\n";
  try {
    read_listops_tsv((dir / "bad.tsv").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tsv:2"), std::string::npos);
  }
}
