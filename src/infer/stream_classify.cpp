#include "spikessm/infer/stream_classify.h"

#include <chrono>

#include "spikessm/common/error.h"
#include "spikessm/infer/generate.h"
#include "spikessm/infer/state_file.h"

namespace spikessm {

void check_stream_options(const StreamRunOptions& o) {
  require(o.chunk >= 1 && o.chunk <= (int64_t(1) << 20), "--chunk",
          std::to_string(o.chunk) + " (expected 1 to 1048576 steps)");
  require(o.report_every >= 0, "--every", "must be >= 0 steps (0: no running reports)");
  require(o.length >= 0, "--length", "must be >= 0 steps (0: as long as the input)");
  require(o.threshold > 0 && o.threshold <= 1, "--threshold",
          std::to_string(o.threshold) + " (expected a probability in (0, 1])");
  require(o.min_steps >= 1, "--min-steps", "must be >= 1");
  require(o.window >= o.min_steps, "--window", "must be >= --min-steps");
  require(!(o.detect && o.length > 0), "--length", "does not apply in detection mode");
}

namespace {

StreamEvent event_of(StreamEvent::Kind kind, const torch::Tensor& logits, int64_t step,
                     int64_t since_reset) {
  StreamEvent e;
  e.kind = kind;
  e.step = step;
  e.steps_since_reset = since_reset;
  auto p = torch::softmax(logits[0].to(torch::kDouble), 0).contiguous();
  e.probs.assign(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
  e.cls = p.argmax().item<int64_t>();
  e.p = e.probs[size_t(e.cls)];
  return e;
}

}  // namespace

StreamStats run_stream(ClassifierStream& stream, ClassifierState& state, StepSource& src,
                       const StreamRunOptions& o,
                       const std::function<void(const StreamEvent&)>& on_event) {
  check_stream_options(o);
  require(!(o.detect && stream.per_step()), "--detect",
          "does not apply to a model trained on per-step targets: it prints a class every step");
  const int64_t d = stream.model().options.d_input();
  const auto dtype = stream.model().encoder->weight.scalar_type();
  // One buffer for the samples and one input tensor, reused by every chunk.
  std::vector<float> buf(size_t(o.chunk * d));
  auto x = torch::empty({1, o.chunk, d}, torch::TensorOptions().dtype(dtype));
  StreamStats st;
  int64_t total = state.steps;
  bool ended = false;
  torch::Tensor logits;
  while (!ended) {
    int64_t want = o.chunk;
    if (o.length > 0) want = std::min(want, o.length - st.steps);
    if (want <= 0) break;
    // Chunks end on report boundaries, so reports fall on exact multiples of report_every.
    if (o.report_every > 0) want = std::min(want, o.report_every - st.steps % o.report_every);
    const auto r0 = std::chrono::steady_clock::now();
    int64_t n = src.read(buf.data(), want);
    st.input_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    if (n == 0 && o.length > 0) {  // pad a short input with silence up to --length
      src.pad(buf.data(), want, d);
      n = want;
    }
    if (n == 0) break;
    auto xs = x.narrow(1, 0, n);
    auto xf = torch::from_blob(buf.data(), {1, n, d}, torch::kFloat);
    xs.copy_(xf);
    const auto t0 = std::chrono::steady_clock::now();
    const auto steps = stream.per_step() ? stream.step_logits(xs, state) : torch::Tensor();
    logits = stream.per_step() ? steps.select(1, n - 1) : stream.forward_with_state(xs, state);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.compute_seconds += sec;
    st.slowest_chunk_seconds = std::max(st.slowest_chunk_seconds, sec);
    ++st.chunks;
    st.steps += n;
    total += n;
    if (steps.defined()) {  // per-step model: every step's class (or every report_every-th)
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = total - n + i + 1;
        if (o.report_every == 0 || at % o.report_every == 0)
          on_event(event_of(StreamEvent::Step, steps.select(1, i), at, state.steps - n + i + 1));
      }
      continue;
    }
    // A read of fewer steps than asked may be a slow pipe: only n == 0 ends the input.
    if (o.report_every > 0 && st.steps % o.report_every == 0)
      on_event(event_of(StreamEvent::Running, logits, total, state.steps));
    if (o.detect) {
      const auto e = event_of(StreamEvent::Detection, logits, total, state.steps);
      if (state.steps >= o.min_steps && e.p >= o.threshold) {
        on_event(e);
        stream.reset(state);
        logits = torch::Tensor();
      } else if (state.steps >= o.window) {
        auto t = e;
        t.kind = StreamEvent::Timeout;
        on_event(t);
        stream.reset(state);
        logits = torch::Tensor();
      }
    }
  }
  if (state.steps > 0 && !stream.per_step()) {
    if (!logits.defined()) logits = stream.logits(state);
    on_event(event_of(StreamEvent::Final, logits, total, state.steps));
  }
  st.peak_rss_mib = peak_rss_mib();
  return st;
}

void save_stream_state(const std::string& path, const ClassifierState& state,
                       const std::vector<float>& pending, const nlohmann::json& info) {
  std::vector<torch::Tensor> tensors = state.blocks;
  tensors.push_back(state.pooled_sum);
  tensors.push_back(torch::tensor(pending, torch::kFloat));  // the front end's kept samples
  nlohmann::json meta = info;
  meta["steps"] = state.steps;
  meta["n_block_tensors"] = state.blocks.size();
  save_state_file(path, "stream", meta, tensors);
}

ClassifierState load_stream_state(const std::string& path, const ClassifierStream& stream,
                                  std::vector<float>* pending, nlohmann::json* info) {
  const auto [meta, tensors] = load_state_file(path, "stream", "stream --state-out");
  const int64_t nb = meta.value("n_block_tensors", int64_t(-1));
  require(nb >= 0 && int64_t(tensors.size()) == nb + 2, path,
          "holds " + std::to_string(tensors.size()) + " tensors, not the state it describes");
  ClassifierState s;
  s.blocks.assign(tensors.begin(), tensors.begin() + nb);
  for (auto& t : s.blocks) t = t.contiguous();
  s.pooled_sum = tensors[size_t(nb)].contiguous();
  s.steps = meta.value("steps", int64_t(-1));
  stream.check_state(s, path);
  const auto& p = tensors[size_t(nb + 1)];
  require(p.dim() == 1 && p.scalar_type() == torch::kFloat, path, "holds no pending-sample vector");
  if (pending) pending->assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  if (info) *info = meta;
  return s;
}

}  // namespace spikessm
