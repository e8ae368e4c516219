"""Every plot says which split (or training data) it shows: curves.png plots the selection split while the report's
tables value the front on the report split, and a reader must not mistake one for the other."""
import numpy as np
import pytest

from morlbench.report import run_plots
from morlbench.report.run_report import split_label

NAMES = ("accuracy", "conciseness", "clarity")
EVALS = [{"step": 0, "objectives": [0.3, 0.5, 0.2], "report": [0.25, 0.5, 0.2]},
         {"step": 2, "objectives": [0.4, 0.4, 0.3]}]
METRICS = [{"step": s, "rewards": dict(zip(NAMES, (0.3, 0.5, 0.2))), "weights": [0.5, 0.25, 0.25]} for s in (1, 2)]
SPLIT = "selection split 'select' (128 problems)"


@pytest.fixture
def figures(monkeypatch):
    saved = []

    def keep(fig, path):
        saved.append(fig)

    monkeypatch.setattr(run_plots, "_save", keep)
    yield saved
    run_plots.plt.close("all")


def texts(fig) -> list[str]:
    found = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        found += [ax.get_title(), ax.get_ylabel()] + [t.get_text() for t in (ax.get_legend().get_texts()
                                                                            if ax.get_legend() else [])]
    for legend in fig.legends:
        found += [t.get_text() for t in legend.get_texts()]
    return [t for t in found if t]


def test_split_label_names_the_split_and_its_size():
    config = {"comparability": {"selection_split": "select:128", "report_split": "report:512"}}
    assert split_label(config, "selection") == SPLIT
    assert split_label(config, "report") == "report split 'report' (512 problems)"


def test_curves_name_the_selection_split(figures):
    run_plots.plot_curves(None, NAMES, EVALS, METRICS, "static on arith", SPLIT)
    shown = texts(figures[0])
    assert any(f"eval on the {SPLIT}" in t for t in shown), shown
    assert any(t == f"hypervolume ({SPLIT})" for t in shown), shown
    assert any("report split" in t for t in shown if t.startswith("static on arith")), shown
    assert "train reward (training batch)" in shown


def test_front_names_the_selection_split(figures):
    run_plots.plot_front(None, NAMES, np.array([e["objectives"] for e in EVALS]), [0, 2], SPLIT)
    assert any(SPLIT in t for t in texts(figures[0]))


def test_preference_map_names_the_split_it_shows(figures):
    served = {"split": "report", "grid": [{"preference": [1, 0, 0], "objectives": [0.3, 0.5, 0.2]},
                                          {"preference": [0, 1, 0], "objectives": [0.2, 0.6, 0.2]}],
              "controllability": dict.fromkeys(NAMES, 1.0)}
    run_plots.plot_preference_map(None, NAMES, served)
    assert "accuracy (eval, report split)" in texts(figures[0])


def test_comparison_parallel_coordinates_name_the_report_split(monkeypatch):
    from morlbench.report import comparison_plots

    saved = []
    monkeypatch.setattr(comparison_plots, "_save", lambda fig, path: saved.append(fig))
    fronts = {"static": np.array([[0.3, 0.5, 0.2]]), "hypervolume": np.array([[0.4, 0.4, 0.3]])}
    comparison_plots.plot_parallel(None, NAMES, fronts, {"static": "C0", "hypervolume": "C1"})
    assert "report split" in saved[0]._suptitle.get_text()
    comparison_plots.plt.close("all")
