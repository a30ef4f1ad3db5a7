// Tokenizers: hand-computed cases, round trips, the published vocabulary sizes of WikiText-2
// (33,278) and PTB (10,000), sentencepiece BPE, and bad tokenizer files.
#include <gtest/gtest.h>

#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/text/bpe_tokenizer.h"
#include "spikessm/text/byte_tokenizer.h"
#include "spikessm/text/corpus.h"
#include "spikessm/text/word_tokenizer.h"
#include "cli_runner.h"
#include "test_util.h"

using namespace spikessm;
using spikessm::testing::scratch_dir;
using spikessm::testing::shared_data_dir;

TEST(Tokenizers, ByteRoundTripAndSave) {
  ByteTokenizer t;
  const std::string text("caf\xC3\xA9\n\x00\xFFz", 9);
  auto ids = t.encode(text);
  ASSERT_EQ(ids.size(), 9u);
  EXPECT_EQ(ids[3], 0xC3);
  EXPECT_EQ(ids[8], 0x7A);
  EXPECT_EQ(ids[7], 0xFF);
  EXPECT_EQ(ids[6], 0);
  EXPECT_EQ(t.decode(ids), text);
  auto dir = scratch_dir("tok_byte");
  t.save(dir.string());
  auto back = load_tokenizer(dir.string());
  EXPECT_EQ(back->kind(), "byte");
  EXPECT_EQ(back->encode("abc"), t.encode("abc"));
}

TEST(Tokenizers, WordHandComputed) {
  auto t = WordTokenizer::train("a b\n\nc a\n");
  // <eos> 0, <unk> 1, then first appearance: a 2, b 3, c 4.
  EXPECT_EQ(t.vocab_size(), 5);
  EXPECT_EQ(t.encode("a  z\nc"), (std::vector<int64_t>{2, 1, 0, 4, 0}));
  EXPECT_EQ(t.encode("\n"), (std::vector<int64_t>{0}));
  EXPECT_EQ(t.decode({2, 3, 0, 4, 0}), "a b\nc\n");
  EXPECT_EQ(count_words("a b\n\nc a\n"), 7);  // 4 words + 3 <eos>
  EXPECT_EQ(count_words("a b"), 3);
  auto dir = scratch_dir("tok_word");
  t.save(dir.string());
  auto back = load_tokenizer(dir.string());
  EXPECT_EQ(back->encode("c b a q\n"), t.encode("c b a q\n"));
}

TEST(Tokenizers, WordVocabularyOfWikiText2AndPtb) {
  const std::string wt = shared_data_dir() + "/wikitext-2", ptb = shared_data_dir() + "/ptb";
  SPIKESSM_SKIP_UNLESS_EXISTS(wt);
  SPIKESSM_SKIP_UNLESS_EXISTS(ptb);
  auto c = load_corpus(wt);
  auto t = WordTokenizer::train(c.train);
  EXPECT_EQ(t.vocab_size(), 33278);  // the published WikiText-2 vocabulary
  auto ids = t.encode(c.test);
  EXPECT_EQ(int64_t(ids.size()), count_words(c.test));
  auto p = load_corpus(ptb);
  EXPECT_EQ(p.name, "ptb");
  EXPECT_EQ(WordTokenizer::train(p.train).vocab_size(), 10000);  // the published PTB vocabulary
}

TEST(Tokenizers, BpeIsLosslessAndCompresses) {
  const std::string path = shared_data_dir() + "/tinyshakespeare/input.txt";
  SPIKESSM_SKIP_UNLESS_EXISTS(path);
  auto c = load_corpus(shared_data_dir() + "/tinyshakespeare");
  auto bpe = BpeTokenizer::train(c.train.substr(0, 300000), 512);
  EXPECT_EQ(bpe->vocab_size(), 512);
  const std::string sample =
      c.test.substr(0, 5000) +
      "na\xC3\xAFve \xE6\x97\xA5\n  two  spaces\n";  // every line ends in <eos>
  auto ids = bpe->encode(sample);
  EXPECT_EQ(bpe->decode(ids), sample);
  EXPECT_LT(double(ids.size()), 0.6 * double(sample.size()));
  std::string streamed;
  for (auto id : ids) streamed += bpe->piece(id);
  EXPECT_EQ(streamed, sample);  // the pieces printed while generating spell the same text
  auto dir = scratch_dir("tok_bpe");
  bpe->save(dir.string());
  auto back = load_tokenizer(dir.string());
  EXPECT_EQ(back->encode(sample), ids);
}

