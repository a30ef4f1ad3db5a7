"""Functional neurons, in the style of torch.nn.functional: the spiking ops of spikessm.ops
under short names. Each is the C++ op itself (fused kernel, custom backward)."""
from .ops import (SURROGATES, heaviside_spike, lif_multistep, plif_multistep, sdn_spike,
                  selective_plif, selective_scan, ternary_spike)

lif = lif_multistep
plif = plif_multistep
heaviside = heaviside_spike
ternary = ternary_spike

__all__ = ["SURROGATES", "lif", "plif", "selective_plif", "heaviside", "ternary", "sdn_spike",
           "selective_scan", "lif_multistep", "plif_multistep", "heaviside_spike",
           "ternary_spike"]
