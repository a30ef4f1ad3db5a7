"""spikessm.nn: the views of the C++ modules behave as torch.nn.Modules (parameters are the C++
tensors, state_dict round trips, optimizers train them, dtype and mode reach C++) and their
streaming paths equal the parallel ones."""
import torch

import spikessm
from spikessm import nn as snn


def same_outputs(a, b, x):
    with torch.no_grad():
        return torch.equal(a(x), b(x))


def test_state_dict_round_trip_and_names():
    torch.manual_seed(0)
    a = snn.SpikingSSMBlock(8, 4, norm="batch", dropout=0.0)
    b = snn.SpikingSSMBlock(8, 4, norm="batch", dropout=0.0)
    sd = a.state_dict()
    assert {"s4d.log_dt", "s4d.c", "s4d.d", "mix.weight", "mix.bias", "ln_vth",
            "norm.running_mean", "norm.num_batches_tracked"} <= set(sd)
    x = torch.randn(3, 20, 8)
    a.eval(), b.eval()
    assert not same_outputs(a, b, x)
    b.load_state_dict(sd)
    assert same_outputs(a, b, x)
    assert all(isinstance(p, torch.nn.Parameter) for p in a.parameters())
    # The very C++ tensors, not copies.
    assert dict(a.named_parameters())["s4d.log_dt"] is dict(a.s4d.cpp.named_parameters())["log_dt"]


