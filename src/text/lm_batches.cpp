#include "spikessm/text/lm_batches.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>

namespace spikessm {

namespace {
uint64_t splitmix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

LmBatch lm_train_batch(const torch::Tensor& tokens, int64_t batch, int64_t context, uint64_t seed,
                       int64_t step) {
  const int64_t N = tokens.size(0);
  TORCH_CHECK(N > context + 1, "[lm_train_batch] ", N, " tokens are too few for context ", context);
  auto gen = at::detail::createCPUGenerator(splitmix(seed, uint64_t(step)) & 0x7FFFFFFFFFFFull);
  auto start = torch::randint(0, N - context, {batch, 1}, gen, torch::kLong);  // (B, 1)
  auto idx = start + torch::arange(context + 1, torch::kLong).unsqueeze(0);   // (B, L + 1)
  auto w = tokens.index_select(0, idx.view(-1)).view({batch, context + 1});
  return {w.narrow(1, 0, context).contiguous(), w.narrow(1, 1, context).contiguous()};
}

std::vector<LmBatch> lm_eval_batches(const torch::Tensor& tokens, int64_t batch, int64_t context) {
  const int64_t targets = tokens.size(0) - 1;
  std::vector<LmBatch> out;
  const int64_t full = targets / context;
  for (int64_t w0 = 0; w0 < full; w0 += batch) {
    const int64_t b = std::min(batch, full - w0);
    auto x = tokens.narrow(0, w0 * context, b * context).view({b, context});
    auto y = tokens.narrow(0, w0 * context + 1, b * context).view({b, context});
    out.push_back({x.contiguous(), y.contiguous()});
  }
  const int64_t rest = targets - full * context;
  if (rest > 0)
    out.push_back({tokens.narrow(0, full * context, rest).view({1, rest}).contiguous(),
                   tokens.narrow(0, full * context + 1, rest).view({1, rest}).contiguous()});
  return out;
}

}  // namespace spikessm
