"""The ``CustomerLifetime`` fitter: one Kaplan–Meier fit for several outputs.

Public names: ``CustomerLifetime``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.survival._common import (
    UNITS,
    _check_alpha,
    _check_horizons,
    _check_lifetimes,
    _groups,
    _km,
    _label,
    _unit_of,
)
from churnlab.survival.kaplan_meier import (
    _survival_frame,
    lifetime_hazard,
    lifetime_logrank,
    lifetime_summary,
)
from churnlab.survival.ltv import survival_ltv
from churnlab.survival.models import (
    CoxResult,
    lifetime_cox,
    lifetime_parametric,
)
from churnlab.survival.table import lifetimes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from churnlab._types import DataLike, DateLike

__all__ = ["CustomerLifetime"]


# ------------------------------------------------------------------------ fitter


class CustomerLifetime:
    """Kaplan–Meier customer lifetimes by segment, fitted once for many outputs.

    Parameters
    ----------
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha`` (95%).
    horizons : sequence of float, default (12, 24)
        Tenures (in the lifetimes' unit) at which ``summary_`` reads survival;
        RMST is restricted to the largest.

    Attributes
    ----------
    lifetimes_ : pandas.DataFrame
        The per-customer table fitted (:func:`lifetimes`).
    by_ : list of str
        The grouping columns.
    unit_ : str
        Tenure unit.
    as_of_ : pandas.Timestamp or None
        The as-of date the lifetimes were censored at.
    summary_ : pandas.DataFrame
        :func:`lifetime_summary` per group.
    survival_ : pandas.DataFrame
        Tidy curves: the ``by`` columns, ``tenure``, ``survival``,
        ``ci_lower``, ``ci_upper``, ``at_risk``, ``churned``, ``censored``.
    hazard_ : pandas.DataFrame
        :func:`lifetime_hazard` per group (one row per unit of tenure).
    logrank_ : pandas.DataFrame or None
        :func:`lifetime_logrank` between the groups (None with fewer than two).
    fitters_ : dict
        Group value (a tuple for several ``by`` columns, ``"all"`` without
        ``by``) to its lifelines ``KaplanMeierFitter``.
    cox_ : CoxResult
        Set by :meth:`cox`.
    parametric_ : ParametricResult
        Set by :meth:`parametric`.
    ltv_ : pandas.DataFrame
        Set by :meth:`ltv`.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.CustomerLifetime().fit(cl.sample_dataset(), by="segment",
    ...                                as_of="2026-10-31")
    >>> lt.summary_["segment"].tolist()
    ['Enterprise', 'Mid-Market', 'SMB']
    >>> type(lt.fitters_["SMB"]).__name__
    'KaplanMeierFitter'
    """

    def __init__(self, *, alpha: float = 0.05, horizons: Sequence[float] = (12, 24)):
        self.alpha = _check_alpha(alpha)
        self.horizons = _check_horizons(horizons)

    def __repr__(self) -> str:
        fitted = hasattr(self, "summary_")
        by = f", by={self.by_!r}" if fitted and self.by_ else ""
        state = f"fitted on {len(self.lifetimes_):,} rows{by}" if fitted else "unfitted"
        return f"<churnlab.CustomerLifetime alpha={self.alpha:g} {state}>"

    def _require(self) -> None:
        if not hasattr(self, "summary_"):
            raise ParameterError(
                "This CustomerLifetime is not fitted yet; call .fit(data, ...) first."
            )

    @share_docs
    def fit(
        self,
        data: DataLike,
        *,
        by: str | Sequence[str] | None = None,
        as_of: DateLike | None = None,
        unit: Literal["days", "weeks", "months"] = "months",
        source: Literal["subscriptions", "orders", "durations"] | None = None,
        reactivation: Literal["span", "first", "spells"] = "span",
        inactivity_days: int | None = None,
        orders_lifetime: Literal["last_order", "window"] = "last_order",
        columns: Mapping[str, str] | None = None,
    ) -> CustomerLifetime:
        """Build lifetimes (unless given) and fit Kaplan–Meier per group.

        Parameters
        ----------
        data : Dataset, DataFrame, path, ibis.Table, or a lifetimes table
            Anything :func:`lifetimes` accepts, or the DataFrame it returned
            (recognised by its ``attrs["unit"]`` or ``churned_at`` column and used
            as it is; the other options are then ignored).
        by : str or list of str, optional
            Attribute column(s) to fit separately (e.g. ``"segment"``).
        {as_of}
        unit, source, reactivation, inactivity_days, orders_lifetime, columns
            As in :func:`lifetimes`.

        Returns
        -------
        CustomerLifetime
            ``self``, fitted.
        """
        if isinstance(data, pd.DataFrame) and (
            data.attrs.get("unit") in UNITS or "churned_at" in data.columns
        ):
            table = data
        else:
            table = lifetimes(
                data,
                as_of=as_of,
                unit=unit,
                source=source,
                reactivation=reactivation,
                inactivity_days=inactivity_days,
                orders_lifetime=orders_lifetime,
                columns=columns,
            )
        frame, cols = _check_lifetimes(table, by, caller="CustomerLifetime.fit")
        self.lifetimes_ = table
        self.by_ = cols
        self.unit_ = _unit_of(frame)
        self.as_of_ = table.attrs.get("as_of")
        self.fitters_ = {}
        curves = []
        for key, values, rows in _groups(frame, cols):
            kmf = _km(rows, _label(values), self.alpha)
            self.fitters_[key] = kmf
            curves.append(_survival_frame(cols, values, kmf))
        self.survival_ = pd.concat(curves, ignore_index=True)
        self.survival_.attrs.update(unit=self.unit_)
        self.summary_ = lifetime_summary(
            frame, by=cols or None, horizons=self.horizons, alpha=self.alpha
        )
        self.hazard_ = lifetime_hazard(frame, by=cols or None)
        self.logrank_ = (
            lifetime_logrank(frame, by=cols, alpha=self.alpha)
            if cols and len(self.fitters_) > 1
            else None
        )
        return self

    def cox(
        self,
        covariates: str | Sequence[str] | None = None,
        *,
        strata: str | Sequence[str] | None = None,
        penalizer: float = 0.0,
    ) -> CoxResult:
        """Cox proportional hazards on the lifetimes' attributes (:func:`lifetime_cox`).

        ``covariates`` defaults to the ``by`` columns of the fit (or every usable
        attribute without ``by``). The result is also stored as ``cox_``.
        """
        self._require()
        if covariates is None and self.by_:
            covariates = self.by_
        self.cox_ = lifetime_cox(
            self.lifetimes_,
            covariates=covariates,
            strata=strata,
            alpha=self.alpha,
            penalizer=penalizer,
        )
        return self.cox_

    def parametric(
        self,
        *,
        models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
        horizon: float | None = None,
    ) -> pd.DataFrame:
        """Parametric fits per group, best by AIC (:func:`lifetime_parametric`).

        Stores the :class:`ParametricResult` as ``parametric_`` (its curves
        are drawn, dashed and labelled "extrapolation", by :meth:`plot`) and
        returns its ``models`` table.
        """
        self._require()
        self.parametric_ = lifetime_parametric(
            self.lifetimes_,
            by=self.by_ or None,
            models=models,
            horizon=horizon,
            alpha=self.alpha,
        )
        return self.parametric_.models

    def ltv(
        self,
        arpa: float | Mapping[Any, float] | pd.Series,
        *,
        gross_margin: float | Mapping[Any, float] | pd.Series | None = None,
        discount_rate: float = 0.0,
        horizon: float | None = None,
        extrapolate: bool = True,
        margin: float | Mapping[Any, float] | pd.Series | None = None,
    ) -> pd.DataFrame:
        """Survival-based LTV per group beside the simple one (:func:`survival_ltv`).

        Stored as ``ltv_``. ``margin`` is the deprecated alias of
        ``gross_margin``.
        """
        self._require()
        if margin is not None:
            warnings.warn(
                "CustomerLifetime.ltv(margin=...) is deprecated; call "
                ".ltv(arpa, gross_margin=...) (same meaning).",
                DeprecationWarning,
                stacklevel=2,
            )
            if gross_margin is None:
                gross_margin = margin
        self.ltv_ = survival_ltv(
            self.lifetimes_,
            arpa=arpa,
            by=self.by_ or None,
            gross_margin=gross_margin,
            discount_rate=discount_rate,
            horizon=horizon,
            extrapolate=extrapolate,
        )
        return self.ltv_

    def plot(
        self,
        *,
        ci: bool = True,
        at_risk: bool = True,
        extrapolation: bool = True,
        ax: Axes | None = None,
    ) -> Axes:
        """Kaplan–Meier curves per group with CI bands and at-risk counts.

        See :func:`churnlab.plots.survival.survival_curves`; the parametric
        extrapolation is drawn (dashed) after :meth:`parametric` was called.
        """
        from churnlab.plots.survival import survival_curves

        self._require()
        parametric = getattr(self, "parametric_", None) if extrapolation else None
        curves = self.survival_.copy()
        curves.attrs.update(unit=self.unit_, as_of=self.as_of_)
        return survival_curves(
            curves,
            by=self.by_ or None,
            extrapolation=None if parametric is None else parametric.curves,
            ci=ci,
            at_risk=at_risk,
            ax=ax,
        )
