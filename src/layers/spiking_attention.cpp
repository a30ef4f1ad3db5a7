#include "spikessm/layers/spiking_attention.h"

#include <algorithm>
#include <array>
#include <deque>

#include "spikessm/common/error.h"

namespace spikessm {

void LinearBnImpl::reset() {
  linear = register_module("linear", torch::nn::Linear(d_in_, d_out_));
  bn = register_module("bn", torch::nn::BatchNorm1d(d_out_));
}

// x: (T, B, N, Din) -> (T, B, N, Dout)
torch::Tensor LinearBnImpl::forward(const torch::Tensor& x) {
  auto y = linear(x.reshape({-1, d_in_}));  // (T B N, Dout)
  auto sizes = x.sizes().vec();
  sizes.back() = d_out_;
  return bn(y).view(sizes);
}

SpikingAttentionImpl::SpikingAttentionImpl(const SpikingAttentionOptions& o) : options(o) {
  reset();
}

void SpikingAttentionImpl::reset() {
  const int64_t D = options.d_model();
  TORCH_CHECK(options.heads() >= 1 && D % options.heads() == 0, "[SpikingAttention] d_model ", D,
              " is not divisible by heads ", options.heads());
  q = register_module("q", LinearBn(D, D));
  k = register_module("k", LinearBn(D, D));
  v = register_module("v", LinearBn(D, D));
  proj = register_module("proj", LinearBn(D, D));
  if (options.kind() != AttentionKind::Ssa) {
    auto dw = [&](int64_t dil) {
      return torch::nn::Conv2d(
          torch::nn::Conv2dOptions(D, D, 3).padding(dil).dilation(dil).groups(D).bias(false));
    };
    lrf3 = register_module("lrf3", dw(3));
    lrf5 = register_module("lrf5", dw(5));
  }
  if (options.kind() == AttentionKind::LrfDyn)
    dyn = register_module("dyn",
                          NeuralDynamics(NeuralDynamicsOptions(D).dendrites(options.dendrites())));
}

// x: (T, B, N, D) -> (T, B, N, D)
torch::Tensor SpikingAttentionImpl::lrf(const torch::Tensor& x) {
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3);
  auto grid = x.reshape({T * B, options.grid_h(), options.grid_w(), D})
                  .permute({0, 3, 1, 2});  // (TB, D, h, w)
  auto y = lrf3(grid) + lrf5(grid);
  return y.permute({0, 2, 3, 1}).reshape({T, B, N, D});
}

torch::Tensor SpikingAttentionImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(2) == options.grid_h() * options.grid_w() &&
                  x.size(3) == options.d_model(),
              "[SpikingAttention] x must be (T, B, ", options.grid_h() * options.grid_w(), ", ",
              options.d_model(), "), got ", x.sizes());
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3);
  if (options.kind() == AttentionKind::LrfDyn && !is_training() && !dyn->parallel_in_eval &&
      stream_rows && !(recorder && recorder->on()))
    return forward_rows(x);
  const int64_t H = options.heads(), dh = D / H;
  auto rec = [&](const std::string& what, const torch::Tensor& in, double macs,
                 const char* kind = "AC") {
    if (recorder) recorder->synapse(name + "." + what, in, macs, B, T, kind);
  };
  rec("q", x, double(N) * D * D);
  rec("k", x, double(N) * D * D);
  rec("v", x, double(N) * D * D);
  auto qs = spikformer_lif(q(x), 1.0), ks = spikformer_lif(k(x), 1.0),
       vs = spikformer_lif(v(x), 1.0);
  if (recorder) {
    recorder->spikes(name + ".q_lif", qs, 1);
    recorder->spikes(name + ".k_lif", ks, 1);
    recorder->spikes(name + ".v_lif", vs, 1);
  }
  torch::Tensor a;
  if (options.kind() != AttentionKind::LrfDyn) {
    // (T, B, N, D) -> (T, B, H, N, dh); K^T V: (T, B, H, dh, dh); Q (K^T V): (T, B, H, N, dh)
    auto heads = [&](const torch::Tensor& t) { return t.view({T, B, N, H, dh}).transpose(2, 3); };
    auto kv = torch::matmul(heads(ks).transpose(-1, -2), heads(vs));
    a = (torch::matmul(heads(qs), kv) * options.scale()).transpose(2, 3).reshape({T, B, N, D});
    rec("kv", ks, double(N) * dh * dh * H);
    rec("q_kv", qs, double(N) * dh * dh * H);
    if (options.kind() == AttentionKind::LrfSsa) {
      a = a + lrf(vs);
      rec("lrf", vs, 2.0 * 9.0 * N * D);
    }
  } else {
    auto u = (ks * vs).reshape({T * B, N, D});  // presynaptic token input k_n v_n
    auto h = dyn(u).view({T, B, N, D});         // membrane of the dendrite-soma neuron
    a = qs * h + lrf(h);
    const double kd = double(options.dendrites());
    rec("kv_token", ks, double(N) * D);
    rec("dendrites", h, double(N) * D * (3.0 * kd + kd),
        "MAC");  // tridiagonal update + soma, real state
    rec("q_h", qs, double(N) * D);
    rec("lrf", h, 2.0 * 9.0 * N * D, "MAC");  // real-valued membrane input
  }
  auto s = spikformer_lif(a, options.attn_v_th());
  if (recorder) recorder->spikes(name + ".attn_lif", s, 1);
  rec("proj", s, double(N) * D * D);
  auto out = spikformer_lif(proj(s), 1.0);
  if (recorder) recorder->spikes(name + ".proj_lif", out, 1);
  return out;
}

