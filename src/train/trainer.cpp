#include "spikessm/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "spikessm/common/error.h"
#include "spikessm/data/pixel_sequence.h"
#include "spikessm/data/seq_image_task.h"
#include "spikessm/data/task.h"
#include "spikessm/metrics/classifier_ops.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/optimizer.h"
#include "spikessm/train/progress.h"
#include "spikessm/train/schedule.h"

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
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  model->set_collect_stats(with_stats);
  const int64_t n = x.size(0);
  double loss_sum = 0;
  int64_t correct = 0;
  Progress bar("eval ", n);
  for (int64_t i = 0; i < n; i += batch_size) {
    const int64_t b = std::min(batch_size, n - i);
    auto logits = model(x.narrow(0, i, b));
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
  if (with_stats) r.ops = classifier_ops(*model, x.size(1));
  model->set_collect_stats(false);
  model->train(was_training);
  return r;
}

namespace {

void append_line(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
}

}  // namespace

TrainResult run_training(const Config& cfg, const TrainRunOptions& run) {
  const std::string out_dir = cfg.get_string("train.out_dir");
  const std::string ckpt = checkpoint_path(cfg);
  const bool have_ckpt = fs::exists(ckpt);
  if (have_ckpt && !run.resume && !run.overwrite)
    throw InputError(ckpt + ": a run already exists here; pass --resume to continue it, "
                            "--overwrite to replace it, or set train.out_dir");

  const uint64_t seed = uint64_t(cfg.get_int("train.seed"));
  torch::manual_seed(seed);
  Task task = load_task(cfg);
  auto model = build_classifier(cfg, task);
  std::vector<double> base_lrs;
  auto opt = make_optimizer(*model, cfg, base_lrs);

  const int64_t batch = cfg.get_int("train.batch_size");
  const int64_t n_train = task.train_x.size(0);
  require(n_train >= batch, "train.batch_size",
          std::to_string(batch) + " exceeds the " + std::to_string(n_train) + " training samples");

  int64_t step = 0;
  if (run.resume && have_ckpt) {
    step = read_checkpoint_meta(ckpt).step;
    load_checkpoint(ckpt, *model, opt.get());
    std::fprintf(stderr, "resuming %s at step %lld\n", ckpt.c_str(), (long long)step);
  } else if (run.resume) {
    std::fprintf(stderr, "--resume: no checkpoint at %s, starting from scratch\n", ckpt.c_str());
  }
  fs::create_directories(out_dir);
  if (step == 0) {
    write_file_atomic(out_dir + "/config.toml", cfg.to_toml());
    std::ofstream(metrics_path(cfg), std::ios::trunc);
  }

  const int64_t per_epoch = n_train / batch;  // the last incomplete batch is dropped
  int64_t total = cfg.get_int("train.epochs") * per_epoch;
  if (cfg.get_int("train.max_steps") > 0) total = std::min(total, cfg.get_int("train.max_steps"));
  const int64_t warmup = cfg.get_int("train.warmup_steps");
  const double clip = cfg.get_float("train.grad_clip");
  const int64_t log_every = cfg.get_int("train.log_every");
  const int64_t ckpt_every = cfg.get_int("train.checkpoint_every");
  const int64_t eval_batch = cfg.get_int("train.eval_batch_size");

  std::fprintf(stderr, "data: %s\nmodel: %lld parameters; %lld steps of batch %lld (%lld per epoch)\n",
               task.description.c_str(), (long long)[&] {
                 int64_t n = 0;
                 for (auto& p : model->parameters()) n += p.numel();
                 return n;
               }(), (long long)total, (long long)batch, (long long)per_epoch);

  auto save = [&](int64_t s) {
    save_checkpoint(ckpt, *model, opt.get(), CheckpointMeta{cfg.to_toml(), s});
  };

  model->train();
  torch::Tensor order;
  int64_t order_epoch = -1, window_n = 0, window_correct = 0, skipped = 0;
  double window_loss = 0;
  auto t0 = std::chrono::steady_clock::now();
  const int64_t start_step = step;
  Progress bar("train", total, step);
  const double max_seconds = cfg.get_float("train.max_minutes") * 60.0;
  for (; step < total; ++step) {
    if (max_seconds > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_seconds) {
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
    auto idx = order.narrow(0, i * batch, batch);
    auto x = task.train_x.index_select(0, idx), y = task.train_y.index_select(0, idx);
    torch::manual_seed(mix_seed(seed ^ 0x5EED, uint64_t(step)));  // dropout masks per step
    set_learning_rates(*opt, base_lrs, lr_factor(step, warmup, total));

    opt->zero_grad();
    auto logits = model(x);
    auto loss = torch::cross_entropy_loss(logits, y);
    const double loss_v = loss.item<double>();
    if (!std::isfinite(loss_v)) {  // numerical guard: skip the step, stop if it persists
      if (++skipped > 10) throw std::runtime_error("loss was not finite for 10 steps; stopping");
      std::fprintf(stderr, "\nstep %lld: non-finite loss, step skipped\n", (long long)step);
      continue;
    }
    loss.backward();
    if (clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), clip);
    opt->step();

    window_loss += loss_v * double(batch);
    window_correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    window_n += batch;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char extra[96];
    std::snprintf(extra, sizeof extra, "loss %.4f acc %.4f", window_loss / double(window_n),
                  double(window_correct) / double(window_n));
    bar.update(step + 1, (step + 1 - start_step) * batch, extra);
    if ((step + 1) % log_every == 0 || step + 1 == total) {
      append_line(metrics_path(cfg), {{"kind", "train"}, {"step", step + 1}, {"epoch", epoch},
                                      {"loss", window_loss / double(window_n)},
                                      {"accuracy", double(window_correct) / double(window_n)},
                                      {"lr", base_lrs[0] * lr_factor(step, warmup, total)},
                                      {"elapsed_s", elapsed}});
      window_loss = 0;
      window_n = window_correct = 0;
    }
    const bool epoch_end = (step + 1) % per_epoch == 0 || step + 1 == total;
    if (epoch_end || (ckpt_every > 0 && (step + 1) % ckpt_every == 0)) save(step + 1);
    if (epoch_end && step + 1 < total) {
      bar.finish();
      auto r = evaluate(model, task.test_x, task.test_y, eval_batch, false, false);
      std::fprintf(stderr, "epoch %lld: test accuracy %.4f loss %.4f\n", (long long)epoch + 1,
                   r.accuracy, r.loss);
      append_line(metrics_path(cfg), {{"kind", "eval"}, {"split", "test"}, {"step", step + 1},
                                      {"epoch", epoch + 1}, {"loss", r.loss}, {"accuracy", r.accuracy}});
    }
  }
  bar.finish();
  TrainResult result;
  result.steps = total;
  result.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.test = evaluate(model, task.test_x, task.test_y, eval_batch, true, false);
  append_line(metrics_path(cfg), {{"kind", "eval"}, {"split", "test"}, {"step", total},
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
