"""Reads a spikessm NIR export with the reference library (nir.read) and checks that its
sequence length is the task's: metadata sequence_length = L and, in a graph with the mean-pool
integrator, r = 1 / (L dt).
Usage: nir_length_check.py GRAPH.nir L"""
import sys

import numpy as np
import nir

path, L = sys.argv[1], int(sys.argv[2])
g = nir.read(path)
got = int(g.metadata["sequence_length"])
dt = float(g.metadata["dt"])
if got != L:
    sys.exit(f"FAILED {path}: sequence_length {got}, the task's L is {L}")
if "pool" in g.nodes:
    r = np.asarray(g.nodes["pool"].r, dtype=np.float64)
    if not np.allclose(r, 1.0 / (L * dt), rtol=1e-6):
        sys.exit(f"FAILED {path}: pool integrator r = {r[0]}, expected 1 / (L dt) = {1.0 / (L * dt)}")
print(f"nir.read ok: {path}: L = {L}, {len(g.nodes)} nodes, input: {g.metadata.get('spikessm.input', '')}")
