"""The assessment report: JSON, Markdown and a PNG (RT histogram, errors per block,
spectra), compared only with the person's own earlier assessments.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["NO_NORMS", "write_assessment_report"]

NO_NORMS = ("No clinical norms ship with bci: normative data for these measures are not "
            "free, and this is a research tool. Nothing here is a diagnosis. The person "
            "is compared only with their own earlier sessions.")

_ROWS = [("omission_errors", "omission errors", "{:.0f}"),
         ("commission_errors", "commission errors", "{:.0f}"),
         ("rt_mean_ms", "hit RT mean (ms)", "{:.1f}"),
         ("rt_sd_ms", "hit RT SD (ms)", "{:.1f}"),
         ("d_prime", "d'", "{:.2f}"),
         ("theta_beta_ratio", "theta/beta ratio (eyes open, Cz/Fz)", "{:.2f}"),
         ("alpha_peak_hz", "alpha peak (Hz, eyes closed)", "{:.2f}")]


def _fmt(value, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def _markdown(result: dict, earlier: list[dict]) -> str:
    cpt, rest = result.get("cpt"), result.get("resting")
    lines = ["# Attention assessment", "", f"**{NO_NORMS}**", "",
             f"- status: **{result['status']}**"
             + (" (scores are computed on what was completed; this session is never "
                "averaged with complete ones)" if result["status"] != "complete" else ""),
             f"- CPT letters scored: {result['completed']['cpt_stimuli']} of "
             f"{result['completed']['cpt_planned']}",
             f"- resting EEG: {result['completed']['eyes_open_s']:.0f} s eyes open, "
             f"{result['completed']['eyes_closed_s']:.0f} s eyes closed", ""]
    header = "| measure | this session |" + "".join(
        f" #{e.get('number', '?')} {e.get('started', '')[:10]} |" for e in earlier)
    lines += ["## Scores", "", header, "|---|---|" + "---|" * len(earlier)]
    for key, name, pattern in _ROWS:
        row = f"| {name} | {_fmt(result.get(key), pattern)} |"
        row += "".join(f" {_fmt(e['summary'].get(key), pattern)} |" for e in earlier)
        lines.append(row)
    if earlier:
        lines += ["", "Earlier columns: this person's complete assessments only."]
    if cpt:
        lines += ["", "## Continuous performance test", "",
                  f"- go letters {cpt['n_go']}, no-go letters {cpt['n_nogo']}; hits "
                  f"{cpt['hits']}, correct rejections {cpt['correct_rejections']}",
                  f"- d' {_fmt(cpt['d_prime'], '{:.2f}')}, beta "
                  f"{_fmt(cpt['beta'], '{:.2f}')} (log-linear correction: (n + 0.5) / "
                  "(N + 1) for both rates, always applied)",
                  f"- anticipatory presses (< 100 ms after an onset): "
                  f"{cpt['anticipatory']}; extra presses: {cpt['multiple_responses']}",
                  f"- RT variability across blocks: SD of block means "
                  f"{_fmt(cpt['rt_block_sd_ms'], '{:.1f}')} ms, change "
                  f"{_fmt(cpt['rt_block_change_ms'], '{:+.1f}')} ms per block", "",
                  "| block | go | no-go | omissions | commissions | RT mean (ms) | "
                  "RT SD (ms) |", "|---|---|---|---|---|---|---|"]
        for b in cpt["blocks"]:
            lines.append(f"| {b['block'] + 1} | {b['n_go']} | {b['n_nogo']} | "
                         f"{b['omission_errors']} | {b['commission_errors']} | "
                         f"{_fmt(b['rt_mean_ms'], '{:.1f}')} | "
                         f"{_fmt(b['rt_sd_ms'], '{:.1f}')} |")
    if rest:
        bands = rest["bands_hz"]
        lines += ["", "## Resting EEG", "",
                  f"Welch PSD, {rest['welch']['seconds']:g}-s Hann segments, half "
                  "overlap. Bands: theta/beta = "
                  f"{bands['theta_beta']['theta']} / {bands['theta_beta']['beta']} Hz; "
                  "relative powers over "
                  f"{bands['relative_total']} Hz: " + ", ".join(
                      f"{k} {v}" for k, v in bands["relative"].items()) +
                  f"; alpha peak searched in {bands['alpha_search']} Hz over "
                  f"{', '.join(rest['posterior_channels'])}.", "",
                  "| | eyes open | eyes closed |", "|---|---|---|"]
        for ch in rest["eyes_open"]["theta_beta_ratio"]:
            lines.append(f"| theta/beta {ch} | {rest['eyes_open']['theta_beta_ratio'][ch]:.2f}"
                         f" | {rest['eyes_closed']['theta_beta_ratio'][ch]:.2f} |")
        lines.append(f"| alpha peak (Hz) | {rest['eyes_open']['alpha_peak_hz']:.2f} | "
                     f"{rest['eyes_closed']['alpha_peak_hz']:.2f} |")
        for band in bands["relative"]:
            eo = np.mean(list(rest["eyes_open"]["relative_band_power"][band].values()))
            ec = np.mean(list(rest["eyes_closed"]["relative_band_power"][band].values()))
            lines.append(f"| relative {band} (mean of channels) | {eo:.3f} | {ec:.3f} |")
        lines.append(f"| alpha eyes closed / open | | {rest['alpha_reactivity']:.2f} |")
    lines += ["", "Figures: `assessment.png`; every number: `assessment.json`.", ""]
    return "\n".join(lines)


def _plot(path: Path, result: dict, spectra: dict) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.2), layout="constrained")
    ax_rt, ax_err, ax_psd = fig.subplots(1, 3)
    fig.suptitle("attention assessment (no clinical norms: compare with own sessions)")
    cpt = result.get("cpt")
    if cpt and cpt["hit_rts_ms"]:
        ax_rt.hist(cpt["hit_rts_ms"], bins=30, color="tab:blue")
        ax_rt.axvline(100, color="tab:red", ls="--", lw=1, label="anticipatory < 100 ms")
        ax_rt.legend(fontsize=8)
    ax_rt.set(title="hit reaction times", xlabel="ms", ylabel="count")
    if cpt:
        blocks = np.array([b["block"] + 1 for b in cpt["blocks"]])
        ax_err.bar(blocks - 0.2, [b["omission_errors"] for b in cpt["blocks"]], 0.4,
                   label="omissions")
        ax_err.bar(blocks + 0.2, [b["commission_errors"] for b in cpt["blocks"]], 0.4,
                   label="commissions")
        ax_err.set_xticks(blocks)
        ax_err.legend(fontsize=8)
    ax_err.set(title="errors per block", xlabel="block", ylabel="count")
    rest = result.get("resting")
    for name, color in (("eyes_open", "tab:green"), ("eyes_closed", "tab:purple")):
        if name in spectra:
            freqs, p = spectra[name]
            m = (freqs >= 1) & (freqs <= 40)
            ax_psd.semilogy(freqs[m], p.mean(axis=0)[m] * 1e12, color=color,
                            label=name.replace("_", " "))
    if rest:
        ax_psd.axvline(rest["alpha_peak_hz"], color="0.4", ls=":", lw=1,
                       label=f"alpha peak {rest['alpha_peak_hz']:.1f} Hz")
        ax_psd.legend(fontsize=8)
    ax_psd.set(title="resting spectra (mean of channels)", xlabel="Hz", ylabel="µV²/Hz")
    fig.savefig(path, dpi=90)


def write_assessment_report(folder: str | Path, result: dict, spectra: dict,
                            earlier: list[dict] | None = None) -> dict[str, Path]:
    """Write ``assessment.json``, ``assessment.md`` and ``assessment.png`` in ``folder``.

    ``earlier`` are the person's earlier *complete* assessment entries (history).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "assessment.json", "markdown": folder / "assessment.md",
             "png": folder / "assessment.png"}
    payload = {"note": NO_NORMS, **result}
    paths["json"].write_text(json.dumps(payload, indent=2, default=float) + "\n",
                             encoding="utf-8")
    paths["markdown"].write_text(_markdown(result, earlier or []), encoding="utf-8")
    _plot(paths["png"], result, spectra)
    return paths
