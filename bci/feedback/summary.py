"""The session summary: baseline, time above threshold, per-minute means; JSON and PNG.

All times are seconds of *signal* (sample indices over the nominal rate), so a session
replayed at any speed, or run offline, has the same summary apart from the live-only
figures (measured output rate and latency).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from bci.feedback.artifacts import REASONS
from bci.feedback.program import FeedbackRun
from bci.feedback.protocol import Protocol


def session_summary(run: FeedbackRun, protocol: Protocol, *, speed: float = 1.0,
                    input_stream: str | None = None) -> dict:
    """Every figure of a session, JSON-serialisable.

    Parameters
    ----------
    run : FeedbackRun
        What the session produced (live or offline).
    protocol : Protocol
    speed : float
        The input's replay speed (timestamps running that much faster than the signal).
    input_stream : str or None
        Name of the input stream or file(s), for the record.

    Returns
    -------
    dict
        ``protocol``, ``settings``, ``baseline``, ``feedback``, ``per_minute``,
        ``output`` (rates, latency) and ``counters``.
    """
    settings = protocol.feedback
    processor = run.processor
    sfreq = run.sfreq
    period = 1.0 / settings.rate
    samples = run.samples
    index = np.array([s.index for s in samples], dtype=np.int64)
    feedback = np.array([s.feedback for s in samples])
    reward = np.array([s.reward for s in samples], dtype=bool)
    value = np.array([s.value for s in samples])
    reasons = [s.artifact for s in samples]
    artifact = np.array([r is not None for r in reasons], dtype=bool)
    clean = ~artifact
    above = clean & (feedback >= settings.threshold)

    normaliser = processor.normaliser
    baseline = {
        "seconds_requested": settings.baseline,
        "start_s": _seconds(processor.baseline_start, sfreq),
        "end_s": _seconds(processor.baseline_stop, sfreq),
        "complete": normaliser.is_frozen,
        "n_artifact_windows": sum(w.artifact is not None for w in processor.baseline_windows),
        "value": normaliser.describe(),
    }
    if processor.baseline_start is not None and processor.baseline_stop is not None:
        baseline["seconds"] = (processor.baseline_stop - processor.baseline_start) / sfreq
    if normaliser.is_frozen:
        baseline["threshold_value"] = normaliser.value_at(settings.threshold)

    n = len(samples)
    n_clean = int(clean.sum())
    phase = {
        "n_samples": n,
        "seconds": _round(n * period),
        "start_s": _seconds(int(index[0]) if n else None, sfreq),
        "end_s": _seconds(int(index[-1]) if n else None, sfreq),
        "clean_seconds": _round(n_clean * period),
        "artifact_seconds": _round(int(artifact.sum()) * period),
        "artifact_fraction": _ratio(int(artifact.sum()), n),
        "artifacts": {reason: _round(reasons.count(reason) * period) for reason in REASONS},
        "time_above_threshold_s": _round(int(above.sum()) * period),
        "fraction_above_threshold": _ratio(int(above.sum()), n_clean),
        "time_rewarded_s": _round(int(reward.sum()) * period),
        "fraction_rewarded": _ratio(int(reward.sum()), n_clean),
        "n_rewards": processor.reward.n_rewards,
        "mean_feedback": _mean(feedback[clean]),
        "mean_value": _mean(value[clean]),
    }

    per_minute = []
    if n:
        minute = (index - index[0]) // int(round(60 * sfreq))
        for m in range(int(minute[-1]) + 1):
            sel = minute == m
            ok = sel & clean
            per_minute.append({
                "minute": m + 1,
                "start_s": float(index[sel][0] / sfreq) if sel.any() else None,
                "n_samples": int(sel.sum()),
                "mean_feedback": _mean(feedback[ok]),
                "mean_value": _mean(value[ok]),
                "fraction_above_threshold": _ratio(int((sel & above).sum()), int(ok.sum())),
                "fraction_rewarded": _ratio(int((sel & reward).sum()), int(ok.sum())),
                "artifact_fraction": _ratio(int((sel & artifact).sum()), int(sel.sum())),
            })

    output = {"rate_hz": settings.rate, "speed": speed}
    if n > 1:
        output["rate_hz_signal"] = (n - 1) / ((index[-1] - index[0]) / sfreq)
    if len(run.push_times) > 1:
        pushed = np.asarray(run.push_times)
        wall = (len(pushed) - 1) / (pushed[-1] - pushed[0])
        output["rate_hz_wall"] = float(wall)
        output["rate_hz_measured"] = float(wall / speed)  # per second of signal
        intervals = np.diff(pushed) * speed * 1e3
        output["interval_ms"] = _percentiles(intervals)
    if run.latencies_ms:
        output["latency_ms"] = _percentiles(np.asarray(run.latencies_ms))

    return {
        "protocol": protocol.name,
        "origin": protocol.origin,
        "input": input_stream,
        "channels": list(run.pipeline.ch_names),
        "decoder": dict(protocol.config.decoder),
        "window_s": protocol.config.window,
        "step_s": protocol.config.step,
        "sfreq": sfreq,
        "settings": settings.as_dict(),
        "baseline": baseline,
        "feedback": phase,
        "per_minute": per_minute,
        "output": output,
        "counters": dict(run.pipeline.stats.counters),
    }


def write_summary(folder: str | Path, summary: dict, run: FeedbackRun) -> dict[str, Path]:
    """Write ``summary.json``, ``summary.png`` and ``feedback.csv`` (every sample).

    Parameters
    ----------
    folder : str or Path
        Created if needed.
    summary : dict
        From :func:`session_summary`.
    run : FeedbackRun

    Returns
    -------
    dict of str to Path
        ``json``, ``png`` and ``csv``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "summary.json", "png": folder / "summary.png",
             "csv": folder / "feedback.csv"}
    paths["json"].write_text(json.dumps(summary, indent=2, default=float) + "\n",
                             encoding="utf-8")
    _write_csv(paths["csv"], run)
    plot_session(paths["png"], summary, run)
    return paths


