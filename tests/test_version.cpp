// The version and git commit of this build: what `spikessm --version` prints, how the build
// finds the commit (also without git), and every place a run records them (config.toml,
// metrics.jsonl, checkpoints). The instruction set it was compiled for: what
// `--version --verbose` reports, and the refusal to run on a CPU without it.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

// The kernels' own choice of at::vec code, which the verbose report must agree with.
#include "../src/kernels/cpu/vec_util.h"
#include "cli_runner.h"
#include "spikessm/common/blas_core.h"
#include "spikessm/common/version.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// The output of a command without user input (test only).
std::string output_of(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// The flags of /proc/cpuinfo (Linux's view of this CPU, independent of __builtin_cpu_supports).
std::string cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) return line.substr(line.find(':') + 1) + " ";
  return "";
}

// The CLI's output with SPIKESSM_CPU_HIDE set (the child inherits it; this process has long
// passed its own check).
spikessm::testing::CliResult run_hiding(const std::string& features, const std::string& args) {
  setenv("SPIKESSM_CPU_HIDE", features.c_str(), 1);
  auto r = spikessm::testing::run_cli(args);
  unsetenv("SPIKESSM_CPU_HIDE");
  return r;
}

}  // namespace

TEST(Version, IsTheProjectVersionAndTheCommitOfTheSourceTree) {
  EXPECT_EQ(std::string(version()), SPIKESSM_PROJECT_VERSION);
  EXPECT_TRUE(std::regex_match(version(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+"))) << version();
  const std::string commit = git_commit();
  EXPECT_TRUE(std::regex_match(commit, std::regex("unknown|[0-9a-f]{12}(-dirty)?"))) << commit;
  EXPECT_EQ(version_line(), std::string("spikessm ") + version() + " (commit " + commit + ")");
  // In a git checkout, the build took HEAD's commit (a build runs the script again, so a
  // commit made since the last build is the only way these differ).
  const std::string head =
      output_of("git -C \"" SPIKESSM_SOURCE_DIR "\" rev-parse --short=12 HEAD 2>/dev/null");
  if (head.empty()) GTEST_SKIP() << "no git checkout here: the commit is " << commit;
  EXPECT_EQ(commit.substr(0, 12), head);
}

TEST(Version, CommandLinePrintsIt) {
  const auto r = spikessm::testing::run_cli("--version");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, version_line() + "\n");
}

// The script that writes the version source: "unknown" outside a git checkout (a release
// tarball), and the version it is given.
TEST(Version, BuildScriptSaysUnknownWithoutGit) {
  const auto dir = spikessm::testing::scratch_dir("version_nogit");
  const fs::path out = dir / "version.cpp";
  const std::string cmd =
      std::string("\"") + SPIKESSM_CMAKE_COMMAND + "\" -DSOURCE_DIR=" + dir.string() +
      " -DINPUT=" SPIKESSM_SOURCE_DIR "/cmake/version.cpp.in" + " -DOUTPUT=" + out.string() +
      " -DSPIKESSM_VERSION=9.8.7 -P " SPIKESSM_SOURCE_DIR "/cmake/git_commit.cmake 2>&1";
  EXPECT_EQ(output_of(cmd), "");
  const std::string text = slurp(out);
  EXPECT_NE(text.find("return \"9.8.7\";"), std::string::npos) << text;
  EXPECT_NE(text.find("return \"unknown\";"), std::string::npos) << text;
}

// A run records the version in config.toml (a comment: the file still reads back as a
// config), in metrics.jsonl (a "run" line each time the run starts or resumes) and in its
// checkpoints.
TEST(Version, RunDirectoryAndCheckpointsRecordIt) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("version_run");
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  for (const char* kv : {"data.pool=2", "data.train_limit=64", "data.test_limit=32",
                         "model.n_layers=1", "model.d_model=8", "model.d_state=4",
                         "train.batch_size=32", "train.max_steps=1", "train.threads=2"})
    c.set(kv);
  c.set("train.out_dir=" + (dir / "run").string());
  run_training(c, {});
  EXPECT_EQ(first_line(dir / "run" / "config.toml"), "# written by " + version_line());
  Config back;
  back.merge_file((dir / "run" / "config.toml").string());
  EXPECT_EQ(back.to_toml(), c.to_toml());

  auto run_lines = [&] {
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir / "run" / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.value("kind", "") == "run") lines.push_back(j);
    }
    return lines;
  };
  auto runs = run_lines();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(first_line(dir / "run" / "metrics.jsonl"), runs[0].dump());
  EXPECT_EQ(runs[0].at("spikessm_version"), version());
  EXPECT_EQ(runs[0].at("git_commit"), git_commit());
  EXPECT_EQ(runs[0].at("step"), 0);
  EXPECT_EQ(runs[0].at("resumed"), false);

  const auto meta = read_checkpoint_meta((dir / "run" / "checkpoint.pt").string());
  EXPECT_EQ(meta.spikessm_version, version());
  EXPECT_EQ(meta.git_commit, git_commit());

  // Resumed for one more step: a second line says which build continued it.
  c.set("train.max_steps=2");
  TrainRunOptions resume;
  resume.resume = true;
  run_training(c, resume);
  runs = run_lines();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].at("step"), 1);
  EXPECT_EQ(runs[1].at("resumed"), true);
  EXPECT_EQ(runs[1].at("spikessm_version"), version());
}

