#include "spikessm/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>

#include "spikessm/common/error.h"
#include "spikessm/data/image_task.h"
#include "spikessm/data/pixel_sequence.h"
#include "spikessm/data/seq_image_task.h"
#include "spikessm/data/task.h"
#include "spikessm/metrics/classifier_ops.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/checkpoint_format.h"
#include "spikessm/train/distributed.h"
#include "spikessm/train/guard.h"
#include "spikessm/train/optimizer.h"
#include "spikessm/train/progress.h"
#include "spikessm/train/schedule.h"
#include "run_dir.h"

namespace spikessm {
namespace fs = std::filesystem;

std::string checkpoint_path(const Config& cfg) { return cfg.get_string("train.out_dir") + "/checkpoint.pt"; }
std::string metrics_path(const Config& cfg) { return cfg.get_string("train.out_dir") + "/metrics.jsonl"; }
std::string stats_path(const Config& cfg) { return cfg.get_string("train.out_dir") + "/spike_stats.json"; }

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write");
    out << text;
    if (!out.flush()) throw InputError(path + ": write failed");
  }
  fs::rename(tmp, path);
}

static uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFull;
}

EvalResult evaluate(SequenceClassifier& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress) {
  return evaluate(*model, x, y, batch_size, with_stats, show_progress);
}

EvalResult evaluate(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  model.set_collect_stats(with_stats);
  const int64_t n = x.size(0);
  double loss_sum = 0;
  int64_t correct = 0;
  Progress bar("eval ", n);
  for (int64_t i = 0; i < n; i += batch_size) {
    const int64_t b = std::min(batch_size, n - i);
    auto logits = model.forward(x.narrow(0, i, b));
    auto target = y.narrow(0, i, b);
    loss_sum += torch::cross_entropy_loss(logits, target, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(target).sum().item<int64_t>();
    if (show_progress) {
      char extra[64];
      std::snprintf(extra, sizeof extra, "acc %.4f", double(correct) / double(i + b));
      bar.update(i + b, i + b, extra);
    }
  }
  if (show_progress) bar.finish();
  EvalResult r;
  r.samples = n;
  r.loss = loss_sum / double(std::max<int64_t>(n, 1));
  r.accuracy = double(correct) / double(std::max<int64_t>(n, 1));
  if (with_stats) r.ops = model.ops_report(x.size(1));
  model.set_collect_stats(false);
  model.train(was_training);
  return r;
}

namespace {

// Global L2 norm of the gradients, clipped to max_norm when max_norm > 0 (the same rule as
// torch::nn::utils::clip_grad_norm_); not finite when any gradient holds a NaN or Inf.
double total_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  if (max_norm > 0) return torch::nn::utils::clip_grad_norm_(params, max_norm);
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  return norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();
}

// Evaluation split over ranks: each evaluates a contiguous slice, the sums are
// allreduced. One rank: exactly evaluate().
EvalResult evaluate_sharded(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                            int64_t batch_size, Distributed& dist) {
  if (dist.world_size() == 1) return evaluate(model, x, y, batch_size, false, false);
  const int64_t n = x.size(0), w = dist.world_size(), r = dist.rank();
  const int64_t lo = n * r / w, hi = n * (r + 1) / w;
  EvalResult part;
  if (hi > lo) part = evaluate(model, x.narrow(0, lo, hi - lo), y.narrow(0, lo, hi - lo), batch_size, false, false);
  auto sums = torch::tensor({part.loss * double(hi - lo), part.accuracy * double(hi - lo), double(hi - lo)},
                            torch::kFloat64);
  dist.allreduce_sum(sums, "evaluation");
  EvalResult out;
  out.samples = int64_t(sums[2].item<double>());
  out.loss = sums[0].item<double>() / std::max(1.0, sums[2].item<double>());
  out.accuracy = sums[1].item<double>() / std::max(1.0, sums[2].item<double>());
  return out;
}

// A resumed run must continue the same data order and schedule, or it is not the same run.
void check_resume_state(const nlohmann::json& st, const std::string& where, uint64_t seed,
                        int64_t batch, int64_t n_train, int64_t warmup, int64_t total) {
  if (!st.contains("data_order")) return;
  const auto& d = st["data_order"];
  auto expect = [&](const char* key, int64_t have, const std::string& what) {
    const int64_t was = d.value(key, have);
    if (was != have)
      throw InputError(where + ": checkpoint was written with " + what + " " + std::to_string(was) +
                       ", this run has " + std::to_string(have) + " (the data order would change; "
                       "resume with the same config)");
  };
  expect("seed", int64_t(seed), "train.seed");
  expect("global_batch", batch, "train.batch_size");
  expect("train_samples", n_train, "a training set of size");
  if (st.contains("schedule")) {
    const auto& s = st["schedule"];
    if (s.value("warmup_steps", warmup) != warmup || s.value("total_steps", total) != total)
      std::fprintf(stderr, "warning: %s: the learning-rate schedule changed since the checkpoint "
                           "(warm-up/total steps); the resumed run is not the uninterrupted one\n",
                   where.c_str());
  }
}

}  // namespace

