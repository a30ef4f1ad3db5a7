#include "spikessm/train/lm_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/text/lm_batches.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/guard.h"
#include "spikessm/train/optimizer.h"
#include "spikessm/train/progress.h"
#include "spikessm/train/schedule.h"
#include "run_dir.h"

namespace spikessm {
namespace fs = std::filesystem;

std::string lm_stats_path(const Config& cfg) { return cfg.get_string("train.out_dir") + "/lm_stats.json"; }

void print_lm_eval(const LmEvalResult& r, const std::string& split) {
  std::printf("%s: %lld tokens, %.4f nats/token, token perplexity %.3f, word perplexity %.3f, "
              "%.4f bits per byte\n",
              split.c_str(), (long long)r.tokens, r.nll(), r.token_ppl(), r.word_ppl(), r.bits_per_byte());
  if (!r.ops.layers.empty()) {
    std::printf("per token:\n%s", r.ops.to_table().c_str());
  }
}

namespace {

LmEvalResult eval_split(LanguageModelImpl& model, const Tokenizer& tok, const std::string& text,
                        const LmEvalWindows& win, int64_t batch, bool stats, bool progress) {
  auto ids = to_token_tensor(tok.encode(text));
  return evaluate_lm(model, ids, win.context, win.stride, batch, int64_t(text.size()), count_words(text), stats,
                     progress);
}

}  // namespace

LmTrainResult run_lm_training(const Config& cfg, const TrainRunOptions& run) {
  require(run.dist.world_size == 1, "--nproc/--world-size", "language models train in one process");
  const std::string out_dir = cfg.get_string("train.out_dir");
  const std::string ckpt = checkpoint_path(cfg);
  RunDirLock lock(out_dir);
  const bool have_ckpt = existing_run(ckpt, run);
  const LmEvalWindows eval_win = lm_eval_windows(cfg);
  const FaultInjection inject =
      FaultInjection::parse(cfg.get_string("train.inject_nonfinite"), "train.inject_nonfinite");
  const uint64_t seed = uint64_t(cfg.get_int("train.seed"));
  torch::manual_seed(seed);

  // A resumed run reuses the saved tokenizer (BPE training need not be reproducible).
  LmData data = load_lm_data(cfg, run.resume && have_ckpt ? out_dir : "");
  LanguageModel model = build_language_model(cfg, data.tokenizer->vocab_size());
  std::vector<double> base_lrs;
  auto opt = make_optimizer(*model, cfg, base_lrs);

  const int64_t batch = cfg.get_int("train.batch_size"), L = cfg.get_int("lm.context");
  const int64_t eval_batch = cfg.get_int("train.eval_batch_size");
  const int64_t n_train = data.train.size(0);
  const int64_t per_epoch = std::max<int64_t>(1, n_train / (batch * L));
  int64_t total = cfg.get_int("train.epochs") * per_epoch;
  if (cfg.get_int("train.max_steps") > 0) total = std::min(total, cfg.get_int("train.max_steps"));
  const int64_t warmup = cfg.get_int("train.warmup_steps");
  const double clip = cfg.get_float("train.grad_clip");
  const int64_t log_every = cfg.get_int("train.log_every"), ckpt_every = cfg.get_int("train.checkpoint_every");
  const int64_t eval_every = cfg.get_int("lm.eval_every");
  NumericalGuard guard(cfg.get_int("train.max_bad_steps"));

  int64_t step = 0;
  TrainClock clock;
  if (run.resume && have_ckpt) {
    const std::string path = find_resumable_checkpoint(ckpt);
    const CheckpointMeta meta = load_checkpoint_bytes(read_file_bytes(path), path, *model, opt.get());
    step = meta.step;
    try {
      const auto& d = meta.state.at("data_order");
      const std::vector<std::pair<std::string, int64_t>> expected = {
          {"seed", int64_t(seed)}, {"global_batch", batch}, {"context", L}, {"train_tokens", n_train}};
      for (const auto& [key, have] : expected)
        if (d.value(key, have) != have)
          throw InputError(path + ": checkpoint was written with " + key + " " + std::to_string(d.value(key, have)) +
                           ", this run has " + std::to_string(have) + " (resume with the same config and data)");
      guard.restore(meta.state.value("guard", nlohmann::json::object()));
      clock.resume_from(meta.state.value("train_seconds", 0.0));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path + ": checkpoint trainer state is malformed (" + std::string(e.what()) + ")");
    }
    restore_rng_state(meta.rng_state, path);
    std::fprintf(stderr, "resuming %s at step %lld\n", path.c_str(), (long long)step);
  } else if (run.resume) {
    std::fprintf(stderr, "--resume: no checkpoint at %s, starting from scratch\n", ckpt.c_str());
  }
  fs::create_directories(out_dir);
  const std::string metrics = metrics_path(cfg);
  if (step == 0) {
    write_file_atomic(out_dir + "/config.toml", cfg.to_toml());
    data.tokenizer->save(out_dir);
    std::ofstream(metrics, std::ios::trunc);
  } else {
    drop_metrics_after(metrics, step);
  }
  int64_t n_params = 0;
  for (auto& p : model->parameters()) n_params += p.numel();
  std::fprintf(stderr,
               "data: %s; %s tokenizer, vocabulary %lld; %lld/%lld/%lld tokens\n"
               "model: %s%s, %lld parameters; %lld steps of %lld x %lld tokens (%lld per epoch)\n",
               data.corpus.description.c_str(), data.tokenizer->kind().c_str(),
               (long long)data.tokenizer->vocab_size(), (long long)n_train, (long long)data.valid.size(0),
               (long long)data.test.size(0), model->family().c_str(), model->spiking() ? "" : " (non-spiking)",
               (long long)n_params, (long long)total, (long long)batch, (long long)L, (long long)per_epoch);

