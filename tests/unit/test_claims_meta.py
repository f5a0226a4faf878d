"""DerSimonian-Laird against metafor (live) and by hand."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import needs_r

from gutlung_pipeline.claims.meta import dersimonian_laird, pool_claim


@needs_r("metafor")
def test_dl_matches_metafor_on_bcg(tmp_path):
    out = tmp_path / "bcg.json"
    script = (
        "library(metafor); d <- escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, "
        "di=cneg, data=dat.bcg); r <- rma(yi, vi, data=d, method='DL'); "
        f"writeLines(paste0('{{\"yi\": [', paste(sprintf('%.17g', "
        "d$yi), collapse=','), '], \"vi\": [', paste(sprintf('%.17g', d$vi), "
        "collapse=','), '], \"b\": ', sprintf('%.17g', r$b), ', \"se\": ', "
        "sprintf('%.17g', r$se), ', \"tau2\": ', sprintf('%.17g', r$tau2), "
        "', \"i2\": ', sprintf('%.17g', r$I2), ', \"q\": ', sprintf('%.17g', r$QE), "
        f"'}}'), '{out}')"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    r = json.loads(out.read_text())
    res = dersimonian_laird(np.array(r["yi"]), np.sqrt(r["vi"]))
    assert res["estimate"] == pytest.approx(r["b"], rel=1e-10)
    assert res["se"] == pytest.approx(r["se"], rel=1e-10)
    assert res["tau2"] == pytest.approx(r["tau2"], rel=1e-10)
    assert res["i2"] == pytest.approx(r["i2"], rel=1e-10)
    assert res["q"] == pytest.approx(r["q"], rel=1e-10)


def test_dl_by_hand_and_truncated_tau2():
    # homogeneous studies: Q < k - 1, so tau2 = 0 and DL is the fixed effect
    y, se = np.array([-0.9, -1.6, -1.4]), np.sqrt([0.33, 0.19, 0.41])
    res = dersimonian_laird(y, se)
    w = 1 / se**2
    assert res["tau2"] == 0.0 and res["i2"] == 0.0
    assert res["estimate"] == pytest.approx(np.sum(w * y) / np.sum(w))
    assert res["se"] == pytest.approx(np.sqrt(1 / np.sum(w)))


def test_pool_claim_on_the_log_scale_for_ratios():
    rows = pd.DataFrame(
        {"estimate": [2.0, 1.5], "ci_low": [1.0, 0.75], "ci_high": [4.0, 3.0]}
    )
    res = pool_claim(rows, ratio=True)
    se = np.log(4.0) / (2 * 1.959963984540054)
    expect = np.exp(dersimonian_laird(np.log([2.0, 1.5]), [se, se])["estimate"])
    assert res["estimate"] == pytest.approx(expect)
    assert pool_claim(rows.iloc[:1], ratio=True) is None
