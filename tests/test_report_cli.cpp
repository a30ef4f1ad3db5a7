// `spikessm export/import/report` through the real command line on a briefly trained model:
// valid files, an exact NIR round trip, and clean failures on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "test_util.h"

using spikessm::testing::run_cli;
namespace fs = std::filesystem;

namespace {

// Trains once per test process (CTest runs each test in its own, possibly in parallel, so
// each test gets its own directory): 30 steps of a d_model 16 model at L = 196.
const fs::path& trained_run() {
  static fs::path dir = [] {
    auto d = spikessm::testing::scratch_dir(
        std::string("deploy_cli_") +
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto r =
        run_cli("train --overwrite --set train.out_dir=" + (d / "run").string() +
                " --set train.max_steps=30 --set data.train_limit=960 --set data.test_limit=100"
                " --set data.pool=2 --set model.d_model=16 --set model.d_state=8"
                " --set model.bidirectional=true --set train.log_every=5");
    EXPECT_EQ(r.code, 0) << r.out;
    return d;
  }();
  return dir;
}

bool starts_with_png_signature(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f && std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

}  // namespace

TEST(DeployCli, ExportImportRoundTrip) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto& d = trained_run();
  const auto ckpt = (d / "run/checkpoint.pt").string(), nir = (d / "m.nir").string();
  auto e = run_cli("export --format nir --checkpoint " + ckpt + " --out " + nir);
  ASSERT_EQ(e.code, 0) << e.out;
  auto i = run_cli("import --format nir --in " + nir + " --checkpoint " + ckpt + " --out " +
                   (d / "back.pt").string());
  ASSERT_EQ(i.code, 0) << i.out;
  EXPECT_NE(i.out.find("round trip ok"), std::string::npos) << i.out;
  // The imported checkpoint evaluates to the same accuracy as the original.
  auto a = run_cli("eval --checkpoint " + ckpt + " --set data.test_limit=100");
  auto b = run_cli("eval --checkpoint " + (d / "back.pt").string() + " --set data.test_limit=100");
  ASSERT_EQ(a.code, 0) << a.out;
  auto acc = [](const std::string& s) { return s.substr(s.find("test accuracy"), 22); };
  EXPECT_EQ(acc(a.out), acc(b.out));
}

TEST(DeployCli, ReportWritesPageAndFigures) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto& d = trained_run();
  const auto out = d / "report";
  auto r = run_cli("report --checkpoint " + (d / "run/checkpoint.pt").string() + " --out " +
                   out.string() + " --samples 100 --svg");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"training", "rates", "raster", "membrane", "energy"}) {
    EXPECT_TRUE(starts_with_png_signature(out / (std::string(f) + ".png"))) << f;
    EXPECT_GT(fs::file_size(out / (std::string(f) + ".svg")), 1000u) << f;
  }
  std::ifstream in(out / "index.html");
  std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* frag :
       {"<img src=\"training.png\"", "<img src=\"raster.png\"", "block0.mix", "</html>"})
    EXPECT_NE(html.find(frag), std::string::npos) << frag;
  // Re-running over an existing report replaces it; no staging directory is left behind.
  ASSERT_EQ(run_cli("report --checkpoint " + (d / "run/checkpoint.pt").string() + " --out " +
                    out.string() + " --samples 50")
                .code,
            0);
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(DeployCli, BadInputFailsCleanly) {
  auto d = spikessm::testing::scratch_dir("deploy_bad");
  std::ofstream(d / "junk.pt") << "not a checkpoint";
  std::ofstream(d / "junk.nir") << "not hdf5";
  fs::create_directories(d / "occupied");
  std::ofstream(d / "occupied" / "precious.txt") << "keep me";
  struct Case {
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {"report --checkpoint {d}/junk.pt --out {d}/rep", "not a usable spikessm checkpoint"},
      {"report --checkpoint {d}/none.pt --out {d}/rep", "checkpoint file not found"},
      {"export --format nir --checkpoint {d}/junk.pt --out {d}/x.nir",
       "not a usable spikessm checkpoint"},
      {"export --format onnx --checkpoint {d}/junk.pt --out {d}/x.nir", "unknown format 'onnx'"},
      {"import --format nir --in {d}/junk.nir", "not an HDF5 file"},
      {"import --format nir --in {d}/none.nir", "NIR file not found"},
      // A file on which libhdf5 1.10.8 itself can segfault (found by fuzz_nir).
      {"import --format nir --in " + std::string(SPIKESSM_SOURCE_DIR) +
           "/fuzz/corpus/nir/crash-hdf5-h5dread-memcpy",
       "crash-hdf5-h5dread-memcpy: "},
  };
  for (auto c : cases) {
    for (size_t p; (p = c.args.find("{d}")) != std::string::npos;) c.args.replace(p, 3, d.string());
    auto r = run_cli(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  EXPECT_FALSE(fs::exists(d / "rep"));
  EXPECT_FALSE(fs::exists(d / "x.nir"));
  if (fs::exists(spikessm::testing::fashion_mnist_dir())) {
    const auto& t = trained_run();
    auto r = run_cli("report --checkpoint " + (t / "run/checkpoint.pt").string() + " --out " +
                     (d / "occupied").string());
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(fs::exists(d / "occupied" / "precious.txt"));
  }
}

// `report` draws every family from the statistics its layers report: a short run of each, then
// the page, its figures, and the populations the family is made of.
TEST(DeployCli, ReportDrawsEveryFamily) {
  const std::string data = spikessm::testing::shared_data_dir();
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  SPIKESSM_SKIP_UNLESS_EXISTS(data + "/tinyshakespeare");
  SPIKESSM_SKIP_UNLESS_EXISTS(data + "/fsdd");
  const auto d = spikessm::testing::scratch_dir("report_families");
  const std::string image =
      " --set data.pool=2 --set data.train_limit=256 --set data.test_limit=64";
  const std::string lm = " --set lm.data_dir=" + data +
                         "/tinyshakespeare --set lm.tokenizer=byte"
                         " --set lm.context=32 --set train.eval_batch_size=32";
  struct Family {
    std::string name, args, population;
    bool membrane;
  };
  const std::vector<Family> families = {
      {"binary_gsu",
       image + " --set model.block=binary_s4d --set model.mixer=gsu --set model.d_model=16"
               " --set model.d_state=8",
       "block0.gsu", false},
      {"fsdd",
       " --set data.dataset=fsdd --set data.dir=" + data +
           "/fsdd --set data.pool=4"
           " --set data.max_length=2048 --set data.train_limit=64 --set data.test_limit=40"
           " --set model.d_model=8 --set model.d_state=4",
       "block1.lif", true},
      {"spikformer",
       " --set data.layout=image --set data.train_limit=256 --set data.test_limit=32"
       " --set model.family=spikformer --set model.d_model=16 --set model.heads=2"
       " --set model.n_layers=1 --set model.time_steps=2 --set model.mlp_ratio=2",
       "sps.lif0", false},
      {"ssm_lm",
       lm + " --set model.family=spiking_ssm_lm --set model.d_model=16 --set model.d_state=8",
       "block0.lif", true},
      {"spark_lm",
       lm + " --set model.family=neuronspark_lm --set neuronspark.d_model=16 --set "
            "neuronspark.d_ff=32"
            " --set neuronspark.n_layers=1",
       "layer0.block.hidden", false},
  };
  for (const auto& f : families) {
    const auto run = d / f.name;
    auto r = run_cli("train --overwrite --set train.out_dir=" + run.string() +
                     " --set train.max_steps=6"
                     " --set train.batch_size=16 --set train.log_every=2 --set train.threads=2" +
                     f.args);
    ASSERT_EQ(r.code, 0) << f.name << "\n" << r.out;
    r = run_cli("report --checkpoint " + (run / "checkpoint.pt").string() + " --out " +
                (run / "report").string() + " --samples 8 --sample 1");
    ASSERT_EQ(r.code, 0) << f.name << "\n" << r.out;
    for (const char* fig : {"training", "rates", "raster", "energy"})
      EXPECT_TRUE(starts_with_png_signature(run / "report" / (std::string(fig) + ".png")))
          << f.name << " " << fig;
    EXPECT_EQ(fs::exists(run / "report/membrane.png"), f.membrane) << f.name;
    std::ifstream in(run / "report/index.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(html.find("rates.png"), std::string::npos) << f.name;
    std::ifstream rates(run / "report/data/rates.dat");
    const std::string rows((std::istreambuf_iterator<char>(rates)),
                           std::istreambuf_iterator<char>());
    EXPECT_NE(rows.find("\"" + f.population + "\""), std::string::npos) << f.name << "\n" << rows;
  }
}