def _write_csv(path: Path, run: FeedbackRun) -> None:
    sfreq = run.sfreq
    latencies = run.latencies_ms if len(run.latencies_ms) == len(run.samples) else None
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["time_s", "index", "feedback", "reward", "value", "normalised",
                         "artifact", "window_end", "latency_ms"])
        for k, s in enumerate(run.samples):
            writer.writerow([f"{s.index / sfreq:.4f}", s.index, repr(s.feedback),
                             int(s.reward), repr(s.value), repr(s.normalised),
                             s.artifact or "", repr(s.window_end),
                             f"{latencies[k]:.3f}" if latencies else ""])


def plot_session(path: str | Path, summary: dict, run: FeedbackRun) -> Path:
    """A PNG of the session: raw value with its baseline, feedback and reward, per minute.

    Uses matplotlib's object API with the Agg canvas (no pyplot, no GUI backend).
    """
    from matplotlib.figure import Figure

    sfreq = run.sfreq
    settings = summary["settings"]
    fig = Figure(figsize=(12, 8), layout="constrained")
    ax_value, ax_feedback, ax_minute = fig.subplots(
        3, 1, gridspec_kw={"height_ratios": [1.0, 1.2, 0.8]})
    fig.suptitle(f"neurofeedback: {summary['protocol']} ({', '.join(summary['channels'])})")

    windows = run.processor.baseline_windows
    if windows:
        t_base = np.array([w.stop_index for w in windows]) / sfreq
        v_base = np.array([w.value for w in windows])
        bad = np.array([w.artifact is not None for w in windows])
        ax_value.plot(t_base, v_base, color="0.5", lw=0.8, label="baseline")
        if bad.any():
            ax_value.plot(t_base[bad], v_base[bad], "x", color="tab:red", ms=4,
                          label="artifact (left out)")
    samples = run.samples
    t = np.array([s.index for s in samples]) / sfreq
    art = np.array([s.is_artifact for s in samples], dtype=bool)
    if samples:
        values = np.array([s.value for s in samples])
        ax_value.plot(t, np.where(art, np.nan, values), color="tab:blue", lw=0.8,
                      label="value")
        if art.any():
            ax_value.plot(t[art], values[art], ".", color="tab:red", ms=2,
                          label="artifact")
    value_stats = summary["baseline"]["value"]
    if "threshold_value" in summary["baseline"]:
        ax_value.axhline(summary["baseline"]["threshold_value"], color="tab:orange",
                         ls="--", lw=1, label=f"threshold ({settings['threshold']:g})")
    if "median" in value_stats:
        ax_value.axhline(value_stats["median"], color="0.3", ls=":", lw=1,
                         label="baseline median")
    ax_value.set_ylabel("value")
    _legend(ax_value)

    if samples:
        reward = np.array([s.reward for s in samples], dtype=bool)
        span = ax_feedback.get_xaxis_transform()
        ax_feedback.fill_between(t, 0, 1, where=reward, step="post", color="tab:green",
                                 alpha=0.25, transform=span, label="reward")
        ax_feedback.fill_between(t, 0, 1, where=art, step="post", color="tab:red",
                                 alpha=0.25, transform=span, label="artifact")
        ax_feedback.plot(t, [s.feedback for s in samples], color="tab:blue", lw=1,
                         label="feedback")
    ax_feedback.axhline(settings["threshold"], color="tab:orange", ls="--", lw=1,
                        label="threshold")
    ax_feedback.set_ylim(-0.02, 1.02)
    ax_feedback.set_ylabel("feedback (0-1)")
    ax_feedback.set_xlabel("signal time (s)")
    _legend(ax_feedback)
    for ax in (ax_value, ax_feedback):
        if summary["baseline"]["start_s"] is not None:
            end = summary["baseline"]["end_s"]
            ax.axvspan(summary["baseline"]["start_s"],
                       end if end is not None else ax.get_xlim()[1], color="0.9", zorder=0)

    minutes = summary["per_minute"]
    if minutes:
        x = np.array([m["minute"] for m in minutes])
        mean = [np.nan if m["mean_feedback"] is None else m["mean_feedback"] for m in minutes]
        frac = [np.nan if m["fraction_above_threshold"] is None
                else m["fraction_above_threshold"] for m in minutes]
        ax_minute.bar(x - 0.2, mean, width=0.4, color="tab:blue", label="mean feedback")
        ax_minute.bar(x + 0.2, frac, width=0.4, color="tab:green",
                      label="fraction above threshold")
        ax_minute.set_xticks(x)
    ax_minute.set_ylim(0, 1)
    ax_minute.set_xlabel("minute of feedback")
    _legend(ax_minute)
    fig.savefig(path, dpi=100)
    return Path(path)


def _legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:  # an empty session has nothing to label
        # Beside the axes, never over the curves.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _round(seconds: float) -> float:
    # Sample counts times the period: keep the figure, drop float noise (88.05000000000001).
    return round(seconds, 6)


def _seconds(index: int | None, sfreq: float) -> float | None:
    return None if index is None else index / sfreq


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def _percentiles(values: np.ndarray) -> dict:
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"count": int(values.size), "mean": float(values.mean()), "p50": float(p50),
            "p95": float(p95), "p99": float(p99), "max": float(values.max())}