TrainResult run_training(const Config& cfg, const TrainRunOptions& run) {
  const std::string out_dir = cfg.get_string("train.out_dir");
  const std::string ckpt = checkpoint_path(cfg);
  std::optional<RunDirLock> lock;  // rank 0 writes the run directory
  if (run.dist.rank == 0) lock.emplace(out_dir);
  const bool have_ckpt = existing_run(ckpt, run);
  const FaultInjection inject =
      FaultInjection::parse(cfg.get_string("train.inject_nonfinite"), "train.inject_nonfinite");

  const uint64_t seed = uint64_t(cfg.get_int("train.seed"));
  torch::manual_seed(seed);
  Task task = load_task(cfg);
  Classifier model = build_model(cfg, task);
  std::vector<double> base_lrs;
  auto opt = make_optimizer(*model, cfg, base_lrs);

  const int64_t batch = cfg.get_int("train.batch_size");
  const int64_t n_train = task.train_x.size(0);
  require(n_train >= batch, "train.batch_size",
          std::to_string(batch) + " exceeds the " + std::to_string(n_train) + " training samples");
  require(batch % run.dist.world_size == 0, "train.batch_size",
          std::to_string(batch) + " is not divisible by the " + std::to_string(run.dist.world_size) +
              " ranks (the global batch is split evenly)");

  // Data parallel: every rank sees the whole data set and takes its slice of each global batch.
  DistOptions dopt = run.dist;
  dopt.timeout_s = cfg.get_float("train.dist_timeout_s");
  Distributed dist(dopt);
  const int rank = dist.rank(), world = dist.world_size();
  const bool root = dist.is_root();
  const int64_t local_batch = batch / world;

  const int64_t per_epoch = n_train / batch;  // the last incomplete batch is dropped
  int64_t total = cfg.get_int("train.epochs") * per_epoch;
  if (cfg.get_int("train.max_steps") > 0) total = std::min(total, cfg.get_int("train.max_steps"));
  const int64_t warmup = cfg.get_int("train.warmup_steps");
  const double clip = cfg.get_float("train.grad_clip");
  const int64_t log_every = cfg.get_int("train.log_every");
  const int64_t ckpt_every = cfg.get_int("train.checkpoint_every");
  const int64_t eval_batch = cfg.get_int("train.eval_batch_size");
  NumericalGuard guard(cfg.get_int("train.max_bad_steps"));

  int64_t step = 0;
  TrainClock clock;
  if (run.resume) {
    // Rank 0 picks the newest checkpoint that verifies and sends its bytes to every rank (none:
    // an empty message), so a multi-machine run needs no shared file system.
    std::string path, bytes;
    if (root && have_ckpt) {
      path = find_resumable_checkpoint(ckpt);
      bytes = read_file_bytes(path);
    }
    bytes = dist.broadcast_bytes(bytes, "the checkpoint");
    if (!bytes.empty()) {
      if (!root) path = ckpt + " (from rank 0)";
      const CheckpointMeta meta = load_checkpoint_bytes(bytes, path, *model, opt.get());
      step = meta.step;
      try {
        check_resume_state(meta.state, path, seed, batch, n_train, warmup, total);
        guard.restore(meta.state.value("guard", nlohmann::json::object()));
        clock.resume_from(meta.state.value("train_seconds", 0.0));
      } catch (const nlohmann::json::exception& e) {
        throw InputError(path + ": checkpoint trainer state is malformed (" + std::string(e.what()) + ")");
      }
      restore_rng_state(meta.rng_state, path);
      if (root) std::fprintf(stderr, "resuming %s at step %lld\n", path.c_str(), (long long)step);
    } else if (root) {
      std::fprintf(stderr, "--resume: no checkpoint at %s, starting from scratch\n", ckpt.c_str());
    }
  }
  dist.broadcast_module(*model);
  dist.check_parameters_equal(*model, "at the start");
  if (root) {
    fs::create_directories(out_dir);
    if (step == 0) {
      write_file_atomic(out_dir + "/config.toml", cfg.to_toml());
      std::ofstream(metrics_path(cfg), std::ios::trunc);
    } else {
      drop_metrics_after(metrics_path(cfg), step);  // lines logged after the checkpoint, before the crash
    }
  }

  if (root)
    std::fprintf(stderr, "data: %s\nmodel: %lld parameters; %lld steps of batch %lld (%lld per epoch)%s\n",
                 task.description.c_str(), (long long)[&] {
                   int64_t n = 0;
                   for (auto& p : model->parameters()) n += p.numel();
                   return n;
                 }(), (long long)total, (long long)batch, (long long)per_epoch,
                 world > 1 ? (" on " + std::to_string(world) + " ranks").c_str() : "");

  auto save = [&](int64_t s) {
    if (world > 1) dist.check_parameters_equal(*model, "at step " + std::to_string(s));
    if (!root) return;
    CheckpointMeta meta{cfg.to_toml(), s};
    meta.state = {{"schedule", {{"kind", "warmup_cosine"}, {"warmup_steps", warmup}, {"total_steps", total}}},
                  {"data_order", {{"seed", seed}, {"epoch", s / per_epoch}, {"batch_in_epoch", s % per_epoch},
                                  {"global_batch", batch}, {"train_samples", n_train}, {"world_size", world}}},
                  {"guard", guard.state()}, {"train_seconds", clock.seconds()}};
    save_checkpoint(ckpt, *model, opt.get(), meta);
  };
  auto log = [&](const nlohmann::json& j) {
    if (root) append_metric(metrics_path(cfg), j);
  };

  model->train();
  const auto params = model->parameters();
  torch::Tensor order;
  int64_t order_epoch = -1, window_n = 0, window_correct = 0;
  double window_loss = 0;
  clock.start();
  const int64_t start_step = step;
  Progress bar("train", root ? total : 0, step);
  const double max_seconds = cfg.get_float("train.max_minutes") * 60.0;
  const bool anneal_to_budget = cfg.get_bool("train.anneal_to_budget");
  for (; step < total; ++step) {
    double now = clock.seconds();
    if (max_seconds > 0 && world > 1) {  // rank 0's clock decides, or the ranks would part ways
      auto t = torch::tensor({root ? now : 0.0}, torch::kFloat64);
      dist.allreduce_sum(t, "the time budget");
      now = t.item<double>();
    }
    const bool out_of_time = max_seconds > 0 && now > max_seconds;
    if (out_of_time) {
      std::fprintf(stderr, "\ntrain.max_minutes reached at step %lld\n", (long long)step);
      save(step);
      total = step;  // the budget ends the run here
      break;
    }
    const int64_t epoch = step / per_epoch, i = step % per_epoch;
    if (epoch != order_epoch) {  // data order depends only on (seed, epoch): exact resume
      order = pixel_permutation(n_train, mix_seed(seed, uint64_t(epoch)));
      order_epoch = epoch;
    }
    auto idx = order.narrow(0, i * batch + rank * local_batch, local_batch);
    auto x = task.train_x.index_select(0, idx), y = task.train_y.index_select(0, idx);
    if (task.crop_pad > 0 || task.hflip)  // image augmentation, seeded per step and rank
      x = augment_images(x, task.crop_pad, task.hflip, mix_seed(seed ^ 0xA06, uint64_t(step) * 4096 + uint64_t(rank)));
    uint64_t dropout_seed = mix_seed(seed ^ 0x5EED, uint64_t(step));  // dropout masks per step
    if (rank > 0) dropout_seed = mix_seed(dropout_seed, uint64_t(rank));
    torch::manual_seed(dropout_seed);
    const double lr_f = budget_lr_factor(step, warmup, total, now, max_seconds, anneal_to_budget);
    set_learning_rates(*opt, base_lrs, lr_f);

    opt->zero_grad();
    auto logits = model->forward(x);
    auto loss = torch::cross_entropy_loss(logits, y);
    if (inject.loss_at(step, rank)) loss = loss * std::numeric_limits<double>::quiet_NaN();
    const double loss_v = loss.item<double>();
    const bool loss_ok = std::isfinite(loss_v);
    if (loss_ok) loss.backward();
    if (loss_ok && inject.grad_at(step, rank)) params[0].mutable_grad().view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
    // Per-rank totals, summed across ranks together with the gradients: every rank then
    // makes the same skip decision.
    auto stats = torch::tensor({loss_ok ? loss_v * double(local_batch) : 0.0,
                                double(logits.argmax(1).eq(y).sum().item<int64_t>()),
                                loss_ok ? 0.0 : 1.0}, torch::kFloat64);
    dist.allreduce_gradients(params, stats);
    const bool all_loss_ok = stats[2].item<double>() == 0;
    // Numerical guard: a NaN/Inf anywhere in a gradient makes the total norm non-finite.
    const double grad_norm = all_loss_ok ? total_grad_norm(params, clip) : 0.0;
    if (!all_loss_ok || !std::isfinite(grad_norm)) {
      const char* what = all_loss_ok ? "gradient" : "loss";
      const bool stop = guard.bad();
      if (root) {
        bar.finish();
        std::fprintf(stderr, "step %lld: non-finite %s, step skipped (%lld in a row, limit %lld)\n",
                     (long long)step, what, (long long)guard.consecutive(), (long long)guard.limit());
      }
      log({{"kind", "skip"}, {"step", step + 1}, {"reason", std::string("non-finite ") + what},
           {"consecutive", guard.consecutive()}, {"total", guard.total()}});
      if (stop) {
        std::string kept = "no checkpoint was written yet";
        if (root && checkpoint_exists(ckpt)) {
          const std::string good = find_resumable_checkpoint(ckpt);
          kept = "the last good checkpoint " + good + " (step " +
                 std::to_string(read_checkpoint_meta(good).step) + ") is kept";
        }
        throw NumericalError("step " + std::to_string(step) + ": loss or gradient not finite for " +
                             std::to_string(guard.consecutive()) + " consecutive steps (train.max_bad_steps = " +
                             std::to_string(guard.limit()) + "); stopping; " + kept +
                             "; lower train.lr or set train.grad_clip");
      }
      // The step is consumed (data order and schedule move on), so checkpoints stay on schedule.
      if ((step + 1) % per_epoch == 0 || step + 1 == total || (ckpt_every > 0 && (step + 1) % ckpt_every == 0))
        save(step + 1);
      continue;
    }
    guard.good();
    opt->step();

    window_loss += stats[0].item<double>();
    window_correct += int64_t(stats[1].item<double>());
    window_n += batch;
    const double elapsed = clock.seconds();
    char extra[96];
    std::snprintf(extra, sizeof extra, "loss %.4f acc %.4f", window_loss / double(window_n),
                  double(window_correct) / double(window_n));
    if (root) bar.update(step + 1, (step + 1 - start_step) * batch, extra);
    if (((step + 1) % log_every == 0 || step + 1 == total) && window_n > 0) {
      log({{"kind", "train"}, {"step", step + 1}, {"epoch", epoch},
           {"loss", window_loss / double(window_n)},
           {"accuracy", double(window_correct) / double(window_n)},
           {"lr", base_lrs[0] * lr_f},
           {"grad_norm", grad_norm}, {"elapsed_s", elapsed}});
      window_loss = 0;
      window_n = window_correct = 0;
    }
    const bool epoch_end = (step + 1) % per_epoch == 0 || step + 1 == total;
    if (epoch_end || (ckpt_every > 0 && (step + 1) % ckpt_every == 0)) save(step + 1);
    if (epoch_end && step + 1 < total) {
      if (root) bar.finish();
      // Monitor on the validation split where the task has one, so that the test split is
      // read once, at the end; tasks without one (MNIST, Fashion-MNIST) monitor on test.
      const bool has_val = task.val_x.defined() && task.val_x.size(0) > 0;
      const char* split = has_val ? "val" : "test";
      const auto& ex = has_val ? task.val_x : task.test_x;
      const auto& ey = has_val ? task.val_y : task.test_y;
      EvalResult r;
      const double eval_s =
          clock.off_the_clock([&] { r = evaluate_sharded(*model, ex, ey, eval_batch, dist); });
      if (root)
        std::fprintf(stderr, "epoch %lld: %s accuracy %.4f loss %.4f\n", (long long)epoch + 1, split,
                     r.accuracy, r.loss);
      log({{"kind", "eval"}, {"split", split}, {"step", step + 1}, {"epoch", epoch + 1},
           {"loss", r.loss}, {"accuracy", r.accuracy}, {"samples", r.samples},
           {"eval_seconds", eval_s}});
    }
  }
  if (root) bar.finish();
  TrainResult result;
  result.steps = total;
  result.train_seconds = clock.seconds();
  if (!root) return result;  // the final report (with spike statistics) is rank 0's
  result.test = evaluate(*model, task.test_x, task.test_y, eval_batch, true, false);
  append_metric(metrics_path(cfg), {{"kind", "eval"}, {"split", "test"}, {"step", total},
                                  {"loss", result.test.loss}, {"accuracy", result.test.accuracy},
                                  {"mean_spiking_rate", result.test.ops.mean_rate},
                                  {"train_seconds", result.train_seconds}});
  auto stats = result.test.ops.to_json();
  stats["accuracy"] = result.test.accuracy;
  stats["split"] = "test";
  stats["samples"] = result.test.samples;
  write_file_atomic(stats_path(cfg), stats.dump(2) + "\n");
  return result;
}

}  // namespace spikessm
