#include "report_observe.h"

#include "spikessm/common/error.h"
#include "spikessm/data/task.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/lm_eval.h"
#include "spikessm/train/trainer.h"

namespace spikessm {
namespace {

void check_index(int64_t index, int64_t n, const char* what) {
  if (index < 0 || index >= n)
    throw InputError("--sample: index " + std::to_string(index) + " is outside the " +
                     std::to_string(n) + " " + what);
}

// Runs f with the model's recorder on and keeping traces, then copies what it recorded.
template <class Model, class F>
StatsRecorder record(Model& model, F&& f) {
  model.stats().set_traces(true);
  model.set_collect_stats(true);
  f();
  model.set_collect_stats(false);
  model.stats().set_traces(false);
  return model.stats();
}

ReportObservation observe_classifier(TrainedModel& m, const ReportOptions& opt) {
  const Task task = load_test_split(m);
  const int64_t n_test = task.test_x.size(0);
  check_index(opt.sample_index, n_test, "test samples");
  const int64_t n = opt.samples > 0 ? std::min(opt.samples, n_test) : n_test;
  ClassifierImpl& model = *m.classifier;
  ReportObservation ob;
  EvalResult eval;
  ob.over_samples = record(model, [&] {
    eval = evaluate(model, task.test_x.narrow(0, 0, n), task.test_y.narrow(0, 0, n),
                    m.train.eval_batch, true, false);
  });
  ob.data = task.description;
  ob.samples = n;
  ob.ops = eval.ops;
  ob.headline = eval.accuracy;
  ob.scores = {{"accuracy", eval.accuracy}, {"loss", eval.loss}};
  auto x1 = task.test_x.narrow(0, opt.sample_index, 1);
  torch::Tensor logits;
  ob.one_sample = record(model, [&] {
    torch::NoGradGuard no_grad;
    logits = model.forward(x1);
  });
  if (x1.dim() == 3) ob.input = x1[0].select(1, 0).to(torch::kFloat);  // signal: channel 0
  if (x1.dim() == 2) ob.input = x1[0].to(torch::kFloat);               // token ids
  ob.sample_title = "test sample " + std::to_string(opt.sample_index) + " (label " +
                    std::to_string(task.test_y[opt.sample_index].item<int64_t>()) + ", predicted " +
                    std::to_string(logits.argmax(1).item<int64_t>()) + ")";
  return ob;
}

ReportObservation observe_language_model(TrainedModel& m, const ReportOptions& opt) {
  const auto corpus = load_corpus(lm_data_options(m.cfg).data_dir, CorpusSplits::TestOnly);
  const LmEvalWindows& win = m.train.lm.windows;
  const auto ids = to_token_tensor(m.tokenizer->encode(corpus.test));  // (N,)
  const int64_t windows = std::max<int64_t>(1, (ids.size(0) - 1) / win.context);
  check_index(opt.sample_index, windows, "test windows");
  const int64_t n = opt.samples > 0 ? std::min(opt.samples, windows) : windows;
  const int64_t tokens = std::min<int64_t>(ids.size(0), n * win.context + 1);
  const double share =
      double(tokens) / double(std::max<int64_t>(1, ids.size(0)));  // of bytes and words
  LanguageModelImpl& model = *m.lm;
  ReportObservation ob;
  LmEvalResult eval;
  ob.over_samples = record(model, [&] {
    eval = evaluate_lm(model, ids.narrow(0, 0, tokens), win.context, win.context,
                       m.train.eval_batch, int64_t(double(corpus.test.size()) * share),
                       int64_t(double(count_words(corpus.test)) * share), true, false);
  });
  ob.data =
      corpus.description + ", test text, windows of " + std::to_string(win.context) + " tokens";
  ob.samples = n;
  ob.ops = eval.ops;
  ob.headline = eval.bits_per_byte();
  ob.scores = {{"nats per token", eval.nll()}, {"bits per byte (approx.)", eval.bits_per_byte()}};
  auto window = ids.narrow(0, opt.sample_index * win.context, win.context).unsqueeze(0);  // (1, L)
  ob.one_sample = record(model, [&] {
    torch::NoGradGuard no_grad;
    model.forward(window);
  });
  ob.input = window[0].to(torch::kFloat);
  ob.sample_title = "test window " + std::to_string(opt.sample_index) + " (" +
                    std::to_string(win.context) + " tokens)";
  return ob;
}

}  // namespace

ReportObservation observe_for_report(TrainedModel& m, const ReportOptions& opt) {
  return m.is_language_model() ? observe_language_model(m, opt) : observe_classifier(m, opt);
}

}  // namespace spikessm
