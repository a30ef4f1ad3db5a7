// `spikessm sdn generate | train | eval`: the surrogate dynamic network (papers.md 1.4).
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/neurons/sdn_train.h"

namespace spikessm::cli {
namespace {

struct SdnDataArgs {
  std::string file;  // a file from `sdn generate`; empty: generate in memory
  int64_t n = 10000, length = 1024;
  double tau = 0.125;
  uint64_t seed = 2;
  std::string sizes = "--n x --length";  // the flags that set n and length, for messages
};

// Generated sets: sequences and their length (the flags' ranges).
const CLI::Validator kSequences = int_range(1, 100000000), kLength = int_range(1, 10000000);

SdnDataset get_data(const SdnDataArgs& a) {
  if (!a.file.empty()) return load_sdn_data(a.file);
  require(a.n > 0 && a.length > 0, a.sizes, "must be positive");
  require(a.n <= kMaxSdnSteps / a.length, a.sizes,
          std::to_string(a.n) + " x " + std::to_string(a.length) + " = " +
              std::to_string(a.n * a.length) + " steps is more than one data set may hold (" +
              std::to_string(kMaxSdnSteps) + " steps, 9 bytes each in memory); lower one of them");
  require(a.tau > 0 && a.tau <= 1, "--tau", "must be in (0, 1]");
  return generate_sdn_data(a.n, a.length, float(a.tau), a.seed);
}

void add_generate(CLI::App& sdn) {
  auto a = std::make_shared<SdnDataArgs>();
  auto out = std::make_shared<std::string>();
  auto* cmd =
      sdn.add_subcommand("generate", "write N(0,1) currents with exact hard-reset LIF targets");
  cmd->add_option("--out", *out, "output file")->required()->check(output_file());
  cmd->add_option("--n", a->n, "number of sequences")->capture_default_str()->check(kSequences);
  cmd->add_option("--length", a->length, "sequence length L")
      ->capture_default_str()
      ->check(kLength);
  cmd->add_option("--tau", a->tau, "LIF decay")
      ->capture_default_str()
      ->check(range_of("model.tau"));
  cmd->add_option("--seed", a->seed, "random seed")
      ->capture_default_str()
      ->check(range_of("train.seed"));
  cmd->callback([a, out] {
    auto d = get_data(*a);
    save_sdn_data(d, *out);
    std::printf("wrote %s: %lld sequences of %lld steps, tau %g, spike rate %.4f\n", out->c_str(),
                (long long)a->n, (long long)a->length, a->tau,
                d.spike.to(torch::kFloat64).mean().item<double>());
  });
}

void add_train_sdn(CLI::App& sdn) {
  struct Args {
    SdnDataArgs train{"", 100000, 1024, 0.125, 1, "--n-train x --length"},
        test{"", 10000, 1024, 0.125, 2, "--n-test x --length"};
    SdnTrainOptions opt;
    std::string loss = "mse", out, log;
    int64_t threads = 0;
  };
  auto a = std::make_shared<Args>();
  a->opt.epochs = 100;
  auto* cmd = sdn.add_subcommand("train", "train the SDN and write its folded weights (JSON)");
  cmd->add_option("--data", a->train.file,
                  "training data from `sdn generate` (default: generated)");
  cmd->add_option("--test-data", a->test.file,
                  "test data from `sdn generate` (default: generated)");
  cmd->add_option("--n-train", a->train.n, "generated training sequences")
      ->capture_default_str()
      ->check(kSequences);
  cmd->add_option("--n-test", a->test.n, "generated test sequences")
      ->capture_default_str()
      ->check(kSequences);
  cmd->add_option("--length", a->train.length, "generated sequence length")
      ->capture_default_str()
      ->check(kLength);
  cmd->add_option("--tau", a->train.tau, "LIF decay of generated data")
      ->capture_default_str()
      ->check(range_of("model.tau"));
  cmd->add_option("--epochs", a->opt.epochs, "epochs")
      ->capture_default_str()
      ->check(range_of("train.epochs"));
  cmd->add_option("--batch", a->opt.batch, "batch size")
      ->capture_default_str()
      ->check(range_of("train.batch_size"));
  cmd->add_option("--lr", a->opt.lr, "AdamW learning rate")
      ->capture_default_str()
      ->check(range_of("train.lr"));
  cmd->add_option("--wd", a->opt.weight_decay, "AdamW weight decay")
      ->capture_default_str()
      ->check(range_of("train.weight_decay"));
  cmd->add_option("--loss", a->loss, "mse (paper) or smoothl1 (official code)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mse", "smoothl1"}));
  cmd->add_option("--seed", a->opt.seed, "seed of data, init and order")
      ->capture_default_str()
      ->check(range_of("train.seed"));
  cmd->add_option("--out", a->out, "weights file to write (JSON)")
      ->required()
      ->check(output_file());
  cmd->add_option("--log", a->log, "per-epoch metrics as JSON lines")->check(output_file());
  cmd->add_option("--threads", a->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([a] {
    set_threads(a->threads);
    a->opt.smooth_l1 = a->loss == "smoothl1";
    a->test.length = a->train.length;
    a->test.tau = a->train.tau;
    a->train.seed = a->opt.seed * 2 + 1;  // train and test streams never overlap
    a->test.seed = a->opt.seed * 2 + 2;
    auto train = get_data(a->train);
    auto test = get_data(a->test);
    require(std::fabs(train.tau - test.tau) < 1e-7, "--test-data",
            "has a different tau than --data");
    require(train.input.size(0) >= a->opt.batch, "--batch", "is larger than the training set");
    std::ofstream log;
    if (!a->log.empty()) {
      log.open(a->log, std::ios::trunc);
      require(bool(log), a->log, "cannot be written");
    }
    SdnMetrics last;
    auto net = train_sdn(
        train, test, a->opt,
        [&](int64_t epoch, double loss, const SdnMetrics& m) {
          last = m;
          std::fprintf(stderr, "epoch %lld: train loss %.3e, test agreement %.5f%%, MAE %.5f\n",
                       (long long)epoch, loss, 100 * m.agreement, m.mae);
          if (log)
            log << nlohmann::json{{"epoch", epoch},
                                  {"loss", loss},
                                  {"agreement", m.agreement},
                                  {"mae", m.mae}}
                       .dump()
                << std::endl;
        },
        true);
    auto w = net->fold(train.tau);
    nlohmann::json prov{{"command", command_line()},
                        {"seed", a->opt.seed},
                        {"epochs", a->opt.epochs},
                        {"loss", a->loss},
                        {"n_train", train.input.size(0)},
                        {"n_test", test.input.size(0)},
                        {"length", train.input.size(1)},
                        {"test_agreement", last.agreement},
                        {"test_mae", last.mae}};
    w.provenance = prov.dump();
    save_sdn_weights(w, a->out);
    std::printf("test spike agreement %.4f%%, membrane MAE %.5f -> %s\n", 100 * last.agreement,
                last.mae, a->out.c_str());
  });
}

void add_eval_sdn(CLI::App& sdn) {
  auto a = std::make_shared<SdnDataArgs>();
  auto weights = std::make_shared<std::string>("builtin");
  auto json = std::make_shared<std::string>();
  a->seed = 12345;
  auto* cmd = sdn.add_subcommand(
      "eval", "spike agreement and membrane MAE of SDN weights vs the exact LIF");
  cmd->add_option("--weights", *weights, "weights JSON, or 'builtin'")->capture_default_str();
  cmd->add_option("--data", a->file, "data from `sdn generate` (default: generated)");
  cmd->add_option("--n", a->n, "generated sequences")->capture_default_str()->check(kSequences);
  cmd->add_option("--length", a->length, "generated length")->capture_default_str()->check(kLength);
  cmd->add_option("--seed", a->seed, "seed of generated data")
      ->capture_default_str()
      ->check(range_of("train.seed"));
  cmd->add_option("--json", *json, "also write the metrics as JSON")->check(output_file());
  cmd->callback([a, weights, json] {
    auto w = *weights == "builtin" ? builtin_sdn_weights() : load_sdn_weights(*weights);
    a->tau = w.tau;
    auto d = get_data(*a);
    require(std::fabs(d.tau - w.tau) < 1e-7, "--data",
            "was generated with tau " + std::to_string(d.tau) + " but the weights emulate tau " +
                std::to_string(w.tau));
    auto m = evaluate_sdn(w, d);
    std::printf("tau %g, %lld sequences x %lld steps: spike agreement %.4f%%, membrane MAE %.5f\n",
                w.tau, (long long)d.input.size(0), (long long)d.input.size(1), 100 * m.agreement,
                m.mae);
    if (!json->empty()) {
      std::ofstream out(*json, std::ios::trunc);
      require(bool(out), *json, "cannot be written");
      out << nlohmann::json{{"agreement", m.agreement}, {"mae", m.mae}, {"tau", w.tau}}.dump(2)
          << "\n";
    }
  });
}

}  // namespace

void add_sdn(CLI::App& app) {
  auto* sdn =
      app.add_subcommand("sdn", "the surrogate dynamic network: generate data, train, evaluate");
  sdn->require_subcommand(1);
  add_generate(*sdn);
  add_train_sdn(*sdn);
  add_eval_sdn(*sdn);
}

}  // namespace spikessm::cli
