// Streaming a causal SequenceClassifier (models/classifier_stream.h) against its own parallel
// forward(): for every causal block type, in float64, the running logits after every step
// equal forward() on that prefix (a single flipped spike would move them by far more than the
// tolerance); chunks of any size give the same; a saved state resumes exactly; a damaged or
// foreign state file is refused; non-causal configurations are refused naming their key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/infer/stream_classify.h"
#include "spikessm/models/classifier_stream.h"
#include "test_util.h"

using namespace spikessm;

namespace {

struct Case {
  std::string name;
  SequenceClassifierOptions options;
  bool spiking;  // the block emits spikes (checked to be neither silent nor saturated)
};

SequenceClassifierOptions spiking_ssm(bool spiking, NormKind norm, bool prenorm, ResetMode reset) {
  SpikingSSMBlockOptions b(12, 8);
  b.spiking(spiking).norm(norm).prenorm(prenorm);
  b.s4d().trainable_b(true);
  b.lif().reset = reset;
  SequenceClassifierOptions o(3, 5, b);
  o.n_layers(2);
  return o;
}

SequenceClassifierOptions binary_s4d(BinaryActivation act, MixerKind mixer, NormKind norm) {
  SequenceClassifierOptions o(3, 5, SpikingSSMBlockOptions(12, 8));
  BinaryS4DBlockOptions b(12, 8);
  b.activation(act).mixer(mixer).norm(norm);
  o.block_kind(BlockKind::BinaryS4D).binary(b).n_layers(2);
  return o;
}

std::vector<Case> causal_cases() {
  return {
      {"spiking_ssm_lif_layernorm", spiking_ssm(true, NormKind::Layer, true, ResetMode::Hard),
       true},
      {"spiking_ssm_lif_batchnorm_postnorm_soft",
       spiking_ssm(true, NormKind::Batch, false, ResetMode::Soft), true},
      {"spiking_ssm_twin_gelu", spiking_ssm(false, NormKind::Layer, true, ResetMode::Hard), false},
      {"binary_s4d_heaviside_glu",
       binary_s4d(BinaryActivation::Heaviside, MixerKind::Glu, NormKind::Layer), true},
      {"binary_s4d_heaviside_gsu",
       binary_s4d(BinaryActivation::Heaviside, MixerKind::Gsu, NormKind::Batch), true},
      {"binary_s4d_twin_gelu_glu",
       binary_s4d(BinaryActivation::Gelu, MixerKind::Glu, NormKind::Layer), false},
  };
}

// A model in float64 with non-trivial BatchNorm statistics (they are fixed at inference).
SequenceClassifier make_model(const SequenceClassifierOptions& o, torch::Dtype dtype) {
  torch::manual_seed(7);
  SequenceClassifier m(o);
  m->to(dtype);
  torch::NoGradGuard ng;
  for (auto& buf : m->named_buffers()) {
    if (buf.key().find("running_mean") != std::string::npos) buf.value().normal_(0.0, 0.3);
    if (buf.key().find("running_var") != std::string::npos) buf.value().uniform_(0.5, 2.0);
  }
  m->eval();
  return m;
}

torch::Tensor input(int64_t B, int64_t L, torch::Dtype dtype) {
  torch::manual_seed(11);
  return (torch::randn({B, L, 3}) * 1.5).to(dtype);
}

}  // namespace

TEST(ClassifierStream, EveryCausalBlockStepEqualsParallelFloat64) {
  const int64_t B = 2, L = 41;
  for (const auto& c : causal_cases()) {
    SCOPED_TRACE(c.name);
    auto model = make_model(c.options, torch::kDouble);
    const auto x = input(B, L, torch::kDouble);
    // The spikes are not trivially all 0 or all 1 in the parallel pass.
    model->set_collect_stats(true);
    torch::Tensor full;
    {
      torch::NoGradGuard ng;
      full = model->forward(x);
    }
    model->set_collect_stats(false);
    if (c.spiking) {
      const double rate = model->stats().mean_rate();
      EXPECT_GT(rate, 0.02);
      EXPECT_LT(rate, 0.98);
    }
    ClassifierStream stream(model);
    auto s = stream.initial_state(B);
    for (int64_t t = 0; t < L; ++t) {
      const auto running = stream.step(x.select(1, t), s);
      torch::NoGradGuard ng;
      const auto prefix = model->forward(x.narrow(1, 0, t + 1));
      ASSERT_LT((running - prefix).abs().max().item<double>(), 1e-10) << "after step " << t;
    }
    EXPECT_EQ(s.steps, L);
    EXPECT_LT((stream.logits(s) - full).abs().max().item<double>(), 1e-10);
  }
}

