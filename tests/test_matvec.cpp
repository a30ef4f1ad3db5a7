// The one-token products of the step engines (kernels/cpu/matvec_cpu.h): matvec_rows_cpu gives
// every row matvec_cpu's bits (the engines mix the two), both equal the float64 product to
// rounding, zero inputs are skipped without changing a bit, and 1 and 2 threads agree.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "../src/kernels/cpu/matvec_cpu.h"

using namespace spikessm::kernels;

namespace {

// x: (rows, n_in), W: (n_out, n_in) -> every row through matvec_cpu, (rows, n_out).
template <typename T>
torch::Tensor by_matvec(const torch::Tensor& x, const torch::Tensor& w) {
  const auto wt = w.t().contiguous();
  auto y = torch::empty({x.size(0), w.size(0)}, x.options());
  std::vector<int32_t> active(size_t(x.size(1)));
  const int64_t n_in = x.size(1), n_out = w.size(0);
  for (int64_t r = 0; r < x.size(0); ++r)
    matvec_cpu(x.data_ptr<T>() + r * n_in, n_in, wt.data_ptr<T>(), static_cast<const T*>(nullptr),
               n_out, active.data(), y.data_ptr<T>() + r * n_out);
  return y;
}

template <typename T>
torch::Tensor by_rows(const torch::Tensor& x, const torch::Tensor& w) {
  const auto wt = w.t().contiguous();
  const auto panels = matvec_rows_pack(wt.data_ptr<T>(), w.size(1), w.size(0));
  auto y = torch::empty({x.size(0), w.size(0)}, x.options());
  MatvecRowsParams<T> p;
  p.rows = x.size(0);
  p.n_in = x.size(1);
  p.n_out = w.size(0);
  p.x = x.data_ptr<T>();
  p.panels = panels.data();
  p.y = y.data_ptr<T>();
  matvec_rows_cpu(p);
  return y;
}

template <typename T>
void check_sizes(torch::Dtype dtype, double tol) {
  torch::manual_seed(1);
  for (int64_t rows : {1, 3, 4, 5, 9})
    for (int64_t n_in : {1, 7, 33})
      for (int64_t n_out : {1, 15, 16, 17, 100}) {
        SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(n_in) + "->" +
                     std::to_string(n_out));
        auto x = torch::randn({rows, n_in}, dtype);
        x.masked_fill_(torch::rand({rows, n_in}) < 0.3, 0);  // zeros: matvec skips them
        const auto w = torch::randn({n_out, n_in}, dtype);
        const torch::Tensor a = by_rows<T>(x, w), b = by_matvec<T>(x, w);
        EXPECT_TRUE(a.equal(b));
        const auto ref = torch::matmul(x.to(torch::kDouble), w.to(torch::kDouble).t());
        EXPECT_LT((a.to(torch::kDouble) - ref).abs().max().item<double>(), tol);
      }
}

}  // namespace

TEST(MatvecRows, EveryRowIsMatvecBitForBitAndTheFloat64Product) {
  check_sizes<float>(torch::kFloat, 1e-4);
  check_sizes<double>(torch::kDouble, 1e-12);
}

TEST(MatvecRows, OneAndTwoThreadsGiveTheSameBits) {
  // 4 x 512 x 4096: 8M multiply-adds, enough for the columns to split over two threads.
  torch::manual_seed(2);
  const auto x = torch::randn({4, 512}), w = torch::randn({4096, 512});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = by_rows<float>(x, w);
  at::set_num_threads(2);
  const auto two = by_rows<float>(x, w);
  at::set_num_threads(threads);
  EXPECT_TRUE(one.equal(two));
  EXPECT_TRUE(one.equal(by_matvec<float>(x, w)));
}
