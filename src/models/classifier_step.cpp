#include "classifier_step.h"

#include "../kernels/cpu/matvec_cpu.h"
#include "block_step.h"

namespace spikessm {
namespace {

template <typename T>
class SpikingClassifierStep final : public ClassifierStepEngine {
 public:
  explicit SpikingClassifierStep(const SequenceClassifierImpl& m) {
    torch::NoGradGuard ng;
    H_ = m.d_model();
    d_in_ = m.options.d_input();
    n_classes_ = m.options.n_classes();
    enc_wt_ = values_of<T>(m.encoder->weight.t());  // (d_in, H)
    enc_b_ = values_of<T>(m.encoder->bias);
    dec_wt_ = values_of<T>(m.decoder->weight.t());  // (H, n_classes)
    dec_b_ = values_of<T>(m.decoder->bias);
    for (const auto& b : m.layers()) blocks_.emplace_back(*b, /*c_folded=*/true);
    lif_ = blocks_.front().spiking;
    scratch_.fit(std::max(H_, d_in_), 2 * H_);
    x_.resize(size_t(H_));
    mean_.resize(size_t(H_));
    s_.resize(blocks_.size());
  }

  torch::Tensor run(const torch::Tensor& x_in, ClassifierState& s) override {
    const auto x = x_in.contiguous();
    const int64_t B = x.size(0), L = x.size(1);
    const size_t per = lif_ ? 2 : 1;
    const auto dtype = std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
    bool fits = s.blocks.size() == per * blocks_.size() && s.pooled_sum.is_contiguous() &&
                s.pooled_sum.scalar_type() == torch::kDouble && s.pooled_sum.numel() == B * H_;
    for (size_t i = 0; fits && i < s.blocks.size(); ++i)
      fits = s.blocks[i].is_contiguous() && s.blocks[i].scalar_type() == dtype &&
             s.blocks[i].numel() == B * H_ * (i % per == 0 ? 2 * blocks_[i / per].M : 1);
    TORCH_CHECK(fits, "[ClassifierStream] the state does not fit this model (see check_state)");
    for (size_t l = 0; l < blocks_.size(); ++l) {  // (B, H, M, 2) -> planar (B, H, 2, M)
      s_[l].resize(size_t(B * H_ * 2 * blocks_[l].M));
      to_planar(s.blocks[l * per].data_ptr<T>(), B * H_, blocks_[l].M, s_[l].data());
    }
    double* pooled = s.pooled_sum.data_ptr<double>();
    const T* xp = x.data_ptr<T>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < L; ++t) {
        T* h = x_.data();
        kernels::matvec_cpu(xp + (b * L + t) * d_in_, d_in_, enc_wt_.data(), enc_b_.data(), H_,
                            scratch_.active.data(), h);
        for (size_t l = 0; l < blocks_.size(); ++l) {
          const auto& bl = blocks_[l];
          T* v = lif_ ? s.blocks[l * per + 1].data_ptr<T>() + b * H_ : nullptr;
          kernels::ssm_block_step_cpu(bl.params(s_[l].data() + b * H_ * 2 * bl.M, v, h, scratch_));
        }
        for (int64_t j = 0; j < H_; ++j) pooled[b * H_ + j] += double(h[j]);
      }
    for (size_t l = 0; l < blocks_.size(); ++l)
      from_planar(s_[l].data(), B * H_, blocks_[l].M, s.blocks[l * per].data_ptr<T>());
    s.steps += L;
    // The running mean, decoded: (B, H) -> (B, n_classes).
    auto out = torch::empty({B, n_classes_}, x.options());
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H_; ++j) mean_[j] = T(pooled[b * H_ + j] / double(s.steps));
      kernels::matvec_cpu(mean_.data(), H_, dec_wt_.data(), dec_b_.data(), n_classes_,
                          scratch_.active.data(), out.data_ptr<T>() + b * n_classes_);
    }
    return out;
  }

 private:
  int64_t H_ = 0, d_in_ = 0, n_classes_ = 0;
  bool lif_ = false;
  std::vector<T> enc_wt_, enc_b_, dec_wt_, dec_b_, x_, mean_;
  std::vector<SpikingBlockStep<T>> blocks_;
  std::vector<std::vector<T>> s_;  // per block: (B, H, 2, M) planar
  StepScratch<T> scratch_;
};

}  // namespace

std::shared_ptr<ClassifierStepEngine> ClassifierStepEngine::build(const SequenceClassifierImpl& m) {
  if (m.options.block_kind() != BlockKind::SpikingSSM || !m.encoder || m.layers().empty())
    return nullptr;
  for (const auto& b : m.layers())
    if (!block_step_refusal(*b).empty()) return nullptr;
  const auto dtype = m.encoder->weight.scalar_type();
  if (!m.encoder->weight.device().is_cpu()) return nullptr;
  if (dtype == torch::kFloat) return std::make_shared<SpikingClassifierStep<float>>(m);
  if (dtype == torch::kDouble) return std::make_shared<SpikingClassifierStep<double>>(m);
  return nullptr;
}

}  // namespace spikessm
