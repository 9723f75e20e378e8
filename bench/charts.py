"""PNG charts for BENCHMARKS.md, drawn with matplotlib from the result files (bench/report.py calls the
suites' section() with a Charts; each chart returns the Markdown that embeds it)."""
import os

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

OURS, PEER = "#2f6db5", "#e08a2c"
OTHERS = [OURS, "#5aa05a", "#9467bd", "#8c564b", "#17becf"]  # ours, never the peer's orange


class Charts:
    def __init__(self, folder, link_prefix):
        self.folder = folder            # where the PNGs are written
        self.link_prefix = link_prefix  # how BENCHMARKS.md refers to that folder
        os.makedirs(folder, exist_ok=True)

    def _save(self, fig, name, alt):
        path = os.path.join(self.folder, name + ".png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return f"![{alt}]({self.link_prefix}/{name}.png)"

    def percentiles(self, name, title, series, unit="ms", log=False):
        """Grouped bars of p50/p90/p99 for each series: {label: {"p50":…, "p90":…, "p99":…}}; a label
        starting with "LangGraph" (or any peer) is drawn in the peer colour."""
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        labels = list(series)
        width = 0.8 / max(1, len(labels))
        for i, label in enumerate(labels):
            s = series[label]
            xs = [j + i * width for j in range(3)]
            colour = PEER if is_peer(label) else OTHERS[i % len(OTHERS)]
            bars = ax.bar(xs, [s.get("p50", 0), s.get("p90", 0), s.get("p99", 0)], width, label=label, color=colour)
            ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=1)
        ax.set_xticks([j + width * (len(labels) - 1) / 2 for j in range(3)], ["p50", "p90", "p99"])
        ax.set_ylabel(unit)
        if log:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        return self._save(fig, name, title)

    def bars(self, name, title, values, unit, log=False):
        """One bar per label: {label: number}."""
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        labels = list(values)
        colours = [PEER if is_peer(label) else OURS for label in labels]
        bars = ax.bar(labels, [values[k] for k in labels], color=colours)
        ax.bar_label(bars, fmt="%.4g", fontsize=8, padding=1)
        ax.set_ylabel(unit)
        if log:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        plt.setp(ax.get_xticklabels(), fontsize=8)
        return self._save(fig, name, title)

    def lines(self, name, title, xs, series, xlabel, ylabel):
        """Lines over a shared x axis: {label: [y…]} (e.g. RSS and open files during a soak)."""
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        for i, (label, ys) in enumerate(series.items()):
            ax.plot(xs[:len(ys)], ys, label=label, color=OTHERS[i % len(OTHERS)])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        return self._save(fig, name, title)


def is_peer(label):
    return label.lower().startswith(("langgraph", "aegra", "peer"))
