#include "block_step.h"

#include <cmath>

namespace spikessm {

template <typename T>
void StepScratch<T>::fit(int64_t H, int64_t n_mix) {
  u.resize(size_t(std::max(H, int64_t(u.size()))));
  a.resize(size_t(std::max(H, int64_t(a.size()))));
  m.resize(size_t(std::max({H, n_mix, int64_t(m.size())})));
  active.resize(size_t(std::max(H, int64_t(active.size()))));
}

template <typename T>
std::vector<T> values_of(const torch::Tensor& t) {
  const auto dtype = std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
  const auto c = t.detach().to(torch::kCPU, dtype).contiguous();
  const T* p = c.template data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}

template <typename T>
void to_planar(const T* in, int64_t rows, int64_t M, T* out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t m = 0; m < M; ++m) {
      out[(r * 2) * M + m] = in[(r * M + m) * 2];
      out[(r * 2 + 1) * M + m] = in[(r * M + m) * 2 + 1];
    }
}

template <typename T>
void from_planar(const T* in, int64_t rows, int64_t M, T* out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t m = 0; m < M; ++m) {
      out[(r * M + m) * 2] = in[(r * 2) * M + m];
      out[(r * M + m) * 2 + 1] = in[(r * 2 + 1) * M + m];
    }
}

std::string block_step_refusal(const SpikingSSMBlockImpl& b) {
  if (b.options.s4d().bidirectional()) return "model.bidirectional";
  if (b.options.spiking() && b.options.neuron() != NeuronKind::Lif) return "model.neuron";
  return "";
}

namespace {
// A complex (H, M) tensor (or real pairs (H, M, 2)) as planar (H, 2, M) values.
template <typename T>
std::vector<T> planar(const torch::Tensor& t) {
  const auto pairs = t.is_complex() ? torch::view_as_real(t) : t;
  const auto v = values_of<T>(pairs);
  const int64_t M = pairs.size(-2), rows = pairs.numel() / (2 * M);
  std::vector<T> out(v.size());
  to_planar(v.data(), rows, M, out.data());
  return out;
}
}  // namespace

template <typename T>
SpikingBlockStep<T>::SpikingBlockStep(const SpikingSSMBlockImpl& b, bool c_folded) {
  torch::NoGradGuard ng;
  const auto& s4 = *b.s4d;
  H = s4.options.d_model();
  M = s4.options.d_state() / 2;
  spiking = b.options.spiking();
  n_mix = b.options.linear_mix() ? H : 2 * H;
  if (c_folded) {
    torch::Tensor wt, zt;
    s4.mode_weights(wt, zt);  // C Bbar (1, H, M, 2), exp(dt A) (H, M, 2)
    w = planar<T>(wt[0]);
    z = planar<T>(zt);
  } else {
    torch::Tensor dta, dtb;
    s4.discretise(dta, dtb);
    z = planar<T>(torch::exp(dta));
    w = planar<T>(dtb);
    c = planar<T>(s4.c[0]);
  }
  d = values_of<T>(s4.d);
  auto& f = fixed;
  f.H = H;
  f.M = M;
  f.prenorm = b.options.prenorm();
  if (b.layer_norm) {
    const auto& ln = *b.layer_norm;
    f.norm.kind = kernels::StepNorm::Layer;
    f.norm.eps = T(ln.options.eps());
    norm_w = ln.weight.defined() ? values_of<T>(ln.weight) : std::vector<T>(size_t(H), T(1));
    norm_b = ln.bias.defined() ? values_of<T>(ln.bias) : std::vector<T>(size_t(H), T(0));
  } else if (b.batch_norm) {
    // Inference BatchNorm: (x - mean) / sqrt(var + eps) * gamma + beta = x scale + shift.
    const auto& bn = *b.batch_norm;
    f.norm.kind = kernels::StepNorm::Affine;
    auto mean = bn.running_mean.to(torch::kDouble), var = bn.running_var.to(torch::kDouble);
    auto scale = torch::rsqrt(var + bn.options.eps());
    if (bn.weight.defined()) scale = scale * bn.weight.to(torch::kDouble);
    auto shift = -mean * scale;
    if (bn.bias.defined()) shift = shift + bn.bias.to(torch::kDouble);
    norm_w = values_of<T>(scale);
    norm_b = values_of<T>(shift);
  }
  f.norm.w = norm_w.data();
  f.norm.b = norm_b.data();
  f.z = z.data();
  f.w = w.data();
  f.c = c.empty() ? nullptr : c.data();
  f.d = d.data();
  f.spiking = spiking;
  if (spiking) {
    inv_vth = values_of<T>(torch::exp(-b.ln_vth));  // the block's own y * exp(-ln_vth)
    const auto& lif = b.options.lif();
    f.tau = T(double(lif.tau));
    f.v_th = T(double(lif.v_th));
    f.hard_reset = lif.reset == ResetMode::Hard;
    f.inv_vth = inv_vth.data();
  }
  mix_wt = values_of<T>(b.mix->weight.t());  // (H, n_mix)
  mix_b = values_of<T>(b.mix->bias);
  f.mix_wt = mix_wt.data();
  f.mix_b = mix_b.data();
  f.glu = !b.options.linear_mix();
}

template <typename T>
kernels::SsmBlockStepParams<T> SpikingBlockStep<T>::params(T* s, T* v, T* x,
                                                           StepScratch<T>& scratch) const {
  auto p = fixed;
  p.s = s;
  p.v = v;
  p.x = x;
  p.u = scratch.u.data();
  p.a = scratch.a.data();
  p.m = scratch.m.data();
  p.active = scratch.active.data();
  return p;
}

template struct StepScratch<float>;
template struct StepScratch<double>;
template struct SpikingBlockStep<float>;
template struct SpikingBlockStep<double>;
template std::vector<float> values_of<float>(const torch::Tensor&);
template std::vector<double> values_of<double>(const torch::Tensor&);
template void to_planar<float>(const float*, int64_t, int64_t, float*);
template void to_planar<double>(const double*, int64_t, int64_t, double*);
template void from_planar<float>(const float*, int64_t, int64_t, float*);
template void from_planar<double>(const double*, int64_t, int64_t, double*);

}  // namespace spikessm
