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

// Rows [r0, r0 + NR), NR <= 4, of panel q (2 vectors of columns): NR x 2 vectors of
// accumulators (up to eight independent FMA chains, all in registers: NR is a constant)
// while the panel streams past.
template <typename T, int NR>
void rows_panel(const MatvecRowsParams<T>& p, int64_t r0, int64_t q) {
  constexpr int64_t V = Vec<T>::size(), P = 2 * V;
  const T* panel = p.panels + q * p.n_in * P;
  const T* x = p.x + r0 * p.n_in;
  Vec<T> a[NR][2];
  for (int r = 0; r < NR; ++r) a[r][0] = a[r][1] = Vec<T>(T(0));
  for (int64_t j = 0; j < p.n_in; ++j) {
    const Vec<T> w0 = Vec<T>::loadu(panel + j * P), w1 = Vec<T>::loadu(panel + j * P + V);
    for (int r = 0; r < NR; ++r) {
      const Vec<T> xj(x[r * p.n_in + j]);
      a[r][0] = at::vec::fmadd(xj, w0, a[r][0]);
      a[r][1] = at::vec::fmadd(xj, w1, a[r][1]);
    }
  }
  const int64_t c = q * P, cnt0 = std::min<int64_t>(V, p.n_out - c),
                cnt1 = std::min<int64_t>(V, p.n_out - c - cnt0);
  for (int r = 0; r < NR; ++r) {
    vecutil::store(a[r][0], p.y + (r0 + r) * p.n_out + c, cnt0);
    if (cnt1 > 0) vecutil::store(a[r][1], p.y + (r0 + r) * p.n_out + c + V, cnt1);
  }
}

template <typename T>
void rows_of_panel(const MatvecRowsParams<T>& p, int64_t q) {
  int64_t r = 0;
  for (; r + 4 <= p.rows; r += 4) rows_panel<T, 4>(p, r, q);
  switch (p.rows - r) {
    case 3:
      return rows_panel<T, 3>(p, r, q);
    case 2:
      return rows_panel<T, 2>(p, r, q);
    case 1:
      return rows_panel<T, 1>(p, r, q);
    default:
      return;
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

template <typename T>
void matvec_cpu(const T* x, int64_t n_in, const T* wt, const T* bias, int64_t n_out,
                int32_t* active, T* y) {
  MatvecParams<T> p;
  p.n_in = n_in;
  p.n_out = n_out;
  p.x = x;
  p.active = active;
  p.n_active = nonzero_indices(x, n_in, active);
  p.wt = wt;
  p.bias = bias;
  p.y = y;
  matvec_cpu(p);
}

template <typename T>
int64_t matvec_rows_panel() {
  return 2 * Vec<T>::size();
}

template <typename T>
std::vector<T> matvec_rows_pack(const T* wt, int64_t n_in, int64_t n_out) {
  const int64_t P = matvec_rows_panel<T>(), panels = (n_out + P - 1) / P;
  std::vector<T> out(size_t(panels * n_in * P), T(0));
  for (int64_t q = 0; q < panels; ++q)
    for (int64_t j = 0; j < n_in; ++j)
      for (int64_t c = q * P; c < std::min(n_out, (q + 1) * P); ++c)
        out[size_t((q * n_in + j) * P + c - q * P)] = wt[j * n_out + c];
  return out;
}

template <typename T>
void matvec_rows_cpu(const MatvecRowsParams<T>& p) {
  // ~4M multiply-adds a thread: a NeuronSpark token wakes the pool for every projection of
  // every layer, and at 1M a thread the 2-thread engine ran at 0.6x its 1-thread speed.
  constexpr int64_t kMinMacsPerThread = int64_t(1) << 22;
  const int64_t P = matvec_rows_panel<T>(), panels = (p.n_out + P - 1) / P;
  const int64_t grain =
      std::max<int64_t>(1, kMinMacsPerThread / std::max<int64_t>(1, p.rows * p.n_in * P));
  at::parallel_for(0, panels, grain, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) rows_of_panel(p, q);
  });
}

template int64_t nonzero_indices<float>(const float*, int64_t, int32_t*);
template int64_t nonzero_indices<double>(const double*, int64_t, int32_t*);
template void matvec_cpu<float>(const MatvecParams<float>&);
template void matvec_cpu<double>(const MatvecParams<double>&);
template void matvec_cpu<float>(const float*, int64_t, const float*, const float*, int64_t,
                                int32_t*, float*);
template void matvec_cpu<double>(const double*, int64_t, const double*, const double*, int64_t,
                                 int32_t*, double*);
template void matvec_rows_cpu<float>(const MatvecRowsParams<float>&);
template void matvec_rows_cpu<double>(const MatvecRowsParams<double>&);
template int64_t matvec_rows_panel<float>();
template int64_t matvec_rows_panel<double>();
template std::vector<float> matvec_rows_pack<float>(const float*, int64_t, int64_t);
template std::vector<double> matvec_rows_pack<double>(const double*, int64_t, int64_t);

}  // namespace spikessm::kernels
