// The objective of the classifiers (sequence and vision): cross-entropy over a seeded
// permutation of the training set per epoch, accuracy, monitoring at the end of each epoch.
#include <cstdio>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/common/progress.h"
#include "spikessm/data/image_task.h"
#include "spikessm/data/pixel_sequence.h"
#include "spikessm/data/task.h"
#include "spikessm/train/trainer.h"
#include "objectives.h"
#include "seeds.h"
#include "target_scores.h"

namespace spikessm {

EvalResult evaluate(SequenceClassifier& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress, bool keep_logits) {
  return evaluate(*model, x, y, batch_size, with_stats, show_progress, keep_logits);
}

EvalResult evaluate(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress, bool keep_logits) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  model.set_collect_stats(with_stats);
  const int64_t n = x.size(0);
  const bool regression = y.is_floating_point(), per_step = per_step_targets(y);
  double loss_sum = 0, abs_sum = 0;
  int64_t correct = 0, units = 0, values = 0;
  Progress bar("eval ", n);
  std::vector<torch::Tensor> kept;
  for (int64_t i = 0; i < n; i += batch_size) {
    const int64_t b = std::min(batch_size, n - i);
    auto logits = model.forward(x.narrow(0, i, b));
    const auto s = score_targets(logits, y.narrow(0, i, b));
    if (keep_logits && per_step)  // (b, L', K) -> (b, L, K): NaN at the steps cut off
      logits = torch::constant_pad_nd(logits, {0, 0, 0, y.size(1) - logits.size(1)}, NAN);
    if (keep_logits) kept.push_back(logits);
    loss_sum += s.loss_sum();
    abs_sum += s.abs_sum;
    correct += s.correct;
    units += s.units;
    values += s.values;
    if (show_progress && regression) {
      bar.update(i + b, i + b, "");
    } else if (show_progress) {
      char extra[64];
      std::snprintf(extra, sizeof extra, "acc %.4f", double(correct) / double(units));
      bar.update(i + b, i + b, extra);
    }
  }
  if (show_progress) bar.finish();
  EvalResult r;
  r.samples = n;
  r.units = units;
  r.per_step = per_step;
  r.loss = loss_sum / double(std::max<int64_t>(units, 1));
  r.accuracy = double(correct) / double(std::max<int64_t>(units, 1));
  if (regression && n > 0) {
    const double sst = target_sum_of_squares(y);  // per target
    r.regression = true;
    r.loss = loss_sum / double(values);  // the mean over every value, as torch's mse_loss
    r.mae = abs_sum / double(values);
    r.r2 = sst > 0 ? 1.0 - loss_sum / sst : 0.0;
  }
  if (keep_logits && !kept.empty()) r.logits = torch::cat(kept, 0);
  if (with_stats) r.ops = model.ops_report(x.size(1));
  model.set_collect_stats(false);
  model.train(was_training);
  return r;
}

std::string eval_headline(const EvalResult& r) {
  char line[200];
  const char* kind = r.per_step ? "per-step " : "";
  const std::string count = r.per_step ? std::to_string(r.units) + " steps of " : "";
  if (r.regression)
    std::snprintf(line, sizeof line, "test %smse %.6g mae %.6g r2 %.4f (%s%lld samples)\n", kind,
                  r.loss, r.mae, r.r2, count.c_str(), (long long)r.samples);
  else
    std::snprintf(line, sizeof line, "test %saccuracy %.4f (loss %.4f, %s%lld samples)\n", kind,
                  r.accuracy, r.loss, count.c_str(), (long long)r.samples);
  return line;
}

