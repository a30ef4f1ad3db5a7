#pragma once
// The enums a config or the command line can name, with their names tables (common/names.h).
// They live here, below the kernels and the modules, because the config schema, the kernels
// (surrogate, reset) and the option builders all need them.
#include "spikessm/common/names.h"

namespace spikessm {

// Declares the names table of enum E; WHAT names the enum in error messages.
#define SPIKESSM_NAMES(E, WHAT, ...)                   \
  template <>                                          \
  struct EnumNames<E> {                                \
    static constexpr const char* what = WHAT;          \
    static constexpr std::array table = {__VA_ARGS__}; \
  }

// Surrogate gradient of the Heaviside spike (common/surrogate.h has the formulas).
enum class Surrogate { Triangle, Sigmoid, Atan, Rectangle, FastSigmoid };
SPIKESSM_NAMES(Surrogate, "surrogate", EnumName<Surrogate>{Surrogate::Triangle, "triangle"},
               EnumName<Surrogate>{Surrogate::Sigmoid, "sigmoid"},
               EnumName<Surrogate>{Surrogate::Atan, "atan"},
               EnumName<Surrogate>{Surrogate::Rectangle, "rectangle"},
               EnumName<Surrogate>{Surrogate::FastSigmoid, "fast_sigmoid"});

// LIF reset after a spike: to 0, or subtract the threshold.
enum class ResetMode { Hard, Soft };
SPIKESSM_NAMES(ResetMode, "reset mode", EnumName<ResetMode>{ResetMode::Hard, "hard"},
               EnumName<ResetMode>{ResetMode::Soft, "soft"});

enum class GradMode {
  BPTT,  // gradient through the membrane across time
  SLTT,  // leak term detached: gradient only within a step (paper's SLTT baseline)
};
SPIKESSM_NAMES(GradMode, "gradient mode", EnumName<GradMode>{GradMode::BPTT, "bptt"},
               EnumName<GradMode>{GradMode::SLTT, "sltt"});

// S4D initialisation: A_n = -1/2 + i pi n  |  Im A_n = N/pi (N/(2n+1) - 1)
enum class S4DInit { Lin, Inv };
SPIKESSM_NAMES(S4DInit, "S4D init", EnumName<S4DInit>{S4DInit::Lin, "lin"},
               EnumName<S4DInit>{S4DInit::Inv, "inv"});

// Which kernel runs the mixing layer at inference. Auto picks sparse when the batch's
// measured spiking rate is below the measured crossover rate for the layer's shape.
enum class MixKernel { Auto, Dense, Sparse };
SPIKESSM_NAMES(MixKernel, "mixing kernel", EnumName<MixKernel>{MixKernel::Auto, "auto"},
               EnumName<MixKernel>{MixKernel::Dense, "dense"},
               EnumName<MixKernel>{MixKernel::Sparse, "sparse"});

enum class NormKind { Layer, Batch, None };
SPIKESSM_NAMES(NormKind, "norm", EnumName<NormKind>{NormKind::Layer, "layer"},
               EnumName<NormKind>{NormKind::Batch, "batch"},
               EnumName<NormKind>{NormKind::None, "none"});

enum class MixerKind { Glu, Gsu };
SPIKESSM_NAMES(MixerKind, "mixer", EnumName<MixerKind>{MixerKind::Glu, "glu"},
               EnumName<MixerKind>{MixerKind::Gsu, "gsu"});

enum class BinaryActivation { Heaviside, Gelu };
SPIKESSM_NAMES(BinaryActivation, "binary activation",
               EnumName<BinaryActivation>{BinaryActivation::Heaviside, "heaviside"},
               EnumName<BinaryActivation>{BinaryActivation::Gelu, "gelu"});

enum class AttentionKind { Ssa, LrfSsa, LrfDyn };
SPIKESSM_NAMES(AttentionKind, "attention", EnumName<AttentionKind>{AttentionKind::Ssa, "ssa"},
               EnumName<AttentionKind>{AttentionKind::LrfSsa, "lrf_ssa"},
               EnumName<AttentionKind>{AttentionKind::LrfDyn, "lrf_dyn"});

// What an audio task feeds the model a step (data/audio_features.h).
enum class AudioFeatures { Wave, LogMel };
SPIKESSM_NAMES(AudioFeatures, "audio features",
               EnumName<AudioFeatures>{AudioFeatures::Wave, "wave"},
               EnumName<AudioFeatures>{AudioFeatures::LogMel, "logmel"});

}  // namespace spikessm
