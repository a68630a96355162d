"""Reproduction checks of labs 14 and 15 on seeds 0 to 4, with the thresholds of LABS.md.

Each lab notebook asserts the same claims once, on seed 0, in its "reproduction check" cell; here every seed
from 0 to 4 must pass. The experiments are the helpers' (``helpers.depth``, ``helpers.curvature``), so the
notebook and this file measure the same thing. The ranges measured when these tests were written are in the
comments (min..max over the five seeds, one BLAS thread).
"""
from __future__ import annotations


import numpy as np
import pytest

from helpers import curvature as CV
from helpers import depth as DP

SEEDS = range(5)


# ----------------------------------------------------------------------------------------------- lab 14

@pytest.mark.parametrize("seed", SEEDS)
def test_bn_shift_recalibration_and_small_batch(seed):
    clean, shifted, recalibrated, small_batch = DP.bn_test_time_experiment(seed)[:4]
    got = dict(clean=clean, shifted=shifted, recalibrated=recalibrated, small_batch=small_batch)
    assert clean > 0.94, got                      # 0.963..0.972
    assert shifted < 0.75, got                    # 0.24..0.58
    assert recalibrated >= clean - 0.01, got      # 0.959..0.970 (clean - 0.004 .. clean)
    assert clean - small_batch >= 0.08, got       # B = 2: 0.78..0.86, a gap of 0.11..0.19


@pytest.mark.parametrize("seed", SEEDS)
def test_rank_collapse_and_batchnorm(seed):
    r = DP.collapse_experiment(seed)
    assert r.relu_min_cos > 0.95, r                                  # ReLU, no normalization: 0.958..0.994
    assert r.bn_max_abs_cos < 0.5 and r.bn_stable_rank > 2, r         # RC + RS + ReLU: 0.33..0.41, 2.77..2.90
    assert abs(r.bn_mean_cos - DP.bn_relu_fixed_point_cos(8)) < 0.05, r  # 0.246..0.267 against 0.250
    assert r.linear_stable_rank < 2.5, r                              # linear, no normalization: 1.23..1.68
    assert r.rs_stable_rank > 4 and r.rs_max_abs_cos < 0.4, r         # linear + RS: 4.21..5.52, 0.27..0.39


@pytest.mark.parametrize("seed", SEEDS)
def test_odd_point_needs_recentering_without_rescaling(seed):
    r = DP.odd_point_experiment(seed)
    assert r.odd_cos < 0.05, r                     # orthogonal to the cluster: 0.0003..0.021
    assert r.cluster_cos > 0.85, r                 # one cluster: 0.879..0.998
    assert 0.6 <= r.norm_ratio / 31 <= 1.6, r      # norm ratio / (B - 1): 0.65..1.18
    with_rs = DP.odd_point_experiment(seed, rescale=True)
    assert with_rs.odd_cos > 0.2, with_rs          # per-feature rescaling destroys it: 0.54..0.59


@pytest.mark.parametrize("seed", SEEDS)
def test_residual_stream_variance(seed):
    r = DP.residual_variance_experiment(seed)
    assert np.all((0.7 <= r.ratio_alpha1) & (r.ratio_alpha1 <= 1.35)), r  # 0.85..1.13
    assert np.all((1.7 <= r.ratio_scaled) & (r.ratio_scaled <= 2.3)), r  # 1.90..2.04
    assert r.no_ln > 1e30, r                                              # 7.6e37..8.1e38


@pytest.mark.parametrize("seed", SEEDS)
def test_pre_and_post_ln_gradient_profiles(seed):
    r = DP.ln_profile_experiment(seed)
    assert r.post_top_over_bottom >= 1.5, r  # 2.27..4.95
    assert r.pre_top_over_bottom <= 1.0, r   # 0.57..0.66
    assert r.last_post_over_pre >= 2.5, r    # 4.60..6.22
    # Xiong's 1/sqrt(L) for pre-LN's last layer predicts 0.5 from L = 6 to 24: 0.46..0.71, only roughly true
    assert 0.2 < r.pre_last_shallow_over_deep < 1.0, r


@pytest.mark.parametrize("seed", SEEDS)
def test_lesions_residual_against_plain(seed):
    r = DP.lesion_experiment(seed)
    assert r.residual_lesioned.min() >= r.residual_base - 0.05, r  # drop 0.002..0.032 from 0.954..0.967
    assert r.plain_lesioned.mean() <= 0.2, r                       # 0.06..0.11
    assert r.residual_base > 0.9 and r.plain_base > 0.8, r         # plain base 0.86..0.95


# ----------------------------------------------------------------------------------------------- lab 15

@pytest.mark.parametrize("seed", SEEDS)
def test_hessian_from_hvps_and_power_iteration(seed):
    r = CV.hessian_experiment(seed)
    assert r.asymmetry < 1e-8, r.asymmetry                 # 4e-11..9e-11
    assert r.power_rel_error < 1e-3, r.power_rel_error     # 6e-13..1.3e-9
    assert max(r.block_max.values()) <= r.eigenvalues.max() + 1e-12, (r.block_max, r.eigenvalues.max())


@pytest.mark.parametrize("seed", SEEDS)
def test_edge_of_stability(seed):
    big = CV.eos_experiment(seed, lr=8.0)
    thr = 2.0 / 8.0
    assert big.sharpness[0] < 0.85 * thr, big.sharpness[0]                 # 0.53..0.71 of 2/eta
    last_third = big.sharpness[-(len(big.sharpness) // 3):].mean()
    assert 0.9 * thr <= last_third <= 1.05 * thr, last_third / thr        # 0.986..1.010
    small = CV.eos_experiment(seed, lr=4.0)
    assert small.sharpness[-1] < 0.75 * (2.0 / 4.0), small.sharpness[-1]  # 0.49..0.59 of 2/eta


@pytest.mark.parametrize("seed", SEEDS)
def test_learning_rate_transfer_sp_against_mup(seed):
    r = CV.transfer_experiment(seed)
    assert r.sp_best[0] - r.sp_best[-1] >= 1, r.sp_best      # SP's best lr falls with width: by 2 on every seed
    assert np.ptp(r.mup_best) <= 1, r.mup_best                 # muP's moves by 0..1
    assert r.sp_spread > 4 and r.mup_spread < 1.35, (r.sp_spread, r.mup_spread)  # 8.7..12.0 and 1.15..1.28


@pytest.mark.parametrize("seed", SEEDS)
def test_weight_decay_equilibrium(seed):
    r = CV.equilibrium_experiment(seed)
    assert np.all((0.85 <= r.ratio) & (r.ratio <= 1.15)), r.ratio  # 0.979..1.013 (N = 32), 0.989..1.014 (N = 256)
    assert abs(r.ratio[0] - r.ratio[1]) <= 0.05, r.ratio           # 0.004..0.032
