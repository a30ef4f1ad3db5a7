#pragma once
// Language-model corpora as plain text, in the layouts the field uses:
//   WikiText  <dir>/{train,valid,test}.txt  or  <dir>/wiki.{train,valid,test}.tokens
//   PTB       <dir>/ptb.{train,valid,test}.txt
//   raw text  <dir>/input.txt (tiny Shakespeare) or a single file given as the path:
//             split by characters into the first 90 % (train), next 5 % (valid), last 5 % (test)
//   default   no directory: the King James Bible from Debian's bible-kjv (verse references
//             stripped, one verse a line), split 90/5/5 like raw text
#include <string>

namespace spikessm {

struct LmCorpus {
  std::string name;         // "wikitext" | "ptb" | "raw" | "bible-kjv"
  std::string description;  // where the text came from, for logs
  std::string train, valid, test;
  std::string train_source;  // the file (or program) the training split came from, for errors
};

// Evaluation reads the test split alone where it has a file of its own (WikiText, PTB); raw text
// is split from one file, read whole.
enum class CorpusSplits { All, TestOnly };

// path: a directory in one of the layouts above, a raw text file, or "" for the Bible.
// InputError naming the path when it matches no layout or a split is empty. TestOnly leaves
// train and valid empty when the layout keeps them in files of their own.
LmCorpus load_corpus(const std::string& path, CorpusSplits splits = CorpusSplits::All);

// The 90/5/5 character split of raw text; boundaries move forward to the next UTF-8
// character start so that no character is cut.
LmCorpus split_raw_text(const std::string& text, const std::string& name,
                        const std::string& description);

// The KJV text of `bible -f Gen1:1-Rev22:21`, one verse a line without its reference;
// InputError when the bible program (Debian bible-kjv) is not installed.
std::string read_bible_kjv();

}  // namespace spikessm
