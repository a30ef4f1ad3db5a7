// gnuplot runs without a shell: an output directory holding quotes and shell syntax is a plain
// directory to it (no command runs), and a missing gnuplot is told apart from a failing one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "../src/export/gnuplot.h"
#include "cli_runner.h"
#include "spikessm/common/subprocess.h"
#include "test_util.h"

namespace fs = std::filesystem;
using spikessm::testing::run_cli;

namespace {

bool have_gnuplot() { return spikessm::run_program({"gnuplot", "--version"}).ok(); }

const std::string kScript =
    "set terminal dumb\nset output 'plot.txt'\nplot x*x notitle\nunset output\n";

}  // namespace

TEST(Gnuplot, DirectoryWithQuotesRunsNoCommand) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  const auto base = spikessm::testing::scratch_dir("gnuplot_quote");
  const auto dir = base / ("x';touch " + (base / "PWNED").string() + ";'y $(touch PWNED2)");
  fs::create_directories(dir);
  spikessm::run_gnuplot(dir.string(), "plot", kScript, {"plot.txt"});
  EXPECT_GT(fs::file_size(dir / "plot.txt"), 0u);
  EXPECT_FALSE(fs::exists(base / "PWNED"));
  EXPECT_FALSE(fs::exists("PWNED2"));
  fs::remove_all(base);
}

TEST(Gnuplot, FailureAndAbsenceAreToldApart) {
  const auto dir = spikessm::testing::scratch_dir("gnuplot_fail");
  if (have_gnuplot()) {
    try {
      spikessm::run_gnuplot(dir.string(), "bad", "plot undefined_thing_42\n", {});
      ADD_FAILURE() << "a broken script was accepted";
    } catch (const std::runtime_error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("gnuplot failed on"), std::string::npos) << m;
      EXPECT_NE(m.find("undefined"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
  // With an empty PATH there is no gnuplot to find: that is what the message must say.
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  setenv("PATH", (dir / "empty").string().c_str(), 1);
  try {
    spikessm::run_gnuplot(dir.string(), "plot", kScript, {"plot.txt"});
    ADD_FAILURE() << "gnuplot ran without a PATH";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot not found"), std::string::npos) << e.what();
  }
  setenv("PATH", saved.c_str(), 1);
  fs::remove_all(dir);
}

// Through the real command line: `report --out` with a quote and `;touch` in it.
TEST(Gnuplot, ReportIntoQuotedDirectory) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  const auto d = spikessm::testing::scratch_dir("gnuplot_report");
  auto t = run_cli(
      "train --overwrite --set train.out_dir=" + (d / "run").string() +
      " --set train.max_steps=5 --set data.train_limit=320 --set data.test_limit=50"
      " --set data.pool=4 --set model.d_model=8 --set model.d_state=4 --set train.log_every=1");
  ASSERT_EQ(t.code, 0) << t.out;
  // Double quotes for the test's own shell (cli_runner); spikessm receives the text verbatim.
  const std::string out = (d / "x'").string() + ";touch " + (d / "PWNED").string() + ";'y";
  auto r = run_cli("report --checkpoint " + (d / "run/checkpoint.pt").string() + " --out \"" + out +
                   "\" --samples 20");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(fs::path(out) / "index.html")) << r.out;
  EXPECT_FALSE(fs::exists(d / "PWNED"));
  fs::remove_all(d);
}