// Row r of the grid holds tokens [r W, (r + 1) W). The recurrence runs over rows in order with
// its (T B, k, D) state carried; output row o needs h of rows o - reach .. o + reach (reach = 5,
// the LRF's largest dilation; zero outside the grid), so it is emitted once row o + reach has
// been integrated. Held at any time: the state, 11 rows of h and 6 rows of q, each (T, B, W, D).
// x: (T, B, N, D) -> (T, B, N, D)
torch::Tensor SpikingAttentionImpl::forward_rows(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const int64_t T = x.size(0), B = x.size(1), D = x.size(3);
  const int64_t GH = options.grid_h(), W = options.grid_w();
  const int64_t reach = std::max(lrf3->options.dilation()->at(0), lrf5->options.dilation()->at(0));
  auto out = torch::empty_like(x);
  auto state = torch::zeros({T * B, options.dendrites(), D}, x.options());
  std::deque<torch::Tensor> h_rows, q_rows;  // h rows first_h.., q rows from the next to emit
  int64_t first_h = 0, next_out = 0;
  const auto zero_row = torch::zeros({T * B, D, 1, W}, x.options());
  // h row i as (T B, D, 1, W) for the convolution; zeros outside the grid
  auto h_grid_row = [&](int64_t i) {
    if (i < 0 || i >= GH) return zero_row;
    return h_rows[size_t(i - first_h)].view({T * B, W, D}).permute({0, 2, 1}).unsqueeze(2);
  };
  auto emit = [&](int64_t o) {
    auto lrf_o = torch::zeros({T * B, D, 1, W}, x.options());
    for (auto* conv : {&lrf3, &lrf5}) {
      const int64_t dil = (*conv)->options.dilation()->at(0);
      auto band = torch::cat({h_grid_row(o - dil), h_grid_row(o), h_grid_row(o + dil)},
                             2);  // (TB, D, 3, W)
      const std::array<int64_t, 2> stride{1, 1}, pad{0, dil}, dilation{1, dil};
      lrf_o += torch::conv2d(band, (*conv)->weight, torch::Tensor(), stride, pad, dilation, D);
    }
    auto lrf_tokens = lrf_o.squeeze(2).permute({0, 2, 1}).reshape({T, B, W, D});
    auto a = q_rows.front() * h_rows[size_t(o - first_h)] + lrf_tokens;
    q_rows.pop_front();
    auto s = spikformer_lif(a, options.attn_v_th());
    out.narrow(2, o * W, W).copy_(spikformer_lif(proj(s), 1.0));
  };
  for (int64_t r = 0; r < GH; ++r) {
    auto xr = x.narrow(2, r * W, W);  // (T, B, W, D)
    q_rows.push_back(spikformer_lif(q(xr), 1.0));
    auto u = (spikformer_lif(k(xr), 1.0) * spikformer_lif(v(xr), 1.0)).reshape({T * B, W, D});
    h_rows.push_back(dyn->forward_chunk(u, state).view({T, B, W, D}));
    for (; next_out + reach <= r; ++next_out) emit(next_out);
    for (; first_h < next_out - reach; ++first_h) h_rows.pop_front();
  }
  for (; next_out < GH; ++next_out) emit(next_out);
  return out;
}

}  // namespace spikessm