  auto save = [&](int64_t s) {
    CheckpointMeta meta{cfg.to_toml(), s};
    meta.state = {{"schedule", {{"kind", "warmup_cosine"}, {"warmup_steps", warmup}, {"total_steps", total}}},
                  {"data_order", {{"seed", seed}, {"global_batch", batch}, {"context", L}, {"train_tokens", n_train}}},
                  {"tokenizer", data.tokenizer->kind()},
                  {"guard", guard.state()}, {"train_seconds", clock.seconds()}};
    save_checkpoint(ckpt, *model, opt.get(), meta);
  };
  auto valid = [&](int64_t s) {
    const std::string text = text_prefix(data.corpus.valid, cfg.get_int("lm.valid_max_chars"));
    auto r = eval_split(*model, *data.tokenizer, text, eval_win, eval_batch, false, false);
    std::fprintf(stderr, "step %lld: valid nll %.4f, word ppl %.2f, %.4f bits/byte\n", (long long)s, r.nll(),
                 r.word_ppl(), r.bits_per_byte());
    auto j = r.to_json();
    j["kind"] = "eval";
    j["split"] = "valid";
    j["step"] = s;
    append_metric(metrics, j);
  };

  model->train();
  const auto params = model->parameters();
  const int64_t start_step = step;
  double window_loss = 0;
  int64_t window_n = 0;
  clock.start();
  const double max_seconds = cfg.get_float("train.max_minutes") * 60.0;
  Progress bar("train", total, step);
  const bool anneal_to_budget = cfg.get_bool("train.anneal_to_budget");
  for (; step < total; ++step) {
    const double now = clock.seconds();
    if (max_seconds > 0 && now > max_seconds) {
      bar.finish();
      std::fprintf(stderr, "train.max_minutes reached at step %lld\n", (long long)step);
      save(step);
      total = step;
      break;
    }
    const LmBatch b = lm_train_batch(data.train, batch, L, seed, step);
    torch::manual_seed(seed ^ (0x5EEDull + uint64_t(step) * 0x9E3779B97F4A7C15ull));  // dropout masks per step
    const double lr_f = budget_lr_factor(step, warmup, total, now, max_seconds, anneal_to_budget);
    set_learning_rates(*opt, base_lrs, lr_f);
    opt->zero_grad();
    auto logits = model->forward(b.x);  // (B, L, V)
    auto loss = torch::cross_entropy_loss(logits.reshape({-1, logits.size(2)}), b.y.reshape({-1}));
    loss = loss + model->aux_loss();  // after forward(): NeuronSpark's PonderNet cost, else 0
    if (inject.loss_at(step, 0)) loss = loss * std::numeric_limits<double>::quiet_NaN();
    const double loss_v = loss.item<double>();
    double grad_norm = std::numeric_limits<double>::quiet_NaN();
    if (std::isfinite(loss_v)) {
      loss.backward();
      model->adjust_gradients();  // NeuronSpark: natural-gradient compensation; else nothing
      if (inject.grad_at(step, 0)) params[0].mutable_grad().view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
      // Returns the total norm (NaN/Inf when any gradient is), clipping only when clip > 0.
      grad_norm = torch::nn::utils::clip_grad_norm_(params, clip > 0 ? clip : std::numeric_limits<double>::infinity());
    }
    if (!std::isfinite(grad_norm)) {
      const bool stop = guard.bad();
      bar.finish();
      const char* what = std::isfinite(loss_v) ? "gradient" : "loss";
      std::fprintf(stderr, "step %lld: non-finite %s, step skipped (%lld in a row, limit %lld)\n", (long long)step,
                   what, (long long)guard.consecutive(), (long long)guard.limit());
      append_metric(metrics, {{"kind", "skip"}, {"step", step + 1}, {"reason", std::string("non-finite ") + what},
                              {"consecutive", guard.consecutive()}, {"total", guard.total()}});
      if (stop)
        throw NumericalError("step " + std::to_string(step) + ": loss or gradient not finite for " +
                             std::to_string(guard.consecutive()) + " consecutive steps (train.max_bad_steps = " +
                             std::to_string(guard.limit()) + "); stopping; lower train.lr or set train.grad_clip");
      if (step + 1 == total || (ckpt_every > 0 && (step + 1) % ckpt_every == 0)) save(step + 1);
      continue;
    }
    guard.good();
    opt->step();
    window_loss += loss_v;
    ++window_n;
    char extra[64];
    std::snprintf(extra, sizeof extra, "loss %.4f", window_loss / double(window_n));
    bar.update(step + 1, (step + 1 - start_step) * batch * L, extra);
    if ((step + 1) % log_every == 0 || step + 1 == total) {
      append_metric(metrics, {{"kind", "train"}, {"step", step + 1}, {"loss", window_loss / double(window_n)},
                              {"lr", base_lrs[0] * lr_f}, {"grad_norm", grad_norm},
                              {"tokens", (step + 1) * batch * L},
                              {"elapsed_s", clock.seconds()}});
      window_loss = 0;
      window_n = 0;
    }
    if (step + 1 == total || (ckpt_every > 0 && (step + 1) % ckpt_every == 0)) save(step + 1);
    if (eval_every > 0 && (step + 1) % eval_every == 0 && step + 1 < total) {
      bar.finish();
      clock.off_the_clock([&] { valid(step + 1); });
    }
  }
  bar.finish();
  LmTrainResult res;
  res.steps = total;
  res.parameters = n_params;
  res.train_seconds = clock.seconds();
  res.corpus = data.corpus.description;
  res.tokenizer = data.tokenizer->kind();
  res.test = eval_split(*model, *data.tokenizer, data.corpus.test, eval_win, eval_batch, true, true);
  auto j = res.test.to_json();
  j["kind"] = "eval";
  j["split"] = "test";
  j["step"] = total;
  j["train_seconds"] = res.train_seconds;
  append_metric(metrics, j);
  j["parameters"] = n_params;
  j["family"] = model->family();
  j["spiking"] = model->spiking();
  write_file_atomic(lm_stats_path(cfg), j.dump(2) + "\n");
  return res;
}

}  // namespace spikessm
