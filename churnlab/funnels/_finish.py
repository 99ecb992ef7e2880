"""Funnel results finished in pandas (private): long counts, rates, attrs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab._frames import ratio as _ratio
from churnlab.funnels.spec import _Spec

# ------------------------------------------------------------------------ finish

__all__: list[str] = []


def _long_counts(wide: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    n = len(spec.steps)
    u = spec.unit
    by = list(spec.by)
    if wide.empty:
        wide = pd.DataFrame([{f"n_{k}": 0 for k in range(1, n + 1)}])
        if by:
            wide = wide.iloc[:0]
    frames = []
    for k, step in enumerate(spec.steps, 1):
        f = wide[by].copy() if by else pd.DataFrame(index=wide.index)
        f["step_index"] = k
        f["step"] = step.name
        f[u] = wide[f"n_{k}"].fillna(0).astype("int64")
        f[f"{u}_previous"] = wide[f"n_{max(k - 1, 1)}"].fillna(0).astype("int64")
        f[f"{u}_first"] = wide["n_1"].fillna(0).astype("int64")
        f[f"{u}_censored"] = (
            wide.get(f"c_{k}", pd.Series(0, index=wide.index)).fillna(0).astype("int64")
        )
        for col, src in (
            ("median_hours_from_previous", f"med_prev_{k}"),
            ("mean_hours_from_previous", f"mean_prev_{k}"),
            ("median_hours_from_first", f"med_first_{k}"),
        ):
            f[col] = (
                pd.to_numeric(wide[src], errors="coerce") / 3600.0
                if src in wide
                else np.nan
            )
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["conversion_from_previous"] = _ratio(out[u], out[f"{u}_previous"])
    out["conversion_from_first"] = _ratio(out[u], out[f"{u}_first"])
    out[f"{u}_dropped"] = out[f"{u}_previous"] - out[u]
    out["drop_off_rate"] = _ratio(out[f"{u}_dropped"], out[f"{u}_previous"])
    cols = [
        *by,
        "step_index",
        "step",
        u,
        f"{u}_previous",
        "conversion_from_previous",
        f"{u}_first",
        "conversion_from_first",
        f"{u}_dropped",
        "drop_off_rate",
        f"{u}_censored",
        "median_hours_from_previous",
        "mean_hours_from_previous",
        "median_hours_from_first",
    ]
    out = out[cols].sort_values([*by, "step_index"], kind="stable", ignore_index=True)
    for col in by:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _window_text(td: pd.Timedelta) -> str:
    """``7 days``, ``36 hours``, ``30 minutes`` or ``90 seconds``."""
    secs = int(td.total_seconds())
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if secs % size == 0:
            n = secs // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{secs} seconds"


def _attrs(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    frame.attrs.update(
        {
            "window": _window_text(spec.window),
            "as_of": spec.as_of,
            "order": spec.order,
            "attempts": spec.attempts,
            "unit": spec.unit,
            "by": list(spec.by),
            "steps": [s.name for s in spec.steps],
        }
    )
    return frame


def _users_frame(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    n = len(spec.steps)
    names = np.array([s.name for s in spec.steps], dtype=object)
    out = pd.DataFrame({spec.actor: frame["actor_id"].astype(object)})
    for c in spec.by:
        out[c] = frame[c].astype(object).where(frame[c].notna(), None)
    out["entered_at"] = frame["at_1"]
    level = frame["level"].astype("int64")
    out["steps_reached"] = level
    out["last_step"] = names[level.to_numpy() - 1] if len(level) else []
    out["converted"] = level == n
    out["censored"] = frame["censored"].astype(bool)
    for k in range(1, n + 1):
        out[f"step_{k}_at"] = frame[f"at_{k}"]
    return out.sort_values(
        [*spec.by, "entered_at", spec.actor], kind="stable", ignore_index=True
    )
