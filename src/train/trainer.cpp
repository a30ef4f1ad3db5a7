// The one training loop: optimizer, schedule, data parallelism, numerical guard, time budget,
// checkpoints, resume and metrics, over the Objective of a model family (train/objective.h).
#include "spikessm/train/trainer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/common/progress.h"
#include "spikessm/common/version.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/guard.h"
#include "spikessm/train/objective.h"
#include "spikessm/train/optimizer.h"
#include "spikessm/train/schedule.h"
#include "spikessm/train/train_options.h"
#include "metrics_log.h"
#include "run_dir.h"
#include "seeds.h"
#include "train_clock.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

// Sums over the steps since the last "train" metrics line.
struct Window {
  double loss = 0, weight = 0, correct = 0;
  double mean_loss() const { return loss / weight; }
  double accuracy() const { return correct / weight; }
};

// The total gradient norm (NaN/Inf when any gradient is), clipped to max_norm when > 0.
double clipped_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  return torch::nn::utils::clip_grad_norm_(
      params, max_norm > 0 ? max_norm : std::numeric_limits<double>::infinity());
}

class TrainLoop {
 public:
  TrainLoop(const Config& cfg, const TrainRunOptions& run)
      : cfg_(cfg),
        opts_(train_options(cfg)),
        o_(opts_.loop),
        inject_(FaultInjection::parse(o_.inject_nonfinite, "train.inject_nonfinite")),
        guard_(o_.max_bad_steps) {
    if (run.dist.rank == 0) run_dir_.emplace(o_.out_dir);  // rank 0 writes the run directory
    const bool have_ckpt = existing_run(ckpt(), run);
    // Anything but a resumed checkpoint is a new run, staged until its first checkpoint.
    if (run_dir_ && !(run.resume && have_ckpt)) run_dir_->start_new_run();
    torch::manual_seed(o_.seed);
    obj_ = make_objective(cfg, opts_, run.resume && have_ckpt);
    opt_ = make_optimizer(obj_->model(), opts_.optimizer, base_lrs_);
    require(o_.batch % run.dist.world_size == 0, "train.batch_size",
            std::to_string(o_.batch) + " is not divisible by the " +
                std::to_string(run.dist.world_size) + " ranks (the global batch is split evenly)");
    // The rendezvous follows data loading, so the ranks meet ready to train.
    DistOptions d = run.dist;
    d.timeout_s = o_.dist_timeout_s;
    dist_.emplace(d);
    per_epoch_ = obj_->steps_per_epoch();
    total_ = o_.epochs * per_epoch_;
    if (o_.max_steps > 0) total_ = std::min(total_, o_.max_steps);
    if (run.resume) resume(have_ckpt);
    dist_->broadcast_module(obj_->model());
    dist_->check_parameters_equal(obj_->model(), "at the start");
    open_run_dir();
  }

  TrainResult run();

 private:
  bool root() const { return dist_->is_root(); }
  // The run's files: in its staging directory until its first checkpoint (rank 0).
  std::string dir() const { return run_dir_ ? run_dir_->path() : o_.out_dir; }
  std::string ckpt() const { return dir() + "/checkpoint.pt"; }
  std::string metrics() const { return dir() + "/metrics.jsonl"; }
  void resume(bool have_ckpt);
  void check_resume_state(const nlohmann::json& st, const std::string& where) const;
  void open_run_dir();
  void save(int64_t steps_done);
  void log(const nlohmann::json& j) {
    if (root()) append_metric(metrics(), j);
  }
  bool out_of_time();
  bool train_step(int64_t step);  // false: the step was skipped (non-finite)
  void skip_step(int64_t step, bool loss_ok);
  void after_step(int64_t step, double grad_norm, double lr_factor);
  bool checkpoint_due(int64_t done) const {
    return done == total_ || (o_.checkpoint_every > 0 && done % o_.checkpoint_every == 0) ||
           (obj_->checkpoint_at_epoch_end() && done % per_epoch_ == 0);
  }