namespace {

// Evaluation split over ranks: each evaluates a contiguous slice, the sums are allreduced.
// One rank: exactly evaluate().
EvalResult evaluate_sharded(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                            int64_t batch_size, Distributed& dist) {
  if (dist.world_size() == 1) return evaluate(model, x, y, batch_size, false, false);
  const int64_t n = x.size(0), w = dist.world_size(), r = dist.rank();
  const int64_t lo = n * r / w, hi = n * (r + 1) / w;
  EvalResult part;
  if (hi > lo)
    part = evaluate(model, x.narrow(0, lo, hi - lo), y.narrow(0, lo, hi - lo), batch_size, false,
                    false);
  // weighted by the predictions scored (rows, or valid steps of per-step targets)
  const double u = double(part.units);
  auto sums =
      torch::tensor({part.loss * u, part.accuracy * u, u, double(hi - lo)}, torch::kFloat64);
  dist.allreduce_sum(sums, "evaluation");
  EvalResult out;
  out.samples = int64_t(sums[3].item<double>());
  out.units = int64_t(sums[2].item<double>());
  out.loss = sums[0].item<double>() / std::max(1.0, sums[2].item<double>());
  out.accuracy = sums[1].item<double>() / std::max(1.0, sums[2].item<double>());
  return out;
}

class ClassifierObjective : public Objective {
 public:
  ClassifierObjective(const TrainOptions& o, Task task, Classifier model)
      : out_dir_(o.loop.out_dir),
        seed_(o.loop.seed),
        batch_(o.loop.batch),
        eval_batch_(o.eval_batch),
        task_(std::move(task)),
        model_(std::move(model)),
        n_train_(task_.train_x.size(0)),
        regression_(task_.train_y.is_floating_point()) {
    require(
        n_train_ >= batch_, "train.batch_size",
        std::to_string(batch_) + " exceeds the " + std::to_string(n_train_) + " training samples");
  }

  torch::nn::Module& model() override { return *model_; }
  int64_t steps_per_epoch() const override { return n_train_ / batch_; }
  int64_t units_per_step() const override { return batch_; }
  bool reports_accuracy() const override { return !regression_; }

  void print_plan(int64_t total, int world) const override {
    int64_t n = 0;
    for (const auto& p : model_->parameters()) n += p.numel();
    std::fprintf(stderr,
                 "data: %s\nmodel: %lld parameters; %lld steps of batch %lld (%lld per epoch)%s\n",
                 task_.description.c_str(), (long long)n, (long long)total, (long long)batch_,
                 (long long)steps_per_epoch(),
                 world > 1 ? (" on " + std::to_string(world) + " ranks").c_str() : "");
  }

  void select_batch(int64_t step, int rank, int world) override {
    const int64_t per_epoch = steps_per_epoch(), epoch = step / per_epoch, i = step % per_epoch;
    if (epoch != order_epoch_) {  // data order depends only on (seed, epoch): exact resume
      order_ = pixel_permutation(n_train_, mix_seed(seed_, uint64_t(epoch)));
      order_epoch_ = epoch;
    }
    const int64_t local = batch_ / world;
    auto idx = order_.narrow(0, i * batch_ + rank * local, local);
    x_ = task_.train_x.index_select(0, idx);
    y_ = task_.train_y.index_select(0, idx);
    if (task_.batch_shift.defined())  // a training input too large to standardise whole
      x_ = (x_ - task_.batch_shift) / task_.batch_scale;
    if (task_.crop_pad > 0 || task_.hflip)  // image augmentation, seeded per step and rank
      x_ = augment_images(x_, task_.crop_pad, task_.hflip,
                          mix_seed(seed_ ^ 0xA06, uint64_t(step) * 4096 + uint64_t(rank)));
  }
  uint64_t dropout_seed(int64_t step) const override {
    return mix_seed(seed_ ^ 0x5EED, uint64_t(step));
  }

  StepLoss loss() override {
    const auto r = score_targets(model_->forward(x_), y_);
    StepLoss s;
    s.loss = r.loss;
    s.weight = double(r.units);  // rows, or valid steps of per-step targets
    s.correct = double(r.correct);
    return s;
  }

