"""Dynamic ideal points from UN General Assembly votes: ordinal probit IRT with a random-walk prior, by EM.

The model follows Bailey, Strezhnev & Voeten (2017, *J. Conflict Resolution* 61(2): 430-56): one dimension,
ordered votes, positions that move over time. State ``i`` in year ``t`` has position ``theta[i, t]``; roll call
``j`` has an intercept ``alpha[j]``, a discrimination ``beta[j]`` and an abstention width ``tau[j] > 0``. A latent
utility ``z = alpha[j] + beta[j] * theta[i, t(j)] + e`` with ``e ~ N(0, 1)`` gives the vote::

    no       if z < 0
    abstain  if 0 <= z < tau[j]
    yes      if z >= tau[j]

Priors: ``theta`` of a state's first year ``~ N(0, prior_sd**2)``; between two years it is present,
``theta[t] - theta[s] ~ N(0, rw_sd**2 * (t - s))`` (the random walk that links the years);
``alpha, beta ~ N(0, item_sd**2)``. Roll calls that share a bridge group share ``(alpha, beta, tau)`` -- the
BSV bridge for resolutions repeated identically across years (optional: the staged vote data carry no
resolution-text identity, so by default only the random walk links years).

Algorithm: the posterior mode by an expectation / conditional-maximisation algorithm in the manner of
emIRT (Imai, Lo & Olmsted 2016, *APSR* 110(4): 631-56; Albert 1992 data augmentation). E-step: the mean of
each latent ``z`` (truncated normal moments). CM-steps: all positions at once by one banded (tridiagonal)
solve -- each state's years form a chain under the random walk -- then ``(alpha, beta)`` of every roll call
by a 2x2 ridge regression from sparse sums (``np.bincount``), then ``tau`` by one Newton step on the
observed-data likelihood (ECME, Liu & Rubin 1994; the latent-data likelihood carries no information on a
cut point). Each step is vectorised over all votes.

Identification (the model is invariant to a shift, scale and sign of the latent scale): the priors fix the
mode; the reported positions are then standardised to pooled mean 0 and standard deviation 1 over all
state-years, and oriented so that the anchor state (default USA) has a positive mean position. The
published BSV estimates use the same orientation and, as it happens, the same pooled scale.

Uncertainty: nonparametric bootstrap over roll calls within each year (multinomial weights), each
replicate warm-started from the point estimate, run in parallel processes and stopped at a time budget.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import solve_banded
from scipy.special import log_ndtr, ndtr

from dyadic.errors import RequestError

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
NO, ABSTAIN, YES = 0, 1, 2


@dataclass
class VotePanel:
    """Votes in compact integer form: one entry per (state, roll call) with a yes / abstain / no vote.

    Args:
        state: index into ``codes`` of each vote's state.
        item: index into ``item_year`` of each vote's roll call.
        vote: 0 no, 1 abstain, 2 yes.
        item_year: year of each roll call.
        codes: state codes.
        item_id: the roll-call identifier of each item (``rcid``).
        bridge: parameter group of each roll call (roll calls in one group share item parameters);
            ``None`` for one group per roll call.
    """

    state: np.ndarray
    item: np.ndarray
    vote: np.ndarray
    item_year: np.ndarray
    codes: np.ndarray
    item_id: np.ndarray | None = None
    bridge: np.ndarray | None = None
    # derived in __post_init__
    cy: np.ndarray = field(init=False, repr=False)
    cy_state: np.ndarray = field(init=False, repr=False)
    cy_year: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        self.state = np.asarray(self.state, dtype=np.int32)
        self.item = np.asarray(self.item, dtype=np.int32)
        self.vote = np.asarray(self.vote, dtype=np.int8)
        self.item_year = np.asarray(self.item_year, dtype=np.int32)
        self.codes = np.asarray(self.codes, dtype=object)
        if self.item_id is None:
            self.item_id = np.arange(len(self.item_year))
        if self.bridge is None:
            self.bridge = np.arange(len(self.item_year), dtype=np.int32)
        self.bridge = np.unique(np.asarray(self.bridge), return_inverse=True)[1].astype(np.int32)
        year = self.item_year[self.item]
        # State-years sorted by state then year: each state's chain is contiguous, so the random-walk
        # precision matrix is tridiagonal.
        key = self.state.astype(np.int64) * 10_000 + year
        uniq, self.cy = np.unique(key, return_inverse=True)
        self.cy = self.cy.astype(np.int32)
        self.cy_state = (uniq // 10_000).astype(np.int32)
        self.cy_year = (uniq % 10_000).astype(np.int32)

    @property
    def n_items(self) -> int:
        return len(self.item_year)

    @property
    def n_groups(self) -> int:
        return int(self.bridge.max()) + 1 if len(self.bridge) else 0

    @classmethod
    def from_votes(cls, votes: pd.DataFrame, absent: str = "exclude", min_minority: int = 1) -> "VotePanel":
        """Build a panel from :func:`dyadic.indicators.unga.load_votes` output.

        Args:
            votes: columns ``year, rcid, code, vote`` (1 yes, 2 abstain, 3 no, 4 absent).
            absent: ``exclude`` drops absences; ``abstain`` counts them as abstentions.
            min_minority: drop roll calls where fewer than this many states voted other than the
                majority (unanimous votes carry no information on positions).

        Returns:
            The panel.
        """
        df = votes
        v = df["vote"].to_numpy()
        if absent == "abstain":
            v = np.where(v == 4, 2, v)
        keep = (v >= 1) & (v <= 3)
        code = df["code"].astype("category")
        state = code.cat.codes.to_numpy()[keep]
        rcid = df["rcid"].to_numpy()[keep]
        year = df["year"].to_numpy()[keep]
        vote = (3 - v[keep]).astype(np.int8)  # 1 yes -> 2, 2 abstain -> 1, 3 no -> 0
        items, item = np.unique(rcid, return_inverse=True)
        counts = np.zeros((len(items), 3), dtype=np.int64)
        np.add.at(counts, (item, vote), 1)
        informative = (counts.sum(1) - counts.max(1)) >= min_minority
        k = informative[item]
        items_kept = np.flatnonzero(informative)
        remap = np.full(len(items), -1, dtype=np.int64)
        remap[items_kept] = np.arange(len(items_kept))
        item_year = np.zeros(len(items), dtype=np.int32)
        item_year[item] = year
        used = np.unique(state[k])
        return cls(state=np.searchsorted(used, state[k]), item=remap[item[k]], vote=vote[k],
                   item_year=item_year[items_kept], codes=np.asarray(code.cat.categories)[used],
                   item_id=items[items_kept])

    def positions_frame(self, theta: np.ndarray, **cols: np.ndarray) -> pd.DataFrame:
        """State-year table ``code, year, theta, n_votes`` plus any extra columns."""
        n = np.bincount(self.cy, minlength=len(self.cy_state))
        out = pd.DataFrame({"code": self.codes[self.cy_state], "year": self.cy_year, "theta": theta,
                            "n_votes": n.astype(np.int32)})
        for k, v in cols.items():
            out[k] = v
        return out


# ----------------------------------------------------------------------------------------- numerics

def _log_phi(x: np.ndarray) -> np.ndarray:
    return -0.5 * x * x - _LOG_SQRT_2PI


def _mills(a: np.ndarray) -> np.ndarray:
    """phi(a) / (1 - Phi(a)), stable in both tails."""
    return np.exp(_log_phi(a) - log_ndtr(-a))


def _interval(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Phi(b) - Phi(a) for a < b without cancellation in the upper tail."""
    upper = a > 0
    return np.where(upper, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def _estep(mu: np.ndarray, tau_v: np.ndarray, masks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Mean of each latent utility given its vote (truncated normal means)."""
    no, ab, yes = masks
    z = mu.copy()
    z[no] -= _mills(mu[no])  # z < 0: mu - phi(-mu)/Phi(-mu)
    m, t = mu[ab], tau_v[ab]
    a, b = -m, t - m
    d = np.maximum(_interval(a, b), 1e-300)
    shift = (np.exp(_log_phi(a)) - np.exp(_log_phi(b))) / d
    z[ab] = np.clip(m + shift, 0.0, t)
    m = mu[yes]
    z[yes] = m + _mills(tau_v[yes] - m)
    return z


def _loglik(mu: np.ndarray, tau_v: np.ndarray, w: np.ndarray,
            masks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    no, ab, yes = masks
    ll = np.sum(w[no] * log_ndtr(-mu[no]))
    m, t = mu[ab], tau_v[ab]
    ll += np.sum(w[ab] * np.log(np.maximum(_interval(-m, t - m), 1e-300)))
    ll += np.sum(w[yes] * log_ndtr(mu[yes] - tau_v[yes]))
    return float(ll)


def _rw_bands(panel: VotePanel, rw_sd: float, prior_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and super-diagonal of the prior precision of all state-year positions."""
    n = len(panel.cy_state)
    same = panel.cy_state[1:] == panel.cy_state[:-1]
    gap = np.maximum(panel.cy_year[1:] - panel.cy_year[:-1], 1)
    link = np.where(same, 1.0 / (rw_sd ** 2 * gap), 0.0)
    diag = np.zeros(n)
    diag[1:] += link
    diag[:-1] += link
    first = np.r_[True, ~same]
    diag[first] += 1.0 / prior_sd ** 2
    return diag, -link


def _pca_start(panel: VotePanel, anchor: int | None) -> np.ndarray:
    """Starting positions: first principal component of each year's vote matrix, anchor positive."""
    theta = np.zeros(len(panel.cy_state))
    item_cy_year = panel.item_year[panel.item]
    for yr in np.unique(panel.cy_year):
        sel = item_cy_year == yr
        rows = panel.cy[sel]
        cols = panel.item[sel]
        r_u, r_i = np.unique(rows, return_inverse=True)
        c_u, c_i = np.unique(cols, return_inverse=True)
        mat = np.full((len(r_u), len(c_u)), np.nan)
        mat[r_i, c_i] = panel.vote[sel] / 2.0
        mean = np.nanmean(mat, axis=0)
        mat = np.where(np.isnan(mat), mean, mat) - mean
        if len(r_u) < 2 or not np.any(mat):
            continue
        # Power iteration: a handful of mat-vec products instead of a full SVD.
        vec = np.linspace(1.0, 2.0, mat.shape[1])
        for _ in range(30):
            pc = mat @ vec
            vec = mat.T @ pc
            vec /= np.linalg.norm(vec) or 1.0
        pc = mat @ vec
        if anchor is not None:
            hit = panel.cy_state[r_u] == anchor
            if hit.any() and pc[hit][0] < 0:
                pc = -pc
        sd = pc.std()
        theta[r_u] = (pc - pc.mean()) / (sd if sd > 0 else 1.0)
    return theta


# ----------------------------------------------------------------------------------------- estimator

@dataclass
class FitState:
    """Everything a fit leaves behind (model scale, before standardisation)."""

    theta: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    n_iter: int
    converged: bool
    max_change: float
    trace: list[float]


class DynamicIdealPoints:
    """Dynamic one-dimensional ordinal ideal points (BSV-style model, emIRT-style EM).

    Args:
        rw_sd: standard deviation of a state's yearly change under the random-walk prior (model scale).
        prior_sd: prior standard deviation of a state's position in its first year.
        item_sd: prior standard deviation of roll-call intercepts and discriminations.
        tol: convergence when no position moves by more than this between iterations.
        max_iter: iteration cap (the fit reports ``converged_ = False`` when reached).
        anchor: state code whose mean position is made positive (orientation).
        seed: seed of the bootstrap's random draws (the point estimate is deterministic).
        trace_every: without acceleration, compute the log posterior every this many iterations.
        accelerate: SQUAREM extrapolation of the EM steps (same fixed point, far fewer iterations).
    """

    def __init__(self, rw_sd: float = 0.03, prior_sd: float = 1.0, item_sd: float = 5.0, tol: float = 1e-3,
                 max_iter: int = 300, anchor: str | None = "USA", seed: int = 0, trace_every: int = 25,
                 accelerate: bool = True):
        if rw_sd <= 0 or prior_sd <= 0 or item_sd <= 0:
            raise RequestError("rw_sd, prior_sd and item_sd must be positive")
        self.rw_sd, self.prior_sd, self.item_sd = rw_sd, prior_sd, item_sd
        self.tol, self.max_iter, self.anchor, self.seed = tol, max_iter, anchor, seed
        self.trace_every, self.accelerate = trace_every, accelerate

    def params(self) -> dict:
        """The settings, for provenance records."""
        return {"rw_sd": self.rw_sd, "prior_sd": self.prior_sd, "item_sd": self.item_sd, "tol": self.tol,
                "max_iter": self.max_iter, "anchor": self.anchor, "seed": self.seed}

    # -- core loop ------------------------------------------------------------------------------------

    def _run(self, panel: VotePanel, weights: np.ndarray | None = None, start: FitState | None = None,
             max_iter: int | None = None, fix_items: bool = False) -> FitState:
        max_iter = max_iter or self.max_iter
        n_cy, n_g = len(panel.cy_state), panel.n_groups
        g = panel.bridge[panel.item]  # parameter group of each vote
        cy = panel.cy
        w_item = np.ones(panel.n_items) if weights is None else np.asarray(weights, dtype=float)
        w = w_item[panel.item]
        masks = tuple(np.flatnonzero(panel.vote == k) for k in (NO, ABSTAIN, YES))
        diag0, off = _rw_bands(panel, self.rw_sd, self.prior_sd)
        ab = np.zeros((3, n_cy))
        ab[0, 1:] = off
        ab[2, :-1] = off
        lam = 1.0 / self.item_sd ** 2
        anchor = self._anchor_index(panel)

        if start is None:
            theta = _pca_start(panel, anchor)
            tau = np.ones(n_g)
            pseudo = np.array([-1.0, 0.5, 1.5])[panel.vote]
            alpha, beta = self._item_step(theta[cy], pseudo, w, g, n_g, lam)
        else:
            theta, alpha, beta, tau = (start.theta.copy(), start.alpha.copy(), start.beta.copy(),
                                       start.tau.copy())
        n_a = n_cy + n_g

        def em_step(p: np.ndarray) -> np.ndarray:
            th, al, be, ta = p[:n_cy], p[n_cy:n_a], p[n_a:n_a + n_g], np.exp(p[n_a + n_g:])
            a_v, b_v = al[g], be[g]
            z = _estep(a_v + b_v * th[cy], ta[g], masks)
            # Positions: (D + Q) theta = b, one tridiagonal system for all state-years.
            ab[1] = diag0 + np.bincount(cy, weights=w * b_v * b_v, minlength=n_cy)
            rhs = np.bincount(cy, weights=w * b_v * (z - a_v), minlength=n_cy)
            th = solve_banded((1, 1), ab, rhs, check_finite=False)
            if not fix_items:
                x = th[cy]
                al, be = self._item_step(x, z, w, g, n_g, lam)
                ta = self._tau_step(al[g] + be[g] * x, ta, w, g, n_g, masks)
            return np.concatenate([th, al, be, np.log(ta)])

        def objective(p: np.ndarray) -> float:
            return self._log_post(p[:n_cy], p[n_cy:n_a], p[n_a:n_a + n_g], np.exp(p[n_a + n_g:]), panel, w, g,
                                  masks, diag0, off, lam)

        p = np.concatenate([theta, alpha, beta, np.log(tau)])
        trace: list[float] = []
        converged, change, it, step_max = False, np.inf, 0, 1.0
        obj = objective(p) if self.accelerate else None
        while it < max_iter:
            p1 = em_step(p)
            it += 1
            if self.accelerate:
                # SQUAREM (Varadhan & Roland 2008, scheme S3): extrapolate along two EM steps, stabilise with a
                # third, and keep the result only if the log posterior does not fall (else plain EM).
                p2 = em_step(p1)
                it += 1
                r, v = p1 - p, p2 - 2 * p1 + p
                nv = np.linalg.norm(v)
                step = -min(max(np.linalg.norm(r) / nv, 1.0), step_max) if nv > 0 else -1.0
                new = em_step(p - 2 * step * r + step * step * v)
                it += 1
                new_obj = objective(new)
                if np.isfinite(new_obj) and new_obj >= obj - 1e-8 * abs(obj):
                    if -step >= step_max:
                        step_max *= 4.0
                else:
                    new, new_obj = p2, objective(p2)
                    step_max = max(1.0, step_max / 4.0)
                obj = new_obj
                trace.append(obj)
            else:
                new = p1
                if self.trace_every and it % self.trace_every == 0:
                    trace.append(objective(new))
            change = float(np.max(np.abs(new[:n_cy] - p[:n_cy])))
            p = new
            if change < self.tol:
                converged = True
                break
        theta, alpha, beta, tau = p[:n_cy], p[n_cy:n_a], p[n_a:n_a + n_g], np.exp(p[n_a + n_g:])
        return FitState(theta, alpha, beta, tau, it, converged, change, trace)

    @staticmethod
    def _item_step(x, z, w, g, n_g, lam):
        s0 = np.bincount(g, weights=w, minlength=n_g) + lam
        s1 = np.bincount(g, weights=w * x, minlength=n_g)
        s2 = np.bincount(g, weights=w * x * x, minlength=n_g) + lam
        t0 = np.bincount(g, weights=w * z, minlength=n_g)
        t1 = np.bincount(g, weights=w * z * x, minlength=n_g)
        det = s0 * s2 - s1 * s1
        alpha = (s2 * t0 - s1 * t1) / det
        beta = (s0 * t1 - s1 * t0) / det
        return alpha, beta

    @staticmethod
    def _tau_step(mu, tau, w, g, n_g, masks):
        """One Newton step on each abstention width, on the observed-data likelihood (concave in tau)."""
        _, ab, yes = masks
        u_a = tau[g[ab]] - mu[ab]
        d = np.maximum(_interval(-mu[ab], u_a), 1e-300)
        pa = np.exp(_log_phi(u_a))
        r = pa / d
        g1 = np.bincount(g[ab], weights=w[ab] * r, minlength=n_g)
        h1 = np.bincount(g[ab], weights=w[ab] * (-u_a * r - r * r), minlength=n_g)
        u_y = tau[g[yes]] - mu[yes]
        lam_y = _mills(u_y)
        g1 -= np.bincount(g[yes], weights=w[yes] * lam_y, minlength=n_g)
        h1 -= np.bincount(g[yes], weights=w[yes] * lam_y * (lam_y - u_y), minlength=n_g)
        step = np.where(h1 < -1e-12, -g1 / np.minimum(h1, -1e-12), 0.0)
        return np.clip(tau + np.clip(step, -0.5 * tau, 1.0), 1e-3, 20.0)

    def _log_post(self, theta, alpha, beta, tau, panel, w, g, masks, diag0, off, lam) -> float:
        mu = alpha[g] + beta[g] * theta[panel.cy]
        ll = _loglik(mu, tau[g], w, masks)
        quad = np.sum(diag0 * theta * theta) + 2 * np.sum(off * theta[1:] * theta[:-1])
        return ll - 0.5 * quad - 0.5 * lam * float(np.sum(alpha ** 2) + np.sum(beta ** 2))

    def _anchor_index(self, panel: VotePanel) -> int | None:
        if self.anchor is None:
            return None
        hit = np.flatnonzero(panel.codes == self.anchor)
        return int(hit[0]) if len(hit) else None

    def _standardise(self, panel: VotePanel, theta: np.ndarray) -> tuple[float, float, float]:
        """Shift, scale and sign that put positions on the reported scale."""
        mean, sd = float(theta.mean()), float(theta.std()) or 1.0
        sign = 1.0
        anchor = self._anchor_index(panel)
        if anchor is not None and theta[panel.cy_state == anchor].mean() < mean:
            sign = -1.0
        return mean, sd, sign

    # -- public API -----------------------------------------------------------------------------------

    def fit(self, panel: VotePanel) -> "DynamicIdealPoints":
        """Estimate positions and roll-call parameters.

        Args:
            panel: the votes.

        Returns:
            self, with ``positions_`` (state-year table), ``state_`` (raw fit), ``n_iter_``, ``converged_``,
            ``trace_`` (log posterior every ``trace_every`` iterations), ``seconds_``.
        """
        t0 = time.perf_counter()
        self.panel_ = panel
        self.state_ = self._run(panel)
        self.shift_, self.scale_, self.sign_ = self._standardise(panel, self.state_.theta)
        self.n_iter_, self.converged_ = self.state_.n_iter, self.state_.converged
        self.trace_ = self.state_.trace
        self.seconds_ = time.perf_counter() - t0
        self.positions_ = panel.positions_frame(self.report_scale(self.state_.theta))
        return self

    def report_scale(self, theta: np.ndarray) -> np.ndarray:
        """Model-scale positions on the reported scale (the fit's standardisation and orientation)."""
        return self.sign_ * (theta - self.shift_) / self.scale_

    def transform(self, panel: VotePanel | None = None) -> pd.DataFrame:
        """State-year positions: of the fitted panel, or of new votes on already-fitted roll calls.

        Args:
            panel: votes whose ``item_id`` values were all in the fitted panel (roll-call parameters stay
                fixed and only positions are estimated); ``None`` for the fitted positions.

        Returns:
            Columns ``code, year, theta, n_votes`` on the reported scale.
        """
        self._check_fitted()
        if panel is None:
            return self.positions_.copy()
        pos = np.searchsorted(self.panel_.item_id, panel.item_id)
        pos = np.minimum(pos, len(self.panel_.item_id) - 1)
        if not np.array_equal(self.panel_.item_id[pos], panel.item_id):
            raise RequestError("transform needs roll calls that were in the fitted votes")
        grp = self.panel_.bridge[pos]
        used, inv = np.unique(grp, return_inverse=True)
        bridged = VotePanel(panel.state, panel.item, panel.vote, panel.item_year, panel.codes, panel.item_id,
                            bridge=inv)
        st = self.state_
        start = FitState(_pca_start(bridged, self._anchor_index(bridged)) * self.scale_ + self.shift_,
                         st.alpha[used], st.beta[used], st.tau[used], 0, False, np.inf, [])
        res = self._run(bridged, start=start, fix_items=True)
        return bridged.positions_frame(self.report_scale(res.theta))

    def fit_transform(self, panel: VotePanel) -> pd.DataFrame:
        return self.fit(panel).transform()

    def diagnostics(self) -> dict:
        """Convergence summary: iterations, whether the tolerance was met, last change, seconds, trace."""
        self._check_fitted()
        tr = self.trace_
        return {"n_iter": self.n_iter_, "converged": self.converged_, "max_change": self.state_.max_change,
                "tol": self.tol, "seconds": round(self.seconds_, 3), "log_posterior": tr[-1] if tr else None,
                "monotone": bool(np.all(np.diff(tr) >= -1e-6 * np.abs(tr[1:]))) if len(tr) > 1 else None,
                "n_votes": int(len(self.panel_.vote)), "n_roll_calls": int(self.panel_.n_items),
                "n_state_years": int(len(self.panel_.cy_state))}

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise RequestError("fit the estimator first")


# ----------------------------------------------------------------------------------------- bootstrap

def _year_weights(item_year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multinomial resampling weights of roll calls within each year."""
    w = np.zeros(len(item_year))
    for yr in np.unique(item_year):
        idx = np.flatnonzero(item_year == yr)
        w[idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)))
    return w


def _replicate(args) -> np.ndarray:
    est, panel, start, seed, max_iter = args
    rng = np.random.default_rng(seed)
    w = _year_weights(panel.item_year, rng)
    res = est._run(panel, weights=w, start=start, max_iter=max_iter)
    theta = res.theta
    # Each replicate is put on the point estimate's scale by its own standardisation and orientation.
    mean, sd, sign = est._standardise(panel, theta)
    return (sign * (theta - mean) / sd).astype(np.float32)


def _watch_parent(parent: int) -> None:
    """End this worker once it has been orphaned (for systems without PR_SET_PDEATHSIG)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Worker start-up: the worker ends when the process that started the pool does, however it ends.

    Without this, a ``dyadic ideal`` killed mid-bootstrap left its workers running under PID 1, computing for
    nobody and holding the store open (they are forked from a process with it open).
    """
    # Ctrl-C reaches the whole process group: only the parent acts on it (and ends the workers). A SIGTERM
    # handler inherited through fork would turn the parent's terminate() into an exception the worker survives.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":  # the kernel kills the worker the moment its parent is gone, even by SIGKILL
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request above was in place
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers now, mid-task (shutdown() alone would wait for the running replicates)."""
    terminate = getattr(pool, "terminate_workers", None)  # public from Python 3.14
    if terminate is not None:
        terminate()
        return
    # Before 3.14: the pool's workers are this process's only multiprocessing children while it runs.
    for proc in multiprocessing.active_children():
        proc.terminate()


def _sigterm_as_exit() -> Callable[[], None]:
    """While a pool runs, let SIGTERM raise SystemExit in the main thread, so the workers are stopped and the
    caller's ``finally`` blocks (store transaction, close) run; returns the function restoring the handler."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread

    def handler(signum: int, frame) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


@contextmanager
def worker_pool(n_jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers never outlive it: they are stopped when the block ends by an exception
    (Ctrl-C, SIGTERM included) and killed by the system if the parent process dies (SIGKILL included)."""
    # Fork, made explicit: Python 3.14's forkserver default would put a server between this process and the
    # workers, so their parent (whose death they watch) would not be this process.
    ctx = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    pool = ProcessPoolExecutor(n_jobs, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),))
    restore = _sigterm_as_exit()
    try:
        yield pool
    except BaseException:
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        restore()


class BootstrapIdealPoints:
    """Bootstrap intervals for a fitted :class:`DynamicIdealPoints`.

    Args:
        n_boot: number of replicates.
        level: coverage of the percentile interval (0.9 gives the 5th and 95th percentiles).
        n_jobs: worker processes (``None``: all cores).
        seconds: time budget; no new replicate starts after it (the result says how many ran).
        max_iter: iteration cap per replicate (replicates start from the point estimate).
        seed: seed of the resampling.
    """

    def __init__(self, n_boot: int = 100, level: float = 0.9, n_jobs: int | None = None,
                 seconds: float | None = 600.0, max_iter: int = 30, seed: int | None = None):
        if not 0 < level < 1:
            raise RequestError("level must be between 0 and 1")
        self.n_boot, self.level, self.n_jobs = n_boot, level, n_jobs
        self.seconds, self.max_iter, self.seed = seconds, max_iter, seed

    def fit(self, estimator: DynamicIdealPoints) -> "BootstrapIdealPoints":
        """Run the replicates on the estimator's votes.

        Args:
            estimator: a fitted estimator.

        Returns:
            self, with ``draws_`` (replicates x state-years), ``n_done_``, ``seconds_`` and ``intervals_``.
        """
        estimator._check_fitted()
        seed = estimator.seed if self.seed is None else self.seed
        seeds = np.random.SeedSequence(seed).generate_state(self.n_boot)
        panel, start = estimator.panel_, estimator.state_
        jobs = [(estimator, panel, start, int(s), self.max_iter) for s in seeds]
        t0 = time.perf_counter()
        n_jobs = self.n_jobs or os.cpu_count() or 1
        draws: list[np.ndarray] = []
        deadline = None if self.seconds is None else t0 + self.seconds
        if n_jobs == 1:
            for job in jobs:
                if deadline and time.perf_counter() > deadline:
                    break
                draws.append(_replicate(job))
        else:
            with worker_pool(n_jobs) as pool:
                it = iter(jobs)
                pending = {pool.submit(_replicate, j) for j in [next(it, None) for _ in range(n_jobs)] if j}
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    draws.extend(f.result() for f in done)
                    for _ in done:
                        job = next(it, None)
                        if job is not None and (deadline is None or time.perf_counter() < deadline):
                            pending.add(pool.submit(_replicate, job))
        self.seconds_ = time.perf_counter() - t0
        self.n_done_ = len(draws)
        self.draws_ = np.vstack(draws) if draws else np.empty((0, len(start.theta)), dtype=np.float32)
        q = (1 - self.level) / 2
        pos = estimator.positions_.copy()
        if self.n_done_ >= 2:
            pos["lo"] = np.quantile(self.draws_, q, axis=0)
            pos["hi"] = np.quantile(self.draws_, 1 - q, axis=0)
            pos["se"] = self.draws_.std(axis=0, ddof=1)
        else:
            pos["lo"] = pos["hi"] = pos["se"] = np.nan
        self.intervals_ = pos
        return self