  const Config& cfg_;  // saved with every checkpoint and as config.toml
  const TrainOptions opts_;
  const LoopOptions& o_;
  const FaultInjection inject_;
  NumericalGuard guard_;
  std::optional<RunDir> run_dir_;
  std::optional<Distributed> dist_;
  std::unique_ptr<Objective> obj_;
  std::vector<double> base_lrs_;
  std::unique_ptr<torch::optim::AdamW> opt_;
  std::vector<torch::Tensor> params_;
  int64_t per_epoch_ = 1, total_ = 0, step_ = 0, start_step_ = 0;
  double now_ = 0;  // training seconds at the start of the current step (rank 0's)
  TrainClock clock_;
  Window window_;
  std::optional<Progress> bar_;
};

void TrainLoop::resume(bool have_ckpt) {
  // Rank 0 picks the newest checkpoint that verifies and sends its bytes to every rank (none:
  // an empty message), so a multi-machine run needs no shared file system.
  std::string path, bytes;
  if (root() && have_ckpt) {
    path = find_resumable_checkpoint(ckpt());
    bytes = read_checkpoint_file(path);
  }
  bytes = dist_->broadcast_bytes(bytes, "the checkpoint");
  if (bytes.empty()) {
    if (root())
      std::fprintf(stderr, "--resume: no checkpoint at %s, starting from scratch\n",
                   ckpt().c_str());
    return;
  }
  if (!root()) path = ckpt() + " (from rank 0)";
  const CheckpointMeta meta = load_checkpoint_bytes(bytes, path, obj_->model(), opt_.get());
  step_ = meta.step;
  try {
    check_resume_state(meta.state, path);
    guard_.restore(meta.state.value("guard", nlohmann::json::object()));
    clock_.resume_from(meta.state.value("train_seconds", 0.0));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": checkpoint trainer state is malformed (" + std::string(e.what()) +
                     ")");
  }
  restore_rng_state(meta.rng_state, path);
  if (root()) std::fprintf(stderr, "resuming %s at step %lld\n", path.c_str(), (long long)step_);
}

// A resumed run must continue the same data order and schedule, or it is not the same run.
void TrainLoop::check_resume_state(const nlohmann::json& st, const std::string& where) const {
  if (!st.contains("data_order")) return;
  const auto& saved = st["data_order"];
  const auto now = obj_->data_order(step_, dist_->world_size());
  for (const auto& key : obj_->resume_keys()) {
    const int64_t have = now.at(key).get<int64_t>(), was = saved.value(key, have);
    if (was != have)
      throw InputError(where + ": checkpoint was written with " + key + " " + std::to_string(was) +
                       ", this run has " + std::to_string(have) +
                       " (the data order would change; resume with the same config and data)");
  }
  if (st.contains("schedule")) {
    const auto& s = st["schedule"];
    if (s.value("warmup_steps", o_.warmup) != o_.warmup || s.value("total_steps", total_) != total_)
      std::fprintf(stderr,
                   "warning: %s: the learning-rate schedule changed since the checkpoint "
                   "(warm-up/total steps); the resumed run is not the uninterrupted one\n",
                   where.c_str());
  }
}

void TrainLoop::open_run_dir() {
  if (!root()) return;
  if (step_ == 0) {
    write_file_atomic(dir() + "/config.toml",
                      "# written by " + version_line() + "\n" + cfg_.to_toml());
    obj_->on_new_run(dir());
    std::ofstream(metrics(), std::ios::trunc);
  } else {
    drop_metrics_after(metrics(), step_);  // lines logged after the checkpoint, before the crash
  }
  // Which spikessm wrote the lines that follow: a resumed run may be another build.
  log({{"kind", "run"},
       {"step", step_},
       {"spikessm_version", version()},
       {"git_commit", git_commit()},
       {"resumed", step_ > 0}});
  obj_->print_plan(total_, dist_->world_size());
}

