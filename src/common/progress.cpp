#include "spikessm/common/progress.h"

#include <unistd.h>

#include <cstdio>

namespace spikessm {

Progress::Progress(std::string label, int64_t total, int64_t start)
    : label_(std::move(label)), total_(total), start_(start), tty_(isatty(2)) {
  t0_ = last_draw_ = std::chrono::steady_clock::now();
}

static std::string clock_string(double s) {
  char b[32];
  int t = int(s + 0.5);
  std::snprintf(b, sizeof b, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

void Progress::update(int64_t done, int64_t samples, const std::string& extra) {
  auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - t0_).count();
  const bool last = done >= total_;
  if (tty_) {
    if (!last && std::chrono::duration<double>(now - last_draw_).count() < 0.2) return;
  } else {
    const int64_t decile = total_ > 0 ? done * 10 / total_ : 10;
    if (decile == last_printed_ && !last) return;
    last_printed_ = decile;
  }
  last_draw_ = now;
  const double rate = elapsed > 0 ? double(done - start_) / elapsed : 0;
  const double eta = rate > 0 ? double(total_ - done) / rate : 0;
  const int width = 24;
  const int fill = total_ > 0 ? int(width * double(done) / double(total_)) : width;
  std::string bar(size_t(fill), '#');
  bar.resize(size_t(width), '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %s<%s %.0f samples/s %s%s", tty_ ? "\r\033[K" : "",
               label_.c_str(), bar.c_str(), (long long)done, (long long)total_,
               clock_string(elapsed).c_str(), clock_string(eta).c_str(),
               elapsed > 0 ? double(samples) / elapsed : 0.0, extra.c_str(), tty_ ? "" : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace spikessm
