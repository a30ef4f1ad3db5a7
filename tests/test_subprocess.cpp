// run_program: arguments reach the program as they are (no shell), a missing program is told
// apart from a failing one, and the working directory, input and output files are honoured.
#include <gtest/gtest.h>

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/common/subprocess.h"
#include "test_util.h"

namespace fs = std::filesystem;
using spikessm::ProcessOptions;
using spikessm::run_program;

TEST(Subprocess, ArgumentsAreNotShellText) {
  const auto dir = spikessm::testing::scratch_dir("subprocess_args");
  const std::string evil =
      "x';touch " + (dir / "PWNED").string() + ";'y $(touch " + (dir / "PWNED2").string() + ")";
  auto r = run_program({"printf", "%s", evil});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out, evil);
  EXPECT_FALSE(fs::exists(dir / "PWNED"));
  EXPECT_FALSE(fs::exists(dir / "PWNED2"));
  fs::remove_all(dir);
}

TEST(Subprocess, MissingProgramIsNotAFailure) {
  auto r = run_program({"spikessm-no-such-program"});
  EXPECT_FALSE(r.found);
  EXPECT_FALSE(r.ok());
  auto f = run_program({"sh", "-c", "echo first >&2; echo the reason >&2; echo; exit 3"});
  EXPECT_TRUE(f.found);
  EXPECT_EQ(f.exit_code, 3);
  EXPECT_EQ(f.error_line(), "the reason");
  EXPECT_EQ(f.out, "\n");
  auto k = run_program({"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(k.signal, 9);
  EXPECT_EQ(k.error_line(), "killed by signal 9");
}

TEST(Subprocess, DirectoryInputAndOutputFiles) {
  const auto dir = spikessm::testing::scratch_dir("subprocess_files");
  const auto odd = dir / "it's a; dir";
  fs::create_directories(odd);
  spikessm::testing::write_file(odd / "in.txt", "hello\n");
  ProcessOptions o;
  o.dir = odd.string();
  o.stdin_file = (odd / "in.txt").string();
  o.stdout_file = (odd / "out.txt").string();
  auto r = run_program({"sh", "-c", "cat; pwd"}, o);
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(spikessm::read_file_bytes(o.stdout_file), "hello\n" + odd.string() + "\n");
  EXPECT_TRUE(r.out.empty());
  // Output larger than a pipe holds, on both streams at once, does not deadlock.
  auto big = run_program({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"});
  EXPECT_EQ(big.out.size(), 300000u);
  EXPECT_EQ(big.err.size(), 200000u);
  // A missing directory is an error of its own, not a missing program.
  o.dir = (dir / "none").string();
  EXPECT_THROW(run_program({"true"}, o), spikessm::InputError);
  fs::remove_all(dir);
}