void TrainLoop::save(int64_t done) {
  if (dist_->world_size() > 1)
    dist_->check_parameters_equal(obj_->model(), "at step " + std::to_string(done));
  if (!root()) return;
  CheckpointMeta meta{cfg_.to_toml(), done};
  meta.state = {{"schedule",
                 {{"kind", "warmup_cosine"}, {"warmup_steps", o_.warmup}, {"total_steps", total_}}},
                {"data_order", obj_->data_order(done, dist_->world_size())},
                {"guard", guard_.state()},
                {"train_seconds", clock_.seconds()}};
  obj_->add_checkpoint_state(meta.state);
  save_checkpoint(ckpt(), obj_->model(), opt_.get(), meta);
  run_dir_->commit();  // a new run takes train.out_dir's place with its first checkpoint
}

// train.max_minutes: rank 0's clock decides, or the ranks would part ways.
bool TrainLoop::out_of_time() {
  now_ = clock_.seconds();
  if (o_.max_seconds <= 0) return false;
  if (dist_->world_size() > 1) {
    auto t = torch::tensor({root() ? now_ : 0.0}, torch::kFloat64);
    dist_->allreduce_sum(t, "the time budget");
    now_ = t.item<double>();
  }
  return now_ > o_.max_seconds;
}

bool TrainLoop::train_step(int64_t step) {
  const int rank = dist_->rank();
  obj_->select_batch(step, rank, dist_->world_size());
  uint64_t dropout_seed = obj_->dropout_seed(step);
  if (rank > 0) dropout_seed = mix_seed(dropout_seed, uint64_t(rank));
  torch::manual_seed(dropout_seed);
  const double lr_f =
      budget_lr_factor(step, o_.warmup, total_, now_, o_.max_seconds, o_.anneal_to_budget);
  set_learning_rates(*opt_, base_lrs_, lr_f);

  opt_->zero_grad();
  StepLoss s = obj_->loss();
  if (inject_.loss_at(step, rank)) s.loss = s.loss * std::numeric_limits<double>::quiet_NaN();
  const double loss_v = s.loss.item<double>();
  const bool loss_ok = std::isfinite(loss_v);
  if (loss_ok) {
    s.loss.backward();
    obj_->after_backward();
    if (inject_.grad_at(step, rank))
      params_[0].mutable_grad().view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  }
  // Per-rank totals, summed across ranks together with the gradients: every rank then makes
  // the same skip decision.
  auto stats =
      torch::tensor({loss_ok ? loss_v * s.weight : 0.0, s.weight, s.correct, loss_ok ? 0.0 : 1.0},
                    torch::kFloat64);
  dist_->allreduce_gradients(params_, stats);
  const bool all_loss_ok = stats[3].item<double>() == 0;
  // Numerical guard: a NaN/Inf anywhere in a gradient makes the total norm non-finite.
  const double grad_norm = all_loss_ok ? clipped_grad_norm(params_, o_.grad_clip) : 0.0;
  if (!all_loss_ok || !std::isfinite(grad_norm)) {
    skip_step(step, all_loss_ok);
    return false;
  }
  guard_.good();
  opt_->step();
  window_.loss += stats[0].item<double>();
  window_.weight += stats[1].item<double>();
  window_.correct += stats[2].item<double>();
  after_step(step, grad_norm, lr_f);
  return true;
}

