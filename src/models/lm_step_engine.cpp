#include "spikessm/models/lm_step_engine.h"

#include "../kernels/cpu/matvec_cpu.h"
#include "block_step.h"
#include "neuronspark_step.h"
#include "spikessm/models/spiking_ssm_lm.h"

namespace spikessm {
namespace {

// spiking_ssm_lm: embedding row -> blocks -> final LayerNorm -> x E^T.
template <typename T>
class SpikingSsmLmStep final : public LmStepEngine {
 public:
  explicit SpikingSsmLmStep(SpikingSsmLmImpl& m) : spiking_(m.spiking()) {
    torch::NoGradGuard ng;
    H_ = m.embed->weight.size(1);
    vocab_ = m.embed->weight.size(0);
    embed_ = values_of<T>(m.embed->weight);        // (V, H)
    head_wt_ = values_of<T>(m.embed->weight.t());  // (H, V)
    final_w_ = values_of<T>(m.final_norm->weight);
    final_b_ = values_of<T>(m.final_norm->bias);
    final_.kind = kernels::StepNorm::Layer;
    final_.w = final_w_.data();
    final_.b = final_b_.data();
    final_.eps = T(m.final_norm->options.eps());
    for (const auto& b : m.blocks) blocks_.emplace_back(*b, /*c_folded=*/false);
    scratch_.fit(H_, 2 * H_);
    x_.resize(size_t(H_));
    xn_.resize(size_t(H_));
    dtype_ = std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
  }

  void load_state(const LmState& st) override {
    const size_t per = spiking_ ? 2 : 1;
    TORCH_CHECK(st.tensors.size() == per * blocks_.size(), "[LmStepEngine] the state has ",
                st.tensors.size(), " tensors, expected ", per * blocks_.size());
    batch_ = st.tensors[0].size(0);
    s_.assign(blocks_.size(), {});
    v_.assign(blocks_.size(), {});
    for (size_t l = 0; l < blocks_.size(); ++l) {
      const auto& bl = blocks_[l];
      const auto h = st.tensors[l * per];  // (B, H, M) complex
      TORCH_CHECK(h.dim() == 3 && h.size(0) == batch_ && h.size(1) == H_ && h.size(2) == bl.M,
                  "[LmStepEngine] S4D state ", l, " has shape ", h.sizes());
      const auto vals = values_of<T>(torch::view_as_real(h));
      s_[l].resize(vals.size());
      to_planar(vals.data(), batch_ * H_, bl.M, s_[l].data());
      if (spiking_) v_[l] = values_of<T>(st.tensors[l * per + 1]);  // (B, H)
    }
    logits_ = torch::empty({batch_, vocab_}, dtype_);
  }

  void store_state(LmState* st) const override {
    const size_t per = spiking_ ? 2 : 1;
    st->tensors.resize(per * blocks_.size());
    const auto complex = std::is_same_v<T, float> ? torch::kComplexFloat : torch::kComplexDouble;
    for (size_t l = 0; l < blocks_.size(); ++l) {
      const int64_t M = blocks_[l].M;
      auto h = torch::empty({batch_, H_, M}, complex);
      from_planar(s_[l].data(), batch_ * H_, M, torch::view_as_real(h).template data_ptr<T>());
      st->tensors[l * per] = h;
      if (spiking_)
        st->tensors[l * per + 1] =
            torch::from_blob(const_cast<T*>(v_[l].data()), {batch_, H_}, dtype_).clone();
    }
  }

 private:
  void row(int64_t b, int64_t id) override {
    T* x = x_.data();
    std::copy(embed_.begin() + id * H_, embed_.begin() + (id + 1) * H_, x);
    for (size_t l = 0; l < blocks_.size(); ++l) {
      const auto& bl = blocks_[l];
      T* v = spiking_ ? v_[l].data() + b * H_ : nullptr;
      kernels::ssm_block_step_cpu(bl.params(s_[l].data() + b * H_ * 2 * bl.M, v, x, scratch_));
    }
    kernels::channel_norm_cpu(final_, H_, x, xn_.data());
    kernels::matvec_cpu(xn_.data(), H_, head_wt_.data(), static_cast<const T*>(nullptr), vocab_,
                        scratch_.active.data(), logits_.data_ptr<T>() + b * vocab_);
  }

  bool spiking_;
  int64_t H_ = 0;
  torch::Dtype dtype_;
  std::vector<T> embed_, head_wt_, final_w_, final_b_, x_, xn_;
  kernels::ChannelNormParams<T> final_;
  std::vector<SpikingBlockStep<T>> blocks_;
  std::vector<std::vector<T>> s_, v_;  // per layer: (B, H, 2, M) planar, (B, H)
  StepScratch<T> scratch_;
};

}  // namespace

void LmStepEngine::step_row(int64_t b, int64_t id) {
  TORCH_CHECK(id >= 0 && id < vocab_, "[LmStepEngine] token id ", id, " outside [0, ", vocab_, ")");
  row(b, id);
}

torch::Tensor LmStepEngine::step(const torch::Tensor& ids) {
  TORCH_CHECK(ids.dim() == 1 && ids.size(0) == batch_ && ids.scalar_type() == torch::kLong,
              "[LmStepEngine] ids must be (", batch_, ",) int64, got ", ids.sizes());
  const auto acc = ids.accessor<int64_t, 1>();
  for (int64_t b = 0; b < batch_; ++b) step_row(b, acc[b]);
  return logits_;
}

torch::Tensor LmStepEngine::step(int64_t id) {
  TORCH_CHECK(batch_ == 1, "[LmStepEngine] step(id) is for one sequence; the state holds ", batch_);
  step_row(0, id);
  return logits_;
}

std::unique_ptr<LmStepEngine> LmStepEngine::build(LanguageModelImpl& model) {
  if (model.stats().on()) return nullptr;  // statistics come from the step path only
  if (auto* ns = dynamic_cast<NeuronSparkLmImpl*>(&model)) {
    if (!ns->embedding.device().is_cpu()) return nullptr;
    ns->eval();
    return neuronspark_step_engine(*ns);
  }
  auto* m = dynamic_cast<SpikingSsmLmImpl*>(&model);
  if (m == nullptr || !m->embed->weight.device().is_cpu()) return nullptr;
  m->eval();
  const auto dtype = m->embed->weight.scalar_type();
  if (dtype == torch::kFloat) return std::make_unique<SpikingSsmLmStep<float>>(*m);
  if (dtype == torch::kDouble) return std::make_unique<SpikingSsmLmStep<double>>(*m);
  return nullptr;
}

}  // namespace spikessm
