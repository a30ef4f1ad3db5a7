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
  auto idx = start + torch::arange(context + 1, torch::kLong).unsqueeze(0);    // (B, L + 1)
  auto w = tokens.index_select(0, idx.view(-1)).view({batch, context + 1});
  return {w.narrow(1, 0, context).contiguous(), w.narrow(1, 1, context).contiguous()};
}

std::vector<LmBatch> lm_eval_batches(const torch::Tensor& tokens, int64_t batch, int64_t context,
                                     int64_t stride) {
  TORCH_CHECK(context > 0 && stride > 0 && stride <= context,
              "[lm_eval_batches] need 0 < stride <= context, got ", stride, " and ", context);
  const int64_t targets = tokens.size(0) - 1;
  struct Window {
    int64_t start, len,
        skip;  // inputs tokens[start, start + len); the first `skip` targets not scored
  };
  std::vector<Window> windows;
  for (int64_t done = 0; done < targets;) {
    const int64_t end = std::min(targets, done == 0 ? context : done + stride);
    const int64_t start = stride < context ? std::max<int64_t>(0, end - context) : done;
    windows.push_back({start, end - start, done - start});
    done = end;
  }
  std::vector<LmBatch> out;
  for (size_t i = 0; i < windows.size();) {
    size_t j = i;  // windows i..j-1 of one length make a batch
    while (j < windows.size() && int64_t(j - i) < batch && windows[j].len == windows[i].len) ++j;
    std::vector<torch::Tensor> xs, ys;
    for (size_t k = i; k < j; ++k) {
      const Window& w = windows[k];
      xs.push_back(tokens.narrow(0, w.start, w.len));
      auto y = tokens.narrow(0, w.start + 1, w.len).clone();
      if (w.skip > 0) y.narrow(0, 0, w.skip).fill_(-100);
      ys.push_back(y);
    }
    out.push_back({torch::stack(xs).contiguous(), torch::stack(ys)});
    i = j;
  }
  return out;
}

}  // namespace spikessm
