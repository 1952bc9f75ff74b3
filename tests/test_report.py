"""optbench report: one self-contained HTML file for a results directory, that a browser
(headless Chromium) renders into a non-blank page."""

import io
import re
import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import optbench  # noqa: E402
from optbench.cli import main  # noqa: E402
from optbench.errors import InvalidValueError  # noqa: E402

CONFIG = {
    "problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10]}}],
    "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0, 2.5]}}, {"name": "nesterov"}],
    "seeds": [0, 1],
    "run": {"max_iter": 150, "tol": 1e-9},
    "solved": 1e-6,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    optbench.sweep(CONFIG, out=out, workers=1, progress=False)
    return out, optbench.write_report(out)


def test_report_is_self_contained(report):
    directory, path = report
    assert path == directory / "report.html"
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    # figures embedded; nothing fetched from anywhere
    assert text.count('src="data:image/png;base64,') >= 3  # convergence, sensitivity, profiles
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "<script" not in text
    # summary table, outcomes, config and environment
    for setting in ("gd(step=0.5)", "gd(step=1)", "gd(step=2.5)", "nesterov"):
        assert f"<td>{setting}</td>" in text
    manifest = optbench.store.load_manifest(directory)
    assert manifest["config_hash"] in text
    assert '"max_iter": 150' in text and manifest["versions"]["numba"] in text


def test_report_cli(report, tmp_path, capsys):
    directory, _ = report
    out = tmp_path / "r.html"
    assert main(["report", str(directory), "-o", str(out)]) == 0
    assert "report written" in capsys.readouterr().out and out.stat().st_size > 10_000
    assert main(["report", str(directory), "-o", str(tmp_path / "r.txt")]) == 2
    assert ".html" in capsys.readouterr().err
    with pytest.raises(InvalidValueError, match="manifest.json"):
        optbench.write_report(tmp_path)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (Debian: "
                    "apt-get install chromium; .ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    from matplotlib.image import imread

    _, path = report
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--window-size=1280,2000", f"--screenshot={shot}", path.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    img = imread(io.BytesIO(shot.read_bytes()))[..., :3]
    pixels = (img * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 200  # text, tables and figures, not a blank page
    assert np.mean(np.all(pixels > 250, axis=1)) < 0.97  # not (nearly) all white
