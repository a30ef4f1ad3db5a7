"""torch.nn.Modules of spikessm: views of the C++ modules (their parameters are the C++
tensors) and neuron modules over the fused ops."""
from .cpp_module import CppModule
from .layers import (S4D, BinaryS4DBlock, GSU, NeuralDynamics, NeuronSparkLayer, PlifNode,
                     SpikingAttention, SpikingSSMBlock)
from .models import Classifier, LanguageModel
from .neurons import LIF, PLIF

__all__ = ["CppModule", "S4D", "SpikingSSMBlock", "BinaryS4DBlock", "GSU", "PlifNode",
           "NeuronSparkLayer", "NeuralDynamics", "SpikingAttention", "Classifier",
           "LanguageModel", "LIF", "PLIF"]
