#include "vec_util.h"  // first: it picks at::vec's AVX2 path
// (matvec_cpu.h after it)
#include "matvec_cpu.h"

namespace spikessm::kernels {
namespace {

using vecutil::Vec;

// Columns [c0, c0 + n) of y: four vectors of accumulators live in registers while the active
// rows stream past; a row's slice is 4 x 32 bytes of one contiguous row of W^T.
template <typename T>
void columns(const MatvecParams<T>& p, int64_t c0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  int64_t c = c0;
  for (; c + 4 * V <= c0 + n; c += 4 * V) {
    Vec<T> a[4];
    for (int k = 0; k < 4; ++k)
      a[k] = p.bias != nullptr ? Vec<T>::loadu(p.bias + c + k * V) : Vec<T>(T(0));
    for (int64_t i = 0; i < p.n_active; ++i) {
      const int64_t j = p.active[i];
      const Vec<T> xj(p.x[j]);
      const T* row = p.wt + j * p.n_out + c;
      for (int k = 0; k < 4; ++k) a[k] = at::vec::fmadd(xj, Vec<T>::loadu(row + k * V), a[k]);
    }
    for (int k = 0; k < 4; ++k) a[k].store(p.y + c + k * V);
  }
  for (; c < c0 + n; c += V) {
    const int64_t cnt = std::min<int64_t>(V, c0 + n - c);
    Vec<T> a = p.bias != nullptr ? vecutil::load(p.bias + c, cnt) : Vec<T>(T(0));
    for (int64_t i = 0; i < p.n_active; ++i) {
      const int64_t j = p.active[i];
      a = at::vec::fmadd(Vec<T>(p.x[j]), vecutil::load(p.wt + j * p.n_out + c, cnt), a);
    }
    vecutil::store(a, p.y + c, cnt);
  }
}

}  // namespace

template <typename T>
int64_t nonzero_indices(const T* x, int64_t n_in, int32_t* active) {
  int64_t n = 0;
  for (int64_t j = 0; j < n_in; ++j) {
    active[n] = int32_t(j);
    n += x[j] != T(0);  // branch-free: spikes are unpredictable
  }
  return n;
}

template <typename T>
void matvec_cpu(const MatvecParams<T>& p) {
  // Tasks of 128 columns, and at least ~1M multiply-adds a thread: waking a sleeping pool
  // thread (OMP_WAIT_POLICY=PASSIVE) costs tens of microseconds, more than a one-token
  // matvec of a small model takes on one core.
  constexpr int64_t kTask = 128, kMinMacsPerThread = int64_t(1) << 20;
  const int64_t tasks = (p.n_out + kTask - 1) / kTask;
  const int64_t grain =
      std::max<int64_t>(1, kMinMacsPerThread / std::max<int64_t>(1, p.n_active * kTask));
  at::parallel_for(0, tasks, grain, [&](int64_t begin, int64_t end) {
    const int64_t c0 = begin * kTask;
    columns(p, c0, std::min(end * kTask, p.n_out) - c0);
  });
}

template int64_t nonzero_indices<float>(const float*, int64_t, int32_t*);
template int64_t nonzero_indices<double>(const double*, int64_t, int32_t*);
template void matvec_cpu<float>(const MatvecParams<float>&);
template void matvec_cpu<double>(const MatvecParams<double>&);

}  // namespace spikessm::kernels
