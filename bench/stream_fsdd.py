#!/usr/bin/python3
"""`spikessm stream` on the FSDD test recordings (index 0-4 of every speaker and digit).

  accuracy  stream every test recording (a WAV file each, --length = the training length) and
            compare the decisions with `spikessm eval` (accuracy and predicted-class counts)
  detect    one continuous stream of test recordings (optionally with silence between them)
            through --detect: hits, misses and false alarms per minute
  long      SECONDS of concatenated recordings on stdin, nothing stored: the stream's own
            per-step latency and peak RSS
  gen       the concatenated stream as raw s16le on stdout (for your own pipelines)

Debian's python3 (tarfile, wave; numpy for `accuracy`); the CLI is started without a shell.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import wave


def test_recordings(tar_path):
    """[(name, digit, pcm bytes s16le, frames)] of the test split, in archive order."""
    out = []
    with tarfile.open(tar_path) as tar:
        for m in tar.getmembers():
            base = os.path.basename(m.name)
            if not base.endswith(".wav"):
                continue
            digit, _speaker, index = base[:-4].split("_")
            if int(index) >= 5:
                continue
            data = tar.extractfile(m).read()
            with wave.open(io.BytesIO(data)) as w:
                assert w.getframerate() == 8000 and w.getnchannels() == 1 and w.getsampwidth() == 2
                pcm = w.readframes(w.getnframes())
            out.append((base, int(digit), data, pcm))
    return out


def stream_bytes(recs, seconds, gap, manifest):
    """Yields s16le chunks: the recordings in turn (repeated as needed) with `gap` seconds of
    silence after each, until `seconds` of audio (0: each recording once); appends
    (start, end, digit) to manifest."""
    total, limit, silence = 0, int(seconds * 8000), b"\0\0" * int(gap * 8000)
    i = 0
    while (total < limit) if seconds > 0 else (i < len(recs)):
        _name, digit, _wav, pcm = recs[i % len(recs)]
        n = len(pcm) // 2
        manifest.append((total, total + n, digit))
        yield pcm
        total += n
        if silence:
            yield silence
            total += len(silence) // 2
        i += 1


def run_stream(cli, args, feed=None):
    """Runs `cli stream args`, optionally feeding an iterator of bytes to stdin; returns
    (stdout lines, stderr)."""
    p = subprocess.Popen([cli, "stream"] + args, stdin=subprocess.PIPE if feed else None,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if feed:
        def writer():
            try:
                for b in feed:
                    p.stdin.write(b)
            finally:
                p.stdin.close()
        t = threading.Thread(target=writer)
        t.start()
    err = []
    te = threading.Thread(target=lambda: err.append(p.stderr.read().decode()))
    te.start()
    lines = [l.decode() for l in p.stdout]
    if feed:
        t.join()
    te.join()
    if p.wait() != 0:
        sys.exit("stream failed: " + "".join(err))
    return lines, "".join(err)


def cmd_accuracy(a):
    recs = test_recordings(a.tar)
    correct, hist = 0, [0] * 10
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, _digit, data, _pcm in recs:
            paths.append(os.path.join(tmp, name))
            with open(paths[-1], "wb") as f:
                f.write(data)
        # One process streams every file in turn, each from a fresh state.
        lines, err = run_stream(a.cli, ["--checkpoint", a.checkpoint, "--length", str(a.length),
                                        "--json", "--chunk", str(a.chunk), "--input"] + paths)
        finals = {json.loads(l)["input"]: json.loads(l) for l in lines if '"final"' in l}
        for path, (_name, digit, _data, _pcm) in zip(paths, recs):
            c = finals[path]["class"]
            correct += c == digit
            hist[c] += 1
        logits = os.path.join(tmp, "logits.npy")
        ev = subprocess.run([a.cli, "eval", "--checkpoint", a.checkpoint, "--logits", logits],
                            capture_output=True, text=True, check=True)
        import numpy as np
        pred = np.load(logits).argmax(1)
    eval_hist = [int((pred == c).sum()) for c in range(10)]
    acc_line = [l for l in ev.stdout.splitlines() if "accuracy" in l.lower()]
    print(json.dumps({"recordings": len(recs), "stream_correct": correct,
                      "stream_accuracy": correct / len(recs),
                      "stream_predicted_per_class": hist, "eval_predicted_per_class": eval_hist,
                      "eval_report": acc_line, "stream_summary": err.strip()}, indent=1))


def cmd_detect(a):
    recs = test_recordings(a.tar)
    manifest = []
    feed = stream_bytes(recs, a.seconds, a.gap, manifest)
    lines, err = run_stream(a.cli, ["--checkpoint", a.checkpoint, "--input", "-", "--format",
                                    "s16le", "--rate", "8000", "--json", "--detect",
                                    "--threshold", str(a.threshold), "--min-steps",
                                    str(a.min_steps), "--window", str(a.window), "--chunk",
                                    str(a.chunk)], feed)
    events = [json.loads(l) for l in lines]
    det = [e for e in events if e["event"] == "detection"]
    # A decision belongs to the recording that was playing (or the silence after it).
    starts = [m[0] for m in manifest]
    hit = [False] * len(manifest)
    false_alarms = 0
    import bisect
    for e in det:
        i = bisect.bisect_right(starts, int(round(e["t"] * 8000))) - 1
        if i >= 0 and e["class"] == manifest[i][2] and not hit[i]:
            hit[i] = True
        else:
            false_alarms += 1
    minutes = (manifest[-1][1] + int(a.gap * 8000)) / 8000 / 60
    print(json.dumps({"recordings": len(manifest), "minutes": round(minutes, 3),
                      "hits": sum(hit), "misses": len(hit) - sum(hit),
                      "false_alarms": false_alarms,
                      "false_alarms_per_minute": round(false_alarms / minutes, 2),
                      "detections": len(det),
                      "timeouts": sum(e["event"] == "timeout" for e in events),
                      "stream_summary": err.strip()}, indent=1))


def cmd_long(a):
    recs = test_recordings(a.tar)
    feed = stream_bytes(recs, a.seconds, 0.0, [])
    _lines, err = run_stream(a.cli, ["--checkpoint", a.checkpoint, "--input", "-", "--format",
                                     "s16le", "--rate", "8000", "--chunk", str(a.chunk)], feed)
    print(err.strip())


def cmd_gen(a):
    out = sys.stdout.buffer
    for b in stream_bytes(test_recordings(a.tar), a.seconds, a.gap, []):
        out.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["accuracy", "detect", "long", "gen"])
    ap.add_argument("--cli", default="build/spikessm")
    ap.add_argument("--checkpoint", default="models/fsdd-stream-spikingssm/model.pt")
    ap.add_argument("--tar", default="../shared/data/fsdd/recordings.tar")
    ap.add_argument("--length", type=int, default=102,
                    help="accuracy: steps per recording (the training length)")
    ap.add_argument("--seconds", type=float, default=60.0,
                    help="detect, long, gen: seconds of audio (0: every test recording once)")
    ap.add_argument("--gap", type=float, default=0.0, help="seconds of silence after each")
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--min-steps", type=int, default=50)
    ap.add_argument("--window", type=int, default=102)
    a = ap.parse_args()
    {"accuracy": cmd_accuracy, "detect": cmd_detect, "long": cmd_long, "gen": cmd_gen}[a.mode](a)


if __name__ == "__main__":
    main()