def test_optimizer_trains_the_cpp_module():
    torch.manual_seed(1)
    block = snn.SpikingSSMBlock(6, 4, surrogate="atan", alpha=2.0)
    x = torch.randn(4, 16, 6)
    target = 0.5 * x  # reachable: the block is residual
    w0 = block.mix.weight.detach().clone()
    opt = torch.optim.Adam(block.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(block(x), target)
        loss.backward()
        assert all(p.grad is not None for p in block.parameters())
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses
    # The step changed the C++ module's own weight.
    assert not torch.equal(dict(block.mix.cpp.named_parameters())["weight"], w0)


def test_train_eval_and_dtype_reach_cpp():
    block = snn.BinaryS4DBlock(4, 4, norm="batch", mixer="gsu")
    block.eval()
    assert not block.cpp.training and not block.norm.cpp.training
    block.train()
    assert block.cpp.training and block.norm.cpp.training
    block.double()
    assert block.s4d.log_dt.dtype == torch.float64
    assert block.norm.running_mean.dtype == torch.float64
    assert dict(block.norm.cpp.named_buffers())["running_mean"].dtype == torch.float64
    y = block(torch.randn(2, 7, 4, dtype=torch.float64))
    assert y.dtype == torch.float64


def test_s4d_step_mode_equals_forward():
    torch.manual_seed(2)
    s4d = snn.S4D(5, 8)
    u = torch.randn(2, 30, 5)
    with torch.no_grad():
        y = s4d(u)
        h = s4d.initial_state(2)
        ys = []
        for t in range(30):
            y_t, h = s4d.step(u[:, t], h)
            ys.append(y_t)
        torch.testing.assert_close(torch.stack(ys, 1), y, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(s4d.state_after(u), h, rtol=1e-4, atol=1e-5)
        s4d.backend = "fft"
        torch.testing.assert_close(s4d(u), y, rtol=1e-4, atol=1e-5)


def test_neuron_modules():
    torch.manual_seed(3)
    lif = snn.LIF(5, tau=0.5, learnable_vth=True, surrogate="sigmoid")
    x = torch.randn(2, 9, 5)
    s = lif(x)
    s.sum().backward()
    assert lif.ln_vth.grad is not None
    plif = snn.PLIF(5, init_tau=2.0, learnable_vth=True)
    s, v = plif.membrane(x)
    (s.sum() + v.sum()).backward()
    assert plif.w.grad is not None and plif.v_th.grad is not None
    torch.testing.assert_close(torch.sigmoid(plif.w), torch.full((5,), 0.5))


def test_layers_forward_shapes():
    torch.manual_seed(4)
    x = torch.randn(2, 12, 8)
    assert snn.GSU(8)(x).shape == x.shape
    node = snn.PlifNode(8)
    leak, v_last = node(x)
    assert leak.shape == x.shape and v_last.shape == (2, 8)
    layer = snn.NeuronSparkLayer(8, 2, 16, frames=3).eval()
    h = torch.randn(2, 4 * 3, 8)
    with torch.no_grad():
        out, ek_b, ek_f, state = layer(h)
        first, _, _, st = layer(h[:, :6])
        second, _, _, _ = layer(h[:, 6:], st)
    assert out.shape == h.shape and ek_b.shape == (2, 4) and len(state) == 5
    torch.testing.assert_close(torch.cat([first, second], 1), out, rtol=1e-5, atol=1e-6)

    dyn = snn.NeuralDynamics(8, dendrites=4)
    u = torch.randn(3, 16, 8)
    y_train = dyn(u)
    dyn.eval()
    with torch.no_grad():
        y_eval = dyn(u)
        y1, s = dyn.forward_chunk(u[:, :5])
        y2, _ = dyn.forward_chunk(u[:, 5:], s)
    torch.testing.assert_close(y_train.detach(), y_eval, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.cat([y1, y2], 1), y_eval, rtol=1e-5, atol=1e-6)

    attn = snn.SpikingAttention(16, 4, 4, kind="lrf_dyn", heads=2)
    xt = (torch.rand(2, 3, 16, 16) < 0.3).float()  # (T, B, N, D) spikes
    y = attn(xt)
    assert y.shape == xt.shape and set(y.unique().tolist()) <= {0.0, 1.0}
    attn.eval()
    with torch.no_grad():
        assert attn(xt).shape == xt.shape


def test_language_model_step_equals_forward():
    torch.manual_seed(5)
    for family, extra in (("spiking_ssm_lm", {"model.d_model": 16, "model.d_state": 8}),
                          ("neuronspark_lm", {"neuronspark.d_model": 16, "neuronspark.d_ff": 24,
                                              "neuronspark.n_layers": 1})):
        lm = snn.LanguageModel(None, vocab=40, overrides={"model.family": family,
                                                          "model.n_layers": 1, **extra}).eval()
        ids = torch.randint(0, 40, (2, 9))
        with torch.no_grad():
            logits = lm(ids)
            prefix, state = lm.forward_with_state(ids[:, :5])
            rest = []
            for t in range(5, 9):
                step_logits, state = lm.step(ids[:, t], state)
                rest.append(step_logits)
        assert logits.shape == (2, 9, 40) and lm.family == family
        torch.testing.assert_close(prefix, logits[:, :5], rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(torch.stack(rest, 1), logits[:, 5:], rtol=1e-4, atol=1e-4)


def test_classifier_from_config_and_stats():
    torch.manual_seed(6)
    clf = snn.Classifier(None, {"kind": "signal", "d_input": 3, "n_classes": 4},
                         overrides={"model.d_model": 8, "model.d_state": 4, "model.n_layers": 1})
    x = torch.randn(5, 11, 3)
    clf.eval()
    clf.collect_stats(True)
    with torch.no_grad():
        logits = clf(x)
    report = clf.ops_report(11)
    clf.collect_stats(False)
    assert logits.shape == (5, 4)
    assert report["layers"] and 0 <= clf.mean_rate() <= 1
    # The same config and seed build the same parameters.
    again = snn.Classifier(clf.config_toml, clf.model_input)
    for (n1, p1), (n2, p2) in zip(clf.state_dict().items(), again.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2)
    assert spikessm.make_config(clf.config_toml) == clf.config_toml


def test_spikformer_with_lrf_dyn_attention():
    torch.manual_seed(7)
    clf = snn.Classifier(None, {"kind": "image", "d_input": 1, "n_classes": 10,
                                "image": [1, 16, 16]},
                         overrides={"model.family": "spikformer", "model.attention": "lrf_dyn",
                                    "model.d_model": 16, "model.heads": 2,
                                    "model.time_steps": 2, "model.n_layers": 1})
    x = torch.rand(2, 1, 16, 16)
    clf(x).sum().backward()
    assert all(p.grad is not None for p in clf.parameters())
    clf.eval()
    with torch.no_grad():
        assert clf(x).shape == (2, 10)
    assert "bn0.running_mean" in clf.state_dict()
