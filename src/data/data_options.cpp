#include "spikessm/data/data_options.h"

namespace spikessm {

DataOptions data_options(const Config& cfg) {
  DataOptions o;
  o.dataset = cfg.get_string("data.dataset");
  o.image_layout = cfg.get_string("data.layout") == "image";
  o.dir = cfg.get_string("data.dir");
  o.train_limit = cfg.get_int("data.train_limit");
  o.test_limit = cfg.get_int("data.test_limit");
  o.max_length = cfg.get_int("data.max_length");
  o.read_limit = cfg.get_int("data.read_limit");
  o.split_seed = uint64_t(cfg.get_int("data.split_seed"));
  o.pool = cfg.get_int("data.pool");
  o.permute = cfg.get_bool("data.permute");
  o.permutation_seed = uint64_t(cfg.get_int("data.permutation_seed"));
  o.train_file = cfg.get_string("data.train");
  o.val_file = cfg.get_string("data.val");
  o.test_file = cfg.get_string("data.test");
  o.standardize = cfg.get_bool("data.standardize");
  o.audio.kind = parse_enum<AudioFeatures>(cfg.get_string("data.features"), "data.features");
  o.audio.pool = o.pool;
  o.audio.frame = cfg.get_int("data.frame");
  o.audio.hop = cfg.get_int("data.hop");
  o.audio.mel_bands = cfg.get_int("data.mel_bands");
  o.audio.log_floor = cfg.get_float("data.log_floor");
  o.shift = cfg.get_int("data.shift");
  return o;
}

}  // namespace spikessm