  nlohmann::json data_order(int64_t step, int world) const override {
    const int64_t per_epoch = steps_per_epoch();
    return {
        {"seed", seed_},          {"epoch", step / per_epoch}, {"batch_in_epoch", step % per_epoch},
        {"global_batch", batch_}, {"train_samples", n_train_}, {"world_size", world}};
  }
  std::vector<std::string> resume_keys() const override {
    return {"seed", "global_batch", "train_samples"};
  }
  void add_checkpoint_state(nlohmann::json& state) const override {
    state["model_input"] = to_json(task_.model_input());
    if (!task_.stats.empty()) state["train_split"] = to_json(task_.stats);
  }

  bool checkpoint_at_epoch_end() const override { return true; }
  bool monitor_due(int64_t done, int64_t) const override { return done % steps_per_epoch() == 0; }

  // Monitors the validation split where the task has one, so that the test split is read once,
  // at the end; tasks without one (MNIST, Fashion-MNIST) monitor on test.
  nlohmann::json monitor(int64_t done, Distributed& dist) override {
    const bool has_val = task_.val_x.defined() && task_.val_x.size(0) > 0;
    const char* split = has_val ? "val" : "test";
    const EvalResult r = evaluate_sharded(*model_, has_val ? task_.val_x : task_.test_x,
                                          has_val ? task_.val_y : task_.test_y, eval_batch_, dist);
    const int64_t epoch = done / steps_per_epoch();
    if (dist.is_root() && regression_)
      std::fprintf(stderr, "epoch %lld: %s mse %.6g\n", (long long)epoch, split, r.loss);
    else if (dist.is_root())
      std::fprintf(stderr, "epoch %lld: %s %saccuracy %.4f loss %.4f\n", (long long)epoch, split,
                   per_step_targets(task_.train_y) ? "per-step " : "", r.accuracy, r.loss);
    return {{"kind", "eval"}, {"split", split},         {"step", done},        {"epoch", epoch},
            {"loss", r.loss}, {"accuracy", r.accuracy}, {"samples", r.samples}};
  }

  nlohmann::json final_test(int64_t total, TrainResult& result) override {
    result.test = evaluate(*model_, task_.test_x, task_.test_y, eval_batch_, true, false);
    const EvalResult& t = result.test;
    auto stats = t.ops.to_json();
    stats["accuracy"] = t.accuracy;
    if (t.regression) stats.update({{"mse", t.loss}, {"mae", t.mae}, {"r2", t.r2}});
    stats["split"] = "test";
    stats["samples"] = t.samples;
    if (t.per_step) stats.update({{"per_step", true}, {"steps", t.units}});
    const std::string stats_file = out_dir_ + "/spike_stats.json";
    write_file_atomic(stats_file, stats.dump(2) + "\n");
    char head[80];
    std::snprintf(head, sizeof head, "trained %lld steps in %.1f s\n", (long long)total,
                  result.train_seconds);
    result.report = head + eval_headline(t) + t.ops.to_table() + "checkpoint " +
                    checkpoint_path(out_dir_) + "\nmetrics " + metrics_path(out_dir_) +
                    "\nspike statistics " + stats_file + "\n";
    nlohmann::json line = {{"kind", "eval"},
                           {"split", "test"},
                           {"step", total},
                           {"loss", t.loss},
                           {"accuracy", t.accuracy},
                           {"mean_spiking_rate", t.ops.mean_rate},
                           {"train_seconds", result.train_seconds}};
    if (t.regression) line.update({{"mse", t.loss}, {"mae", t.mae}, {"r2", t.r2}});
    if (t.per_step) line["per_step"] = true;
    return line;
  }

 private:
  const std::string out_dir_;
  const uint64_t seed_;
  const int64_t batch_, eval_batch_;
  Task task_;
  Classifier model_;
  const int64_t n_train_;
  const bool regression_;  // float targets (a row's or a step's): MSE instead of cross-entropy
  torch::Tensor order_, x_, y_;
  int64_t order_epoch_ = -1;
};

}  // namespace

std::unique_ptr<Objective> make_classifier_objective(const TrainOptions& o, Task task,
                                                     Classifier model) {
  return std::make_unique<ClassifierObjective>(o, std::move(task), std::move(model));
}

}  // namespace spikessm
