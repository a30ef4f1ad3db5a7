#include <cstring>
#include <fstream>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/neurons/sdn_train.h"

namespace spikessm {

SdnDataset generate_sdn_data(int64_t n, int64_t L, float tau, uint64_t seed) {
  require(n > 0 && L > 0 && n <= kMaxSdnSteps / L, "SDN data",
          std::to_string(n) + " sequences of " + std::to_string(L) +
              " steps (expected positive sizes of at most " + std::to_string(kMaxSdnSteps) +
              " steps in all)");
  SdnDataset d;
  d.tau = tau;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  d.input = at::normal(0.0, 1.0, {n, L}, gen).to(torch::kFloat32);
  d.mem = torch::empty({n, L});
  d.spike = torch::empty({n, L}, torch::kUInt8);
  const float* x = d.input.data_ptr<float>();
  float* m = d.mem.data_ptr<float>();
  uint8_t* s = d.spike.data_ptr<uint8_t>();
  at::parallel_for(0, n, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float u = 0.f;  // the exact hard-reset LIF, v_th = 1, u_r = 0
      for (int64_t t = r * L; t < (r + 1) * L; ++t) {
        m[t] = tau * u;
        const float up = m[t] + x[t];
        s[t] = up >= 1.f;
        u = s[t] ? 0.f : up;
      }
    }
  });
  return d;
}

namespace {
constexpr char kMagic[8] = {'S', 'D', 'N', 'D', 'A', 'T', 'A', '1'};
}

void save_sdn_data(const SdnDataset& d, const std::string& path) {
  const int64_t n = d.input.size(0), L = d.input.size(1);
  std::ostringstream out;
  out.write(kMagic, 8);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(reinterpret_cast<const char*>(&L), 8);
  out.write(reinterpret_cast<const char*>(&d.tau), 4);
  out.write(reinterpret_cast<const char*>(d.input.data_ptr<float>()), n * L * 4);
  out.write(reinterpret_cast<const char*>(d.mem.data_ptr<float>()), n * L * 4);
  out.write(reinterpret_cast<const char*>(d.spike.data_ptr<uint8_t>()), n * L);
  write_file_atomic(path, out.str());
}

SdnDataset load_sdn_data(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path + ": cannot open SDN data file");
  const int64_t size = in.tellg();
  in.seekg(0);
  char magic[8] = {};
  int64_t n = 0, L = 0;
  SdnDataset d;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&n), 8);
  in.read(reinterpret_cast<char*>(&L), 8);
  in.read(reinterpret_cast<char*>(&d.tau), 4);
  if (!in || std::memcmp(magic, kMagic, 8) != 0)
    throw InputError(path + ": not an SDN data file (written by `spikessm sdn generate`)");
  if (n <= 0 || L <= 0 || n > (int64_t(1) << 40) / L || !(d.tau > 0 && d.tau <= 1))
    throw InputError(path + ": bad header (n " + std::to_string(n) + ", L " + std::to_string(L) +
                     ")");
  if (size != 28 + 9 * n * L)
    throw InputError(path + ": truncated or padded: " + std::to_string(size) + " bytes, expected " +
                     std::to_string(28 + 9 * n * L));
  d.input = torch::empty({n, L});
  d.mem = torch::empty({n, L});
  d.spike = torch::empty({n, L}, torch::kUInt8);
  in.read(reinterpret_cast<char*>(d.input.data_ptr<float>()), n * L * 4);
  in.read(reinterpret_cast<char*>(d.mem.data_ptr<float>()), n * L * 4);
  in.read(reinterpret_cast<char*>(d.spike.data_ptr<uint8_t>()), n * L);
  if (!in) throw InputError(path + ": read failed");
  return d;
}

}  // namespace spikessm
