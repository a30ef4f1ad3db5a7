// The objective of the language models: next-token cross-entropy (+ the model's auxiliary
// loss) over seeded windows of the training stream, monitored on the validation text every
// lm.eval_every steps.
#include <cstdio>

#include "spikessm/common/atomic_file.h"
#include "spikessm/text/lm_batches.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/lm_eval.h"
#include "spikessm/train/trainer.h"
#include "objectives.h"

namespace spikessm {
namespace {

class LmObjective : public Objective {
 public:
  LmObjective(const TrainOptions& o, LmData data, LanguageModel model)
      : out_dir_(o.loop.out_dir),
        windows_(o.lm.windows),
        seed_(o.loop.seed),
        batch_(o.loop.batch),
        context_(o.lm.context),
        eval_batch_(o.eval_batch),
        eval_every_(o.lm.eval_every),
        valid_max_chars_(o.lm.valid_max_chars),
        data_(std::move(data)),
        model_(std::move(model)) {}

  torch::nn::Module& model() override { return *model_; }
  int64_t steps_per_epoch() const override {
    return std::max<int64_t>(1, data_.train.size(0) / (batch_ * context_));
  }
  int64_t units_per_step() const override { return batch_ * context_; }
  bool reports_accuracy() const override { return false; }

  void print_plan(int64_t total, int world) const override {
    int64_t n = 0;
    for (const auto& p : model_->parameters()) n += p.numel();
    std::fprintf(
        stderr,
        "data: %s; %s tokenizer, vocabulary %lld; %lld/%lld/%lld tokens\n"
        "model: %s%s, %lld parameters; %lld steps of %lld x %lld tokens (%lld per epoch)%s\n",
        data_.corpus.description.c_str(), data_.tokenizer->kind().c_str(),
        (long long)data_.tokenizer->vocab_size(), (long long)data_.train.size(0),
        (long long)data_.valid.size(0), (long long)data_.test.size(0), model_->family().c_str(),
        model_->spiking() ? "" : " (non-spiking)", (long long)n, (long long)total,
        (long long)batch_, (long long)context_, (long long)steps_per_epoch(),
        world > 1 ? (" on " + std::to_string(world) + " ranks").c_str() : "");
  }

  void select_batch(int64_t step, int rank, int world) override {
    batch_data_ = lm_train_batch(data_.train, batch_, context_, seed_, step);
    const int64_t local = batch_ / world;
    batch_data_.x = batch_data_.x.narrow(0, rank * local, local);
    batch_data_.y = batch_data_.y.narrow(0, rank * local, local);
    world_ = world;
  }
  uint64_t dropout_seed(int64_t step) const override {
    return seed_ ^ (0x5EEDull + uint64_t(step) * 0x9E3779B97F4A7C15ull);
  }

  StepLoss loss() override {
    auto logits = model_->forward(batch_data_.x);  // (B, L, V)
    StepLoss s;
    s.loss = torch::cross_entropy_loss(logits.reshape({-1, logits.size(2)}),
                                       batch_data_.y.reshape({-1}));
    s.loss = s.loss + model_->aux_loss();  // after forward(): NeuronSpark's PonderNet cost, else 0
    s.weight = 1.0 / double(world_);
    return s;
  }
  void after_backward() override { model_->adjust_gradients(); }

  nlohmann::json data_order(int64_t, int world) const override {
    return {{"seed", seed_},       {"global_batch", batch_},
            {"context", context_}, {"train_tokens", data_.train.size(0)},
            {"world_size", world}, {"tokenizer", data_.tokenizer->kind()}};
  }
  std::vector<std::string> resume_keys() const override {
    return {"seed", "global_batch", "context", "train_tokens"};
  }

  bool checkpoint_at_epoch_end() const override { return false; }
  bool monitor_due(int64_t done, int64_t) const override {
    return eval_every_ > 0 && done % eval_every_ == 0;
  }

  nlohmann::json monitor(int64_t done, Distributed& dist) override {
    auto r = evaluate_text(text_prefix(data_.corpus.valid, valid_max_chars_), false);
    if (dist.is_root())
      std::fprintf(stderr, "step %lld: valid nll %.4f, word ppl %.2f, %.4f bits/byte\n",
                   (long long)done, r.nll(), r.word_ppl(), r.bits_per_byte());
    auto j = r.to_json();
    j["kind"] = "eval";
    j["split"] = "valid";
    j["step"] = done;
    return j;
  }

  void on_new_run(const std::string& out_dir) override { data_.tokenizer->save(out_dir); }

  nlohmann::json final_test(int64_t total, TrainResult& result) override {
    result.lm_test = evaluate_text(data_.corpus.test, true);
    auto j = result.lm_test.to_json();
    j["kind"] = "eval";
    j["split"] = "test";
    j["step"] = total;
    j["train_seconds"] = result.train_seconds;
    auto stats = j;
    stats["parameters"] = result.parameters;
    stats["family"] = model_->family();
    stats["spiking"] = model_->spiking();
    const std::string stats_file = out_dir_ + "/lm_stats.json";
    write_file_atomic(stats_file, stats.dump(2) + "\n");
    char head[512];
    std::snprintf(head, sizeof head,
                  "trained %lld steps in %.1f s (%lld parameters; %s; %s tokenizer)\n",
                  (long long)total, result.train_seconds, (long long)result.parameters,
                  data_.corpus.description.c_str(), data_.tokenizer->kind().c_str());
    result.report = head + lm_eval_text(result.lm_test, "test") + "checkpoint " +
                    checkpoint_path(out_dir_) + "\nmetrics " + metrics_path(out_dir_) +
                    "\nstatistics " + stats_file + "\n";
    return j;
  }

 private:
  LmEvalResult evaluate_text(const std::string& text, bool final) {
    auto ids = to_token_tensor(data_.tokenizer->encode(text));
    return evaluate_lm(*model_, ids, windows_.context, windows_.stride, eval_batch_,
                       int64_t(text.size()), count_words(text), final, final);
  }

  const std::string out_dir_;
  const LmEvalWindows windows_;
  const uint64_t seed_;
  const int64_t batch_, context_, eval_batch_, eval_every_, valid_max_chars_;
  LmData data_;
  LanguageModel model_;
  LmBatch batch_data_;
  int world_ = 1;
};

}  // namespace

std::unique_ptr<Objective> make_lm_objective(const TrainOptions& o, LmData data,
                                             LanguageModel model) {
  return std::make_unique<LmObjective>(o, std::move(data), std::move(model));
}

}  // namespace spikessm
