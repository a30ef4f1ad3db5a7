#include "spikessm/data/fsdd.h"

#include <cmath>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/tar_members.h"
#include "spikessm/data/wav.h"

namespace spikessm {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::vector<FsddRecording> read_fsdd_tar(const std::string& tar_path,
                                         const std::function<bool(int64_t)>& keep_index) {
  const std::string tar = read_file_bytes(tar_path);
  std::vector<FsddRecording> out;
  for (const auto& m : tar_members(tar, tar_path)) {
    const auto slash = m.name.rfind('/');
    const std::string base = m.name.substr(slash == std::string::npos ? 0 : slash + 1);
    if (base.size() < 4 || base.substr(base.size() - 4) != ".wav") continue;
    const std::string where = tar_path + ":" + m.name;
    const std::string stem = base.substr(0, base.size() - 4);
    const auto a = stem.find('_'), b = stem.rfind('_');
    const bool named = a != std::string::npos && b > a + 1 && all_digits(stem.substr(0, a)) &&
                       all_digits(stem.substr(b + 1));
    FsddRecording r;
    if (named) {
      r.digit = std::stoll(stem.substr(0, a));
      r.index = std::stoll(stem.substr(b + 1));
      r.speaker = stem.substr(a + 1, b - a - 1);
    }
    require(named && r.digit <= 9, where, "expected a name {digit 0-9}_{speaker}_{index}.wav");
    if (keep_index && !keep_index(r.index)) continue;
    auto wav = decode_wav_mono(tar.substr(m.offset, m.size), where);
    require(wav.sample_rate == kFsddRate, where,
            "sample rate " + std::to_string(wav.sample_rate) + " Hz, expected 8000");
    r.samples = std::move(wav.samples);
    out.push_back(std::move(r));
  }
  require(!out.empty(), tar_path, "no {digit}_{speaker}_{index}.wav recordings found");
  return out;
}

torch::Tensor fsdd_signal(const std::vector<float>& samples, int64_t max_samples, int64_t pool,
                          bool standardize) {
  const int64_t L = max_samples / pool;
  const int64_t n = std::min<int64_t>(int64_t(samples.size()) / pool, L);  // whole windows kept
  std::vector<double> v(size_t(n), 0.0);
  double mean = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t k = 0; k < pool; ++k) v[size_t(t)] += samples[size_t(t * pool + k)];
    v[size_t(t)] /= double(pool);
    mean += v[size_t(t)];
  }
  mean /= double(std::max<int64_t>(n, 1));
  double var = 0.0;
  for (double x : v) var += (x - mean) * (x - mean);
  const double scale = 1.0 / std::sqrt(var / double(std::max<int64_t>(n, 1)) + 1e-12);
  auto out = torch::zeros({L, 1}, torch::kFloat);
  auto* o = out.data_ptr<float>();
  for (int64_t t = 0; t < n; ++t)
    o[t] = standardize ? float((v[size_t(t)] - mean) * scale)
                       : fsdd_pool_window(samples.data() + t * pool, pool);
  return out;
}

}  // namespace spikessm