void TrainLoop::skip_step(int64_t step, bool loss_ok) {
  const char* what = loss_ok ? "gradient" : "loss";
  const bool stop = guard_.bad();
  if (root()) {
    bar_->finish();
    std::fprintf(stderr, "step %lld: non-finite %s, step skipped (%lld in a row, limit %lld)\n",
                 (long long)step, what, (long long)guard_.consecutive(), (long long)guard_.limit());
  }
  log({{"kind", "skip"},
       {"step", step + 1},
       {"reason", std::string("non-finite ") + what},
       {"consecutive", guard_.consecutive()},
       {"total", guard_.total()}});
  if (stop) {
    std::string kept = "no checkpoint was written yet";
    if (root() && run_dir_->staged())
      kept += " (train.out_dir " + o_.out_dir + " is not changed)";
    else if (root() && checkpoint_exists(ckpt())) {
      const std::string good = find_resumable_checkpoint(ckpt());
      kept = "the last good checkpoint " + good + " (step " +
             std::to_string(read_checkpoint_meta(good).step) + ") is kept";
    }
    throw NumericalError(
        "step " + std::to_string(step) + ": loss or gradient not finite for " +
        std::to_string(guard_.consecutive()) +
        " consecutive steps (train.max_bad_steps = " + std::to_string(guard_.limit()) +
        "); stopping; " + kept + "; lower train.lr or set train.grad_clip");
  }
  // The step is consumed (data order and schedule move on), so checkpoints stay on schedule.
  if (checkpoint_due(step + 1)) save(step + 1);
}

void TrainLoop::after_step(int64_t step, double grad_norm, double lr_f) {
  const int64_t done = step + 1;
  char extra[96];
  if (obj_->reports_accuracy())
    std::snprintf(extra, sizeof extra, "loss %.4f acc %.4f", window_.mean_loss(),
                  window_.accuracy());
  else
    std::snprintf(extra, sizeof extra, "loss %.4f", window_.mean_loss());
  if (root()) bar_->update(done, (done - start_step_) * obj_->units_per_step(), extra);
  if ((done % o_.log_every == 0 || done == total_) && window_.weight > 0) {
    nlohmann::json j = {
        {"kind", "train"},           {"step", done},           {"loss", window_.mean_loss()},
        {"lr", base_lrs_[0] * lr_f}, {"grad_norm", grad_norm}, {"elapsed_s", clock_.seconds()}};
    if (obj_->reports_accuracy()) {
      j["epoch"] = step / per_epoch_;
      j["accuracy"] = window_.accuracy();
    } else {
      j["tokens"] = done * obj_->units_per_step();
    }
    log(j);
    window_ = Window{};
  }
  if (checkpoint_due(done)) save(done);
  if (done < total_ && obj_->monitor_due(done, total_)) {
    if (root()) bar_->finish();
    nlohmann::json line;
    const double s = clock_.off_the_clock([&] { line = obj_->monitor(done, *dist_); });
    line["eval_seconds"] = s;
    log(line);
  }
}

TrainResult TrainLoop::run() {
  obj_->model().train();
  params_ = obj_->model().parameters();
  clock_.start();
  start_step_ = step_;
  bar_.emplace("train", root() ? total_ : 0, step_);
  for (; step_ < total_; ++step_) {
    if (out_of_time()) {
      if (root()) bar_->finish();
      if (root())
        std::fprintf(stderr, "train.max_minutes reached at step %lld\n", (long long)step_);
      save(step_);
      total_ = step_;  // the budget ends the run here
      break;
    }
    train_step(step_);
  }
  if (root()) bar_->finish();
  TrainResult result;
  result.steps = total_;
  result.train_seconds = clock_.seconds();
  for (const auto& p : obj_->model().parameters()) result.parameters += p.numel();
  if (!root()) return result;  // the final report (with spike statistics) is rank 0's
  // A new run has taken train.out_dir's place by now: it took at least one step (epochs >= 1,
  // an epoch >= 1 step), and its last step, or the time budget, saved a checkpoint.
  const nlohmann::json final_line = obj_->final_test(total_, result);
  if (!has_final_eval(metrics(), total_)) append_metric(metrics(), final_line);
  return result;
}

}  // namespace

TrainResult run_training(const Config& cfg, const TrainRunOptions& run) {
  return TrainLoop(cfg, run).run();
}

}  // namespace spikessm
