// `spikessm stream --checkpoint F --input FILE|- [--format s16le|f32le --rate HZ] [--chunk N]
//  [--every S] [--length N] [--detect --threshold P --min-steps N --window N]
//  [--state-in FILE] [--state-out FILE] [--json] [--threads N]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/infer/stream_classify.h"
#include "spikessm/train/trained_model.h"

namespace spikessm::cli {

namespace {

struct StreamArgs {
  std::string checkpoint, format, state_in, state_out;
  std::vector<std::string> inputs;  // each streamed from a fresh state, in turn
  int64_t rate = 0, threads = 1;
  double every_seconds = 0;
  bool json = false;
  StreamRunOptions run = [] {  // detection's min_steps and window 0: from the training length
    StreamRunOptions o;
    o.min_steps = o.window = 0;
    return o;
  }();
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::unique_ptr<StepSource> open_source(const StreamArgs& a, const std::string& input,
                                        const StreamInputSpec& in) {
  if (input == "-") {
    require(!a.format.empty(), "--format",
            "is required for raw samples on stdin (s16le or f32le, mono)");
    require(a.rate > 0, "--rate", "is required for raw samples on stdin (samples per second)");
    require(in.rate == 0 || a.rate == in.rate, "--rate",
            std::to_string(a.rate) + " Hz, but the model was trained at " +
                std::to_string(in.rate) + " Hz");
    return pcm_source(stdin, pcm_format_from_name(a.format), in, "stdin");
  }
  require(a.format.empty() && a.rate == 0, "--format",
          "and --rate describe raw samples on stdin (--input -); a file carries its own");
  if (ends_with(input, ".wav") || ends_with(input, ".WAV")) return wav_source(input, in);
  if (ends_with(input, ".npy")) return array_source(input, in);
  throw InputError("--input: '" + input +
                   "' (expected a .wav file, an .npy array of model inputs, or - for raw "
                   "samples on stdin)");
}

// Seconds of input after `step` model steps (steps when the input is not audio).
double seconds_of(int64_t step, const StreamInputSpec& in) {
  return in.rate > 0 ? double(step * in.samples_per_step) / double(in.rate) : double(step);
}

void print_event(const StreamEvent& e, const StreamInputSpec& in, bool json,
                 const std::string& input) {
  static const char* names[] = {"running", "final", "detection", "timeout", "step"};
  const double t = seconds_of(e.step, in);
  if (json) {
    nlohmann::json j = {{"event", names[e.kind]},
                        {"step", e.step},
                        {"t", t},
                        {"steps_since_reset", e.steps_since_reset},
                        {"class", e.cls},
                        {"p", e.p},
                        {"probs", e.probs},
                        {"input", input}};
    std::printf("%s\n", j.dump().c_str());
  } else if (e.kind == StreamEvent::Step) {
    if (!input.empty()) std::printf("%s: ", input.c_str());
    std::printf("step %lld: class %lld p=%.3f\n", (long long)e.step, (long long)e.cls, e.p);
  } else if (e.kind == StreamEvent::Running) {
    if (in.rate > 0) std::printf("t=%.3fs ", t);
    std::printf("step %lld: class %lld p=%.3f  [", (long long)e.step, (long long)e.cls, e.p);
    for (size_t i = 0; i < e.probs.size(); ++i) std::printf(i ? " %.3f" : "%.3f", e.probs[i]);
    std::printf("]\n");
  } else if (e.kind == StreamEvent::Final) {
    if (!input.empty()) std::printf("%s: ", input.c_str());
    std::printf("decision: class %lld p=%.3f (over %lld steps", (long long)e.cls, e.p,
                (long long)e.steps_since_reset);
    if (in.rate > 0) std::printf(", t=%.3fs", t);
    std::printf(")\n");
  } else {
    // Audio inputs say when in seconds, others at which step.
    char at[64];
    if (in.rate > 0)
      std::snprintf(at, sizeof at, "t=%.3fs", t);
    else
      std::snprintf(at, sizeof at, "step %lld", (long long)e.step);
    if (e.kind == StreamEvent::Detection)
      std::printf("detected: class %lld p=%.3f at %s (after %lld steps)\n", (long long)e.cls, e.p,
                  at, (long long)e.steps_since_reset);
    else
      std::printf("reset: no decision in %lld steps at %s (top class %lld p=%.3f)\n",
                  (long long)e.steps_since_reset, at, (long long)e.cls, e.p);
  }
  std::fflush(stdout);
}

void run_stream_cmd(const StreamArgs& a) {
  set_threads(a.threads);
  auto tm = load_trained_model(a.checkpoint);
  require(!tm.is_language_model(), a.checkpoint,
          "is a language model's checkpoint; stream reads classifiers (use generate)");
  auto impl = std::dynamic_pointer_cast<SequenceClassifierImpl>(tm.classifier);
  require(impl != nullptr, a.checkpoint,
          "is an image classifier; only sequence classifiers stream");
  ClassifierStream stream{SequenceClassifier(impl)};
  const auto split = tm.meta.state.find("train_split");
  const auto in = stream_input_spec(data_options(tm.cfg), impl->options.d_input(),
                                    split != tm.meta.state.end()
                                        ? train_split_stats_from_json(*split, a.checkpoint)
                                        : TrainSplitStats{});
  StreamRunOptions run = a.run;
  // Detection defaults: a window of the training length, a decision after half of it.
  const StreamRunOptions lib;
  if (run.window == 0)
    run.window = in.train_length > 0 ? std::max(in.train_length, run.min_steps) : lib.window;
  if (run.min_steps == 0)
    run.min_steps = in.train_length > 0 ? std::max<int64_t>(1, run.window / 2)
                                        : std::min(lib.min_steps, run.window);
  if (a.every_seconds > 0)
    run.report_every = std::max<int64_t>(
        1, int64_t(a.every_seconds *
                   (in.rate > 0 ? double(in.rate) / double(in.samples_per_step) : 1.0)));
  check_stream_options(run);
  require(a.inputs.size() == 1 || (a.state_in.empty() && a.state_out.empty()), "--state-out",
          "and --state-in take one --input");
  for (const auto& input : a.inputs)
    require(input != "-" || a.inputs.size() == 1, "--input", "- (stdin) must be the only input");
  // Every input from a fresh state, one after the other, in one process.
  StreamStats total;
  for (const auto& input : a.inputs) {
    auto src = open_source(a, input, in);
    ClassifierState state = stream.initial_state(1);
    if (!a.state_in.empty()) {
      std::vector<float> pending;
      state = load_stream_state(a.state_in, stream, &pending, nullptr);
      src->set_pending(pending, a.state_in);
    }
    const auto stats = run_stream(stream, state, *src, run, [&](const StreamEvent& e) {
      // Text output names the input only when there are several.
      print_event(e, in, a.json, a.json || a.inputs.size() > 1 ? input : std::string());
    });
    if (!a.state_out.empty())
      save_stream_state(a.state_out, state, src->pending(),
                        {{"family", "sequence_classifier"}, {"checkpoint", a.checkpoint}});
    total.steps += stats.steps;
    total.chunks += stats.chunks;
    total.compute_seconds += stats.compute_seconds;
    total.input_seconds += stats.input_seconds;
    total.slowest_chunk_seconds =
        std::max(total.slowest_chunk_seconds, stats.slowest_chunk_seconds);
    total.peak_rss_mib = stats.peak_rss_mib;
  }
  const auto& stats = total;
  char input_s[64] = "";  // audio: the seconds of input
  if (in.rate > 0)
    std::snprintf(input_s, sizeof input_s, " (%.1f s of input)", seconds_of(stats.steps, in));
  const auto per_step = [&](double sec) {
    return stats.steps > 0 ? 1e6 * sec / double(stats.steps) : 0.0;
  };
  std::fprintf(stderr,
               "streamed %lld steps%s in %lld chunks: %.2f us a step in the model, %.2f us "
               "reading input (front end and waits), slowest chunk %.3f ms; peak RSS %.1f MiB\n",
               (long long)stats.steps, input_s, (long long)stats.chunks,
               per_step(stats.compute_seconds), per_step(stats.input_seconds),
               1e3 * stats.slowest_chunk_seconds, stats.peak_rss_mib);
}

}  // namespace

void add_stream(CLI::App& app) {
  auto a = std::make_shared<StreamArgs>();
  auto* cmd = app.add_subcommand(
      "stream", "run a causal sequence classifier over an input as it arrives, in chunks");
  cmd->add_option("--checkpoint", a->checkpoint, "checkpoint.pt of a causal sequence classifier")
      ->required();
  cmd->add_option("--input", a->inputs,
                  "a mono .wav file, an .npy array (L, d) of model inputs, or - for raw samples "
                  "on stdin; several files are streamed in turn, each from a fresh state")
      ->required();
  cmd->add_option("--format", a->format, "raw samples on stdin: s16le or f32le (mono)");
  cmd->add_option("--rate", a->rate, "raw samples on stdin: samples per second")
      ->check(int_range(1, 1000000));
  cmd->add_option("--chunk", a->run.chunk, "model steps read per call (default 256)")
      ->check(int_range(1, 1 << 20));
  cmd->add_option("--every", a->every_seconds,
                  "print the running class probabilities every S seconds of input (steps for "
                  "arrays; 0: only the decision)")
      ->check(real_range(0, 1e9));
  cmd->add_option("--length", a->run.length,
                  "read exactly N model steps: pad a shorter input with silence, stop a longer "
                  "one (the fixed length the model was trained at; 0: the whole input)")
      ->check(int_range(0, int64_t(1) << 40));
  cmd->add_flag("--detect", a->run.detect,
                "detection mode: a decision whenever the top probability reaches --threshold, "
                "then the state is reset");
  cmd->add_option("--threshold", a->run.threshold, "detection: probability (default 0.9)")
      ->check(real_range(0, 1, true));
  cmd->add_option("--min-steps", a->run.min_steps,
                  "detection: steps since the last reset before a decision (default: half of "
                  "--window)")
      ->check(int_range(1, int64_t(1) << 40));
  cmd->add_option("--window", a->run.window,
                  "detection: steps without a decision before the state is reset (default: the "
                  "training length of an audio model, else 4096)")
      ->check(int_range(1, int64_t(1) << 40));
  cmd->add_option("--state-in", a->state_in, "continue from a state saved by --state-out");
  cmd->add_option("--state-out", a->state_out, "save the state after the input to this file")
      ->check(output_file());
  cmd->add_flag("--json", a->json, "print one JSON object a line instead of text");
  cmd->add_option("--threads", a->threads, "intra-op threads (default 1; 0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([a] { run_stream_cmd(*a); });
}

}  // namespace spikessm::cli