TEST(ClassifierStream, ChunksOfAnySizeEqualOneRun) {
  const int64_t B = 2, L = 64;
  for (const auto& c : causal_cases()) {
    SCOPED_TRACE(c.name);
    auto model = make_model(c.options, torch::kDouble);
    const auto x = input(B, L, torch::kDouble);
    ClassifierStream stream(model);
    auto whole = stream.initial_state(B);
    const auto one = stream.forward_with_state(x, whole);
    auto s = stream.initial_state(B);
    torch::Tensor chunked;
    int64_t t = 0;
    for (int64_t n : {1, 5, 17, 2, 39}) {
      chunked = stream.forward_with_state(x.narrow(1, t, n), s);
      t += n;
    }
    ASSERT_EQ(t, L);
    // Short chunks of SpikingSSM models take the step engine (another rounding order);
    // otherwise the same kernels run over the same steps and the states are bit-equal.
    for (size_t i = 0; i < s.blocks.size(); ++i) {
      if (stream.has_step_engine())
        EXPECT_LT((s.blocks[i] - whole.blocks[i]).abs().max().item<double>(), 1e-12);
      else
        EXPECT_TRUE(s.blocks[i].equal(whole.blocks[i]));
    }
    EXPECT_LT((chunked - one).abs().max().item<double>(), 1e-12);
  }
}

TEST(ClassifierStream, Float32ChunkedEqualsParallel) {
  // The path `spikessm stream` takes on a float32 checkpoint, with the event-driven mixing
  // kernel where the block would use it.
  const int64_t B = 3, L = 300;
  auto c = causal_cases()[0];
  auto model = make_model(c.options, torch::kFloat);
  const auto x = input(B, L, torch::kFloat);
  torch::Tensor full;
  {
    torch::NoGradGuard ng;
    full = model->forward(x);
  }
  ClassifierStream stream(model);
  auto s = stream.initial_state(B);
  torch::Tensor logits;
  for (int64_t t = 0; t < L; t += 64)
    logits = stream.forward_with_state(x.narrow(1, t, std::min<int64_t>(64, L - t)), s);
  EXPECT_LT((logits - full).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE(logits.argmax(1).equal(full.argmax(1)));
}

TEST(ClassifierStream, SavedStateResumesExactly) {
  const int64_t L = 50;
  auto model = make_model(causal_cases()[1].options, torch::kFloat);
  const auto x = input(1, L, torch::kFloat);
  ClassifierStream stream(model);
  // Uninterrupted, in the same two chunks (chunk boundaries move the rounding of the mean).
  auto whole = stream.initial_state(1);
  stream.forward_with_state(x.narrow(1, 0, 23), whole);
  const auto expect = stream.forward_with_state(x.narrow(1, 23, L - 23), whole);

  auto s = stream.initial_state(1);
  stream.forward_with_state(x.narrow(1, 0, 23), s);
  const auto dir = spikessm::testing::scratch_dir("classifier_stream_state");
  const std::string path = (dir / "state.bin").string();
  save_stream_state(path, s, {0.25f}, {{"family", "sequence_classifier"}});
  std::vector<float> pending;
  auto r = load_stream_state(path, stream, &pending, nullptr);
  ASSERT_EQ(pending, std::vector<float>{0.25f});
  EXPECT_EQ(r.steps, 23);
  const auto got = stream.forward_with_state(x.narrow(1, 23, L - 23), r);
  EXPECT_TRUE(got.equal(expect));

  // One flipped byte anywhere after the header: the checksum refuses the file.
  std::string bytes = read_file_bytes(path);
  bytes[bytes.size() / 2] ^= 0x40;
  spikessm::testing::write_file(dir / "damaged.bin", bytes);
  EXPECT_THROW(load_stream_state((dir / "damaged.bin").string(), stream, nullptr, nullptr),
               InputError);
  // Truncated.
  spikessm::testing::write_file(dir / "short.bin", read_file_bytes(path).substr(0, 100));
  EXPECT_THROW(load_stream_state((dir / "short.bin").string(), stream, nullptr, nullptr),
               InputError);
  // Another model's state (other width).
  auto o = causal_cases()[1].options;
  o.block().s4d().d_model(16);
  auto other = make_model(o, torch::kFloat);
  ClassifierStream other_stream(other);
  try {
    load_stream_state(path, other_stream, nullptr, nullptr);
    FAIL() << "a state of another model was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("other shapes"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(ClassifierStream, NonCausalConfigurationsAreRefusedNamingTheKey) {
  auto bidi = spiking_ssm(true, NormKind::Layer, true, ResetMode::Hard);
  bidi.block().s4d().bidirectional(true);
  auto gsu_gelu = binary_s4d(BinaryActivation::Gelu, MixerKind::Gsu, NormKind::Layer);
  auto bidi_binary = binary_s4d(BinaryActivation::Heaviside, MixerKind::Glu, NormKind::Layer);
  bidi_binary.binary().s4d().bidirectional(true);
  auto tokens = spiking_ssm(true, NormKind::Layer, true, ResetMode::Hard);
  tokens.encoder(EncoderKind::Embedding);
  const std::vector<std::pair<SequenceClassifierOptions, std::string>> cases = {
      {bidi, "model.bidirectional: "},
      {bidi_binary, "model.bidirectional: "},
      {gsu_gelu, "model.activation: "},
      {tokens, "data.dataset: "}};
  for (const auto& [o, key] : cases) {
    SequenceClassifier m(o);
    try {
      ClassifierStream s(m);
      FAIL() << "accepted a model that should be refused with " << key;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(key, 0), 0u) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}
