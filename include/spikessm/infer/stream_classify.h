#pragma once
// `spikessm stream` as a library: samples from a WAV file, raw PCM on a pipe, or an array
// file are turned into the model's input steps exactly as its task prepared them (FSDD: the
// task's audio front end, data/audio_features.h) and read by a ClassifierStream in chunks, with
// running class probabilities, a final decision, and an optional detection mode for
// continuous streams. Memory is constant: a chunk of samples, the model and its state.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spikessm/common/error.h"
#include "spikessm/data/data_options.h"
#include "spikessm/data/task_splits.h"
#include "spikessm/models/classifier_stream.h"

namespace spikessm {

// What the model's task did to a recording before the first layer, from its data options.
struct StreamInputSpec {
  int64_t rate = 0;              // samples per second of audio inputs (0: the task is not audio)
  AudioFeatureOptions audio;     // audio: the task's front end
  int64_t samples_per_step = 1;  // audio: input samples a step advances by
  int64_t train_length = 0;      // audio: the steps of one training recording (0: unknown)
  int64_t d_input = 1;           // features per step
  // arrays: the training split's per-channel mean and std (the checkpoint's), applied to
  // array inputs as the task applied them; empty when the task did not standardise
  std::vector<double> mean, std;
};
// InputError naming data.standardize when the task standardises each recording (a statistic
// of the whole recording, which a stream cannot know in advance).
// InputError naming data.features when the task's front end makes another number of features
// than the model reads.
// `stats`: the training split's statistics saved in the checkpoint (arrays: standardisation).
StreamInputSpec stream_input_spec(const DataOptions& data, int64_t d_input,
                                  const TrainSplitStats& stats = {});

// A source of model input steps, each d_input floats.
class StepSource {
 public:
  virtual ~StepSource() = default;
  // Writes up to max_steps steps into out (max_steps x d_input floats); returns how many
  // (0: the input has ended). InputError on malformed input.
  virtual int64_t read(float* out, int64_t max_steps) = 0;
  // `steps` steps of silence after the input's end, as the task pads a short recording.
  virtual void pad(float* out, int64_t steps, int64_t d) { std::fill(out, out + steps * d, 0.0f); }
  // Input samples kept between steps (an unfinished step, the front end's history), so that
  // a saved state resumes exactly; and their restoration (InputError naming `where` when they
  // cannot be this source's).
  virtual std::vector<float> pending() const { return {}; }
  virtual void set_pending(const std::vector<float>& p, const std::string& where) {
    require(p.empty(), where, "holds pending audio samples, but the input is not audio");
  }
};

enum class PcmFormat { S16LE, F32LE };
PcmFormat pcm_format_from_name(const std::string& name);  // InputError naming --format

// Raw mono PCM from a stream (stdin), through the task's front end. A stream that ends inside a
// sample is an InputError naming `what`; so is a non-finite float sample.
std::unique_ptr<StepSource> pcm_source(std::FILE* f, PcmFormat format, const StreamInputSpec& in,
                                       const std::string& what);
// A mono WAV file, through the task's front end. InputError naming the file when it is not a mono
// WAV at in.rate.
std::unique_ptr<StepSource> wav_source(const std::string& path, const StreamInputSpec& in);
// An .npy array of model inputs: (L, d_input), or (L,) when d_input = 1; no front end; each
// channel standardised with in.mean and in.std when they are given.
std::unique_ptr<StepSource> array_source(const std::string& path, const StreamInputSpec& in);

// What to read and report.
struct StreamRunOptions {
  int64_t chunk = 256;       // steps per forward_with_state call
  int64_t report_every = 0;  // steps between running-probability reports (0: none)
  int64_t length = 0;        // > 0: read exactly this many steps (pad with zeros, or stop)
  bool detect = false;       // detection mode (see StreamEvent::Detection)
  double threshold = 0.9;    // detection: top probability that triggers a decision
  int64_t min_steps = 1000;  // detection: steps since the last reset before deciding
  int64_t window = 4096;     // detection: steps without a decision before a reset
};
void check_stream_options(const StreamRunOptions& o);  // InputError naming the flag

// A per-step model (trained on a class a step) emits a Step event for every step read (every
// report_every-th with report_every > 0) and no final decision; detection does not apply.
struct StreamEvent {
  enum Kind { Running, Final, Detection, Timeout, Step } kind = Running;
  int64_t step = 0;  // steps read since the stream began (incl. a resumed state)
  int64_t steps_since_reset = 0;
  int64_t cls = -1;           // argmax class
  double p = 0;               // its probability
  std::vector<double> probs;  // (n_classes)
};

struct StreamStats {
  int64_t steps = 0, chunks = 0;
  double compute_seconds = 0;  // inside the model
  double input_seconds = 0;    // reading and decoding input, the audio front end (incl. waits)
  double slowest_chunk_seconds = 0;
  double peak_rss_mib = 0;
};

// Reads src to its end (or opts.length steps) through stream, continuing state, calling
// on_event for every running report, detection and timeout, and for the final decision.
// Detection policy: after every chunk, once at least min_steps were read since the last
// reset, a top probability >= threshold emits a Detection and resets the state; window steps
// without one emit a Timeout and reset it too. The final decision is then over the steps since
// the last reset (none when the last chunk reset it).
StreamStats run_stream(ClassifierStream& stream, ClassifierState& state, StepSource& src,
                       const StreamRunOptions& opts,
                       const std::function<void(const StreamEvent&)>& on_event);

// State files (infer/state_file.h): a JSON section (steps, the checkpoint) and the state
// tensors plus the front end's kept input samples. Written atomically.
void save_stream_state(const std::string& path, const ClassifierState& state,
                       const std::vector<float>& pending, const nlohmann::json& info);
// InputError when the file is missing, corrupt, or holds another model's state.
ClassifierState load_stream_state(const std::string& path, const ClassifierStream& stream,
                                  std::vector<float>* pending, nlohmann::json* info);

}  // namespace spikessm
