"""The course across sessions (``bci report DIR``): PNG and Markdown from the history.

Values are copied from the history entries, never recomputed, so the course says what
each session's own summary said. Interrupted sessions are listed apart and drawn
hollow; they never enter a "before/after" comparison.
"""

from __future__ import annotations

from pathlib import Path

from bci.attention.history import read_history
from bci.attention.report import NO_NORMS

__all__ = ["course", "write_course"]

_CPT = ("omission_errors", "commission_errors", "rt_mean_ms", "rt_sd_ms", "d_prime")


def course(folder: str | Path) -> dict:
    """The course's values: per training session and block, per assessment, before/after.

    Returns
    -------
    dict
        ``training`` (number, status, mean_feedback, reward_rate, blocks),
        ``assessments`` (number, status, theta_beta_ratio, alpha_peak_hz and the CPT
        keys) and ``before_after`` (first and last complete assessment, or None).
    """
    sessions = read_history(folder)["sessions"]
    training = [{"number": s["number"], "status": s["status"], "started": s.get("started"),
                 "mean_feedback": s["summary"].get("mean_feedback"),
                 "reward_rate": s["summary"].get("reward_rate"),
                 "blocks": s["summary"].get("blocks", [])}
                for s in sessions if s.get("kind") == "training"]
    assessments = [{"number": s["number"], "status": s["status"],
                    "started": s.get("started"),
                    **{k: s["summary"].get(k) for k in
                       ("theta_beta_ratio", "alpha_peak_hz", *_CPT)}}
                   for s in sessions if s.get("kind") == "assessment"]
    complete = [a for a in assessments if a["status"] == "complete"]
    before_after = None
    if len(complete) >= 2:
        before_after = {"before": complete[0], "after": complete[-1]}
    return {"training": training, "assessments": assessments,
            "before_after": before_after}


def _f(v, pattern="{:.2f}") -> str:
    return "n/a" if v is None else pattern.format(v)


def write_course(folder: str | Path, out: str | Path | None = None) -> dict[str, Path]:
    """Write ``course.md`` and ``course.png`` (into ``out``, default the person folder)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    folder = Path(folder)
    c = course(folder)  # first: a missing person folder is an error, never created
    out = Path(out) if out is not None else folder
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Course", "", f"**{NO_NORMS}**", "", "## Training sessions", "",
             "| session | status | mean feedback | reward rate | per block (feedback / "
             "reward) |", "|---|---|---|---|---|"]
    for t in c["training"]:
        blocks = "; ".join(f"{_f(b['mean_feedback'])} / {_f(b['reward_rate'])}"
                           for b in t["blocks"])
        lines.append(f"| #{t['number']} | {t['status']} | {_f(t['mean_feedback'])} | "
                     f"{_f(t['reward_rate'])} | {blocks} |")
    lines += ["", "## Assessments", "", "| session | status | theta/beta | alpha peak (Hz)"
              " | omissions | commissions | RT mean (ms) | RT SD (ms) | d' |",
              "|---|---|---|---|---|---|---|---|---|"]
    for a in c["assessments"]:
        lines.append(f"| #{a['number']} | {a['status']} | {_f(a['theta_beta_ratio'])} | "
                     f"{_f(a['alpha_peak_hz'])} | {_f(a['omission_errors'], '{:.0f}')} | "
                     f"{_f(a['commission_errors'], '{:.0f}')} | "
                     f"{_f(a['rt_mean_ms'], '{:.1f}')} | {_f(a['rt_sd_ms'], '{:.1f}')} | "
                     f"{_f(a['d_prime'])} |")
    ba = c["before_after"]
    lines += ["", "## CPT before and after", ""]
    if ba is None:
        lines.append("Fewer than two complete assessments: nothing to compare yet.")
    else:
        lines += [f"| measure | before (#{ba['before']['number']}) | after "
                  f"(#{ba['after']['number']}) |", "|---|---|---|"]
        for k in (*_CPT, "theta_beta_ratio", "alpha_peak_hz"):
            lines.append(f"| {k} | {_f(ba['before'][k])} | {_f(ba['after'][k])} |")
    lines += ["", "Interrupted sessions are shown as such (hollow markers in the figure) "
              "and never used for before/after.", ""]
    paths = {"markdown": out / "course.md", "png": out / "course.png"}
    paths["markdown"].write_text("\n".join(lines), encoding="utf-8")

    fig = Figure(figsize=(13, 7), layout="constrained")
    (ax_fb, ax_rw), (ax_tbr, ax_cpt) = fig.subplots(2, 2)
    fig.suptitle("course across sessions (own sessions only; no clinical norms)")

    def points(ax, rows, key, label, color):
        for filled in (True, False):
            sel = [r for r in rows if (r["status"] == "complete") == filled]
            ax.plot([r["number"] for r in sel],
                    [r[key] if r[key] is not None else float("nan") for r in sel],
                    "o-" if filled else "o",
                    color=color, mfc=color if filled else "none",
                    label=label if filled else f"{label} (interrupted)")
    for ax, key, title in ((ax_fb, "mean_feedback", "mean feedback per session"),
                           (ax_rw, "reward_rate", "reward rate per session")):
        points(ax, c["training"], key, "session", "tab:blue")
        for t in c["training"]:
            bk = [b for b in t["blocks"] if b.get(key if key != "reward_rate" else
                                                  "reward_rate") is not None]
            n = max(len(bk), 1)
            ax.plot([t["number"] - 0.35 + 0.7 * k / n for k in range(len(bk))],
                    [b[key] for b in bk], ".", color="0.6", ms=3)
        ax.set(title=title + " (grey: blocks)", xlabel="session")
    points(ax_tbr, c["assessments"], "theta_beta_ratio", "theta/beta", "tab:green")
    ax2 = ax_tbr.twinx()
    points(ax2, c["assessments"], "alpha_peak_hz", "alpha peak", "tab:purple")
    ax_tbr.set(title="theta/beta (green) and alpha peak Hz (purple)", xlabel="session")
    points(ax_cpt, c["assessments"], "omission_errors", "omissions", "tab:orange")
    points(ax_cpt, c["assessments"], "commission_errors", "commissions", "tab:red")
    ax_cpt.set(title="CPT errors per assessment", xlabel="session")
    ax_cpt.legend(fontsize=7)
    ax2.ticklabel_format(axis="y", useOffset=False)
    for ax in (ax_fb, ax_rw, ax_tbr, ax_cpt):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(paths["png"], dpi=90)
    return paths