TEST(Tokenizers, BadFilesAreInputErrors) {
  auto dir = scratch_dir("tok_bad");
  const std::string d = dir.string();
  EXPECT_THROW(load_tokenizer(d), InputError);  // missing
  spikessm::testing::write_file(dir / "tokenizer.json", "{not json");
  EXPECT_THROW(load_tokenizer(d), InputError);
  spikessm::testing::write_file(dir / "tokenizer.json", R"({"kind": "morse"})");
  EXPECT_THROW(load_tokenizer(d), InputError);
  spikessm::testing::write_file(dir / "tokenizer.json",
                                R"({"kind": "word", "words": ["<eos>", "<unk>", "a", "a"]})");
  EXPECT_THROW(load_tokenizer(d), InputError);
  spikessm::testing::write_file(dir / "tokenizer.json",
                                R"({"kind": "word", "words": ["a", "<unk>"]})");
  EXPECT_THROW(load_tokenizer(d), InputError);
  spikessm::testing::write_file(dir / "tokenizer.json", R"({"kind": "bpe"})");
  EXPECT_THROW(load_tokenizer(d), InputError);  // no tokenizer.model
  spikessm::testing::write_file(dir / "tokenizer.model", "garbage bytes");
  try {
    load_tokenizer(d);
    FAIL() << "a corrupt sentencepiece model loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train_tokenizer("morse", "x", 500), InputError);
}

TEST(Tokenizers, WordVocabularyNeedsUtf8AndNamesItsFile) {
  // Its vocabulary is saved as JSON, which holds UTF-8 only: other text is refused up front,
  // naming the file and the first byte that is not UTF-8.
  for (const std::string bad :
       {std::string("caf\xe9 au lait\n"), std::string("abc\xc0\xaf\n"),     // Latin-1, overlong
        std::string("abc\xed\xa0\x80\n"), std::string("abc\xf0\x9f\n")}) {  // surrogate, cut
    try {
      WordTokenizer::train(bad, "corpus/train.txt");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find("corpus/train.txt: not UTF-8 text (byte 0x"), 0u) << m;
      EXPECT_NE(m.find("at offset 3)"), std::string::npos) << m;
    }
  }
  auto t = WordTokenizer::train("caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x98\x80\n", "corpus/train.txt");
  EXPECT_EQ(t.vocab_size(), 5);
  auto dir = scratch_dir("tok_utf8");
  t.save(dir.string());
  EXPECT_EQ(load_tokenizer(dir.string())->vocab_size(), 5);
}

TEST(Tokenizers, MissingSentencepieceIsNamed) {
  // The tools run without a shell; without them on PATH the message says what to install.
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  setenv("PATH", "/nonexistent-spikessm-path", 1);
  std::string msg;
  try {
    BpeTokenizer::train("some text\n", 300);
  } catch (const InputError& e) {
    msg = e.what();
  }
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(msg,
            "spm_train: not found; the BPE tokenizer needs Debian's sentencepiece (apt-get install "
            "sentencepiece, or scripts/setup.sh)");
}

namespace {

// Text with enough distinct pairs for a 300-piece BPE (259 fixed pieces + merges).
std::string varied_text() {
  std::string text;
  uint64_t s = 42;
  for (int line = 0; line < 400; ++line) {
    for (int w = 0; w < 12; ++w) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const int len = 2 + int((s >> 60) % 6);
      for (int c = 0; c < len; ++c) text += char('a' + int((s >> (8 + 4 * c)) % 20));
      text += ' ';
    }
    text += '\n';
  }
  return text;
}

// PATH with a directory first whose spm_encode is `script` (a stand-in for a failing tool).
struct FakeSpmEncode {
  explicit FakeSpmEncode(const std::string& script) : dir(scratch_dir("fake_spm")) {
    const auto path = dir / "spm_encode";
    spikessm::testing::write_file(path, "#!/bin/sh\n" + script + "\n");
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    const char* old = std::getenv("PATH");
    saved = old ? old : "";
    setenv("PATH", (dir.string() + ":" + saved).c_str(), 1);
  }
  ~FakeSpmEncode() {
    setenv("PATH", saved.c_str(), 1);
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::string saved;
};

std::string encode_error(const Tokenizer& t) {
  try {
    t.encode("some text\nmore text\n");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Tokenizers, SpmEncodeFailingIsAnInputErrorNamingToolAndModel) {
  auto bpe = BpeTokenizer::train(varied_text(), 300);
  auto dir = scratch_dir("tok_spm_encode");
  bpe->save(dir.string());
  auto saved = load_tokenizer(dir.string());
  const std::string model = (dir / "tokenizer.model").string();
  {
    FakeSpmEncode fake("echo 'spm_encode: model is broken' >&2; exit 3");
    const std::string m = encode_error(*saved);
    EXPECT_EQ(m, model +
                     ": spm_encode failed to encode 2 lines of text with this sentencepiece "
                     "model (spm_encode: model is broken)");
  }
  {
    FakeSpmEncode fake("echo '12 x7 5'");
    const std::string m = encode_error(*saved);
    EXPECT_EQ(m.find(model + ": spm_encode answered '12 x7 5' on line 1"), 0u) << m;
  }
  {
    FakeSpmEncode fake("echo 12");  // one line for two
    const std::string m = encode_error(*saved);
    EXPECT_NE(m.find("spm_encode answered 1 lines for 2"), std::string::npos) << m;
  }
  EXPECT_EQ(saved->decode(saved->encode("abc\n")), "abc\n");  // the real tool again
}

TEST(Tokenizers, SpmEncodeFailingInTheCliIsOneLineAndExitCode2) {
  auto dir = scratch_dir("tok_spm_cli");
  spikessm::testing::write_file(dir / "corpus.txt", varied_text());
  const std::string run = (dir / "run").string();
  auto r = spikessm::testing::run_cli(
      "train --set model.family=spiking_ssm_lm --set lm.tokenizer=bpe --set lm.bpe_vocab=300"
      " --set lm.data_dir=" +
      (dir / "corpus.txt").string() +
      " --set lm.context=16 --set model.d_model=8 --set model.d_state=4 --set model.n_layers=1"
      " --set train.batch_size=2 --set train.max_steps=1 --set train.out_dir=" +
      run);
  ASSERT_EQ(r.code, 0) << r.out;
  FakeSpmEncode fake("echo 'spm_encode: cannot read input' >&2; exit 1");
  r = spikessm::testing::run_cli("eval --checkpoint " + run + "/checkpoint.pt");
  EXPECT_EQ(r.code, 2) << r.out;
  const std::string head = "error: " + run + "/tokenizer.model: spm_encode failed to encode ",
                    tail = " with this sentencepiece model (spm_encode: cannot read input)\n";
  EXPECT_EQ(r.out.find(head), 0u) << r.out;
  ASSERT_GT(r.out.size(), tail.size());
  EXPECT_EQ(r.out.substr(r.out.size() - tail.size()), tail) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}
