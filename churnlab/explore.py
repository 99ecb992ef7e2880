"""The interactive explorer: one ipywidgets panel over the public functions.

Public names: ``explore``, ``Explorer``, ``VIEWS``.

``explore(data)`` returns a widget for JupyterLab. Pick a dataset, a period range,
a breakdown and a segment, and a view; the table and chart below update in place.
Every view calls the same public functions the reports call
(:func:`churnlab.customer_churn`, :func:`churnlab.mrr_movements`,
:func:`churnlab.cohort_table`, :class:`churnlab.CustomerLifetime`,
:func:`churnlab.funnel`, ...); the explorer only selects rows and columns, it
computes no metric of its own. What it computed for a selection is cached, so
flipping back to a selection is instant.

It works without a browser: ``w.set(view="churn", segment="SMB")`` changes the
selection, ``w.selection`` is the current selection, ``w.frame`` the DataFrame
shown and ``w.message`` the message shown instead when a choice cannot be
computed (a readable sentence, never a traceback).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd

import churnlab as cl
from churnlab.errors import ChurnlabError

__all__ = ["explore", "Explorer", "VIEWS"]

#: view key -> label shown in the dropdown.
VIEWS: dict[str, str] = {
    "kpis": "KPI table (numerators and denominators)",
    "churn": "Customer churn by period",
    "mrr": "MRR movements",
    "cohorts": "Cohort heatmap",
    "survival": "Survival curves",
    "funnel": "Funnel",
    "at_risk": "At-risk accounts",
}

#: KPI table rows: metric -> (public function, numerator, denominator, value).
_KPIS: dict[str, tuple[str, str, str, str]] = {
    "customer churn rate": (
        "customer_churn",
        "customers_churned",
        "customers_start",
        "churn_rate",
    ),
    "churn per customer-period at risk": (
        "customer_churn",
        "churn_events",
        "customer_periods_at_risk",
        "churn_rate_at_risk",
    ),
    "gross revenue churn rate": (
        "revenue_churn",
        "mrr_lost_gross",
        "mrr_start",
        "gross_revenue_churn_rate",
    ),
    "net revenue churn rate": (
        "revenue_churn",
        "mrr_lost_net",
        "mrr_start",
        "net_revenue_churn_rate",
    ),
    "NRR": ("nrr", "mrr_retained", "mrr_start", "nrr"),
    "GRR": ("grr", "mrr_retained_gross", "mrr_start", "grr"),
    "quick ratio": ("quick_ratio", "mrr_gained", "mrr_lost_gross", "quick_ratio"),
    "ARPA": ("arpa", "mrr_end", "customers_end", "arpa"),
}

_BREAKDOWNS = ("segment", "plan", "country", "channel")
_DEFAULT_STEPS = ("login", "invite_sent", "dashboard_created")
_ALL = "All"
_SAMPLE = "bundled sample"


class _Problem(Exception):
    """A choice the current data cannot answer; its text is shown to the user."""


class Explorer(widgets.VBox):
    """A widget that shows one metric view for the current selection.

    Parameters
    ----------
    datasets : mapping of str to data
        Named datasets to choose from (a Dataset, a folder path, ...).

    Attributes
    ----------
    selection : dict
        The current choice: ``dataset``, ``view``, ``breakdown``, ``segment``,
        ``period`` (None for all, a period string or a (first, last) pair),
        ``freq``, ``cohort`` (``"first"`` or ``"recurring"``), ``steps``,
        ``window``.
    frame : pandas.DataFrame
        The table the widget shows (empty when a message is shown instead).
    message : str
        The message shown when the selection cannot be computed, else "".
    """

    def __init__(self, datasets: Mapping[str, Any]) -> None:
        self._datasets: dict[str, Any] = dict(datasets)
        self._loaded: dict[str, cl.Dataset] = {}
        self._cache: dict[tuple, Any] = {}
        self.frame = pd.DataFrame()
        self.message = ""
        self.figure = None
        self.selection: dict[str, Any] = {
            "dataset": next(iter(self._datasets)),
            "view": "churn",
            "breakdown": None,
            "segment": _ALL,
            "period": None,
            "freq": "M",
            "cohort": "first",
            "steps": _DEFAULT_STEPS,
            "window": "14D",
        }
        self._controls = self._build_controls()
        self._status = widgets.HTML()
        self._table = widgets.Output()
        self._chart = widgets.Output()
        super().__init__(
            [
                self._controls["box"],
                self._status,
                self._chart,
                self._table,
            ]
        )
        self._syncing = False
        self.refresh()

    # ------------------------------------------------------------------ controls
    def _build_controls(self) -> dict[str, Any]:
        c: dict[str, Any] = {}
        c["dataset"] = widgets.Dropdown(
            options=list(self._datasets), description="Dataset"
        )
        c["view"] = widgets.Dropdown(
            options=[(label, key) for key, label in VIEWS.items()],
            value="churn",
            description="View",
        )
        c["breakdown"] = widgets.Dropdown(
            options=[("none", None)] + [(b, b) for b in _BREAKDOWNS],
            description="Breakdown",
        )
        c["segment"] = widgets.Dropdown(options=[_ALL], description="Segment")
        c["first"] = widgets.Text(placeholder="YYYY-MM", description="From")
        c["last"] = widgets.Text(placeholder="YYYY-MM", description="To")
        c["freq"] = widgets.Dropdown(
            options=[("month", "M"), ("quarter", "Q"), ("week", "W")],
            description="Period",
        )
        c["cohort"] = widgets.ToggleButtons(
            options=[("first-time", "first"), ("recurring", "recurring")],
            description="Cohorts",
        )
        c["steps"] = widgets.Text(
            value=", ".join(_DEFAULT_STEPS),
            description="Steps",
            layout=widgets.Layout(width="480px"),
        )
        c["window"] = widgets.Text(value="14D", description="Window")
        for name, control in c.items():
            control.observe(self._on_change(name), names="value")
        c["cohort_row"] = widgets.HBox([c["cohort"]])
        c["funnel_row"] = widgets.HBox([c["steps"], c["window"]])
        c["box"] = widgets.VBox(
            [
                widgets.HBox([c["dataset"], c["view"]]),
                widgets.HBox([c["breakdown"], c["segment"]]),
                widgets.HBox([c["first"], c["last"], c["freq"]]),
                c["cohort_row"],
                c["funnel_row"],
            ]
        )
        return c

    def _on_change(self, name: str):
        def handler(change: Mapping[str, Any]) -> None:
            if self._syncing:
                return
            value = change["new"]
            if name in ("first", "last"):
                first, last = (
                    self._controls["first"].value,
                    self._controls["last"].value,
                )
                self.set(period=(first or None, last or None))
            elif name == "steps":
                self.set(steps=tuple(s.strip() for s in value.split(",") if s.strip()))
            else:
                self.set(**{name: value})

        return handler

    def _sync_controls(self) -> None:
        sel = self.selection
        self._syncing = True
        try:
            c = self._controls
            if sel["dataset"] not in c["dataset"].options:
                c["dataset"].options = list(self._datasets)
            c["dataset"].value = sel["dataset"]
            c["view"].value = sel["view"]
            c["breakdown"].value = sel["breakdown"]
            segments = [_ALL] + self._segment_values()
            if sel["segment"] not in segments:
                segments.append(sel["segment"])
            c["segment"].options = segments
            c["segment"].value = sel["segment"]
            first, last = _period_pair(sel["period"])
            c["first"].value = first or ""
            c["last"].value = last or ""
            c["freq"].value = sel["freq"]
            c["cohort"].value = sel["cohort"]
            c["steps"].value = ", ".join(sel["steps"])
            c["window"].value = sel["window"]
            # show only the options the current view uses
            c["cohort_row"].layout.display = "" if sel["view"] == "cohorts" else "none"
            c["funnel_row"].layout.display = "" if sel["view"] == "funnel" else "none"
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ public
    def set(self, **selection: Any) -> Explorer:
        """Change the selection and redraw; unknown keys are a readable message.

        Parameters
        ----------
        **selection
            Any of the keys of :attr:`selection`. ``segment`` without a
            ``breakdown`` picks the breakdown column that holds the value. A
            ``dataset`` that is not one of the named choices is loaded as a path.

        Returns
        -------
        Explorer
            The widget itself, so calls chain.
        """
        unknown = sorted(set(selection) - set(self.selection))
        if unknown:
            self._show_message(
                f"Unknown choice {', '.join(unknown)}; the explorer understands "
                f"{', '.join(self.selection)}."
            )
            return self
        if "dataset" in selection and selection["dataset"] not in self._datasets:
            path = str(selection["dataset"])
            self._datasets[path] = path
        if "breakdown" in selection and "segment" not in selection:
            selection["segment"] = _ALL
        if "steps" in selection and isinstance(selection["steps"], str):
            selection["steps"] = tuple(
                s.strip() for s in selection["steps"].split(",") if s.strip()
            )
        self.selection.update(selection)
        if self.selection["segment"] in (None, ""):
            self.selection["segment"] = _ALL
        self.refresh()
        return self

    def refresh(self) -> None:
        """Recompute (or take from the cache) the current view and redraw it."""
        try:
            self._resolve_breakdown()
            frame, draw = self._compute()
        except (_Problem, ChurnlabError, ValueError, KeyError, TypeError) as err:
            self._show_message(_readable(err))
        except Exception as err:  # noqa: BLE001 - never a traceback in the widget
            self._show_message(f"Could not compute this view: {_readable(err)}")
        else:
            self.message = ""
            self.frame = frame
            self._status.value = ""
            self._draw(frame, draw)
        try:
            self._sync_controls()
        except Exception:  # noqa: BLE001 - a control out of sync is not fatal
            self._syncing = False

    # ------------------------------------------------------------------ data
    def _dataset(self) -> cl.Dataset:
        name = self.selection["dataset"]
        if name not in self._loaded:
            source = self._datasets[name]
            if source is None:
                self._loaded[name] = cl.sample_dataset()
            elif isinstance(source, cl.Dataset):
                self._loaded[name] = source
            else:
                self._loaded[name] = cl.load_dataset(source)
        return self._loaded[name]

    def _segment_values(self) -> list[str]:
        breakdown = self.selection["breakdown"]
        if breakdown is None:
            return []
        try:
            return [str(v) for v in self._attribute_values(breakdown)]
        except Exception:  # noqa: BLE001 - the dropdown stays at "All"
            return []

    def _attribute_values(self, column: str) -> list[Any]:
        key = ("values", self.selection["dataset"], column)
        if key not in self._cache:
            customers = self._dataset().customers
            if customers is None or column not in customers.columns:
                raise _Problem(
                    f"The dataset has no customers.{column} column to break down by."
                )
            values = cl.engine.execute(customers.select(column).distinct())[column]
            self._cache[key] = sorted(values.dropna().tolist(), key=str)
        return self._cache[key]

    def _resolve_breakdown(self) -> None:
        sel = self.selection
        if sel["segment"] == _ALL or sel["breakdown"] is not None:
            return
        for column in _BREAKDOWNS:
            try:
                values = self._attribute_values(column)
            except _Problem:
                continue
            if sel["segment"] in [str(v) for v in values]:
                sel["breakdown"] = column
                return
        raise _Problem(
            f"No customer attribute has the value {sel['segment']!r}; "
            "pick a breakdown first, then one of its values."
        )

    def _cached(self, key: tuple, compute) -> Any:
        full = (self.selection["dataset"], *key)
        if full not in self._cache:
            self._cache[full] = compute()
        return self._cache[full]

    def _bounds(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        first, last = _period_pair(self.selection["period"])
        freq = self.selection["freq"]
        start = end = None
        try:
            if first:
                start = cl.periods.period_start(pd.Timestamp(first), freq)
            if last:
                end = cl.periods.period_end(
                    cl.periods.period_start(pd.Timestamp(last), freq), freq
                )
        except (ValueError, TypeError) as err:
            raise _Problem(
                f"The period {self.selection['period']!r} is not a date or month; "
                "use YYYY-MM, e.g. '2026-10', or a pair ('2026-01', '2026-10')."
            ) from err
        if start is not None and end is not None and start >= end:
            raise _Problem(f"The period range starts after it ends: {first} > {last}.")
        return start, end

    def _as_of(self) -> str | None:
        end = self._bounds()[1]
        return (
            None if end is None else (end - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        )

    def _filter(self, frame: pd.DataFrame, column: str = "period") -> pd.DataFrame:
        start, end = self._bounds()
        if column in frame.columns:
            if start is not None:
                frame = frame[frame[column] >= start]
            if end is not None:
                frame = frame[frame[column] < end]
        breakdown, segment = self.selection["breakdown"], self.selection["segment"]
        if segment != _ALL and breakdown in frame.columns:
            frame = frame[frame[breakdown].astype(str) == str(segment)]
        if frame.empty:
            raise _Problem(
                "Nothing to show for this selection: no rows in the chosen periods "
                f"and segment ({self.selection['period'] or 'all periods'}, "
                f"{segment})."
            )
        return frame.reset_index(drop=True)

    # ------------------------------------------------------------------ views
    def _compute(self) -> tuple[pd.DataFrame, Any]:
        view = self.selection["view"]
        if view not in VIEWS:
            raise _Problem(f"Unknown view {view!r}; choose one of {', '.join(VIEWS)}.")
        return getattr(self, f"_view_{view}")()

    def _by(self) -> str | None:
        return self.selection["breakdown"]

    def _view_churn(self):
        by, freq = self._by(), self.selection["freq"]
        full = self._cached(
            ("churn", by, freq),
            lambda: cl.customer_churn(self._dataset(), by=by, freq=freq),
        )
        frame = self._filter(full)
        by_plot = by if self.selection["segment"] == _ALL else None
        return frame, lambda ax: cl.plots.churn.churn_rate(frame, by=by_plot, ax=ax)

    def _view_kpis(self):
        by, freq = self._by(), self.selection["freq"]
        keys = ["period"] + ([by] if by else [])
        rows = []
        for metric, (func, num, den, value) in _KPIS.items():
            full = self._cached(
                (func, by, freq),
                lambda func=func: getattr(cl, func)(self._dataset(), by=by, freq=freq),
            )
            part = full[keys + [num, den, value]].rename(
                columns={num: "numerator", den: "denominator", value: "value"}
            )
            rows.append(
                part.assign(
                    metric=metric, numerator_is=num, denominator_is=den, function=func
                )
            )
        long = pd.concat(rows, ignore_index=True)
        frame = self._filter(long)[
            keys
            + [
                "metric",
                "numerator",
                "denominator",
                "value",
                "numerator_is",
                "denominator_is",
                "function",
            ]
        ]
        return frame, None

    def _view_mrr(self):
        by, freq = self._by(), self.selection["freq"]
        full = self._cached(
            ("mrr", by, freq),
            lambda: cl.mrr_movements(self._dataset(), by=by, freq=freq),
        )
        frame = self._filter(full)
        if by is not None and self.selection["segment"] == _ALL:
            return frame, None  # one bridge per segment: pick a segment to draw it
        last = frame["period"].max()
        return frame, lambda ax: cl.plots.revenue.mrr_bridge(frame, period=last, ax=ax)

    def _view_cohorts(self):
        if self.selection["cohort"] == "recurring":
            if not hasattr(cl, "recurring_retention"):
                raise _Problem(
                    "Recurring retention needs the lifecycle functions, which this "
                    "version of churnlab does not have yet; showing first-time "
                    "cohorts needs cohort='first'."
                )
            func = cl.recurring_retention
        else:
            func = cl.cohort_table
        by, freq, as_of = self._by(), self.selection["freq"], self._as_of()
        full = self._cached(
            ("cohorts", self.selection["cohort"], by, freq, as_of),
            lambda: func(self._dataset(), by=by, freq=freq, as_of=as_of),
        )
        frame = self._filter(full, column="cohort")
        if by is not None and self.selection["segment"] == _ALL:
            return frame, None  # one heatmap per segment: pick a segment to draw it
        table = frame.drop(columns=[by]) if by else frame
        return frame, lambda ax: cl.cohort_heatmap(table, ax=ax)

    def _view_survival(self):
        by, as_of = self._by(), self._as_of()
        fitted = self._cached(
            ("survival", by, as_of),
            lambda: cl.CustomerLifetime().fit(self._dataset(), by=by, as_of=as_of),
        )
        frame = self._filter(fitted.summary_)
        return frame, lambda ax: fitted.plot(ax=ax)

    def _view_funnel(self):
        sel = self.selection
        steps = tuple(sel["steps"])
        if len(steps) < 2:
            raise _Problem(
                "A funnel needs at least two steps, e.g. login, invite_sent."
            )
        start, _ = self._bounds()
        since = None if start is None else start.strftime("%Y-%m-%d")
        by, window, as_of = self._by(), sel["window"], self._as_of()
        full = self._cached(
            ("funnel", steps, window, by, since, as_of),
            lambda: cl.funnel(
                self._dataset(),
                list(steps),
                window=window,
                by=by,
                since=since,
                as_of=as_of,
            ),
        )
        frame = self._filter(full)
        if by is not None and sel["segment"] == _ALL:
            return frame, None
        return frame, lambda ax: cl.plots.funnels.funnel(frame, ax=ax)

    def _view_at_risk(self):
        if not hasattr(cl, "at_risk"):
            raise _Problem(
                "The at-risk view needs the activity module (churnlab.at_risk), "
                "which this version of churnlab does not have yet."
            )
        as_of = self._as_of()
        full = self._cached(
            ("at_risk", as_of), lambda: cl.at_risk(self._dataset(), as_of=as_of)
        )
        breakdown, segment = self.selection["breakdown"], self.selection["segment"]
        frame = full
        if segment != _ALL and breakdown in frame.columns:
            frame = frame[frame[breakdown].astype(str) == str(segment)]
        return frame.reset_index(drop=True), None

    # ------------------------------------------------------------------ drawing
    def _show_message(self, text: str) -> None:
        self.message = text
        self.frame = pd.DataFrame()
        self._status.value = (
            "<div style='padding:8px;border-left:4px solid #c0392b;"
            f"background:#fdecea'>{_escape(text)}</div>"
        )
        self._table.clear_output()
        self._chart.clear_output()
        self.figure = None

    def _draw(self, frame: pd.DataFrame, draw) -> None:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:  # no front end (a script or a test): data only
            return
        self._table.clear_output(wait=True)
        with self._table, pd.option_context("display.float_format", _number):
            display(frame.head(200))
        self.figure = None
        if draw is None:
            self._chart.clear_output()
            return
        self._chart.clear_output(wait=True)
        try:
            with plt.ioff():
                fig, ax = plt.subplots(figsize=(7, 4.5))
                draw(ax)
                fig.tight_layout()
        except Exception as err:  # noqa: BLE001 - the table still shows
            self._status.value = (
                f"<i>No chart for this selection: {_escape(_readable(err))}</i>"
            )
            plt.close("all")
            return
        self.figure = fig
        with self._chart:
            display(fig)
        plt.close(fig)  # shown once, inside the widget; never again below the cell

    def __repr__(self) -> str:
        return f"<churnlab.Explorer {self.selection!r}>"


def _period_pair(period: Any) -> tuple[str | None, str | None]:
    if period is None:
        return None, None
    if isinstance(period, str | pd.Timestamp):
        return str(period), str(period)
    if isinstance(period, Sequence) and len(period) == 2:
        first, last = period
        return (None if first is None else str(first)), (
            None if last is None else str(last)
        )
    raise _Problem(
        f"The period {period!r} is not a period or a (first, last) pair; "
        "use e.g. '2026-10' or ('2026-01', '2026-10')."
    )


def _number(x: float) -> str:
    """Display format: counts whole, rates with 4 decimals, amounts grouped."""
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.4f}" if abs(x) < 100 else f"{x:,.1f}"


def _readable(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    if isinstance(err, KeyError):
        text = f"missing {text}"
    return text.splitlines()[0] if len(text) > 600 else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def explore(data: Any = None) -> Explorer:
    """Open the interactive explorer on a dataset (the bundled sample by default).

    Parameters
    ----------
    data : Dataset, path, mapping of str to data, or None
        What to explore. None: the bundled sample. A mapping names several
        datasets to choose from; the bundled sample is always one of the choices.

    Returns
    -------
    Explorer
        An ipywidgets widget: display it in JupyterLab. ``w.set(view="churn",
        segment="SMB")`` changes the selection, ``w.frame`` is the table shown and
        ``w.message`` the message shown when a choice cannot be computed.

    Notes
    -----
    Views and the public function each calls: ``"kpis"`` (customer_churn,
    revenue_churn, nrr, grr, quick_ratio, arpa: one row per metric with its
    numerator and denominator), ``"churn"`` (customer_churn), ``"mrr"``
    (mrr_movements), ``"cohorts"`` (cohort_table), ``"survival"``
    (CustomerLifetime), ``"funnel"`` (funnel), ``"at_risk"`` (at_risk, once the
    activity module is installed).

    Examples
    --------
    >>> w = explore()
    >>> w.set(view="churn", segment="SMB").frame["segment"].unique().tolist()
    ['SMB']
    """
    if isinstance(data, Mapping):
        datasets: dict[str, Any] = dict(data)
    elif data is None:
        datasets = {}
    else:
        datasets = {"your data": data}
    datasets.setdefault(_SAMPLE, None)
    return Explorer(datasets)
