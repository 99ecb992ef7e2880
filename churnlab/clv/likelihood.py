"""Closed-form log-likelihoods of the CLV models, in numpy and scipy.

Public names: ``bgnbd_loglik``, ``pareto_nbd_loglik``, ``gamma_gamma_loglik``,
``sbg_loglik``, ``sbg_fit_scipy``.

These are the papers' formulas, written independently of pymc-marketing: the
fitted models report their log-likelihood with them, and the tests use them to
check that pymc-marketing's maximum a posteriori under flat priors is the
maximum-likelihood estimate. Each returns the sum over customers (the per-row
values with ``per_row=True``).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.special import betaln, gammaln, hyp2f1, logsumexp

__all__ = [
    "bgnbd_loglik",
    "pareto_nbd_loglik",
    "gamma_gamma_loglik",
    "sbg_loglik",
    "sbg_fit_scipy",
]


def _arrays(*values: object) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def bgnbd_loglik(
    r: float,
    alpha: float,
    a: float,
    b: float,
    frequency: object,
    recency: object,
    T: object,
    *,
    per_row: bool = False,
) -> float | np.ndarray:
    """BG/NBD log-likelihood, Fader, Hardie & Lee (2005), equation (6).

    Notes
    -----
    **Formula.** For a customer with ``x`` repeat purchases, the last at
    ``t_x``, observed for ``T``:
    ``L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``,
    evaluated in logs (``G`` is the gamma function, ``B`` the beta function).
    """
    x, tx, t = _arrays(frequency, recency, T)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    stay = betaln(a, b + x) - (r + x) * np.log(alpha + t)
    with np.errstate(invalid="ignore", divide="ignore"):
        drop = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    ll = common + np.logaddexp(stay, drop)
    return ll if per_row else float(ll.sum())


def pareto_nbd_loglik(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    frequency: object,
    recency: object,
    T: object,
    *,
    per_row: bool = False,
) -> float | np.ndarray:
    """Pareto/NBD log-likelihood, Fader & Hardie (2005) note 008, equation (22).

    Notes
    -----
    **Formula.** ``L = G(r+x) alpha^r beta^s / G(r) * [ 1 / ((alpha+T)^(r+x)
    (beta+T)^s) + s/(r+s+x) * A0 ]`` with, for ``alpha >= beta``,
    ``A0 = F(a1, s+1; a1+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^a1
    - F(a1, s+1; a1+1; (alpha-beta)/(alpha+T)) / (alpha+T)^a1``, ``a1 = r+s+x``
    and ``F`` the Gauss hypergeometric function (for ``alpha < beta`` the roles
    of ``alpha`` and ``beta`` swap and ``s+1`` becomes ``r+x``).
    """
    x, tx, t = _arrays(frequency, recency, T)
    a1 = r + s + x
    if alpha >= beta:
        big, small, second = alpha, beta, s + 1
    else:
        big, small, second = beta, alpha, r + x
    z_tx = (big - small) / (big + tx)
    z_t = (big - small) / (big + t)
    log_f_tx = np.log(hyp2f1(a1, second, a1 + 1, z_tx)) - a1 * np.log(big + tx)
    log_f_t = np.log(hyp2f1(a1, second, a1 + 1, z_t)) - a1 * np.log(big + t)
    # A0 = exp(log_f_tx) - exp(log_f_t) >= 0, since t_x <= T
    with np.errstate(divide="ignore"):
        log_a0 = log_f_tx + np.log1p(-np.exp(np.minimum(log_f_t - log_f_tx, 0.0)))
    first = -(r + x) * np.log(alpha + t) - s * np.log(beta + t)
    second_term = np.log(s) - np.log(a1) + log_a0
    ll = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + logsumexp(np.stack([first, second_term]), axis=0)
    )
    return ll if per_row else float(ll.sum())


def gamma_gamma_loglik(
    p: float,
    q: float,
    v: float,
    frequency: object,
    monetary_value: object,
    *,
    per_row: bool = False,
) -> float | np.ndarray:
    """Gamma-Gamma log-likelihood of mean repeat spend, Fader & Hardie (2013) note 025.

    Notes
    -----
    **Formula.** For ``x`` repeat transactions with mean value ``z``:
    ``f(z) = G(px+q) / (G(px) G(q)) * v^q * z^(px-1) * x^(px) / (v + x z)^(px+q)``
    (``v`` is the paper's gamma). Only customers with ``x > 0`` enter.
    """
    x, z = _arrays(frequency, monetary_value)
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(z)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * z)
    )
    return ll if per_row else float(ll.sum())


def sbg_loglik(alpha: float, beta: float, survivors: object) -> float:
    """Shifted-beta-geometric log-likelihood of one cohort, Fader & Hardie (2007).

    Parameters
    ----------
    alpha, beta : float
        Beta-distribution parameters of the churn probability.
    survivors : sequence of int
        Customers alive at period 0 (the cohort size), 1, ..., n.

    Notes
    -----
    **Formula.** ``P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)`` and
    ``S(t) = B(alpha, beta+t) / B(alpha, beta)``;
    ``LL = sum_t (n_{t-1} - n_t) log P(T = t) + n_n log S(n)``, equation (7).
    """
    n = np.asarray(survivors, dtype=float)
    t = np.arange(1, len(n))
    lost = n[:-1] - n[1:]
    log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    log_s = betaln(alpha, beta + t[-1]) - betaln(alpha, beta)
    return float((lost * log_p).sum() + n[-1] * log_s)


def sbg_fit_scipy(survivors: object) -> tuple[float, float, float]:
    """Maximum-likelihood sBG fit with scipy: ``(alpha, beta, log_likelihood)``.

    An independent reference for :func:`churnlab.clv.clv_sbg` (which fits with
    pymc-marketing); optimised on the log scale with L-BFGS-B from (1, 1).
    """

    def neg(theta: np.ndarray) -> float:
        return -sbg_loglik(np.exp(theta[0]), np.exp(theta[1]), survivors)

    res = optimize.minimize(neg, x0=np.zeros(2), method="L-BFGS-B")
    alpha, beta = np.exp(res.x)
    return float(alpha), float(beta), float(-res.fun)