// --version --verbose names the instruction set the build was compiled for (and its flags),
// what it requires, each hot kernel's path, LibTorch and the threads.
TEST(Version, VerboseNamesTheInstructionSetAndKernelPaths) {
  const auto r = spikessm::testing::run_cli("--version --verbose");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), version_line());
  const std::string isa = compiled_isa();
  EXPECT_TRUE(isa == "avx2" || isa == "avx512" || isa == "native" || isa == "generic") << isa;
  auto has_line = [&](const std::string& line) {
    return r.out.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has_line("isa: " + isa + " (" + compiled_isa_flags() + ")")) << r.out;
  EXPECT_TRUE(has_line(std::string("isa requires: ") +
                       (*required_cpu_features() ? required_cpu_features() : "-")))
      << r.out;
  EXPECT_TRUE(has_line("cpu lacks: -")) << r.out;  // this build runs here
  EXPECT_TRUE(has_line(std::string("libtorch: ") + TORCH_VERSION)) << r.out;
  EXPECT_NE(r.out.find("\nlibtorch cpu capability: "), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nthreads: [1-9][0-9]* \\(cores: "))) << r.out;
  // The at::vec code the kernels were compiled with (vec_util.h, included here with the same
  // flags) is the one reported, for every kernel built on it.
#if defined(CPU_CAPABILITY_AVX2)
  const std::string vec = "AVX2, 256-bit (8 floats)";
#else
  const std::string vec = "generic arrays (8 floats, no AVX2)";
#endif
  EXPECT_EQ(spikessm::kernels::vecutil::Vec<float>::size(), 8);
  EXPECT_TRUE(has_line("at::vec: " + vec)) << r.out;
  for (const char* k : {"lif", "plif", "selective_plif", "selective_scan", "spike", "spike_linear"})
    EXPECT_TRUE(has_line(std::string("kernel ") + k + ": at::vec " + vec)) << k << "\n" << r.out;
  for (const char* k : {"diag_ssm", "sdn", "ndyn_scan", "vandermonde", "fft_conv"})
    EXPECT_NE(r.out.find(std::string("\nkernel ") + k + ": "), std::string::npos) << k;
  // The scan names its AVX-512 copy exactly when an avx2 build runs it on this CPU.
  EXPECT_EQ(r.out.find("kernel diag_ssm: vector extensions: zmm (16 floats, 8 doubles), AVX-512 "
                       "chosen at run time\n") != std::string::npos,
            runs_avx512_kernels())
      << r.out;
  bool v4 = true;
  for (const char* f : {" avx512f ", " avx512bw ", " avx512cd ", " avx512dq ", " avx512vl "})
    v4 = v4 && cpuinfo_flags().find(f) != std::string::npos;
  EXPECT_EQ(runs_avx512_kernels(), isa == "avx2" && v4) << r.out;
  // The build's flags imply what it requires: AVX2 and FMA from avx2 up.
  const std::string req = std::string(",") + required_cpu_features() + ",";
  if (isa == "avx2" || isa == "avx512") {
    EXPECT_NE(req.find(",avx2,"), std::string::npos) << req;
    EXPECT_NE(req.find(",fma,"), std::string::npos) << req;
  }
  EXPECT_EQ(req.find(",avx512f,") != std::string::npos,
            isa == "avx512" ||
                (isa == "native" && cpuinfo_flags().find(" avx512f ") != std::string::npos))
      << req;
  if (isa == "generic") {
    EXPECT_EQ(req.find(",avx"), std::string::npos) << req;
  }
}

// The run-time check against /proc/cpuinfo: what it says this CPU has, and that it accepts it.
TEST(Version, CpuCheckAgreesWithProcCpuinfo) {
  const std::string flags = cpuinfo_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo here";
  for (const auto& [ours, linux_name] :
       std::vector<std::pair<const char*, const char*>>{{"avx2", "avx2"},
                                                        {"fma", "fma"},
                                                        {"bmi2", "bmi2"},
                                                        {"avx512f", "avx512f"},
                                                        {"avx512vl", "avx512vl"},
                                                        {"sse4.2", "sse4_2"}}) {
    EXPECT_EQ(cpu_has(ours), flags.find(std::string(" ") + linux_name + " ") != std::string::npos)
        << ours;
  }
  EXPECT_EQ(cpu_has("no-such-feature"), -1);
  EXPECT_EQ(missing_cpu_feature(), nullptr);
}

// OpenBLAS runs the GEMM kernels of this CPU's instruction set, not its SSE3 fallback for CPU
// models it does not know; a core the user chose (OPENBLAS_CORETYPE) stands. Checked through
// the CLI (a fresh process, so each environment gets its own load-time selection) against
// /proc/cpuinfo.
TEST(Version, OpenBlasRunsTheKernelsOfThisCpu) {
  const std::string flags = cpuinfo_flags();
  auto blas_line = [](const spikessm::testing::CliResult& r) {
    const auto at = r.out.find("\nblas: ");
    return at == std::string::npos ? std::string()
                                   : r.out.substr(at + 7, r.out.find('\n', at + 1) - at - 7);
  };
  const auto r = spikessm::testing::run_cli("--version --verbose");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string line = blas_line(r);
  if (line == "not OpenBLAS") GTEST_SKIP() << "the BLAS here is not OpenBLAS";
  ASSERT_EQ(line.rfind("OpenBLAS, core ", 0), 0u) << r.out;
  bool v4 = true;
  for (const char* f : {" avx512f ", " avx512bw ", " avx512cd ", " avx512dq ", " avx512vl "})
    v4 = v4 && flags.find(f) != std::string::npos;
  const bool avx2 =
      flags.find(" avx2 ") != std::string::npos && flags.find(" fma ") != std::string::npos;
  if (avx2) {
    EXPECT_EQ(line.find("core Prescott"), std::string::npos) << line;
  }
  // A correction names the core of the CPU's features.
  const char* expected = v4 ? "SkylakeX" : avx2 ? "Haswell" : "Sandybridge";
  if (line.find("spikessm chose") != std::string::npos) {
    EXPECT_NE(line.find(std::string("spikessm chose ") + expected + ")"), std::string::npos)
        << line;
  }
  setenv("OPENBLAS_CORETYPE", "Prescott", 1);
  const auto chosen = spikessm::testing::run_cli("--version --verbose");
  unsetenv("OPENBLAS_CORETYPE");
  EXPECT_EQ(blas_line(chosen), "OpenBLAS, core Prescott") << chosen.out;
}

// On a CPU without what the build requires (pretended with SPIKESSM_CPU_HIDE), the CLI stops
// before any of its code runs: one line naming the missing feature, exit code 2, no SIGILL.
TEST(Version, RefusesACpuWithoutItsInstructionSet) {
  const std::string req = required_cpu_features();
  if (req.empty()) GTEST_SKIP() << "this build (" << compiled_isa() << ") requires nothing";
  // The most telling feature of the build: AVX2 for avx2, AVX-512 for avx512, else the last.
  std::string hide = req.substr(req.rfind(',') + 1);
  for (const char* f : {"avx512f", "avx2"})
    if (("," + req + ",").find(std::string(",") + f + ",") != std::string::npos) hide = f;
  for (const char* args : {"--version", "--version --verbose", "train --help"}) {
    const auto r = run_hiding(hide, args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_NE(r.out.find("this CPU has no " + hide + ";"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::string("compiled for ") + compiled_isa()), std::string::npos);
    EXPECT_NE(r.out.find("-DSPIKESSM_ISA="), std::string::npos) << r.out;
  }
  // Hiding a feature the build does not need changes nothing.
  const auto ok = run_hiding("gfni-not-needed", "--version");
  EXPECT_EQ(ok.code, 0) << ok.out;
}

// The Python package refuses the import the same way, as an ImportError naming the feature.
TEST(Version, PythonImportRefusesACpuWithoutItsInstructionSet) {
  const fs::path py = fs::path(SPIKESSM_CLI).parent_path() / "python";
  if (!fs::exists(py / "spikessm" / "_build_isa.py") || !fs::exists("/usr/bin/python3"))
    GTEST_SKIP() << "no Python package in this build";
  const std::string req = required_cpu_features();
  if (req.empty()) GTEST_SKIP() << "this build requires nothing";
  const std::string hide = req.substr(req.rfind(',') + 1);
  const std::string cmd = "SPIKESSM_CPU_HIDE=" + hide + " PYTHONPATH=\"" + py.string() +
                          "\" /usr/bin/python3 -c 'import spikessm' 2>&1; echo \"rc=$?\"";
  const std::string out = output_of(cmd);
  EXPECT_NE(out.find("ImportError: spikessm was compiled for " + std::string(compiled_isa())),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("this CPU has no " + hide + ";"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  // Without the pretence it imports and agrees with the C++ side.
  const std::string fine = output_of("PYTHONPATH=\"" + py.string() +
                                     "\" /usr/bin/python3 -c 'import spikessm._build_isa as b; "
                                     "print(\",\".join(b.REQUIRES))' 2>&1");
  EXPECT_EQ(fine, req);
}

// ATen's thread setting does not reach OpenBLAS's own pool; set_threads (the CLI's --threads,
// spikessm.set_threads in Python) sets both, so a one-thread run keeps its GEMMs on one core.
TEST(Version, OpenBlasThreadsFollowTheThreadSetting) {
  using GetFn = int (*)();
  const auto get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (get == nullptr) GTEST_SKIP() << "the BLAS here is not OpenBLAS";
  const int before = at::get_num_threads();
  spikessm::set_threads(1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(get(), 1);
  if (std::thread::hardware_concurrency() > 1) {
    spikessm::set_threads(2);
    EXPECT_EQ(at::get_num_threads(), 2);
    EXPECT_EQ(get(), 2);
  }
  spikessm::set_threads(0);  // every core, as --threads 0
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(at::get_num_threads(), cores);
  spikessm::set_threads(before);
}
