#include "run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/train/checkpoint.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// A flock on dir/.lock (dir created when missing; *created says so), checked to be the file
// that is at that path now: a run that committed or gave up may have swapped or removed the
// directory between our open and our lock, and a lock on a file no longer there guards nothing.
int lock_run_dir(const std::string& dir, bool* created) {
  const std::string path = dir + "/.lock";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::error_code ec;
    if (fs::create_directories(dir, ec)) *created = true;
    if (ec) throw InputError(dir + ": cannot create the run directory (" + ec.message() + ")");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw InputError(path + ": cannot open the run's lock file (" + errno_text() + ")");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      throw InputError(dir +
                       ": another spikessm process is training in this directory; wait for it to "
                       "end or set train.out_dir");
    }
    struct stat held {
    }, now{};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino)
      return fd;
    ::close(fd);
  }
  throw InputError(dir + ": the run directory kept changing while it was being locked");
}

constexpr size_t kSuffix = 6;

// "<real>.staging-" + 6 random letters or digits: a name beside out_dir that no other
// directory has (`create`: made, mode 0777 less the umask; else only chosen).
std::string staging_name(const std::string& real, bool create) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = real + ".staging-";
    for (size_t i = 0; i < kSuffix; ++i) name += kChars[rd() % (sizeof kChars - 1)];
    std::error_code ec;
    if (!create && !fs::exists(fs::symlink_status(name, ec))) return name;
    if (create && ::mkdir(name.c_str(), 0777) == 0) return name;
    if (create && errno != EEXIST)
      throw InputError(name + ": cannot create the staging directory of a new run (" +
                       errno_text() + ")");
  }
  throw InputError(real + ": no free name for a staging directory beside it");
}

// Staging directories a killed run left beside out_dir: an uncommitted new run, or a replaced
// run whose removal did not finish. Only the holder of out_dir's lock stages there.
void remove_stale_staging(const fs::path& real) {
  const std::string prefix = real.filename().string() + ".staging-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(real.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == prefix.size() + kSuffix && name.compare(0, prefix.size(), prefix) == 0)
      fs::remove_all(e.path(), ec);
  }
}

// The files a run writes (trainer.h), and the temporary files of their atomic writes
// ("<name>.tmp", "<name>.tmpXXXXXX").
bool is_run_file(std::string name) {
  static const std::set<std::string> kRunFiles = {
      ".lock",         "config.toml",      "metrics.jsonl",  "checkpoint.pt",  "checkpoint.prev.pt",
      "lm_stats.json", "spike_stats.json", "tokenizer.json", "tokenizer.model"};
  if (const size_t p = name.find(".tmp"); p != std::string::npos) name.resize(p);
  return kRunFiles.count(name) > 0;
}

// A new run replaces the whole directory: refuse one that holds anything else, one that is a
// mount point (it cannot be renamed) and one the process (or its shell) works in.
void check_replaceable(const fs::path& real, const std::string& dir) {
  require(real.has_parent_path() && real != real.root_path(), "train.out_dir",
          "'" + dir + "' is the root directory; a run needs a directory of its own");
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  require(ec || std::mismatch(real.begin(), real.end(), cwd.begin(), cwd.end()).first != real.end(),
          "train.out_dir",
          "'" + dir + "' is or holds the current directory; a new run replaces its directory, " +
              "so train into a directory of its own (e.g. runs/NAME)");
  struct stat self {
  }, parent{};
  if (::stat(real.c_str(), &self) == 0 && ::stat(real.parent_path().c_str(), &parent) == 0)
    require(self.st_dev == parent.st_dev, dir,
            "is a mount point; a new run replaces its directory by a rename, so set "
            "train.out_dir to a directory inside it");
  for (const auto& e : fs::directory_iterator(real, ec)) {
    const std::string name = e.path().filename().string();
    require(is_run_file(name), dir,
            "holds '" + name +
                "', which is not a file of a training run; a new run replaces the whole "
                "directory, so move it away or set train.out_dir to a new directory");
  }
}

// Puts directory `from` at `to`, replacing it, in one rename where the file system can
// (RENAME_EXCHANGE: `from` then names the replaced directory); elsewhere in two, `to` moved to
// a fresh staging name first. Returns the name now holding the replaced directory.
std::string swap_into_place(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) return from;
  if (errno != EINVAL && errno != ENOSYS)
    throw InputError(to + ": cannot put the new run in place of the old one (" + errno_text() +
                     "); the new run is in " + from);
  const std::string trash = staging_name(to, false);
  if (std::rename(to.c_str(), trash.c_str()) != 0)
    throw InputError(to + ": cannot move the old run aside (" + errno_text() +
                     "); the new run is in " + from);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const std::string why = errno_text();
    std::rename(trash.c_str(), to.c_str());
    throw InputError(to + ": cannot put the new run in place (" + why + "); the new run is in " +
                     from);
  }
  return trash;
}

}  // namespace

RunDir::RunDir(const std::string& out_dir) : dir_(out_dir) {
  fd_ = lock_run_dir(out_dir, &created_);
  std::error_code ec;
  real_ = fs::canonical(out_dir, ec).string();
  if (ec) {
    ::close(fd_);
    throw InputError(out_dir + ": cannot resolve the run directory (" + ec.message() + ")");
  }
  remove_stale_staging(real_);
}

RunDir::~RunDir() {
  std::error_code ec;
  if (staged_) {
    fs::remove_all(staging_, ec);
    if (staging_fd_ >= 0) ::close(staging_fd_);
  }
  if (created_ && std::distance(fs::directory_iterator(dir_, ec), fs::directory_iterator()) == 1)
    fs::remove_all(dir_, ec);  // nothing but the lock: bad input before the run began
  ::close(fd_);
}

void RunDir::start_new_run() {
  check_replaceable(real_, dir_);
  staging_ = staging_name(real_, true);
  staged_ = true;
  bool created = false;
  staging_fd_ = lock_run_dir(staging_, &created);
}

void RunDir::commit() {
  if (!staged_) return;
  const std::string replaced = swap_into_place(staging_, real_);
  sync_directory(fs::path(real_).parent_path().string());
  staged_ = false;
  created_ = false;
  std::error_code ec;
  fs::remove_all(replaced, ec);  // if this is cut short, the next run in out_dir finishes it
  ::close(fd_);  // the replaced run's lock; out_dir's is now the staging directory's
  fd_ = staging_fd_;
  staging_fd_ = -1;
}

bool existing_run(const std::string& ckpt, const TrainRunOptions& run) {
  const bool have = checkpoint_exists(ckpt);
  if (have && !run.resume && !run.overwrite)
    throw InputError(ckpt +
                     ": a run already exists here; pass --resume to continue it, "
                     "--overwrite to replace it, or set train.out_dir");
  return have;
}

}  // namespace spikessm
